"""Pure functions from SNMP values (`client.Value`, keyed by OID or table index) to the protocol's shapes:
status and error-state names, supplies, alerts, input trays and counters. No I/O, so every vendor quirk
and every special value has a unit test. A value of the wrong type (a malformed answer) reads as None and
leaves its field empty; it never raises."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from agents import protocol
from agents.protocol import LevelState, PrinterStatus, Severity

from . import oids
from .oids import IC_COLUMNS, IC_LIFETIME, IC_WORK_TOTALS, Oid
from .values import Value

NUMBER_KINDS = frozenset({"INTEGER", "Counter32", "Gauge32", "Timeticks", "Counter64"})


# ---------------------------------------------------------------------------------------------- values
def number(value: Value | None) -> int | None:
    """An integer value, or None when absent or of another type (malformed)."""
    if value is None or value.kind not in NUMBER_KINDS or not isinstance(value.value, int):
        return None
    return value.value


def text(value: Value | None, limit: int = 255) -> str:
    """A DisplayString as text: UTF-8 (Latin-1 when not), cut at the first NUL and the first line (HP sends
    two-line descriptions with a NUL), control characters dropped. Numbers are rendered as digits."""
    if value is None:
        return ""
    if value.kind in ("OID", "IpAddress"):
        return str(value.value)[:limit]
    if not isinstance(value.value, bytes):
        return str(value.value)[:limit] if value.value is not None else ""
    raw = value.value.split(b"\0", 1)[0]
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    decoded = decoded.replace("\r", "\n").split("\n", 1)[0]
    return "".join(ch for ch in decoded if ch.isprintable()).strip()[:limit]


def octets(value: Value | None) -> bytes | None:
    if value is None or not isinstance(value.value, bytes):
        return None
    return value.value


def mac_address(value: Value | None) -> str:
    """ifPhysAddress as "00:21:B7:12:34:56"; "" for anything but 6 non-zero octets."""
    raw = octets(value)
    if raw is None or len(raw) != 6 or not any(raw):
        return ""
    return ":".join(f"{b:02X}" for b in raw)


# ---------------------------------------------------------------------------------------------- status
ERROR_BITS = ("lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline",
              "serviceRequested", "inputTrayMissing", "outputTrayMissing", "markerSupplyMissing",
              "outputNearFull", "outputFull", "inputTrayEmpty", "overduePreventMaint")
# warning-only bits (anchors §2.1); one empty tray is a warning too, all trays empty sets noPaper
WARNING_BITS = frozenset({"lowPaper", "lowToner", "outputNearFull", "overduePreventMaint", "inputTrayEmpty"})


def error_state(value: Value | None) -> list[str] | None:
    """hrPrinterDetectedErrorState: an OCTET STRING bit map, bit 0 = the most significant bit of the first
    octet (RFC 2790); names in RFC order. None when absent or not an OCTET STRING."""
    raw = octets(value)
    if raw is None:
        return None
    names = []
    for bit, name in enumerate(ERROR_BITS):
        octet = bit // 8
        if octet < len(raw) and raw[octet] & (0x80 >> (bit % 8)):
            names.append(name)
    return names


def printer_status(device_status: int | None, printer_status: int | None, errors: list[str] | None) -> str:
    """PrinterStatus from hrDeviceStatus (unknown 1, running 2, warning 3, testing 4, down 5), hrPrinterStatus
    (other 1, unknown 2, idle 3, printing 4, warmup 5) and the error bits: a blocking bit is an error, the
    offline bit is offline, a warning-only bit (low paper/toner, output near full, maintenance overdue) a
    warning; otherwise printing while printing, else ready."""
    errors = errors or []
    if "offline" in errors:
        return PrinterStatus.OFFLINE
    if device_status == 5 or any(name not in WARNING_BITS for name in errors):
        return PrinterStatus.ERROR
    if device_status in (3, 4) or errors:
        return PrinterStatus.WARNING
    if printer_status == 4:
        return PrinterStatus.PRINTING
    if device_status == 2 or printer_status in (3, 5):
        return PrinterStatus.READY
    return PrinterStatus.UNKNOWN


# ---------------------------------------------------------------------------------------------- supplies
SUPPLY_TYPE_CODES = {3: "Toner", 21: "Toner", 35: "Toner", 4: "Waste Toner", 8: "Waste Toner",
                     9: "Photoconductor", 10: "Imaging Unit", 15: "Fuser", 18: "Maintenance Kit",
                     20: "Transfer Module", 32: "Staples"}
DESCRIPTION_TYPES = (  # type other/unknown or misleading: the description decides (glpi-agent does the same)
    ("imaging unit", "Imaging Unit"), ("imaging kit", "Imaging Unit"), ("photoconductor", "Photoconductor"),
    ("drum", "Photoconductor"), ("waste", "Waste Toner"), ("maintenance", "Maintenance Kit"),
    ("fuser", "Fuser"), ("transfer", "Transfer Module"), ("staple", "Staples"), ("toner", "Toner"),
    ("cartridge", "Toner"),
)
UNITS = {7: "Sides", 8: "Sheets"}                      # impressions, sheets; everything else is "Other"
SPECIAL_LEVELS = {-1: LevelState.UNRESTRICTED, -2: LevelState.UNKNOWN, -3: LevelState.SOME}
COLOR_WORDS = ("black", "cyan", "magenta", "yellow", "noir", "jaune")
BROTHER_CODES = {1: 5, 3: 1, 2: 0}                     # low, near empty, empty (0 = ok: "some remaining")


def supply_type(code: int | None, description: str) -> str:
    """SUPPLY_TYPES from prtMarkerSuppliesType; an opc row named "imaging unit" is an Imaging Unit; types
    other/unknown fall back to words of the description."""
    lowered = description.lower()
    if code == 9 and "imaging" in lowered:
        return "Imaging Unit"
    if code in SUPPLY_TYPE_CODES:
        return SUPPLY_TYPE_CODES[code]
    for word, kind in DESCRIPTION_TYPES:
        if word in lowered:
            return kind
    return "Other"


def color_name(colorant: str, description: str) -> str:
    """"Black", "Cyan", ... from prtMarkerColorantValue, else from the description."""
    for source in (colorant.lower(), description.lower()):
        for word in COLOR_WORDS:
            if word in source:
                return {"noir": "Black", "jaune": "Yellow"}.get(word, word.capitalize())
    return colorant.strip().capitalize() if colorant.strip() and colorant.strip().lower() != "unknown" else ""


def supply_level(level: int | None, maximum: int | None, *, vendor: str = "") -> tuple[int | None, str]:
    """(percent 0..100 or None, LevelState or "") from prtMarkerSuppliesLevel and MaxCapacity.
    -1/-2/-3 are the Printer-MIB special values (decision 0010: reported as level None with the state);
    Ricoh's -100 means empty; Brother sends codes with max -2; a max of 0 or less means the level is
    already a percentage (LibreNMS does the same). Percentages round up, so a supply reads 0 % only when
    it is empty, as the printer's own panel shows it."""
    if level is None:
        return None, ""
    if vendor == "Brother" and maximum == -2 and 0 <= level <= 3:
        return (None, LevelState.SOME) if level == 0 else (BROTHER_CODES[level], "")
    if level in SPECIAL_LEVELS:
        return None, SPECIAL_LEVELS[level]
    if level == -100:
        return 0, ""
    if level < 0:
        return None, LevelState.UNKNOWN
    if maximum is None or maximum <= 0:
        return min(level, 100), ""
    return min(100, math.ceil(level * 100 / maximum)), ""     # rounded up: 0 % only when empty


