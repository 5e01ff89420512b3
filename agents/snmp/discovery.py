"""Discovery and identification: which of the criteria's addresses answer one of their SNMP profiles, and
what printer each is (serial, model, manufacturer, MAC, names, firmware).

Discovery probes with bounded concurrency, spaces the probes by the definition's network utilization delay
(`network_delay_ms`, the guide's default 250 ms), uses each profile's timeout and retries, and skips
addresses that stayed silent in earlier runs for a growing time (`Backoff`)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from agents.protocol import PrinterIdentity

from . import oids, parse
from .client import Session, SnmpError, SnmpTimeout, Value
from .profiles import Profile
from .targets import Backoff

log = logging.getLogger("agents.snmp")

IDENTITY_OIDS = [oids.SYS_DESCR, oids.SYS_OBJECT_ID, oids.SYS_UPTIME, oids.SYS_CONTACT, oids.SYS_NAME,
                 oids.SYS_LOCATION, oids.HR_DEVICE_TYPE, oids.HR_DEVICE_DESCR, oids.PRT_SERIAL,
                 oids.PRT_PRINTER_NAME, oids.PRT_INPUT_VENDOR, oids.ENT_SERIAL]
LEXMARK_OIDS = [oids.LEXMARK_MODEL, oids.LEXMARK_SERIAL]


@dataclass
class Discovered:
    address: str
    profile: Profile
    identity: PrinterIdentity


def is_printer(values: dict[oids.Oid, Value]) -> bool:
    """A printer: hrDeviceType.1 is hrDevicePrinter, or it serves Printer-MIB objects, or it is a Lexmark
    device (enterprise 641)."""
    device_type = values.get(oids.HR_DEVICE_TYPE)
    if device_type is not None and device_type.kind == "OID" and device_type.value == oids.dotted(
            oids.HR_DEVICE_PRINTER):
        return True
    if any(oids.under(name, oids.PRINTER_MIB) for name in values):
        return True
    sys_object = values.get(oids.SYS_OBJECT_ID)
    return bool(sys_object and sys_object.kind == "OID"
                and oids.under(oids.oid(str(sys_object.value)), oids.LEXMARK))


def identity_from(address: str, profile: Profile, values: dict[oids.Oid, Value],
                  mac: str = "") -> PrinterIdentity | None:
    """The identity from one round of identification values (pure). None when it is not a printer or has
    no serial number (a printer is enrolled by its serial)."""
    if not is_printer(values):
        return None
    sys_object_id = parse.text(values.get(oids.SYS_OBJECT_ID))
    descr = parse.text(values.get(oids.SYS_DESCR))
    hr_descr = parse.text(values.get(oids.HR_DEVICE_DESCR))
    lexmark_model = parse.text(values.get(oids.LEXMARK_MODEL))
    vendor = parse.manufacturer(sys_object_id, lexmark_model, hr_descr, descr,
                                parse.text(values.get(oids.PRT_INPUT_VENDOR)))
    serial = parse.text(values.get(oids.PRT_SERIAL), 64)
    for candidate in (*parse.VENDOR_SERIALS.get(vendor, ()), oids.dotted(oids.ENT_SERIAL)):
        serial = serial or parse.text(values.get(oids.oid(candidate)), 64)
    if not serial:
        log.info("identify %s: a printer without a serial number; not enrolled", address)
        return None
    return PrinterIdentity(
        serial=serial, model=parse.model_name(vendor, lexmark_model, hr_descr, descr), manufacturer=vendor,
        mac=mac, ip=address, hostname=parse.text(values.get(oids.SYS_NAME)),
        name=parse.text(values.get(oids.PRT_PRINTER_NAME)) or parse.text(values.get(oids.SYS_NAME)),
        location=parse.text(values.get(oids.SYS_LOCATION)), contact=parse.text(values.get(oids.SYS_CONTACT)),
        firmware=parse.firmware(descr) or parse.text(values.get(oids.ENT_SOFTWARE_REV), 64),
        sys_object_id=sys_object_id, profile=profile.name)


async def identify(address: str, profile: Profile, *,
                   session: Session | None = None) -> PrinterIdentity | None:
    """Who answers at `address` with `profile`: the printer's identity, or None when it is not a printer.
    Raises SnmpTimeout when nothing answers (dead address, wrong community) and SnmpError on other
    failures. Two or three GETs: the standard identity objects, the vendor's (serial, model, firmware)
    once the vendor is known, and the MAC address (first interface with a 6-octet ifPhysAddress)."""
    session = session or await Session.open(address, profile)
    values = await session.get(IDENTITY_OIDS)
    if not values:
        return None
    if not is_printer(values):
        return None
    vendor = parse.manufacturer(parse.text(values.get(oids.SYS_OBJECT_ID)),
                                parse.text(values.get(oids.SYS_DESCR)))
    extra = [oids.oid(o) for o in parse.VENDOR_SERIALS.get(vendor, ())]
    extra += LEXMARK_OIDS if vendor == "Lexmark" else [oids.ENT_SOFTWARE_REV]
    if extra:
        values.update(await session.get(extra))
    macs = await session.walk([oids.IF_PHYS_ADDRESS], max_rows=16)
    mac = next((m for m in (parse.mac_address(v) for v in macs[oids.IF_PHYS_ADDRESS].values()) if m), "")
    return identity_from(address, profile, values, mac)


class _Pacer:
    """Spaces the start of probes by `delay` seconds across all workers (the network utilization delay)."""

    def __init__(self, delay: float):
        self.delay, self._next, self._lock = delay, 0.0, asyncio.Lock()

    async def wait(self) -> None:
        if self.delay <= 0:
            return
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(now, self._next) + self.delay


async def discover(targets: Iterable[tuple[str, Profile]], *, concurrency: int = 50, delay_ms: float = 250,
                   backoff: Backoff | None = None) -> list[Discovered]:
    """The printers among `targets` ((address, profile) pairs from `expand`), in target order. An address
    listed with several profiles is tried with each in turn until one answers. Addresses in back-off are
    skipped; an address that answered none of its profiles counts a failure in `backoff`, one that answered
    (printer or not) clears it. The same serial seen at two addresses is reported once (the first)."""
    by_address: dict[str, list[Profile]] = {}
    for address, profile in targets:
        by_address.setdefault(address, []).append(profile)
    pacer, limit = _Pacer(max(0.0, delay_ms) / 1000), asyncio.Semaphore(max(1, concurrency))
    skipped = [a for a in by_address if backoff is not None and backoff.skip(a)]
    if skipped:
        log.info("discovery: %d address(es) skipped (no answer in earlier runs)", len(skipped))

    async def probe(address: str) -> Discovered | None:
        async with limit:
            answered = False
            for profile in by_address[address]:
                await pacer.wait()
                try:
                    identity = await identify(address, profile)
                except SnmpTimeout:
                    continue
                except SnmpError as error:
                    log.info("discovery %s (%s): %s", address, profile.name, error)
                    continue
                answered = True
                if identity is not None:
                    if backoff is not None:
                        backoff.succeeded(address)
                    return Discovered(address, profile, identity)
            if backoff is not None:
                (backoff.succeeded if answered else backoff.failed)(address)
            return None

    wanted = [a for a in by_address if a not in set(skipped)]
    found = await asyncio.gather(*(probe(address) for address in wanted))
    result, serials = [], set()
    for item in found:
        if item is not None and item.identity.serial not in serials:
            serials.add(item.identity.serial)
            result.append(item)
    log.info("discovery: %d printer(s) among %d address(es)", len(result), len(wanted))
    return result
