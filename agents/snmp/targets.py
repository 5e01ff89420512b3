"""From a Fleet Agent definition's discovery criteria to the (address, profile) pairs to probe, and the
per-address back-off that keeps dead addresses from costing a time-out on every discovery run.

Address formats are the server's (fleet.services.criteria): a single IPv4 address, a wildcard "10.20.15.*" /
"10.20.*.*", a range "10.20.15.3-10.20.15.34", or a host name; "::1" is accepted too. The 10.20.x addresses
here and in the error messages below are the guide's format examples, text shown to a user: nothing ever
sends a packet to them (and this module skips every non-loopback address anyway, see below).

Network rule of this workplace: the agent probes only loopback addresses (127.0.0.0/8 and ::1) unless the
caller passes `allow_non_loopback=True` (a real deployment). Anything else is skipped with a warning in the
log, and host names are then looked up in the hosts file only (a DNS query would leave the machine).
"""
from __future__ import annotations

import ipaddress
import logging
import math
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .profiles import Profile, default_profile

log = logging.getLogger("agents.snmp")

MAX_RANGE_ADDRESSES = 65536            # the server's limit (fleet.services.criteria): one /16
LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
LOOPBACK_V6 = ipaddress.IPv6Address("::1")
_DOTTED = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class CriteriaError(ValueError):
    """A criterion the agent cannot expand (malformed, or a range above MAX_RANGE_ADDRESSES)."""


_non_loopback = [False]


def allow_non_loopback(allowed: bool = True) -> None:
    """Lift (or restore) the workplace network rule for this process. By default every SNMP request to an
    address outside 127.0.0.0/8 and ::1 is refused, whatever asked for it (a MIB walk command names its own
    address, for example), and `expand` skips such addresses. A real deployment calls this at start-up."""
    _non_loopback[0] = allowed


def network_allowed(address: str) -> bool:
    """May the agent send to `address` (an IP address)?"""
    return _non_loopback[0] or is_loopback(address)


def is_loopback(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return parsed in LOOPBACK_V4 if parsed.version == 4 else parsed == LOOPBACK_V6


def _interval(text: str) -> tuple[int, int] | None:
    """An IPv4 criterion (single, wildcard or range) as an inclusive (first, last) integer interval."""
    text = text.strip()
    try:
        single = ipaddress.IPv4Address(text)
        return int(single), int(single)
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) == 4 and "*" in parts:
        stars = parts.index("*")
        if stars < 2 or any(p != "*" for p in parts[stars:]) or not all(p.isdigit() for p in parts[:stars]):
            raise CriteriaError(f'"{text}" is not a valid wildcard (10.20.15.* or 10.20.*.*)')
        try:
            first = ipaddress.IPv4Address(".".join(parts[:stars] + ["0"] * (4 - stars)))
        except ValueError:
            raise CriteriaError(f'"{text}" is not a valid wildcard') from None
        return int(first), int(first) + 256 ** (4 - stars) - 1
    first, sep, last = text.partition("-")
    if sep and _DOTTED.match(first.strip()) and _DOTTED.match(last.strip()):
        try:
            start, end = int(ipaddress.IPv4Address(first.strip())), int(ipaddress.IPv4Address(last.strip()))
        except ValueError:
            raise CriteriaError(f'"{text}" is not a valid range (10.20.15.3-10.20.15.34)') from None
        if start > end:
            raise CriteriaError(f'"{text}": the first address of a range must not be greater than the last')
        return start, end
    return None


def _hostname(text: str) -> str | None:
    name = text.strip().lower().rstrip(".")
    if not name or len(name) > 253 or name.replace(".", "").isdigit():
        return None
    labels = name.split(".")
    return name if all(_HOST_LABEL.match(label) for label in labels) else None


def hosts_file_addresses(name: str, path: str = "/etc/hosts") -> list[str]:
    """Addresses of `name` in the hosts file (no network traffic); "localhost" and "*.localhost" are
    loopback by definition (RFC 6761)."""
    found = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                fields = line.split("#", 1)[0].split()
                if len(fields) >= 2 and name in (f.lower() for f in fields[1:]):
                    found.append(fields[0])
    except OSError:
        pass
    if not found and (name == "localhost" or name.endswith(".localhost")):
        found.append("127.0.0.1")
    return list(dict.fromkeys(found))


def resolve(name: str, *, allow_non_loopback: bool, hosts_path: str = "/etc/hosts") -> list[str]:
    """A host name's addresses: the system resolver when non-loopback traffic is allowed, else the hosts
    file only."""
    if not allow_non_loopback:
        return hosts_file_addresses(name, hosts_path)
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_DGRAM)
    except OSError as error:
        log.warning("discovery: cannot resolve %s: %s", name, error)
        return []
    return list(dict.fromkeys(info[4][0] for info in infos))


@dataclass
class _Criterion:
    """One criterion as integer intervals (IPv4) plus explicit addresses (IPv6, resolved names)."""

    text: str
    intervals: list[tuple[int, int]] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)


