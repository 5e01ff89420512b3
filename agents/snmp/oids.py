"""The OIDs the Fleet Agent reads (anchors §2): SNMPv2-MIB, IF-MIB, HOST-RESOURCES-MIB, Printer-MIB
(RFC 3805), the PWG Imaging System Counter MIB (PWG 5106.1) and the Lexmark private MIB, as tuples in one
place, so the identification and polling code reads as the MIB names."""
from __future__ import annotations

Oid = tuple[int, ...]


def oid(text: str) -> Oid:
    """A dotted OID as a tuple (the form responses are compared in)."""
    return tuple(int(part) for part in text.strip(".").split("."))


def dotted(value: Oid) -> str:
    return ".".join(str(part) for part in value)


# SNMPv2-MIB system group
SYS_DESCR = oid("1.3.6.1.2.1.1.1.0")
SYS_OBJECT_ID = oid("1.3.6.1.2.1.1.2.0")
SYS_UPTIME = oid("1.3.6.1.2.1.1.3.0")
SYS_CONTACT = oid("1.3.6.1.2.1.1.4.0")
SYS_NAME = oid("1.3.6.1.2.1.1.5.0")
SYS_LOCATION = oid("1.3.6.1.2.1.1.6.0")

# IF-MIB
IF_PHYS_ADDRESS = oid("1.3.6.1.2.1.2.2.1.6")           # column, index ifIndex

# ENTITY-MIB entPhysicalSerialNum / SoftwareRev of the first entity (some third-party printers)
ENT_SERIAL = oid("1.3.6.1.2.1.47.1.1.1.1.11.1")
ENT_SOFTWARE_REV = oid("1.3.6.1.2.1.47.1.1.1.1.10.1")

# HOST-RESOURCES-MIB; the printer is hrDeviceIndex 1 on the printers we know (the Printer-MIB tables are
# indexed by it too, see PRINTER_DEVICE)
PRINTER_DEVICE = 1
HR_DEVICE_TYPE = oid("1.3.6.1.2.1.25.3.2.1.2.1")
HR_DEVICE_DESCR = oid("1.3.6.1.2.1.25.3.2.1.3.1")
HR_DEVICE_STATUS = oid("1.3.6.1.2.1.25.3.2.1.5.1")
HR_PRINTER_STATUS = oid("1.3.6.1.2.1.25.3.5.1.1.1")
HR_PRINTER_ERROR_STATE = oid("1.3.6.1.2.1.25.3.5.1.2.1")
HR_DEVICE_PRINTER = oid("1.3.6.1.2.1.25.3.1.5")        # the hrDeviceType value of a printer

# Printer-MIB (RFC 3805), root 1.3.6.1.2.1.43
PRINTER_MIB = oid("1.3.6.1.2.1.43")
PRT_CONFIG_CHANGES = oid("1.3.6.1.2.1.43.5.1.1.1.1")
PRT_PRINTER_NAME = oid("1.3.6.1.2.1.43.5.1.1.16.1")
PRT_SERIAL = oid("1.3.6.1.2.1.43.5.1.1.17.1")
PRT_ALERT_CRITICAL_EVENTS = oid("1.3.6.1.2.1.43.5.1.1.18.1")
PRT_ALERT_ALL_EVENTS = oid("1.3.6.1.2.1.43.5.1.1.19.1")
PRT_INPUT_VENDOR = oid("1.3.6.1.2.1.43.8.2.1.14.1.1")
# prtMarkerTable columns of the first marker (index hrDeviceIndex.prtMarkerIndex)
PRT_MARKER = oid("1.3.6.1.2.1.43.10.2.1")
PRT_MARKER_LIFE_COUNT = PRT_MARKER + (4, PRINTER_DEVICE, 1)
PRT_MARKER_POWER_ON_COUNT = PRT_MARKER + (5, PRINTER_DEVICE, 1)
PRT_MARKER_COLORANTS = PRT_MARKER + (6, PRINTER_DEVICE, 1)   # prtMarkerProcessColorants: 1 on a mono printer
PRT_CONSOLE_TEXT = oid("1.3.6.1.2.1.43.16.5.1.2.1.1")

