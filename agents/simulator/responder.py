"""The SNMP command responder: one UDP socket per simulated printer address, one asyncio loop for all.

Each socket is registered with `loop.add_reader` (no transport objects: 10,000 printers means 10,000
sockets, and the cheapest path per packet wins). A request is decoded with the small BER codec, answered
from the printer's compiled OID table (exact match for GET, bisect for GETNEXT/GETBULK) and sent from the
same socket, so the answer comes from the address the client asked. SNMPv3 messages go to `usm.py`.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
from collections.abc import Callable
from dataclasses import dataclass

from . import ber
from .device import SimulatedPrinter

log = logging.getLogger("agents.simulator")

MAX_RESPONSE_BYTES = 60_000      # UDP over loopback; a GETBULK answer stops growing here (RFC 3416 4.2.3)
MAX_BULK_VARBINDS = 2_000
V1, V2C, V3 = 0, 1, 3

# v1 / v2 error-status values.
NO_ERROR, TOO_BIG, NO_SUCH_NAME, GEN_ERR, NOT_WRITABLE, READ_ONLY = 0, 1, 2, 5, 17, 4


class SimulatorError(RuntimeError):
    """A fleet that cannot start (address not loopback, too few file descriptors, address in use)."""


@dataclass
class Stats:
    """What the responder did (for the CLI log and the benchmark)."""

    received: int = 0
    answered: int = 0
    dropped_community: int = 0
    dropped_fault: int = 0
    malformed: int = 0
    v3: int = 0


def raise_file_limit(needed: int) -> int:
    """Raise RLIMIT_NOFILE's soft limit to the hard limit; fail clearly if even that is too low."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard and soft != resource.RLIM_INFINITY:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft != resource.RLIM_INFINITY and soft < needed:
        raise SimulatorError(
            f"{needed} open files are needed (one UDP socket per simulated printer, plus margin) but the "
            f"limit is {soft} (hard limit {hard}); raise it, e.g. `ulimit -n {needed}` or LimitNOFILE= in the "
            f"service unit, or simulate fewer printers")
    return soft


def answer_pdu(table, version: int, pdu_tag: int, request_id: int, field2: int, field3: int,
               oids: list[tuple[int, ...]], max_bytes: int = MAX_RESPONSE_BYTES) -> bytes:
    """The Response PDU for a read request, from a printer's compiled table. A GETBULK answer stops growing
    at `max_bytes`; a GET/GETNEXT answer larger than that is tooBig (RFC 3416 4.2.1)."""
    if pdu_tag in (ber.GET, ber.GETNEXT):
        pdu = (_get if pdu_tag == ber.GET else _getnext)(table, version, request_id, oids)
        if len(pdu) > max_bytes:
            return ber.encode_pdu(ber.RESPONSE, request_id, TOO_BIG, 0,
                                  [] if version != V1 else (ber.encode_varbind(o, b"\x05\x00") for o in oids))
        return pdu
    if pdu_tag == ber.GETBULK and version != V1:
        return _getbulk(table, request_id, max(0, field2), max(0, field3), oids, max_bytes)
    if pdu_tag == ber.SET:
        status = NOT_WRITABLE if version != V1 else NO_SUCH_NAME
        return _error(request_id, status, 1, oids)
    return _error(request_id, GEN_ERR, 0, oids)


def _error(request_id: int, status: int, index: int, oids) -> bytes:
    """An error response echoing the request's names with NULL values."""
    null = ber.encode_value(ber.NULL, None)
    return ber.encode_pdu(ber.RESPONSE, request_id, status, index, (ber.encode_varbind(o, null) for o in oids))


def _get(table, version, request_id, oids) -> bytes:
    out = []
    for position, oid in enumerate(oids, start=1):
        varbind = table.get(oid)
        if varbind is None:
            if version == V1:
                return _error(request_id, NO_SUCH_NAME, position, oids)
            varbind = ber.encode_varbind(oid, bytes((_missing_tag(table, oid), 0)))
        out.append(varbind)
    return ber.encode_pdu(ber.RESPONSE, request_id, NO_ERROR, 0, out)


def _missing_tag(table, oid) -> int:
    """noSuchInstance when the object (column/scalar) exists with other instances, else noSuchObject."""
    position = table.next_position(oid[:-1])
    if position < len(table.oids) and table.oids[position][:len(oid) - 1] == oid[:-1]:
        return ber.NO_SUCH_INSTANCE
    return ber.NO_SUCH_OBJECT


def _getnext(table, version, request_id, oids) -> bytes:
    out = []
    for position, oid in enumerate(oids, start=1):
        following = table.next_position(oid)
        if following >= len(table.oids):
            if version == V1:
                return _error(request_id, NO_SUCH_NAME, position, oids)
            out.append(ber.encode_varbind(oid, bytes((ber.END_OF_MIB_VIEW, 0))))
        else:
            out.append(table.varbind(following))
    return ber.encode_pdu(ber.RESPONSE, request_id, NO_ERROR, 0, out)