def _parse(text: str, *, allow_non_loopback: bool, hosts_path: str, limit: bool) -> _Criterion:
    text = (text or "").strip()
    criterion = _Criterion(text)
    interval = _interval(text)
    if interval is not None:
        if limit and interval[1] - interval[0] + 1 > MAX_RANGE_ADDRESSES:
            raise CriteriaError(f'"{text}": a range can hold at most {MAX_RANGE_ADDRESSES} addresses')
        criterion.intervals.append(interval)
        return criterion
    try:
        criterion.addresses.append(str(ipaddress.IPv6Address(text)))
        return criterion
    except ValueError:
        pass
    name = _hostname(text)
    if name is None:
        raise CriteriaError(f'"{text}" is not a valid address (10.20.15.27, 10.20.15.*, 10.20.*.*, '
                            "10.20.15.3-10.20.15.34, myprinter.domain.com)")
    criterion.addresses.extend(resolve(name, allow_non_loopback=allow_non_loopback, hosts_path=hosts_path))
    if not criterion.addresses:
        log.warning("discovery: %s has no address%s", name,
                    "" if allow_non_loopback else " in the hosts file")
    return criterion


def _allowed_intervals(criterion: _Criterion, allow_non_loopback: bool) -> list[tuple[int, int]]:
    """The intervals cut to 127.0.0.0/8 unless non-loopback traffic is allowed; logs what it drops."""
    if allow_non_loopback:
        return criterion.intervals
    low, high = int(LOOPBACK_V4.network_address), int(LOOPBACK_V4.broadcast_address)
    kept = []
    for first, last in criterion.intervals:
        cut = (max(first, low), min(last, high))
        dropped = (last - first + 1) - max(0, cut[1] - cut[0] + 1)
        if dropped:
            log.warning("discovery: skipped %d address(es) of %s outside 127.0.0.0/8 (loopback only; "
                        "allow_non_loopback is off)", dropped, criterion.text)
        if cut[0] <= cut[1]:
            kept.append(cut)
    return kept


def expand(include: list[dict], exclude: list[dict], profiles: dict[str, Profile], *,
           allow_non_loopback: bool | None = None,
           hosts_path: str = "/etc/hosts") -> list[tuple[str, Profile]]:
    """The (address, profile) pairs to probe, in criteria order, without duplicates and without excluded
    addresses. `include` items are {"address", "profile"} (profile name; unknown or blank → the default
    profile), `exclude` items {"address"}. The same address may come with several profiles (the guide
    allows it): discovery tries them in order. Raises CriteriaError for a malformed criterion or an
    include range above MAX_RANGE_ADDRESSES. `allow_non_loopback` defaults to the process setting
    (`allow_non_loopback()`); True here only widens the expansion, requests still need the process setting."""
    if allow_non_loopback is None:
        allow_non_loopback = _non_loopback[0]
    excluded_intervals: list[tuple[int, int]] = []
    excluded: set[str] = set()
    for item in exclude or []:
        criterion = _parse(item.get("address", ""), allow_non_loopback=allow_non_loopback,
                           hosts_path=hosts_path, limit=False)
        excluded_intervals.extend(criterion.intervals)
        excluded.update(criterion.addresses)
    fallback = default_profile(profiles) if profiles else Profile(is_default=True)
    by_name = {name.lower(): profile for name, profile in profiles.items()}
    pairs: dict[tuple[str, str], Profile] = {}
    for item in include or []:
        profile = by_name.get(str(item.get("profile") or "").lower(), fallback)
        criterion = _parse(item.get("address", ""), allow_non_loopback=allow_non_loopback,
                           hosts_path=hosts_path, limit=True)
        for address in _addresses(criterion, allow_non_loopback):
            if address in excluded or _inside(address, excluded_intervals):
                continue
            pairs.setdefault((address, profile.name), profile)
    return [(address, profile) for (address, _), profile in pairs.items()]


def _addresses(criterion: _Criterion, allow_non_loopback: bool):
    for first, last in _allowed_intervals(criterion, allow_non_loopback):
        for number in range(first, last + 1):
            yield str(ipaddress.IPv4Address(number))
    for address in criterion.addresses:
        if allow_non_loopback or is_loopback(address):
            yield address
        else:
            log.warning("discovery: skipped %s (%s) outside loopback (allow_non_loopback is off)",
                        address, criterion.text)


def _inside(address: str, intervals: list[tuple[int, int]]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    if parsed.version != 4:
        return False
    number = int(parsed)
    return any(first <= number <= last for first, last in intervals)


def targets_from_definition(definition: dict, profiles: dict[str, Profile],
                            **options) -> list[tuple[str, Profile]]:
    """`expand` over a definition document's `criteria`."""
    criteria = definition.get("criteria") or {}
    return expand(criteria.get("include") or [], criteria.get("exclude") or [], profiles, **options)


class Backoff:
    """Dead addresses are skipped for a growing time across discovery runs (Netdisco's DeviceSkip, anchors
    §0.5): after n consecutive failures an address waits min(base * 2**(n-1), maximum) seconds before it is
    probed again; one answer clears it. `state()` / `Backoff(state=...)` persist it between agent runs."""

    def __init__(self, *, base: float = 3600, maximum: float = 7 * 86400,
                 clock: Callable[[], float] = time.time, state: dict | None = None):
        self.base, self.maximum, self.clock = base, maximum, clock
        self._failures: dict[str, list[float]] = {k: list(v) for k, v in (state or {}).items()}

    def skip(self, address: str) -> bool:
        """True while `address` is still in its back-off period."""
        entry = self._failures.get(address)
        return entry is not None and self.clock() < entry[1] + self.wait(int(entry[0]))

    def wait(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.maximum, self.base * math.pow(2, min(failures - 1, 60)))

    def failed(self, address: str) -> None:
        failures = int(self._failures.get(address, [0, 0])[0]) + 1
        self._failures[address] = [failures, self.clock()]

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    def failures(self, address: str) -> int:
        return int(self._failures.get(address, [0, 0])[0])

    def state(self) -> dict:
        return {address: list(entry) for address, entry in self._failures.items()}
