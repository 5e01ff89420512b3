"""A small SNMP manager on pysnmp 7's asyncio API: GET with SNMPv1's noSuchName handled, and table walks
that fetch several columns per request (GETBULK for v2c/v3, GETNEXT for v1).

Values come back as plain Python (`Value`: the SNMP type name as net-snmp prints it, and int / bytes / str),
so the parsing code (identify, poll) is pure and testable without a network.

One SnmpEngine per event loop, i.e. per agent process (pysnmp binds its transport to the loop that first
used it; tests that run several loops get one engine each). Requests use `lookupMib=False`: resolving
responses through the MIB costs time and the agent reads numeric OIDs anyway (decision 0010).
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import weakref

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    Udp6TransportTarget,
    UdpTransportTarget,
    UsmUserData,
    bulk_cmd,
    get_cmd,
    next_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as _auth
from pysnmp.proto import rfc1902, rfc1905

from . import wire
from .oids import Oid, under
from .profiles import Profile
from .targets import network_allowed
from .values import Value

log = logging.getLogger("agents.snmp")

AUTH_PROTOCOLS = {"MD5": _auth.usmHMACMD5AuthProtocol, "SHA": _auth.usmHMACSHAAuthProtocol,
                  "SHA224": _auth.usmHMAC128SHA224AuthProtocol, "SHA256": _auth.usmHMAC192SHA256AuthProtocol,
                  "SHA384": _auth.usmHMAC256SHA384AuthProtocol, "SHA512": _auth.usmHMAC384SHA512AuthProtocol}
PRIVACY_PROTOCOLS = {"DES": _auth.usmDESPrivProtocol, "AES": _auth.usmAesCfb128Protocol,
                     "AES192": _auth.usmAesCfb192Protocol, "AES256": _auth.usmAesCfb256Protocol}
NO_SUCH_NAME, TOO_BIG = 2, 1             # SNMP error-status values the manager reacts to
BULK_VARBINDS = 48                       # varbinds per GETBULK: one 1,500-byte frame for most tables
MAX_WALK_ROWS = 100_000                  # a walk that never ends (a broken agent) stops here


class SnmpError(Exception):
    """The device did not answer usefully (time-out, authentication failure, error status)."""


class SnmpTimeout(SnmpError):
    """No answer within the profile's timeout and retries: the address is dead for this profile."""


_TYPES = (  # checked in order: IpAddress is an OctetString subclass, Counter32/Gauge32/TimeTicks are Integers
    (rfc1902.IpAddress, "IpAddress"), (rfc1902.Counter32, "Counter32"), (rfc1902.Gauge32, "Gauge32"),
    (rfc1902.TimeTicks, "Timeticks"), (rfc1902.Counter64, "Counter64"), (rfc1902.Unsigned32, "Gauge32"),
    (rfc1902.Opaque, "Opaque"), (univ.Integer, "INTEGER"), (univ.OctetString, "STRING"),
    (univ.ObjectIdentifier, "OID"),
)
_MISSING = (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)


def to_value(raw) -> Value | None:
    """A pysnmp value as a `Value`; None for noSuchObject / noSuchInstance / endOfMibView."""
    if isinstance(raw, _MISSING):
        return None
    for kind, name in _TYPES:
        if isinstance(raw, kind):
            if name == "IpAddress":
                return Value(name, ".".join(str(b) for b in bytes(raw.asOctets())))
            if name in ("STRING", "Opaque"):
                return Value(name, bytes(raw.asOctets()))
            if name == "OID":
                return Value(name, str(raw))
            return Value(name, int(raw))
    return Value("NULL", None)


_engines: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def engine() -> SnmpEngine:
    """The SnmpEngine of the running event loop (created on first use)."""
    loop = asyncio.get_running_loop()
    found = _engines.get(loop)
    if found is None:
        found = _engines[loop] = SnmpEngine()
    return found


