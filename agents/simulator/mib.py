"""The OIDs a simulated printer serves, built from its state (anchors.md §2).

SNMPv2-MIB system group, IF-MIB, IP-MIB address table, HOST-RESOURCES-MIB (hrDevice, hrPrinter),
Printer-MIB (RFC 3805: general, cover, input, marker, supplies, colorant, console, alert tables), the PWG
Port Monitor MIB (1.3.6.1.4.1.2699.1.2) and Imaging System Counter MIB (1.3.6.1.4.1.2699.1.3) where the
model has them, and Lexmark private data (1.3.6.1.4.1.641) on Lexmark models.

Lexmark's private MIB is not public beyond the identity objects (641.2.1.2.1.{2,3,6}.1, seen in CUPS and
glpi-agent); the counter and supply tables below `SIM_LEXMARK_*` are the simulator's own layout, rows named
by the integration API's counter names, so an agent can map them without guessing.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from agents.protocol import COUNTERS

from .ber import COUNTER32, GAUGE32, INTEGER, IP_ADDRESS, OBJECT_IDENTIFIER, OCTET_STRING, TIMETICKS

if TYPE_CHECKING:
    from .device import SimulatedPrinter

COUNTER_MODULUS = 2**32      # Counter32
PWG_MODULUS = 2**31          # IcCounter32 (0..2147483647)

MIB2 = (1, 3, 6, 1, 2, 1)
SYSTEM = MIB2 + (1,)
SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME = SYSTEM + (1, 0), SYSTEM + (2, 0), SYSTEM + (3, 0)
SYS_CONTACT, SYS_NAME, SYS_LOCATION, SYS_SERVICES = SYSTEM + (4, 0), SYSTEM + (5, 0), SYSTEM + (6, 0), SYSTEM + (7, 0)
IF_NUMBER = MIB2 + (2, 1, 0)
IF_ENTRY = MIB2 + (2, 2, 1)
IF_PHYS_ADDRESS = IF_ENTRY + (6, 1)
IP_ADDR_ENTRY = MIB2 + (4, 20, 1)
HR = MIB2 + (25,)
HR_SYSTEM_UPTIME = HR + (1, 1, 0)
HR_DEVICE_ENTRY = HR + (3, 2, 1)
HR_DEVICE_TYPE, HR_DEVICE_DESCR = HR_DEVICE_ENTRY + (2, 1), HR_DEVICE_ENTRY + (3, 1)
HR_DEVICE_STATUS = HR_DEVICE_ENTRY + (5, 1)
HR_DEVICE_PRINTER = HR + (3, 1, 5)
HR_PRINTER_STATUS = HR + (3, 5, 1, 1, 1)
HR_PRINTER_ERROR_STATE = HR + (3, 5, 1, 2, 1)
PRT = MIB2 + (43,)
PRT_GENERAL = PRT + (5, 1, 1)
PRT_CONFIG_CHANGES = PRT_GENERAL + (1, 1)
PRT_PRINTER_NAME = PRT_GENERAL + (16, 1)
PRT_SERIAL = PRT_GENERAL + (17, 1)
PRT_ALERT_CRITICAL_EVENTS = PRT_GENERAL + (18, 1)
PRT_ALERT_ALL_EVENTS = PRT_GENERAL + (19, 1)
PRT_COVER = PRT + (6, 1, 1)
PRT_INPUT = PRT + (8, 2, 1)
PRT_MARKER = PRT + (10, 2, 1)
PRT_MARKER_LIFE_COUNT = PRT_MARKER + (4, 1, 1)
PRT_MARKER_POWER_ON_COUNT = PRT_MARKER + (5, 1, 1)
PRT_SUPPLIES = PRT + (11, 1, 1)
PRT_SUPPLIES_LEVEL = PRT_SUPPLIES + (9,)
PRT_COLORANT = PRT + (12, 1, 1)
PRT_CONSOLE_TEXT = PRT + (16, 5, 1, 2, 1, 1)
PRT_ALERT = PRT + (18, 1, 1)
ENTERPRISES = (1, 3, 6, 1, 4, 1)
LEXMARK = ENTERPRISES + (641,)
LEXMARK_PRODUCT = LEXMARK + (2, 1, 2, 1, 2, 1)
LEXMARK_DEVICE_ID = LEXMARK + (2, 1, 2, 1, 3, 1)
LEXMARK_SERIAL = LEXMARK + (2, 1, 2, 1, 6, 1)
SIM_LEXMARK_COUNTERS = LEXMARK + (6, 4, 2, 1, 1)     # .2.<n> name, .3.<n> Counter32 value
SIM_LEXMARK_SUPPLIES = LEXMARK + (6, 4, 4, 1, 1)     # .2 description .3 serial .4 part .5 sides .6 installed .7 %
PWG = ENTERPRISES + (2699, 1)
PPM_PRINTER = PWG + (2, 1, 2, 1, 1)                  # .2.1 ppmPrinterName, .3.1 ppmPrinterIEEE1284DeviceId
IC = PWG + (3, 1)
IC_GENERAL = IC + (1,)
IC_KEY = IC + (2, 1)
IC_SERVICE = IC + (3, 1)
IC_IMPRESSION = IC + (8, 1)
IC_TWO_SIDED = IC + (9, 1)
IC_SHEET = IC + (10, 1)
RICOH_SUPPLIES = ENTERPRISES + (367, 3, 2, 1, 2, 24, 1, 1)
XEROX_TOTAL_IMPRESSIONS = ENTERPRISES + (253, 8, 53, 13, 2, 1, 6, 1, 20, 1)

# PWG IcServiceTypeTC, IcWorkTypeTC, IcPersistenceTC.
SERVICE_SYSTEM_TOTALS, SERVICE_COPY, SERVICE_FAX_IN, SERVICE_PRINT, SERVICE_SCAN = 3, 4, 7, 11, 12
WORK_TOTALS = 3
PERSIST_LIFETIME, PERSIST_POWER_ON = 3, 4
IC_TOTAL, IC_MONO, IC_BLANK, IC_FULL_COLOR, IC_HIGHLIGHT = 4, 5, 6, 7, 8

# (service key index, service type, capability needed, {column: guide counter}) for impressions and sheets.
PWG_SERVICES = (
    (1, SERVICE_SYSTEM_TOTALS, None,
     {IC_TOTAL: ("totalSideCount", "totalSheetCount"), IC_MONO: ("monoSideCount", "monoSheetCount"),
      IC_FULL_COLOR: ("colorSideCount", "colorSheetCount")}),
    (2, SERVICE_PRINT, None,
     {IC_TOTAL: ("printSideCount", "printSheetCount"), IC_MONO: ("monoPrintSideCount", "monoPrintSheetCount"),
      IC_FULL_COLOR: ("colorPrintSideCount", "colorPrintSheetCount")}),
    (3, SERVICE_COPY, "mfp",
     {IC_TOTAL: ("copySideCount", "copySheetCount"), IC_MONO: ("monoCopySideCount", "monoCopySheetCount"),
      IC_FULL_COLOR: ("colorCopySideCount", "colorCopySheetCount")}),
    (4, SERVICE_FAX_IN, "fax",
     {IC_TOTAL: ("faxSideCount", "faxSheetCount"), IC_MONO: ("monoFaxSideCount", "monoFaxSheetCount"),
      IC_FULL_COLOR: ("colorFaxSideCount", "colorFaxSheetCount")}),
    (5, SERVICE_SCAN, "scan",
     {IC_TOTAL: ("totalScanCount", None), IC_MONO: ("monoScanCount", None),
      IC_FULL_COLOR: ("colorScanCount", None)}),
)
PWG_TWO_SIDED = {(1, IC_TOTAL): "duplexSideCount"}

COLOR_NAMES = {"black": "black", "cyan": "cyan", "magenta": "magenta", "yellow": "yellow"}


def pwg_services(dev: SimulatedPrinter):
    """The PWG service rows this model has."""
    return [row for row in PWG_SERVICES if row[2] is None or getattr(dev.model, row[2])]


def counter_sources(dev: SimulatedPrinter) -> dict[str, str]:
    """Where an agent reads each guide counter of this printer: "printer-mib", "pwg" or "lexmark"."""
    sources: dict[str, str] = {}
    supported = set(dev.totals)
    if dev.model.lexmark_private:
        sources.update(dict.fromkeys(supported, "lexmark"))
    if dev.model.pwg_counters:
        for _key, _service, _need, columns in pwg_services(dev):
            for sides, sheets in columns.values():
                for name in (sides, sheets):
                    if name in supported and (dev.model.color or "color" not in name.lower()):
                        sources[name] = "pwg"
        sources.update({name: "pwg" for name in PWG_TWO_SIDED.values() if name in supported})
    sources["lifetimeCount"] = "printer-mib"
    return sources


def counter_oids(dev: SimulatedPrinter) -> dict[str, str]:
    """{guide counter name: dotted OID serving it} for this printer (documentation and tests)."""
    out: dict[str, str] = {}
    sources = counter_sources(dev)
    for name, source in sources.items():
        if source == "printer-mib":
            out[name] = _dotted(PRT_MARKER_LIFE_COUNT)
        elif source == "lexmark":
            out[name] = _dotted(SIM_LEXMARK_COUNTERS + (3, COUNTERS.index(name) + 1))
    for key, _service, _need, columns in pwg_services(dev) if dev.model.pwg_counters else ():
        for column, (sides, sheets) in columns.items():
            if sources.get(sides) == "pwg":
                out[sides] = _dotted(IC_IMPRESSION + (column, key, WORK_TOTALS, PERSIST_LIFETIME))
            if sheets and sources.get(sheets) == "pwg":
                out[sheets] = _dotted(IC_SHEET + (column, key, WORK_TOTALS, PERSIST_LIFETIME))
    for (key, column), name in PWG_TWO_SIDED.items():
        if sources.get(name) == "pwg":
            out[name] = _dotted(IC_TWO_SIDED + (column, key, WORK_TOTALS, PERSIST_LIFETIME))
    return out


def _dotted(oid: tuple[int, ...]) -> str:
    return ".".join(map(str, oid))


def device_id_1284(dev: SimulatedPrinter) -> str:
    """IEEE 1284 device ID, as Lexmark and PWG ppm serve it."""
    spec = dev.model
    return (f"MANUFACTURER:{spec.vendor};COMMAND SET:PCL 6 Emulation,PostScript Level 3 Emulation,PDF;"
            f"MODEL:{spec.full_name};CLASS:PRINTER;SERN:{dev.serial};")


def served_supply(dev: SimulatedPrinter, supply) -> tuple[int, int, int]:
    """(unit, max capacity, level) as this model reports them, quirks included."""
    quirks = dev.model.quirks
    unit, maximum, level = 7, supply.capacity, int(supply.remaining)
    percent = supply.percent
    if "percent_units" in quirks:
        unit, maximum, level = 19, 100, percent
    if supply.is_waste and "waste_some_remaining" in quirks:
        level = -3 if supply.remaining > 0 else 0
    if supply.is_waste and "level_unknown_waste" in quirks:
        level = -2
    if "levels_some_remaining" in quirks:
        level = -3 if supply.remaining > 0 else -100
    if "levels_three_stage" in quirks:
        unit, maximum = 19, 100
        level = 100 if percent > 10 else 10 if percent > 1 else 1 if supply.remaining > 0 else 0
    if "levels_brother_codes" in quirks:
        level = 0 if percent > 10 else 1 if percent > 2 else 3 if supply.remaining > 0 else 2
    if "capacity_unknown" in quirks:
        maximum = -2
    return unit, maximum, level


def build_entries(dev: SimulatedPrinter) -> list[tuple[tuple[int, ...], int, object]]:
    """Every (oid, BER tag, value) the printer serves now."""
    entries: list[tuple[tuple[int, ...], int, object]] = []
    add = entries.append
    spec = dev.model
    uptime = dev.uptime_ticks
    add((SYS_DESCR, OCTET_STRING, dev.sys_descr))
    add((SYS_OBJECT_ID, OBJECT_IDENTIFIER, spec.sys_object_id))
    add((SYS_UPTIME, TIMETICKS, uptime))
    add((SYS_CONTACT, OCTET_STRING, dev.contact))
    add((SYS_NAME, OCTET_STRING, dev.hostname))
    add((SYS_LOCATION, OCTET_STRING, dev.location))
    add((SYS_SERVICES, INTEGER, 72))
    _interfaces(dev, add)
    _host_resources(dev, add, uptime)
    _printer_mib(dev, add)
    if spec.pwg_counters:
        _pwg(dev, add)
    if spec.lexmark_private:
        _lexmark(dev, add)
    if spec.has("ricoh_private_levels"):
        for supply in dev.supplies:
            add((RICOH_SUPPLIES + (3, supply.index), OCTET_STRING, supply.description))
            add((RICOH_SUPPLIES + (5, supply.index), INTEGER, supply.percent))
    if spec.has("vendor_counter_offset"):
        add((XEROX_TOTAL_IMPRESSIONS, COUNTER32, max(0, dev.totals["lifetimeCount"] - 4) % COUNTER_MODULUS))
    if spec.vendor_serial_oid:
        add((tuple(int(x) for x in spec.vendor_serial_oid.split(".")), OCTET_STRING, dev.serial))
    if dev.fault == "malformed":
        entries = _malform(entries)
    return entries


def _interfaces(dev, add) -> None:
    add((IF_NUMBER, INTEGER, 1))
    for column, tag, value in ((1, INTEGER, 1), (2, OCTET_STRING, "eth0"), (3, INTEGER, 6), (4, INTEGER, 1500),
                               (5, GAUGE32, 1_000_000_000), (6, OCTET_STRING, dev.mac_bytes), (7, INTEGER, 1),
                               (8, INTEGER, 1)):
        add((IF_ENTRY + (column, 1), tag, value))
    ip = tuple(int(x) for x in dev.address.split("."))
    add((IP_ADDR_ENTRY + (1,) + ip, IP_ADDRESS, dev.address))
    add((IP_ADDR_ENTRY + (2,) + ip, INTEGER, 1))
    add((IP_ADDR_ENTRY + (3,) + ip, IP_ADDRESS, "255.255.255.0"))


def _host_resources(dev, add, uptime: int) -> None:
    add((HR_SYSTEM_UPTIME, TIMETICKS, uptime))
    add((HR_DEVICE_ENTRY + (1, 1), INTEGER, 1))
    add((HR_DEVICE_TYPE, OBJECT_IDENTIFIER, HR_DEVICE_PRINTER))
    add((HR_DEVICE_DESCR, OCTET_STRING, dev.model.full_name))
    add((HR_DEVICE_ENTRY + (4, 1), OBJECT_IDENTIFIER, (0, 0)))
    add((HR_DEVICE_STATUS, INTEGER, dev.device_status))
    add((HR_DEVICE_ENTRY + (6, 1), COUNTER32, 0))
    add((HR_PRINTER_STATUS, INTEGER, dev.printer_status))
    add((HR_PRINTER_ERROR_STATE, OCTET_STRING, dev.error_bits().to_bytes(2, "big")))


def _printer_mib(dev, add) -> None:
    spec = dev.model
    add((PRT_CONFIG_CHANGES, COUNTER32, dev.config_changes % COUNTER_MODULUS))
    add((PRT_GENERAL + (2, 1), INTEGER, 1))
    add((PRT_GENERAL + (3, 1), INTEGER, 3))
    add((PRT_PRINTER_NAME, OCTET_STRING, spec.full_name))
    if not spec.has("no_printer_mib_serial"):
        add((PRT_SERIAL, OCTET_STRING, dev.serial))
    add((PRT_ALERT_CRITICAL_EVENTS, COUNTER32, dev.alert_critical_events % COUNTER_MODULUS))
    add((PRT_ALERT_ALL_EVENTS, COUNTER32, dev.alert_all_events % COUNTER_MODULUS))
    add((PRT_COVER + (2, 1, 1), OCTET_STRING, "Front Door"))
    add((PRT_COVER + (3, 1, 1), INTEGER, 3 if dev.covers_open() else 4))
    for tray in dev.trays:
        index = (1, tray.index)
        level = tray.level
        if tray.manual:
            level = -3 if tray.level > 0 else 0
        for column, tag, value in (
                (2, INTEGER, 5 if tray.manual else 3), (3, INTEGER, 4), (4, INTEGER, 297000), (5, INTEGER, 210000),
                (8, INTEGER, 8), (9, INTEGER, tray.capacity), (10, INTEGER, level),
                (11, INTEGER, 8 if tray.empty else 0), (12, OCTET_STRING, "A4"), (13, OCTET_STRING, tray.name),
                (14, OCTET_STRING, spec.vendor), (18, OCTET_STRING, tray.name)):
            add((PRT_INPUT + (column,) + index, tag, value))
    power_on = dev.totals["lifetimeCount"] - dev.power_on_base.get("lifetimeCount", 0)
    for column, tag, value in ((2, INTEGER, 4), (3, INTEGER, 7),
                               (4, COUNTER32, dev.totals["lifetimeCount"] % COUNTER_MODULUS),
                               (5, COUNTER32, power_on % COUNTER_MODULUS), (6, INTEGER, 4 if spec.color else 1)):
        add((PRT_MARKER + (column, 1, 1), tag, value))
    for supply in dev.supplies:
        unit, maximum, level = served_supply(dev, supply)
        index = (1, supply.index)
        description = supply.description
        for column, tag, value in ((2, INTEGER, 1), (3, INTEGER, supply.colorant), (4, INTEGER, supply.supply_class),
                                   (5, INTEGER, supply.type_code), (6, OCTET_STRING, description),
                                   (7, INTEGER, unit), (8, INTEGER, maximum), (9, INTEGER, level)):
            add((PRT_SUPPLIES + (column,) + index, tag, value))
    for supply in dev.supplies:
        if supply.colorant:
            index = (1, supply.colorant)
            add((PRT_COLORANT + (2,) + index, INTEGER, 1))
            add((PRT_COLORANT + (3,) + index, INTEGER, 3))
            add((PRT_COLORANT + (4,) + index, OCTET_STRING, COLOR_NAMES[supply.color]))
            add((PRT_COLORANT + (5,) + index, INTEGER, 256))
    add((PRT_CONSOLE_TEXT, OCTET_STRING, dev.display_text))
    for alert in dev.alerts:
        index = (1, alert.index)
        for column, tag, value in ((2, INTEGER, alert.severity), (3, INTEGER, alert.training),
                                   (4, INTEGER, alert.group), (5, INTEGER, alert.group_index),
                                   (6, INTEGER, alert.location), (7, INTEGER, alert.code),
                                   (8, OCTET_STRING, alert.description), (9, TIMETICKS, alert.time)):
            add((PRT_ALERT + (column,) + index, tag, value))


def _pwg(dev, add) -> None:
    add((PPM_PRINTER + (2, 1), OCTET_STRING, dev.model.full_name))
    add((PPM_PRINTER + (3, 1), OCTET_STRING, device_id_1284(dev)))
    services = pwg_services(dev)
    add((IC_GENERAL + (2, 0), INTEGER, len(services)))
    add((IC_GENERAL + (3, 0), INTEGER, 0))
    add((IC_GENERAL + (4, 0), INTEGER, 0))
    power_on = dev.power_on_counters
    for key, service_type, _need, columns in services:
        add((IC_KEY + (2, key), INTEGER, service_type))
        add((IC_KEY + (3, key), INTEGER, 1))
        add((IC_KEY + (4, key), INTEGER, 0))
        add((IC_KEY + (5, key), INTEGER, 0))
        add((IC_SERVICE + (3, service_type, 1), INTEGER, key))
        for persistence, values in ((PERSIST_LIFETIME, dev.totals), (PERSIST_POWER_ON, power_on)):
            suffix = (key, WORK_TOTALS, persistence)
            for column in (IC_TOTAL, IC_MONO, IC_BLANK, IC_FULL_COLOR, IC_HIGHLIGHT):
                sides, sheets = columns.get(column, (None, None))
                add((IC_IMPRESSION + (column,) + suffix, COUNTER32, values.get(sides, 0) % PWG_MODULUS))
                if service_type != SERVICE_SCAN:
                    add((IC_SHEET + (column,) + suffix, COUNTER32, values.get(sheets, 0) % PWG_MODULUS))
                name = PWG_TWO_SIDED.get((key, column))
                if service_type != SERVICE_SCAN:
                    add((IC_TWO_SIDED + (column,) + suffix, COUNTER32, values.get(name, 0) % PWG_MODULUS))


def _lexmark(dev, add) -> None:
    add((LEXMARK_PRODUCT, OCTET_STRING, dev.model.full_name))
    add((LEXMARK_DEVICE_ID, OCTET_STRING, device_id_1284(dev)))
    add((LEXMARK_SERIAL, OCTET_STRING, dev.serial))
    for position, name in enumerate(COUNTERS, start=1):
        if name in dev.totals:
            add((SIM_LEXMARK_COUNTERS + (2, position), OCTET_STRING, name))
            add((SIM_LEXMARK_COUNTERS + (3, position), COUNTER32, dev.totals[name] % COUNTER_MODULUS))
    for supply in dev.supplies:
        installed = dev.wall_time(supply.installed_at)
        for column, tag, value in ((2, OCTET_STRING, supply.description), (3, OCTET_STRING, supply.serial),
                                   (4, OCTET_STRING, supply.part_number), (5, COUNTER32, supply.sides % COUNTER_MODULUS),
                                   (6, OCTET_STRING, installed), (7, INTEGER, supply.percent)):
            add((SIM_LEXMARK_SUPPLIES + (column, supply.index), tag, value))


def _malform(entries):
    """The "malformed" fault: strings where integers belong, a bad enum value, missing objects."""
    out = []
    seen_level = False
    for oid, tag, value in entries:
        if oid == PRT_MARKER_LIFE_COUNT:
            out.append((oid, OCTET_STRING, f"{value} pages"))
        elif oid[:len(PRT_SUPPLIES_LEVEL)] == PRT_SUPPLIES_LEVEL and not seen_level:
            seen_level = True
            out.append((oid, OCTET_STRING, "unknown"))
        elif oid == HR_DEVICE_STATUS:
            out.append((oid, INTEGER, 99))
        elif oid in (HR_PRINTER_ERROR_STATE, PRT_SERIAL):
            continue
        else:
            out.append((oid, tag, value))
    return out
