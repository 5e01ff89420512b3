"""The pure mapping from SNMP values to the protocol's shapes: error-state bits, status, supplies with the
special levels and vendor quirks, alerts, trays, counters, identity, and the MIB-walk line format."""
import pytest

from agents.protocol import COUNTER_SET, LevelState, PrinterStatus, Severity
from agents.snmp import oids, parse
from agents.snmp.client import Value
from agents.snmp.discovery import identity_from
from agents.snmp.mibwalk import format_value
from agents.snmp.profiles import Profile


def i(n):
    return Value("INTEGER", n)


def s(text):
    return Value("STRING", text.encode() if isinstance(text, str) else text)


# ---------------------------------------------------------------------------------------------- status
def test_error_state_bits_are_read_most_significant_bit_first():
    assert parse.error_state(s(b"\x24")) == ["lowToner", "jammed"]
    assert parse.error_state(s(b"\x00\x80")) == ["inputTrayMissing"]
    assert parse.error_state(s(b"\x10\x02")) == ["noToner", "overduePreventMaint"]   # noToner is bit 3
    assert parse.error_state(s(b"\x00")) == []
    assert parse.error_state(i(36)) is None                                         # an integer is malformed


@pytest.mark.parametrize("device,printer,errors,expected", [
    (2, 3, [], PrinterStatus.READY),
    (2, 4, [], PrinterStatus.PRINTING),
    (3, 3, ["lowToner"], PrinterStatus.WARNING),
    (2, 4, ["lowPaper"], PrinterStatus.WARNING),
    (5, 1, ["jammed"], PrinterStatus.ERROR),
    (3, 3, ["doorOpen"], PrinterStatus.ERROR),
    (5, 1, ["offline"], PrinterStatus.OFFLINE),
    (None, None, None, PrinterStatus.UNKNOWN),
    (1, 2, [], PrinterStatus.UNKNOWN),
])
def test_printer_status_from_host_resources(device, printer, errors, expected):
    assert parse.printer_status(device, printer, errors) == expected


# ---------------------------------------------------------------------------------------------- supplies
@pytest.mark.parametrize("level,maximum,vendor,expected", [
    (-1, 100, "", (None, LevelState.UNRESTRICTED)),
    (-2, 100, "", (None, LevelState.UNKNOWN)),
    (-3, 100, "", (None, LevelState.SOME)),
    (-3, -2, "Ricoh", (None, LevelState.SOME)),
    (-100, 100, "Ricoh", (0, "")),
    (5000, 20000, "", (25, "")),
    (60, -2, "", (60, "")),                 # capacity unknown: the level is a percentage
    (10, 100, "Canon", (10, "")),           # three-stage levels are plain percentages
    (0, -2, "Brother", (None, LevelState.SOME)),
    (1, -2, "Brother", (5, "")),
    (3, -2, "Brother", (1, "")),
    (2, -2, "Brother", (0, "")),
    (25000, 20000, "", (100, "")),          # above capacity: clamp
    (None, 100, "", (None, "")),
])
def test_supply_levels_and_special_values(level, maximum, vendor, expected):
    assert parse.supply_level(level, maximum, vendor=vendor) == expected


def _supply_rows(rows):
    """{index: (colorant, class, type, description, unit, max, level)} → the column dict parse wants."""
    names = ("colorant", "class", "type", "description", "unit", "max_capacity", "level")
    table = {name: {} for name in names}
    for index, values in rows.items():
        for name, value in zip(names, values, strict=True):
            if value is not None:
                table[name][(1, index)] = value
    return table


def test_supplies_map_type_color_unit_and_levels():
    rows = _supply_rows({
        1: (i(1), i(3), i(3), s("Black Cartridge, PN 71C0H10"), i(7), i(8500), i(4250)),
        2: (i(2), i(3), i(21), s("Cyan Cartridge"), i(7), i(7000), i(-3)),
        3: (i(0), i(3), i(9), s("Black and Color Imaging Unit"), i(7), i(125000), i(100000)),
        4: (i(0), i(4), i(4), s("Waste Toner Bottle"), i(19), i(100), i(-2)),
        5: (i(0), i(3), i(1), s("Maintenance Kit"), i(7), i(200000), i(0)),
        6: (i(0), i(3), i(15), s("Fuser"), i(7), i(-2), s(b"garbage")),   # malformed level
    })
    colorants = {(1, 1): s("black"), (1, 2): s("cyan")}
    found = {x.key: x for x in parse.supplies(rows, colorants)}
    assert (found["1"].type, found["1"].color, found["1"].level, found["1"].capacity, found["1"].unit) == \
        ("Toner", "Black", 50, 8500, "Sides")
    assert (found["2"].type, found["2"].color, found["2"].level, found["2"].level_state) == \
        ("Toner", "Cyan", None, LevelState.SOME)
    assert (found["3"].type, found["3"].level) == ("Imaging Unit", 80)
    assert (found["4"].type, found["4"].level_state, found["4"].unit) == \
        ("Waste Toner", LevelState.UNKNOWN, "Other")
    assert (found["5"].type, found["5"].level, found["5"].status) == ("Maintenance Kit", 0, "Empty")
    assert (found["6"].type, found["6"].level, found["6"].level_state, found["6"].capacity) == \
        ("Fuser", None, "", None)