def supplies(rows: dict[str, dict[Oid, Value]], colorants: dict[Oid, Value], *, vendor: str = "",
             private_levels: dict[str, int] | None = None) -> list[protocol.Supply]:
    """Supplies from the prtMarkerSuppliesTable columns ({column name: {index: value}}, index =
    hrDeviceIndex.supplyIndex) and prtMarkerColorantValue. `private_levels` (description → percent) are
    vendor levels that replace the standard ones (Ricoh)."""
    indexes = sorted({index for column in rows.values() for index in column})
    found = []
    for index in indexes:
        def cell(name, index=index):
            return rows.get(name, {}).get(index)
        description = text(cell("description"))
        maximum, raw_level = number(cell("max_capacity")), number(cell("level"))
        level, state = supply_level(raw_level, maximum, vendor=vendor)
        if private_levels and description in private_levels and state:
            level, state = max(0, min(100, private_levels[description])), ""
        colorant_index = number(cell("colorant"))
        colorant = text(colorants.get(index[:-1] + (colorant_index,))) if colorant_index else ""
        unit = number(cell("unit"))
        found.append(protocol.Supply(
            key=str(index[-1]), description=description, type=supply_type(number(cell("type")), description),
            color=color_name(colorant, description), level=level, level_state=state,
            capacity=maximum if maximum is not None and maximum > 0 else None,
            unit=UNITS.get(unit, "Other") if unit is not None else "",
            status=_supply_status(level, state)))
    return found


