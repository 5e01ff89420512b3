"""A thin SNMPv1/v2c manager codec and UDP transport: BER for the GET/GETNEXT/GETBULK requests the agent
sends and the Response PDUs it reads, over one asyncio datagram socket per event loop.

Why not pysnmp for v1/v2c: measured on this machine (decision 0010), a poll through pysnmp's hlapi costs
about 50 ms of CPU per printer (pyasn1 decoding and MIB resolution of every OID), so 1,000 printers would
take about a minute of one core; this codec does the same work in a few milliseconds. SNMPv3 (USM
authentication and privacy) stays on pysnmp, where it is cheap to get wrong by hand.
"""
from __future__ import annotations

import asyncio
import itertools
import random
import socket
import weakref

from .values import Value

GET, GETNEXT, RESPONSE, GETBULK = 0xA0, 0xA1, 0xA2, 0xA5
_KINDS = {0x40: "IpAddress", 0x41: "Counter32", 0x42: "Gauge32", 0x43: "Timeticks", 0x46: "Counter64"}
_MISSING = frozenset({0x80, 0x81, 0x82})             # noSuchObject, noSuchInstance, endOfMibView
RECEIVE_BUFFER = 4 * 1024 * 1024


class BerError(ValueError):
    """A datagram that is not a well-formed SNMP response; it is ignored like a lost packet."""


# ---------------------------------------------------------------------------------------------- encoding
def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return _tlv(0x02, value.to_bytes(size, "big", signed=True))


def encode_oid(oid: tuple[int, ...]) -> bytes:
    if len(oid) < 2:
        oid = tuple(oid) + (0,) * (2 - len(oid))
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return _tlv(0x06, bytes(out))


def encode_request(version: int, community: bytes, pdu: int, request_id: int, oids: list[tuple[int, ...]],
                   non_repeaters: int = 0, max_repetitions: int = 0) -> bytes:
    """A v1 (version 0) or v2c (1) message with one request PDU whose varbinds carry NULL values."""
    binds = b"".join(_tlv(0x30, encode_oid(o) + b"\x05\x00") for o in oids)
    body = _integer(request_id) + _integer(non_repeaters) + _integer(max_repetitions) + _tlv(0x30, binds)
    return _tlv(0x30, _integer(version) + _tlv(0x04, community) + _tlv(pdu, body))


# ---------------------------------------------------------------------------------------------- decoding
def _read(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of the value, end of the value) of the TLV at `pos`."""
    try:
        tag, first = data[pos], data[pos + 1]
    except IndexError:
        raise BerError("truncated") from None
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        if not 0 < count <= 4 or pos + count > len(data):
            raise BerError("bad length")
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise BerError("truncated value")
    return tag, pos, pos + length


def decode_oid(body: bytes) -> tuple[int, ...]:
    if not body:
        raise BerError("empty OID")
    arcs, value = [], 0
    for byte in body:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = (0, first) if first < 40 else (1, first - 40) if first < 80 else (2, first - 80)
    return head + tuple(arcs[1:])


def _value(tag: int, body: bytes) -> Value | None:
    if tag in _MISSING:
        return None
    if tag == 0x02:
        return Value("INTEGER", int.from_bytes(body, "big", signed=True) if body else 0)
    if tag == 0x04:
        return Value("STRING", bytes(body))
    if tag == 0x06:
        return Value("OID", ".".join(map(str, decode_oid(body))))
    if tag == 0x40:
        return Value("IpAddress", ".".join(str(b) for b in body))
    if tag in _KINDS:
        return Value(_KINDS[tag], int.from_bytes(body, "big") if body else 0)
    if tag == 0x44:
        return Value("Opaque", bytes(body))
    if tag == 0x05:
        return Value("NULL", None)
    raise BerError(f"unknown value tag 0x{tag:02x}")


def decode_response(data: bytes) -> tuple[int, int, int, list[tuple[tuple[int, ...], Value | None]]]:
    """(request id, error status, error index, varbinds) of a v1/v2c Response message."""
    tag, pos, end = _read(data, 0)
    if tag != 0x30:
        raise BerError("not a sequence")
    for expected in (0x02, 0x04):                    # version, community
        tag, start, pos = _read(data, pos)
        if tag != expected:
            raise BerError("bad header")
    tag, pos, pdu_end = _read(data, pos)
    if tag != RESPONSE:
        raise BerError("not a response")
    numbers = []
    for _ in range(3):
        tag, start, pos = _read(data, pos)
        if tag != 0x02:
            raise BerError("bad PDU header")
        numbers.append(int.from_bytes(data[start:pos], "big", signed=True))
    tag, pos, list_end = _read(data, pos)
    if tag != 0x30:
        raise BerError("bad varbind list")
    binds = []
    while pos < list_end:
        tag, start, pos = _read(data, pos)
        tag, oid_start, oid_end = _read(data, start)
        if tag != 0x06:
            raise BerError("bad varbind")
        value_tag, value_start, value_end = _read(data, oid_end)
        binds.append((decode_oid(data[oid_start:oid_end]), _value(value_tag, data[value_start:value_end])))
    return numbers[0], numbers[1], numbers[2], binds


# ---------------------------------------------------------------------------------------------- transport
class _Protocol(asyncio.DatagramProtocol):
    """One socket for every request of the loop: answers are matched by request id and source address."""

    def __init__(self):
        self.pending: dict[int, tuple[tuple[str, int], asyncio.Future]] = {}
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            except OSError:
                pass

    def datagram_received(self, data, addr):
        try:
            answer = decode_response(data)
        except (BerError, IndexError, ValueError):
            return
        entry = self.pending.get(answer[0])
        if entry is not None and entry[0] == (addr[0], addr[1]) and not entry[1].done():
            entry[1].set_result(answer)

    def error_received(self, exc):      # ICMP port unreachable and the like: wait for the time-out
        pass


_endpoints: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ids = itertools.count(random.randrange(1, 2**30))


async def _endpoint(family: int) -> _Protocol:
    loop = asyncio.get_running_loop()
    per_loop = _endpoints.setdefault(loop, {})
    protocol = per_loop.get(family)
    if protocol is None or protocol.transport is None or protocol.transport.is_closing():
        _transport, protocol = await loop.create_datagram_endpoint(_Protocol, family=family)
        per_loop[family] = protocol
    return protocol


def close_endpoints() -> None:
    """Close the running loop's sockets."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for protocol in _endpoints.pop(loop, {}).values():
        if protocol.transport is not None:
            protocol.transport.close()


async def request(address: str, port: int, version: int, community: bytes, pdu: int,
                  oids: list[tuple[int, ...]], *, timeout: float, retries: int, non_repeaters: int = 0,
                  max_repetitions: int = 0):
    """Send one request (resent `retries` times after `timeout` seconds each) and return the decoded
    response, or None when nothing answered."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    protocol = await _endpoint(family)
    loop = asyncio.get_running_loop()
    request_id = next(_ids) & 0x7FFFFFFF
    message = encode_request(version, community, pdu, request_id, oids, non_repeaters, max_repetitions)
    future = loop.create_future()
    protocol.pending[request_id] = ((address, port), future)
    try:
        for _attempt in range(retries + 1):
            protocol.transport.sendto(message, (address, port))
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout)
            except TimeoutError:
                continue
        return None
    finally:
        protocol.pending.pop(request_id, None)
        if not future.done():
            future.cancel()