# prtInputTable columns (index hrDeviceIndex.prtInputIndex)
PRT_INPUT = oid("1.3.6.1.2.1.43.8.2.1")
INPUT_COLUMNS = {"type": 2, "max_capacity": 9, "current_level": 10, "status": 11, "media_name": 12,
                 "name": 13}

# prtMarkerSuppliesTable columns (index hrDeviceIndex.prtMarkerSuppliesIndex)
PRT_SUPPLIES = oid("1.3.6.1.2.1.43.11.1.1")
SUPPLY_COLUMNS = {"colorant": 3, "class": 4, "type": 5, "description": 6, "unit": 7, "max_capacity": 8,
                  "level": 9}
# prtMarkerColorantTable: prtMarkerColorantValue (index hrDeviceIndex.prtMarkerColorantIndex)
PRT_COLORANT_VALUE = oid("1.3.6.1.2.1.43.12.1.1.4")

# prtAlertTable columns (index hrDeviceIndex.prtAlertIndex)
PRT_ALERTS = oid("1.3.6.1.2.1.43.18.1.1")
ALERT_COLUMNS = {"severity": 2, "training": 3, "group": 4, "group_index": 5, "location": 6, "code": 7,
                 "description": 8, "time": 9}

# PWG Imaging System Counter MIB (PWG 5106.1), root 1.3.6.1.4.1.2699.1.3 (anchors §2.3; the PWG Port Monitor
# MIB is 2699.1.2)
IC_ROOT = oid("1.3.6.1.4.1.2699.1.3")
IC_KEY_SERVICE_TYPE = oid("1.3.6.1.4.1.2699.1.3.1.2.1.2")   # icKeyTable.icKeyServiceType, index icKeyIndex
IC_IMPRESSIONS = oid("1.3.6.1.4.1.2699.1.3.1.8.1")          # index keyIndex.workType.persistence
IC_TWO_SIDED = oid("1.3.6.1.4.1.2699.1.3.1.9.1")
IC_SHEETS = oid("1.3.6.1.4.1.2699.1.3.1.10.1")
IC_COLUMNS = {"total": 4, "mono": 5, "blank": 6, "color": 7, "highlight": 8}
IC_WORK_TOTALS, IC_LIFETIME = 3, 3            # IcWorkTypeTC workTotals, IcPersistenceTC lifetime

# Lexmark private MIB (enterprise 641): the identity objects CUPS and glpi-agent read
LEXMARK = oid("1.3.6.1.4.1.641")
LEXMARK_MODEL = oid("1.3.6.1.4.1.641.2.1.2.1.2.1")          # product name, e.g. "Lexmark CX725"
LEXMARK_DEVICE_ID = oid("1.3.6.1.4.1.641.2.1.2.1.3.1")      # IEEE 1284 device id
LEXMARK_SERIAL = oid("1.3.6.1.4.1.641.2.1.2.1.6.1")
# Lexmark page counters: the simulator's layout (agents/simulator/mib.py SIM_LEXMARK_COUNTERS): a table whose
# column 2 names each row by the guide's counter name and column 3 holds the Counter32 value. The real
# Lexmark private counter MIB is not public; only this name-keyed shape is read, so a different layout is
# simply not found.
LEXMARK_COUNTER_NAMES = oid("1.3.6.1.4.1.641.6.4.2.1.1.2")
LEXMARK_COUNTER_VALUES = oid("1.3.6.1.4.1.641.6.4.2.1.1.3")


def under(value: Oid, root: Oid) -> bool:
    """`value` lies in the subtree `root` (a walk leaves a column when this turns false)."""
    return value[:len(root)] == root