def _supply_status(level: int | None, state: str) -> str:
    if level is None:
        return "Ok" if state in (LevelState.SOME, LevelState.UNRESTRICTED) else ""
    return "Empty" if level == 0 else "Low" if level <= 10 else "Ok"


# ---------------------------------------------------------------------------------------------- trays
@dataclass
class InputTray:
    """A prtInputTable row (the protocol has no place for trays yet; the Poller keeps them)."""

    key: str
    name: str = ""
    media: str = ""
    level: int | None = None          # sheets; None when unknown
    level_state: str = ""
    capacity: int | None = None


def input_trays(rows: dict[str, dict[Oid, Value]]) -> list[InputTray]:
    trays = []
    for index in sorted({index for column in rows.values() for index in column}):
        level = number(rows.get("current_level", {}).get(index))
        capacity = number(rows.get("max_capacity", {}).get(index))
        state = SPECIAL_LEVELS.get(level, "") if level is not None and level < 0 else ""
        trays.append(InputTray(key=str(index[-1]), name=text(rows.get("name", {}).get(index)),
                               media=text(rows.get("media_name", {}).get(index)),
                               level=None if level is None or level < 0 else level, level_state=state,
                               capacity=capacity if capacity is not None and capacity > 0 else None))
    return trays


# ---------------------------------------------------------------------------------------------- alerts
SEVERITIES = {1: Severity.INFO, 3: Severity.ERROR, 4: Severity.WARNING, 5: Severity.WARNING}
ALERT_GROUPS = {1: "other", 3: "hostResourcesMIBStorageTable", 4: "hostResourcesMIBDeviceTable",
                5: "generalPrinter", 6: "cover", 7: "localization", 8: "input", 9: "output", 10: "marker",
                11: "markerSupplies", 12: "markerColorant", 13: "mediaPath", 14: "channel", 15: "interpreter",
                16: "consoleDisplayBuffer", 17: "consoleLights", 18: "alert", 30: "finDevice",
                31: "finSupply", 32: "finSupplyMediaInput", 33: "finAttribute"}
SUPPLY_GROUPS = frozenset({"marker", "markerSupplies", "markerColorant", "finSupply"})


