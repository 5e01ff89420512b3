"""The thin v1/v2c codec (agents/snmp/wire.py) checked against pysnmp's own BER encoder and decoder, so the
two agree byte for byte on what the agent sends and reads."""
import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from agents.snmp import wire
from agents.snmp.values import Value

OIDS = [(1, 3, 6, 1, 2, 1, 1, 1, 0), (1, 3, 6, 1, 4, 1, 641, 6, 4, 2, 1, 1, 3, 49),
        (1, 3, 6, 1, 4, 1, 2699, 1, 3, 1, 8, 1, 4, 2, 3, 3), (2, 999, 3),
        (1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8, 1, 300)]


@pytest.mark.parametrize("version,pdu", [(0, wire.GET), (1, wire.GET), (0, wire.GETNEXT), (1, wire.GETBULK)])
def test_requests_decode_with_pysnmp(version, pdu):
    raw = wire.encode_request(version, b"public", pdu, 123456, OIDS, 0, 24 if pdu == wire.GETBULK else 0)
    module = api.PROTOCOL_MODULES[version]
    message, rest = decoder.decode(raw, asn1Spec=module.Message())
    assert rest == b""
    assert int(module.apiMessage.get_version(message)) == version
    assert bytes(module.apiMessage.get_community(message)) == b"public"
    decoded = module.apiMessage.get_pdu(message)
    assert int(module.apiPDU.get_request_id(decoded)) == 123456
    assert [tuple(name) for name, _ in module.apiPDU.get_varbinds(decoded)] == OIDS
    if pdu == wire.GETBULK:
        assert int(module.apiBulkPDU.get_max_repetitions(decoded)) == 24


def test_responses_encoded_by_pysnmp_decode_to_values():
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = module.GetResponsePDU()
    module.apiPDU.set_defaults(pdu)
    module.apiPDU.set_request_id(pdu, 2**31 - 1)
    values = [(OIDS[0], module.OctetString(b"Lexmark CX735de \xe9")), (OIDS[1], module.Counter32(2**32 - 1)),
              (OIDS[2], module.Integer(-3)), (OIDS[3], module.ObjectIdentifier((1, 3, 6, 1, 4, 1, 641))),
              (OIDS[4], module.TimeTicks(12345)),
              ((1, 3, 6, 1, 2, 1, 4, 20, 1, 1), module.IpAddress("127.0.1.9")),
              ((1, 3, 6, 2), module.Gauge32(7)), ((1, 3, 6, 3), module.Counter64(2**40)),
              ((1, 3, 6, 4), module.NoSuchInstance()), ((1, 3, 6, 5), module.EndOfMibView()),
              ((1, 3, 6, 6), module.Integer(2**31 - 1)), ((1, 3, 6, 7), module.OctetString(b"x" * 300))]
    module.apiPDU.set_varbinds(pdu, values)
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, "public")
    module.apiMessage.set_pdu(message, pdu)
    request_id, status, index, binds = wire.decode_response(encoder.encode(message))
    assert (request_id, status, index) == (2**31 - 1, 0, 0)
    assert [name for name, _ in binds] == [tuple(name) for name, _ in values]
    assert [value for _, value in binds] == [
        Value("STRING", b"Lexmark CX735de \xe9"), Value("Counter32", 2**32 - 1), Value("INTEGER", -3),
        Value("OID", "1.3.6.1.4.1.641"), Value("Timeticks", 12345), Value("IpAddress", "127.0.1.9"),
        Value("Gauge32", 7), Value("Counter64", 2**40), None, None, Value("INTEGER", 2**31 - 1),
        Value("STRING", b"x" * 300)]


@pytest.mark.parametrize("garbage", [b"", b"\x30", b"\x30\x03\x02\x01", b"\x30\x84\xff\xff\xff\xff",
                                     b"\x04\x01x", wire.encode_request(1, b"public", wire.GET, 1, OIDS)])
def test_garbage_is_refused_not_crashed_on(garbage):
    with pytest.raises(wire.BerError):
        wire.decode_response(garbage)