def close_engine() -> None:
    """Close the running loop's SNMP sockets (pysnmp engine and the v1/v2c socket); call before the loop
    ends."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    wire.close_endpoints()
    found = _engines.pop(loop, None)
    if found is not None:
        found.close_dispatcher()


def auth_data(profile: Profile):
    """pysnmp credentials of a profile."""
    if profile.version in ("v1", "v2c"):
        return CommunityData(profile.community, mpModel=0 if profile.version == "v1" else 1)
    level = profile.security_level
    if level == "noAuthNoPriv":
        return UsmUserData(profile.username)
    auth = AUTH_PROTOCOLS[(profile.auth_protocol or "SHA").upper()]
    if level == "authNoPriv":
        return UsmUserData(profile.username, authKey=profile.auth_key, authProtocol=auth)
    privacy = PRIVACY_PROTOCOLS[(profile.privacy_protocol or "AES").upper()]
    return UsmUserData(profile.username, authKey=profile.auth_key, privKey=profile.privacy_key,
                       authProtocol=auth, privProtocol=privacy)


class Session:
    """Requests to one address with one profile. Create with `await Session.open(address, profile)`.
    v1/v2c go through the thin codec in wire.py, v3 through pysnmp's hlapi."""

    def __init__(self, address: str, profile: Profile, target=None, auth=None):
        self.address, self.profile, self._target, self._auth = address, profile, target, auth
        self._context = ContextData()
        self._community = profile.community.encode("utf-8")
        self.requests = 0                 # PDUs sent (tests and benchmarks count them)

    @classmethod
    async def open(cls, address: str, profile: Profile) -> Session:
        """A session to an IP address (host names are resolved, or refused, by `targets.expand`). Raises
        SnmpError for a name or, under the workplace network rule, an address outside loopback."""
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise SnmpError(f"{address!r} is not an IP address") from None
        if not network_allowed(address):
            raise SnmpError(f"{address}: refused, outside 127.0.0.0/8 and ::1 (allow_non_loopback is off)")
        if profile.version != "v3":
            return cls(address, profile)
        kind = Udp6TransportTarget if ":" in address else UdpTransportTarget
        target = await kind.create((address, profile.port), timeout=profile.timeout, retries=profile.retries)
        return cls(address, profile, target, auth_data(profile))

    @property
    def v1(self) -> bool:
        return self.profile.version == "v1"

    async def _request(self, pdu: int, oids: list[Oid], repetitions: int = 0):
        """(error status, error index, [(oid, Value or None)]) of one request; raises SnmpTimeout when
        nothing answers and SnmpError for other failures."""
        self.requests += 1
        if self._target is None:
            answer = await wire.request(self.address, self.profile.port, 0 if self.v1 else 1, self._community,
                                        pdu, oids, timeout=self.profile.timeout, retries=self.profile.retries,
                                        max_repetitions=repetitions)
            if answer is None:
                raise SnmpTimeout(f"{self.address}: no answer")
            return answer[1], answer[2], answer[3]
        objects = [ObjectType(ObjectIdentity(o)) for o in oids]
        where = (engine(), self._auth, self._target, self._context)
        if pdu == wire.GET:
            result = await get_cmd(*where, *objects, lookupMib=False)
        elif pdu == wire.GETNEXT:
            result = await next_cmd(*where, *objects, lookupMib=False)
        else:
            result = await bulk_cmd(*where, 0, repetitions, *objects, lookupMib=False)
        indication, status, index, binds = result
        if indication:
            text = str(indication)
            if "timeout" in text.lower() or "no snmp response" in text.lower():
                raise SnmpTimeout(f"{self.address}: no answer")
            raise SnmpError(f"{self.address}: {text}")
        return int(status), int(index), [(tuple(name), to_value(raw)) for name, raw in binds]

    def _check(self, status: int, index: int, what: str) -> None:
        if status and status not in (NO_SUCH_NAME, TOO_BIG):
            raise SnmpError(f"{self.address}: error status {status} at {index} ({what})")

    async def get(self, oids: list[Oid]) -> dict[Oid, Value]:
        """The values of `oids` that exist (absent ones are left out). SNMPv1 answers a GET with one missing
        object by noSuchName for the whole PDU: drop that object and ask again."""
        pending = list(dict.fromkeys(oids))
        found: dict[Oid, Value] = {}
        while pending:
            status, index, binds = await self._request(wire.GET, pending)
            self._check(status, index, "get")
            if status == NO_SUCH_NAME:
                if not 0 < index <= len(pending):
                    break
                del pending[index - 1]
                continue
            if status == TOO_BIG and len(pending) > 1:
                half = len(pending) // 2
                found.update(await self.get(pending[:half]))
                pending = pending[half:]
                continue
            for name, value in binds:
                if value is not None and value.kind != "NULL":
                    found[name] = value
            break
        return found

    async def walk(self, columns: list[Oid], *, max_rows: int = MAX_WALK_ROWS) -> dict[Oid, dict[Oid, Value]]:
        """Every row of each column (subtree) in `columns`: {column: {index suffix: value}}. All columns
        advance together, so a table of N rows and C columns costs about N*C/48 GETBULKs (v2c/v3) or N
        GETNEXTs (v1) instead of C walks."""
        results: dict[Oid, dict[Oid, Value]] = {column: {} for column in columns}
        cursor = {column: column for column in dict.fromkeys(columns)}
        repetitions = max(1, BULK_VARBINDS // max(1, len(cursor)))
        rows = 0
        while cursor and rows < max_rows:
            active = list(cursor)
            status, index, binds = await self._request(wire.GETNEXT if self.v1 else wire.GETBULK,
                                                       [cursor[column] for column in active], repetitions)
            self._check(status, index, "walk")
            if status == TOO_BIG:                  # ask for fewer rows
                if repetitions == 1:
                    break
                repetitions = max(1, repetitions // 2)
                continue
            if status == NO_SUCH_NAME:             # SNMPv1 end of MIB on one column
                if not 0 < index <= len(active):
                    break
                del cursor[active[index - 1]]
                continue
            if not binds:
                break
            width = len(active)
            for start in range(0, len(binds) - width + 1, width):
                rows += 1
                for column, (name, value) in zip(active, binds[start:start + width], strict=True):
                    if column not in cursor:
                        continue
                    if value is None or not under(name, column) or name <= cursor[column]:
                        del cursor[column]         # left the column, end of MIB, or a non-increasing OID
                        continue
                    results[column][name[len(column):]] = value
                    cursor[column] = name
        return results