def alerts(rows: dict[str, dict[Oid, Value]], *, boot_epoch: float | None = None) -> list[protocol.Alert]:
    """prtAlertTable rows as Alerts keyed by prtAlertIndex. `since` comes from prtAlertTime (sysUpTime
    ticks at the alert) when the boot time is known."""
    found = []
    for index in sorted({index for column in rows.values() for index in column}):
        def cell(name, index=index):
            return rows.get(name, {}).get(index)
        group = ALERT_GROUPS.get(number(cell("group")), str(number(cell("group")) or ""))
        code = number(cell("code"))
        ticks = number(cell("time"))
        since = ""
        if boot_epoch is not None and ticks is not None:
            since = datetime.fromtimestamp(boot_epoch + ticks / 100, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        found.append(protocol.Alert(
            key=str(index[-1]), severity=SEVERITIES.get(number(cell("severity")), Severity.WARNING),
            description=text(cell("description")), code="" if code is None else str(code), group=group,
            supply=group in SUPPLY_GROUPS, since=since))
    return found


# ---------------------------------------------------------------------------------------------- counters
IC_SERVICES = {3: "total", 4: "copy", 7: "fax", 11: "print", 12: "scan"}
# (service, table, column) → the guide's counter name (protocol.COUNTERS)
IC_COUNTERS = {
    ("print", "impressions", "total"): "printSideCount",
    ("print", "impressions", "mono"): "monoPrintSideCount",
    ("print", "impressions", "color"): "colorPrintSideCount", ("print", "sheets", "total"): "printSheetCount",
    ("print", "sheets", "mono"): "monoPrintSheetCount", ("print", "sheets", "color"): "colorPrintSheetCount",
    ("copy", "impressions", "total"): "copySideCount", ("copy", "impressions", "mono"): "monoCopySideCount",
    ("copy", "impressions", "color"): "colorCopySideCount",
    ("copy", "sheets", "total"): "copySheetCount", ("copy", "sheets", "mono"): "monoCopySheetCount",
    ("copy", "sheets", "color"): "colorCopySheetCount",
    ("fax", "impressions", "total"): "faxSideCount", ("fax", "impressions", "mono"): "monoFaxSideCount",
    ("fax", "impressions", "color"): "colorFaxSideCount",
    ("fax", "sheets", "total"): "faxSheetCount", ("fax", "sheets", "mono"): "monoFaxSheetCount",
    ("fax", "sheets", "color"): "colorFaxSheetCount",
    ("total", "impressions", "total"): "totalSideCount", ("total", "impressions", "mono"): "monoSideCount",
    ("total", "impressions", "color"): "colorSideCount", ("total", "sheets", "total"): "totalSheetCount",
    ("total", "sheets", "mono"): "monoSheetCount", ("total", "sheets", "color"): "colorSheetCount",
    ("total", "two_sided", "total"): "duplexSideCount",
    ("scan", "impressions", "total"): "totalScanCount", ("scan", "impressions", "mono"): "monoScanCount",
    ("scan", "impressions", "color"): "colorScanCount",
}


IC_TABLE_ROOTS = {"impressions": oids.IC_IMPRESSIONS, "sheets": oids.IC_SHEETS,
                  "two_sided": oids.IC_TWO_SIDED}


def pwg_cells(key_services: dict[Oid, Value]) -> dict[Oid, str]:
    """{counter cell OID: guide counter name} for the PWG Imaging System Counter MIB, from icKeyServiceType
    by icKeyIndex: the lifetime, workTotals cell of each mapped column of icImpressionTable, icSheetTable
    and icTwoSidedTable (found once, then read with a GET on each poll, as LibreNMS does)."""
    cells: dict[Oid, str] = {}
    for index, value in sorted(key_services.items()):
        service = IC_SERVICES.get(number(value))
        if not index or service is None:
            continue
        for (wanted, table, column), name in IC_COUNTERS.items():
            if wanted == service:
                cell = (IC_COLUMNS[column], index[0], IC_WORK_TOTALS, IC_LIFETIME)
                cells[IC_TABLE_ROOTS[table] + cell] = name
    return cells


def lexmark_cells(names: dict[Oid, Value]) -> dict[Oid, str]:
    """{counter cell OID: guide counter name} from the Lexmark counter table's name column."""
    cells = {}
    for index, value in sorted(names.items()):
        name = text(value)
        if name in protocol.COUNTER_SET:
            cells[oids.LEXMARK_COUNTER_VALUES + index] = name
    return cells


def counters(life_count: int | None, cells: dict[Oid, str], values: dict[Oid, Value], *,
             mono: bool = False) -> dict[str, int]:
    """The guide's counters: lifetimeCount from prtMarkerLifeCount, the others from `cells` (OID → name,
    the first cell of a name wins: PWG before Lexmark private). Values are raw (the server handles
    Counter32 / IcCounter32 wrap and resets); negative or malformed values are left out, and so are color
    counters of a mono printer (prtMarkerProcessColorants 1), which PWG tables serve as zeros."""
    found: dict[str, int] = {}
    if life_count is not None and life_count >= 0:
        found["lifetimeCount"] = life_count
    for oid, name in cells.items():
        if name in found or (mono and "color" in name.lower()):
            continue
        count = number(values.get(oid))
        if count is not None and count >= 0:
            found[name] = count
    return found


# ---------------------------------------------------------------------------------------------- identity
ENTERPRISES = {641: "Lexmark", 11: "HP", 1602: "Canon", 253: "Xerox", 367: "Ricoh", 2435: "Brother",
               1347: "Kyocera", 1248: "Epson", 18334: "Konica Minolta", 2001: "OKI", 1129: "Toshiba",
               236: "Samsung", 10642: "Zebra", 674: "Dell", 2590: "Sharp"}
KYOCERA_SERIAL = oids.dotted(oids.oid("1.3.6.1.4.1.1347") + (40, 10, 1, 1, 5, 1))   # Kyocera private MIB
VENDOR_SERIALS = {  # where a vendor keeps the serial when prtGeneralSerialNumber is missing (glpi-agent)
    "Lexmark": ("1.3.6.1.4.1.641.2.1.2.1.6.1",), "Xerox": ("1.3.6.1.4.1.253.8.53.3.2.1.3.1",),
    "HP": ("1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0",), "Ricoh": ("1.3.6.1.4.1.367.3.2.1.2.1.4.0",),
    "Brother": ("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0",), "Kyocera": (KYOCERA_SERIAL,),
    "Canon": ("1.3.6.1.4.1.1602.1.2.1.4.0",), "Samsung": ("1.3.6.1.4.1.236.11.5.1.1.1.4.0",),
    "Epson": ("1.3.6.1.4.1.1248.1.2.2.1.1.1.5.1",),
}


def manufacturer(sys_object_id: str, *candidates: str) -> str:
    """The vendor from sysObjectID's enterprise number, else the first known vendor name in the texts."""
    parts = sys_object_id.split(".")
    if len(parts) > 6 and parts[:6] == ["1", "3", "6", "1", "4", "1"] and parts[6].isdigit():
        vendor = ENTERPRISES.get(int(parts[6]))
        if vendor:
            return vendor
    for candidate in candidates:
        for vendor in ENTERPRISES.values():
            if re.search(rf"\b{re.escape(vendor)}\b", candidate, re.IGNORECASE):
                return vendor
    return ""


def model_name(vendor: str, *candidates: str) -> str:
    """The model without the vendor prefix ("Lexmark CX735de" → "CX735de"), from the first non-empty
    candidate (Lexmark product name, hrDeviceDescr, sysDescr); sysDescr's extras after ";" or "," drop."""
    for candidate in candidates:
        name = candidate.strip()
        if not name:
            continue
        if vendor and name.lower().startswith(vendor.lower() + " "):
            name = name[len(vendor) + 1:]
        return re.split(r"[;,]", name, maxsplit=1)[0].strip()[:255]
    return ""


FIRMWARE_IN_DESCR = re.compile(r"(?:\bversion\s+|Firmware Ver\.?\s*|\bSS\s+)([A-Za-z0-9][\w.\-]*)",
                               re.IGNORECASE)


def firmware(sys_descr: str) -> str:
    """The firmware version printers put in sysDescr: Lexmark "... version CXTMM.081.234 kernel ...",
    Brother "Firmware Ver.1.42", Xerox "SS 64.50.61"."""
    found = FIRMWARE_IN_DESCR.search(sys_descr)
    return found.group(1).rstrip(".,;") if found else ""