def _getbulk(table, request_id, non_repeaters, max_repetitions, oids, max_bytes=MAX_RESPONSE_BYTES) -> bytes:
    out: list[bytes] = []
    size = 0
    end = len(table.oids)

    def next_of(oid):
        following = table.next_position(oid)
        if following >= end:
            return ber.encode_varbind(oid, bytes((ber.END_OF_MIB_VIEW, 0))), None
        return table.varbind(following), table.oids[following]

    for oid in oids[:non_repeaters]:
        varbind, _ = next_of(oid)
        out.append(varbind)
        size += len(varbind)
    cursors = list(oids[non_repeaters:])
    for _ in range(max_repetitions if cursors else 0):
        if all(c is None for c in cursors):
            break
        row = []
        for i, cursor in enumerate(cursors):
            if cursor is None:    # already past the end: repeat endOfMibView for its column
                varbind = ber.encode_varbind(oids[non_repeaters + i], bytes((ber.END_OF_MIB_VIEW, 0)))
            else:
                varbind, cursors[i] = next_of(cursor)
            row.append(varbind)
        row_size = sum(len(v) for v in row)
        if out and (size + row_size > max_bytes or len(out) + len(row) > MAX_BULK_VARBINDS):
            break
        out.extend(row)
        size += row_size
    return ber.encode_pdu(ber.RESPONSE, request_id, NO_ERROR, 0, out)


class Responder:
    """Serves a list of printers on (address, port) UDP sockets from the running asyncio loop."""

    def __init__(self, printers: list[SimulatedPrinter], port: int, *, usm=None,
                 on_request: Callable[[SimulatedPrinter], None] | None = None):
        self.printers = printers
        self.port = port
        self.usm = usm
        self.on_request = on_request
        self.stats = Stats()
        self.sockets: list[socket.socket] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind(self) -> int:
        """Open and bind every socket (port 0 = pick a free port, the same for all). Returns the port."""
        raise_file_limit(len(self.printers) + 64)
        port = self.port
        attempts = 20 if port == 0 else 1
        for attempt in range(attempts):
            try:
                self.port = self._bind_all(port)
                return self.port
            except OSError as exc:
                self.close()
                if exc.errno == errno.EADDRINUSE and attempt + 1 < attempts:
                    continue
                where = f"{self.printers[0].address}..{self.printers[-1].address} port {port}"
                if exc.errno == errno.EADDRINUSE:
                    raise SimulatorError(f"UDP port {port} is in use on one of {where}") from exc
                if exc.errno == errno.EACCES:
                    raise SimulatorError(f"no permission to bind {where} (ports < 1024 need root or "
                                         f"CAP_NET_BIND_SERVICE; use --port 16161)") from exc
                raise SimulatorError(f"cannot bind {where}: {exc}") from exc
        raise SimulatorError("no free UDP port found")

    def _bind_all(self, port: int) -> int:
        for printer in self.printers:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setblocking(False)
            self.sockets.append(sock)
            sock.bind((printer.address, port))
            if port == 0:
                port = sock.getsockname()[1]
        return port

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start reading every socket on `loop` (call from the loop's thread)."""
        self._loop = loop
        for sock, printer in zip(self.sockets, self.printers, strict=True):
            loop.add_reader(sock.fileno(), self._readable, sock, printer)

    def close(self) -> None:
        for sock in self.sockets:
            if self._loop is not None and not self._loop.is_closed():
                try:
                    self._loop.remove_reader(sock.fileno())
                except (ValueError, RuntimeError):
                    pass
            sock.close()
        self.sockets = []

    def _readable(self, sock: socket.socket, printer: SimulatedPrinter) -> None:
        """Drain the socket: answer each datagram (or drop it, as the printer's state says)."""
        for _ in range(64):
            try:
                data, peer = sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self.stats.received += 1
            reply = self.handle(data, printer)
            if reply is None:
                continue
            if printer.fault == "slow":
                self._loop.call_later(printer.delay, self._send, sock, reply, peer)
            else:
                self._send(sock, reply, peer)

    def _send(self, sock: socket.socket, reply: bytes, peer) -> None:
        try:
            sock.sendto(reply, peer)
            self.stats.answered += 1
        except OSError:
            pass

    def handle(self, data: bytes, printer: SimulatedPrinter) -> bytes | None:
        """The reply to one datagram, or None to stay silent."""
        if printer.fault == "timeout":
            self.stats.dropped_fault += 1
            return None
        try:
            start, end = ber.expect(data, 0, ber.SEQUENCE)
            version, pos = ber.decode_int(data, start)
            if version == V3:
                self.stats.v3 += 1
                if self.usm is None:
                    return None
                return self.usm.handle(data, printer)
            if version not in (V1, V2C):
                return None
            community, pos = ber.decode_octets(data, pos)
            if community != printer.community.encode():
                self.stats.dropped_community += 1
                return None
            tag, request_id, field2, field3, oids, _ = ber.decode_pdu(data, pos)
        except ber.BerError:
            self.stats.malformed += 1
            return None
        if tag not in (ber.GET, ber.GETNEXT, ber.GETBULK, ber.SET):
            return None
        if self.on_request is not None:
            self.on_request(printer)
        pdu = answer_pdu(printer.compiled(), version, tag, request_id, field2, field3, oids)
        return ber.encode_community_message(version, community, pdu)
