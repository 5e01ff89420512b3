"""A small BER codec for the SNMP messages the simulator serves (RFC 3416 PDUs in v1/v2c/v3 messages).

Why hand-written: pyasn1 builds an object tree per message and costs ~1 ms per packet; a fleet of 10,000
simulated printers must answer faster than the agent under test can ask. The simulator pre-encodes each
device's varbinds once per state change, so answering a GET is a bisect plus a byte concatenation.
Only what SNMP needs is here: INTEGER, OCTET STRING, NULL, OBJECT IDENTIFIER, SEQUENCE, the SMIv2
application types and the v2c exception values.
"""
from __future__ import annotations

from collections.abc import Iterable

# Universal and application tags.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

# PDU tags (context-specific, constructed).
GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
TRAP_V1 = 0xA4
GETBULK = 0xA5
INFORM = 0xA6
TRAP_V2 = 0xA7
REPORT = 0xA8

UNSIGNED_TAGS = frozenset({COUNTER32, GAUGE32, TIMETICKS, COUNTER64})

# Names used in typed OID tables (`SimulatedPrinter.typed_oid_table`), the ones net-snmp prints.
TYPE_NAMES = {INTEGER: "INTEGER", OCTET_STRING: "STRING", OBJECT_IDENTIFIER: "OID", IP_ADDRESS: "IpAddress",
              COUNTER32: "Counter32", GAUGE32: "Gauge32", TIMETICKS: "Timeticks", COUNTER64: "Counter64",
              NULL: "NULL", OPAQUE: "Opaque"}


class BerError(ValueError):
    """A packet that is not the BER we expect: the responder drops it (a real agent would count it)."""


# ---------------------------------------------------------------------------------------------- encode
def encode_length(length: int) -> bytes:
    """Definite-form length octets."""
    if length < 0x80:
        return bytes((length,))
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, value: bytes) -> bytes:
    """One tag-length-value."""
    return bytes((tag,)) + encode_length(len(value)) + value