def test_hp_two_line_descriptions_keep_the_first_line():
    assert parse.text(s(b"Black Cartridge HP 58A\x00CF258A")) == "Black Cartridge HP 58A"
    assert parse.text(s(b"Toner\r\nline two")) == "Toner"
    assert parse.text(s("Noir \u00e9".encode("latin-1"))) == "Noir \u00e9"
    assert parse.color_name("", "Toner noir") == "Black"


# ---------------------------------------------------------------------------------------------- alerts, trays
def test_alerts_keyed_by_alert_index_with_severity_group_and_time():
    rows = {"severity": {(1, 7): i(3), (1, 9): i(4)}, "group": {(1, 7): i(13), (1, 9): i(11)},
            "group_index": {(1, 7): i(1), (1, 9): i(2)}, "location": {(1, 7): i(0), (1, 9): i(0)},
            "code": {(1, 7): i(8), (1, 9): i(1104)},
            "description": {(1, 7): s("200.01 Paper jam"), (1, 9): s("Cyan cartridge low")},
            "time": {(1, 7): Value("Timeticks", 6000), (1, 9): s(b"bad")}}
    found = parse.alerts(rows, boot_epoch=1_700_000_000)
    assert [(a.key, a.severity, a.group, a.code, a.supply) for a in found] == [
        ("7", Severity.ERROR, "mediaPath", "8", False),
        ("9", Severity.WARNING, "markerSupplies", "1104", True)]
    assert found[0].since == "2023-11-14T22:14:20Z" and found[1].since == ""


def test_input_trays_with_special_levels():
    rows = {"name": {(1, 1): s("Tray 1"), (1, 2): s("MP Feeder")},
            "max_capacity": {(1, 1): i(550), (1, 2): i(100)},
            "current_level": {(1, 1): i(275), (1, 2): i(-3)}, "media_name": {(1, 1): s("Letter")}}
    trays = parse.input_trays(rows)
    assert [(t.key, t.name, t.level, t.level_state, t.capacity) for t in trays] == [
        ("1", "Tray 1", 275, "", 550), ("2", "MP Feeder", None, LevelState.SOME, 100)]


# ---------------------------------------------------------------------------------------------- counters
def test_pwg_counters_map_to_the_guide_names_and_stay_raw():
    keys = {(1,): i(3), (2,): i(11), (3,): i(4), (4,): i(7), (5,): i(12), (6,): i(99)}
    cells = parse.pwg_cells(keys)
    impressions = "1.3.6.1.4.1.2699.1.3.1.8.1"
    assert cells[oids.oid(f"{impressions}.4.2.3.3")] == "printSideCount"
    assert cells[oids.oid(f"{impressions}.7.1.3.3")] == "colorSideCount"
    assert cells[oids.IC_SHEETS + (4, 3, 3, 3)] == "copySheetCount"
    assert cells[oids.oid("1.3.6.1.4.1.2699.1.3.1.9.1.4.1.3.3")] == "duplexSideCount"
    assert set(cells.values()) <= COUNTER_SET and set(parse.IC_COUNTERS.values()) <= COUNTER_SET
    values = {oids.oid(f"{impressions}.4.2.3.3"): Value("Counter32", 2_147_483_000),   # raw, near the wrap
              oids.oid(f"{impressions}.4.1.3.3"): Value("Counter32", 5),
              oids.oid(f"{impressions}.7.2.3.3"): Value("Counter32", 1000),
              oids.oid(f"{impressions}.5.2.3.3"): s(b"x"),                              # malformed: left out
              oids.oid(f"{impressions}.4.3.3.3"): i(-1)}                                # negative: left out
    lexmark = parse.lexmark_cells({(1,): s("printSideCount"), (40,): s("adfScanCount"), (41,): s("bogus")})
    values[oids.LEXMARK_COUNTER_VALUES + (1,)] = Value("Counter32", 4_294_967_000)
    values[oids.LEXMARK_COUNTER_VALUES + (40,)] = Value("Counter32", 77)
    found = parse.counters(123, {**cells, **lexmark}, values)
    assert found == {"lifetimeCount": 123, "printSideCount": 2_147_483_000, "totalSideCount": 5,
                     "colorPrintSideCount": 1000, "adfScanCount": 77}     # PWG first, Lexmark fills
    assert "colorPrintSideCount" not in parse.counters(123, cells, values, mono=True)
    assert parse.counters(None, {}, {}) == {}