def encode_int_body(value: int, *, unsigned: bool = False) -> bytes:
    """Minimal two's-complement content octets; unsigned types get a leading zero when the top bit is set."""
    if unsigned and value < 0:
        raise ValueError(f"negative value {value} for an unsigned type")
    length = max(1, (value.bit_length() + 8) // 8) if value >= 0 else max(1, ((-value - 1).bit_length() + 8) // 8)
    return value.to_bytes(length, "big", signed=True)


def encode_integer(value: int, tag: int = INTEGER) -> bytes:
    """An INTEGER or an application integer type (Counter32 etc.)."""
    return tlv(tag, encode_int_body(value, unsigned=tag in UNSIGNED_TAGS))


def encode_octets(value: bytes | str, tag: int = OCTET_STRING) -> bytes:
    """An OCTET STRING (text is sent as UTF-8)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return tlv(tag, bytes(value))


def oid_body(oid: tuple[int, ...]) -> bytes:
    """Content octets of an OBJECT IDENTIFIER."""
    if len(oid) < 2:
        oid = tuple(oid) + (0,) * (2 - len(oid))
    out = bytearray()
    for sub in (oid[0] * 40 + oid[1],) + tuple(oid[2:]):
        if sub < 0x80:
            out.append(sub)
            continue
        chunk = []
        while sub:
            chunk.append(sub & 0x7F)
            sub >>= 7
        chunk.reverse()
        out.extend(b | 0x80 for b in chunk[:-1])
        out.append(chunk[-1])
    return bytes(out)


def encode_oid(oid: tuple[int, ...]) -> bytes:
    return tlv(OBJECT_IDENTIFIER, oid_body(oid))


def encode_value(tag: int, value) -> bytes:
    """A value TLV for one of the types of `TYPE_NAMES` (or an exception tag)."""
    if tag in (INTEGER, COUNTER32, GAUGE32, TIMETICKS, COUNTER64):
        return encode_integer(int(value), tag)
    if tag in (OCTET_STRING, OPAQUE):
        return encode_octets(value, tag)
    if tag == IP_ADDRESS:
        return tlv(IP_ADDRESS, bytes(int(p) for p in str(value).split(".")))
    if tag == OBJECT_IDENTIFIER:
        return encode_oid(parse_oid(value) if isinstance(value, str) else tuple(value))
    if tag in (NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW):
        return bytes((tag, 0))
    raise ValueError(f"unknown BER tag {tag:#x}")


def encode_varbind(oid: tuple[int, ...], value_tlv: bytes) -> bytes:
    return tlv(SEQUENCE, encode_oid(oid) + value_tlv)


def encode_pdu(pdu_tag: int, request_id: int, error_status: int, error_index: int,
               varbinds: Iterable[bytes]) -> bytes:
    """A v2 PDU (also the v1 GetResponse shape) from pre-encoded varbinds."""
    return tlv(pdu_tag, encode_integer(request_id) + encode_integer(error_status) + encode_integer(error_index)
               + tlv(SEQUENCE, b"".join(varbinds)))


def encode_community_message(version: int, community: bytes, pdu: bytes) -> bytes:
    """A v1 (version 0) or v2c (version 1) message."""
    return tlv(SEQUENCE, encode_integer(version) + encode_octets(community) + pdu)


# ---------------------------------------------------------------------------------------------- decode
def read_tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the TLV at `pos`."""
    try:
        tag = data[pos]
        first = data[pos + 1]
    except IndexError:
        raise BerError("truncated TLV") from None
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise BerError("unsupported length form")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    end = pos + length
    if end > len(data):
        raise BerError("TLV longer than the packet")
    return tag, pos, end


def expect(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    """Content bounds of a TLV that must carry `tag`."""
    got, start, end = read_tlv(data, pos)
    if got != tag:
        raise BerError(f"expected tag {tag:#x}, got {got:#x}")
    return start, end


def decode_int(data: bytes, pos: int, tag: int = INTEGER) -> tuple[int, int]:
    """(value, next position) of an integer TLV."""
    start, end = expect(data, pos, tag)
    if end == start or end - start > 9:
        raise BerError("bad integer length")
    return int.from_bytes(data[start:end], "big", signed=tag not in UNSIGNED_TAGS), end


def decode_octets(data: bytes, pos: int) -> tuple[bytes, int]:
    start, end = expect(data, pos, OCTET_STRING)
    return bytes(data[start:end]), end


def decode_oid_body(body: bytes) -> tuple[int, ...]:
    if not body:
        raise BerError("empty OID")
    subs: list[int] = []
    value = 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            subs.append(value)
            value = 0
    if body[-1] & 0x80:
        raise BerError("truncated OID")
    first = subs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return head + tuple(subs[1:])


_DECODED: dict[bytes, tuple[int, ...]] = {}


def decode_varbind_oids(data: bytes, start: int, end: int) -> list[tuple[int, ...]]:
    """The OIDs of a varbind list (the request values are ignored: reads only). Pollers ask the same OIDs
    again and again, so decoded OIDs are cached by their encoding."""
    oids = []
    pos = start
    while pos < end:
        vb_start, vb_end = expect(data, pos, SEQUENCE)
        oid_start, oid_end = expect(data, vb_start, OBJECT_IDENTIFIER)
        body = bytes(data[oid_start:oid_end])
        oid = _DECODED.get(body)
        if oid is None:
            if len(_DECODED) >= 100_000:
                _DECODED.clear()
            oid = _DECODED[body] = decode_oid_body(body)
        oids.append(oid)
        pos = vb_end
    return oids


def decode_pdu(data: bytes, pos: int) -> tuple[int, int, int, int, list[tuple[int, ...]], int]:
    """(pdu tag, request id, field 2, field 3, OIDs, end) of a PDU (fields 2/3 are non-repeaters and
    max-repetitions for GETBULK)."""
    tag, start, end = read_tlv(data, pos)
    if tag not in (GET, GETNEXT, GETBULK, SET, RESPONSE, REPORT, INFORM, TRAP_V2):
        raise BerError(f"unsupported PDU {tag:#x}")
    request_id, p = decode_int(data, start)
    field2, p = decode_int(data, p)
    field3, p = decode_int(data, p)
    vb_start, vb_end = expect(data, p, SEQUENCE)
    return tag, request_id, field2, field3, decode_varbind_oids(data, vb_start, vb_end), end


def parse_oid(text: str | tuple | list) -> tuple[int, ...]:
    """'1.3.6.1…' or '.1.3.6…' or a tuple → a tuple of ints."""
    if isinstance(text, tuple | list):
        return tuple(int(x) for x in text)
    return tuple(int(x) for x in text.strip().lstrip(".").split(".") if x != "")


def format_oid(oid: tuple[int, ...]) -> str:
    return ".".join(str(x) for x in oid)