# ---------------------------------------------------------------------------------------------- identity
def _identity_values(extra=None):
    values = {oids.SYS_DESCR: s("Lexmark CX735de version CXTMM.081.234 kernel 5.10"),
              oids.SYS_OBJECT_ID: Value("OID", "1.3.6.1.4.1.641.1.5.7"),
              oids.SYS_NAME: s("ET0021B7123456"), oids.SYS_LOCATION: s("Floor 2"), oids.SYS_CONTACT: s("IT"),
              oids.HR_DEVICE_TYPE: Value("OID", "1.3.6.1.2.1.25.3.1.5"),
              oids.HR_DEVICE_DESCR: s("Lexmark CX735de"), oids.PRT_SERIAL: s("7530123456AB")}
    values.update(extra or {})
    return {k: v for k, v in values.items() if v is not None}


def test_identity_of_a_lexmark_printer():
    identity = identity_from("127.0.1.1", Profile(), _identity_values({
        oids.LEXMARK_MODEL: s("Lexmark CX735de")}), "00:21:B7:12:34:56")
    assert (identity.serial, identity.model, identity.manufacturer, identity.firmware, identity.mac,
            identity.ip) == \
        ("7530123456AB", "CX735de", "Lexmark", "CXTMM.081.234", "00:21:B7:12:34:56", "127.0.1.1")
    assert (identity.hostname, identity.location, identity.contact, identity.profile) == \
        ("ET0021B7123456", "Floor 2", "IT", "Default")


def test_identity_of_a_third_party_printer_with_the_serial_in_a_vendor_oid():
    values = _identity_values({oids.SYS_DESCR: s("Xerox VersaLink C405 MFP; SS 64.50.61, NC 64.50.61"),
                                 oids.SYS_OBJECT_ID: Value("OID", "1.3.6.1.4.1.253.8.62.1.20.4.1.1"),
                                 oids.HR_DEVICE_DESCR: s("Xerox VersaLink C405"), oids.PRT_SERIAL: None,
                                 oids.oid("1.3.6.1.4.1.253.8.53.3.2.1.3.1"): s("XRX3344556")})
    identity = identity_from("127.0.1.2", Profile(), values)
    assert (identity.serial, identity.manufacturer, identity.model) == \
        ("XRX3344556", "Xerox", "VersaLink C405")


def test_not_a_printer_or_no_serial_is_none():
    router = {oids.SYS_DESCR: s("Linux router"), oids.SYS_OBJECT_ID: Value("OID", "1.3.6.1.4.1.8072.3.2.10")}
    assert identity_from("127.0.0.1", Profile(), router) is None
    assert identity_from("127.0.0.1", Profile(), _identity_values({oids.PRT_SERIAL: s("")})) is None


@pytest.mark.parametrize("descr,version", [
    ("Lexmark CX735de version CXTMM.081.234 kernel 5.15.78-yocto-standard", "CXTMM.081.234"),
    ("Brother NC-8700w, Firmware Ver.1.42  ,MID 8CE-F51,FID 2", "1.42"),
    ("Xerox VersaLink C405 MFP; SS 64.50.61, NC 64.50.61, UI 64.50.61", "64.50.61"),
    ("HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153", ""),
])
def test_firmware_from_sys_descr(descr, version):
    assert parse.firmware(descr) == version


def test_mac_address_needs_six_non_zero_octets():
    assert parse.mac_address(s(b"\x00\x21\xb7\x01\x02\x03")) == "00:21:B7:01:02:03"
    assert parse.mac_address(s(b"\x00" * 6)) == "" and parse.mac_address(s(b"\x01\x02")) == ""


# ---------------------------------------------------------------------------------------------- walk lines
@pytest.mark.parametrize("value,line", [
    (s("Lexmark CX735de"), 'STRING: "Lexmark CX735de"'),
    (s(b"\x00\x21\xb7\x01\x02\x03"), "Hex-STRING: 00 21 B7 01 02 03 "),
    (i(-3), "INTEGER: -3"),
    (Value("Counter32", 12), "Counter32: 12"),
    (Value("OID", "1.3.6.1.4.1.641.1.5.7"), "OID: .1.3.6.1.4.1.641.1.5.7"),
    (Value("Timeticks", 12345), "Timeticks: (12345) 0:02:03.45"),
    (Value("Timeticks", 9000000), "Timeticks: (9000000) 1 day, 1:00:00.00"),
    (Value("IpAddress", "127.0.1.1"), "IpAddress: 127.0.1.1"),
])
def test_walk_lines_look_like_net_snmp(value, line):
    assert format_value(value) == line
