"""One simulated printer: its state, its dynamics and the OID table it serves.

Pure Python and deterministic: everything random comes from a `random.Random` seeded by the fleet seed
and the printer's index, and time is the fleet's simulated clock (seconds), never the wall clock. The
SNMP responder reads `compiled()` (a sorted OID list with pre-encoded varbinds) from its own thread, so
every mutation holds the fleet lock and drops the compiled table.

Counters are kept as true totals under the integration API's names (agents.protocol.COUNTERS); what is
served is modulo 2**32 (Counter32) or 2**31 (PWG IcCounter32), so a wrap happens as on a real device.
"""
from __future__ import annotations

import bisect
import math
import random
import threading
from array import array
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import accumulate

from agents.protocol import COUNTERS, PrinterStatus

from . import ber
from .mib import (
    COUNTER_MODULUS,
    PWG_MODULUS,
    build_entries,
    counter_sources,
)
from .models import ModelSpec

ERROR_BITS = ("lowPaper", "noPaper", "lowToner", "noToner", "doorOpen", "jammed", "offline", "serviceRequested",
              "inputTrayMissing", "outputTrayMissing", "markerSupplyMissing", "outputNearFull", "outputFull",
              "inputTrayEmpty", "overduePreventMaint")
FAULTS = frozenset({"timeout", "slow", "malformed"})
LOW_PERCENT = 10          # a supply at or below this raises a "low" alert (Lexmark "Low" is about 10 %)

# hrDeviceStatus / hrPrinterStatus values (RFC 2790).
DEVICE_RUNNING, DEVICE_WARNING, DEVICE_DOWN = 2, 3, 5
PRINTER_OTHER, PRINTER_IDLE, PRINTER_PRINTING, PRINTER_WARMUP = 1, 3, 4, 5

# prtAlertSeverityLevel / TrainingLevel / Group / Code (RFC 3805 textual conventions).
SEV_CRITICAL, SEV_WARNING = 3, 4
TRAINING_UNTRAINED, TRAINING_TRAINED, TRAINING_NONE = 3, 4, 7
GROUP_COVER, GROUP_INPUT, GROUP_MARKER_SUPPLIES, GROUP_MEDIA_PATH = 6, 8, 11, 13
CODE_COVER_OPEN, CODE_JAM, CODE_LIFE_ALMOST_OVER, CODE_LIFE_OVER = 3, 8, 10, 11
CODE_TRAY_LOW, CODE_TRAY_EMPTY, CODE_TONER_EMPTY, CODE_TONER_ALMOST_EMPTY = 807, 808, 1101, 1104
CODE_WASTE_ALMOST_FULL, CODE_WASTE_FULL = 1107, 1110


@cache
def supported_counters(spec: ModelSpec) -> tuple[str, ...]:
    """The guide counters a model counts: no color counters on mono models, no copy/scan without a scanner,
    no fax without fax, no large-format without A3; coverage tiers and blank pages are not simulated."""
    wanted = []
    for name in COUNTERS:
        lower = name.lower()
        if "coverage" in lower or name in ("blankCopySideCount", "blankFaxSideCount"):
            continue
        if "color" in lower and not spec.color:
            continue
        if ("copy" in lower or "scan" in lower or "adf" in lower or "flatbed" in lower) and not spec.mfp:
            continue
        if "fax" in lower and not spec.fax:
            continue
        if "large" in lower and not spec.large_format:
            continue
        wanted.append(name)
    return tuple(wanted)


@dataclass
class Supply:
    """A supply in the prtMarkerSuppliesTable. Capacity and remaining are in pages (sides)."""

    index: int
    key: str                 # "black", "cyan", ..., "imaging_unit", "waste_toner", "maintenance_kit", "fuser"
    description: str
    type_code: int           # PrtMarkerSuppliesTypeTC: 3 toner, 4 wasteToner, 9 opc, 15 fuser, 1 other
    supply_class: int        # 3 supplyThatIsConsumed, 4 receptacleThatIsFilled
    capacity: int
    remaining: float
    colorant: int = 0        # prtMarkerColorantIndex or 0
    color: str = ""          # colorant value: "black", "cyan", ...
    part_number: str = ""
    serial: str = ""
    installed_at: float = 0.0
    sides: int = 0           # sides printed since installed
    uses_color: bool = False  # depleted by color sides only (C/M/Y toners)

    @property
    def percent(self) -> int:
        """Remaining, as a whole percent (0..100)."""
        if self.capacity <= 0:
            return 0
        return max(0, min(100, math.ceil(self.remaining * 100 / self.capacity - 1e-9)))

    @property
    def is_toner(self) -> bool:
        return self.type_code == 3

    @property
    def is_waste(self) -> bool:
        return self.supply_class == 4


@dataclass
class Tray:
    """An input tray (prtInputTable row)."""

    index: int
    name: str
    capacity: int
    level: int
    manual: bool = False

    @property
    def empty(self) -> bool:
        return self.level <= 0


@dataclass
class Alert:
    """A row of prtAlertTable while its condition lasts."""

    index: int
    kind: str                # "jam", "door_open", "supply_low", "supply_empty", "tray_empty", "tray_low"
    target: str              # supply key / tray index / "" — (kind, target) is unique
    severity: int
    training: int
    group: int
    group_index: int
    location: int
    code: int
    description: str
    time: int                # sysUpTime ticks when raised
    raised_at: float         # simulated clock
    clear_at: float | None = None   # simulated clock when it clears by itself (jam, door, tray refill)

    @property
    def critical(self) -> bool:
        return self.severity == SEV_CRITICAL

    def as_dict(self) -> dict:
        return {"index": self.index, "kind": self.kind, "target": self.target, "code": self.code,
                "severity": "critical" if self.critical else "warning", "group": self.group,
                "group_index": self.group_index, "description": self.description, "time": self.time}


class Compiled:
    """What the responder serves: sorted OIDs and their pre-encoded varbinds, packed in one bytes blob with
    offsets (about 15 kB per printer, so 10,000 compiled printers stay near 150 MB)."""

    __slots__ = ("oids", "blob", "offsets")

    def __init__(self, oids: list[tuple[int, ...]], varbinds: list[bytes]):
        self.oids = oids
        self.blob = b"".join(varbinds)
        self.offsets = array("I", [0])
        self.offsets.extend(accumulate(len(v) for v in varbinds))

    def varbind(self, position: int) -> bytes:
        return self.blob[self.offsets[position]:self.offsets[position + 1]]

    def get(self, oid: tuple[int, ...]) -> bytes | None:
        """The varbind of exactly `oid`, or None."""
        position = bisect.bisect_left(self.oids, oid)
        if position < len(self.oids) and self.oids[position] == oid:
            return self.varbind(position)
        return None

    def next_position(self, oid: tuple[int, ...]) -> int:
        """Position of the first OID strictly after `oid` (len(oids) when there is none)."""
        return bisect.bisect_right(self.oids, oid)


_OIDS: dict[tuple[int, ...], tuple[tuple[int, ...], bytes]] = {}
_VALUES: dict[tuple[int, object], bytes] = {}
_VALUE_CACHE_LIMIT = 200_000
_UNCACHED = frozenset({ber.COUNTER32, ber.TIMETICKS, ber.GAUGE32, ber.COUNTER64})


def _encoded_oid(oid: tuple[int, ...]) -> tuple[tuple[int, ...], bytes]:
    """(shared OID tuple, its BER encoding): 10,000 printers serve the same few hundred OIDs."""
    hit = _OIDS.get(oid)
    if hit is None:
        hit = _OIDS[oid] = (oid, ber.encode_oid(oid))
    return hit


def _encoded_value(tag: int, value) -> bytes:
    """A value TLV, cached: most values (enums, names, descriptions) repeat across printers and compiles."""
    if tag in _UNCACHED:                  # counters and uptimes differ per printer: cheap to encode anyway
        return ber.encode_integer(value, tag)
    key = (tag, value)
    hit = _VALUES.get(key)
    if hit is None:
        if len(_VALUES) >= _VALUE_CACHE_LIMIT:
            _VALUES.clear()
        hit = _VALUES[key] = ber.encode_value(tag, value)
    return hit


class OidTable(dict):
    """{oid tuple: value} that also accepts dotted strings ('1.3.6.1.2.1.1.5.0' or with a leading dot)."""

    @staticmethod
    def _key(key):
        return ber.parse_oid(key) if isinstance(key, str) else tuple(key)

    def __getitem__(self, key):
        return super().__getitem__(self._key(key))

    def __contains__(self, key):
        return super().__contains__(self._key(key))

    def get(self, key, default=None):
        return super().get(self._key(key), default)


class SimulatedPrinter:
    """A simulated printer. Mutating methods are safe to call while the fleet serves (they hold its lock)."""

    def __init__(self, *, index: int, address: str, model: ModelSpec, seed: int, clock_ref,
                 lock: threading.RLock | None = None, community: str = "public", location: str = "",
                 contact: str = "", serial: str | None = None, mac: str | None = None, epoch: float = 0.0):
        self.index = index
        self.address = address
        self.model = model
        self.seed = seed
        self.rng = random.Random(f"{seed}:{index}:{model.name}")
        self._clock_ref = clock_ref           # callable → simulated seconds (the fleet clock)
        self._lock = lock or threading.RLock()
        self.community = community
        self.epoch = epoch
        self._fault: str | None = None
        self.delay = 1.5                      # seconds before a "slow" printer answers
        self.mac = mac or self._make_mac()
        self.serial = serial or self._make_serial()
        self.hostname = self._make_hostname()
        self.location = location
        self.contact = contact
        self.firmware = f"{model.firmware}.{self.rng.randrange(200, 260)}.{self.rng.randrange(0, 300):03d}" \
            if model.vendor == "Lexmark" else model.firmware
        self.engine_boots = 1
        self.boot_clock = self.now
        self.totals: dict[str, int] = dict.fromkeys(self.supported_counters(), 0)
        self.power_on_base: dict[str, int] = {}
        self.supplies: list[Supply] = self._make_supplies()
        self.trays: list[Tray] = self._make_trays()
        self.alerts: list[Alert] = []
        self.alert_index = 0
        self.alert_all_events = 0
        self.alert_critical_events = 0
        self.config_changes = 0
        self.printing = False
        self.warming_up = False
        self.lifetime_offset = 0
        self._compiled: Compiled | None = None
        self._rate_factor: float | None = None
        self._sorted_oids: list[tuple[int, ...]] = []
        self._order = array("H")
        self._seed_counters()
        self.power_on_base = dict(self.totals)

    # ------------------------------------------------------------------------------------------ identity
    @property
    def fault(self) -> str | None:
        """None, or "timeout" (never answers), "slow" (answers after `delay` s), "malformed" (bad values)."""
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value is not None and value not in FAULTS:
            raise ValueError(f"fault must be one of {sorted(FAULTS)} or None, not {value!r}")
        with self._lock:
            self._fault = value
            self._changed()

    @property
    def now(self) -> float:
        return self._clock_ref()

    def _make_mac(self) -> str:
        """Unique in a fleet: index * 7919 (odd) is a bijection modulo 2**24; the seed shifts the range."""
        tail = (self.index * 7919 + random.Random(f"mac:{self.seed}").randrange(1 << 24)) & 0xFFFFFF
        return f"{self.model.mac_oui}:{tail >> 16:02X}:{(tail >> 8) & 0xFF:02X}:{tail & 0xFF:02X}"

    def _make_serial(self) -> str:
        suffix = f"{(self.index * 104729 + self.rng.randrange(1 << 20)) % (36 ** 6):06d}"[-6:]
        letters = "".join(self.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
        return f"{self.model.machine_type}{suffix}{letters}"[:16]

    def _make_hostname(self) -> str:
        mac = self.mac.replace(":", "")
        prefix = {"Lexmark": "ET", "HP": "NPI", "Brother": "BRN", "Ricoh": "RNP", "Canon": "CANON-",
                  "Xerox": "XRX", "Kyocera": "KM"}.get(self.model.vendor, "PRN")
        return f"{prefix}{mac[-6:] if prefix != 'ET' else mac}"

    @property
    def sys_descr(self) -> str:
        spec = self.model
        if spec.vendor == "Lexmark":
            suffix = " All-N-1" if spec.mfp else ""
            return f"Lexmark {spec.name} version {self.firmware} kernel 5.15.78-yocto-standard{suffix}"
        return spec.descr_prefix or spec.full_name

    @property
    def engine_id(self) -> bytes:
        """SNMPv3 snmpEngineID (RFC 3411 format 3: enterprise + MAC address)."""
        return (0x80000000 | self.model.enterprise).to_bytes(4, "big") + b"\x03" + self.mac_bytes

    def wall_time(self, clock: float) -> str:
        """A simulated clock value as an ISO time (the fleet epoch is clock 0)."""
        moment = datetime.fromtimestamp(self.epoch + clock, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def mac_bytes(self) -> bytes:
        return bytes(int(part, 16) for part in self.mac.split(":"))

    # ------------------------------------------------------------------------------------------ capabilities
    def supported_counters(self) -> list[str]:
        """The guide counter names this model counts (a mono printer has no color counters, etc.)."""
        return list(supported_counters(self.model))

    @property
    def uptime_ticks(self) -> int:
        """sysUpTime in hundredths of a second since the last (simulated) boot."""
        return int(round((self.now - self.boot_clock) * 100)) % COUNTER_MODULUS

    # ------------------------------------------------------------------------------------------ setup
    def _make_supplies(self) -> list[Supply]:
        spec, rng = self.model, self.rng
        yield_black = 20000 if spec.ppm >= 50 else 8500 if spec.ppm >= 35 else 3000
        supplies: list[Supply] = []
        colors = ("black", "cyan", "magenta", "yellow") if spec.color else ("black",)
        cartridge = "Cartridge" if spec.vendor in ("Lexmark", "HP", "Brother") else "Toner"
        for colorant, color in enumerate(colors, start=1):
            capacity = yield_black if color == "black" else int(yield_black * 0.7)
            description = f"{color.capitalize()} {cartridge}"
            if spec.has("hex_descriptions"):
                description = f"{color.capitalize()} Cartridge\nHP {rng.choice(['CF', 'W2'])}{rng.randrange(200, 999)}A"
            supplies.append(Supply(index=len(supplies) + 1, key=color, description=description, type_code=3,
                                   supply_class=3, capacity=capacity,
                                   remaining=capacity * rng.uniform(0.15, 1.0), colorant=colorant, color=color,
                                   part_number=self._part_number(), uses_color=color != "black"))
        unit_capacity = 60000 if not spec.color else 40000
        name = "Imaging Unit" if spec.vendor == "Lexmark" else "Drum Unit"
        supplies.append(Supply(index=len(supplies) + 1, key="imaging_unit", description=name, type_code=9,
                               supply_class=3, capacity=unit_capacity,
                               remaining=unit_capacity * rng.uniform(0.2, 1.0), part_number=self._part_number()))
        if spec.color or spec.ppm >= 50:
            waste = 90000 if spec.color else 150000
            supplies.append(Supply(index=len(supplies) + 1, key="waste_toner", description="Waste Toner Bottle",
                                   type_code=4, supply_class=4, capacity=waste,
                                   remaining=waste * rng.uniform(0.3, 1.0), part_number=self._part_number()))
        if spec.ppm >= 45:
            kit = 200000 if spec.ppm >= 55 else 160000
            supplies.append(Supply(index=len(supplies) + 1, key="maintenance_kit", description="Maintenance Kit",
                                   type_code=1, supply_class=3, capacity=kit,
                                   remaining=kit * rng.uniform(0.2, 1.0), part_number=self._part_number()))
        for supply in supplies:
            supply.serial = self._supply_serial()
            supply.installed_at = self.now - rng.uniform(3, 300) * 86400
        return supplies

    def _part_number(self) -> str:
        return f"{self.rng.randrange(10, 99)}{self.rng.choice('BCKSX')}{self.rng.randrange(1000, 9999)}"

    def _supply_serial(self) -> str:
        return f"CAS{self.rng.randrange(16 ** 9):09X}"

    def _make_trays(self) -> list[Tray]:
        trays = []
        for position, capacity in enumerate(self.model.trays, start=1):
            manual = position == len(self.model.trays) and capacity <= 150
            name = "Multipurpose Feeder" if manual else f"Tray {position}"
            level = capacity if manual else int(capacity * self.rng.uniform(0.3, 1.0))
            trays.append(Tray(index=position, name=name, capacity=capacity, level=level, manual=manual))
        return trays

    def _seed_counters(self) -> None:
        """A used printer: a realistic lifetime split over services, colors and duplex."""
        rng, spec = self.rng, self.model
        lifetime = int(rng.uniform(2_000, 400_000) * (spec.ppm / 40))
        shares = [("print", 0.7 if spec.mfp else 1.0)]
        if spec.mfp:
            shares.append(("copy", 0.22 if spec.fax else 0.3))
        if spec.fax:
            shares.append(("fax", 0.08))
        for service, share in shares:
            pages = int(lifetime * share)
            color_pages = int(pages * rng.uniform(0.2, 0.5)) if spec.color and service != "fax" else 0
            duplex_pages = int((pages - color_pages) * rng.uniform(0.1, 0.6))
            self._count(service, color_pages, color=True, duplex=False)
            self._count(service, duplex_pages, color=False, duplex=True)
            self._count(service, pages - color_pages - duplex_pages, color=False, duplex=False)
        if spec.scan:
            self._count_scan(int(lifetime * rng.uniform(0.05, 0.2)), color=spec.color, duplex=False, adf=True,
                             destination="localhost")
            self._count_scan(int(lifetime * 0.02), color=False, duplex=False, adf=False, destination="localhost")

    # ------------------------------------------------------------------------------------------ counting
    def _add(self, name: str, amount: int) -> None:
        if name in self.totals:
            self.totals[name] += amount

    def _count(self, service: str, sides: int, *, color: bool, duplex: bool, large: bool = False) -> int:
        """Add `sides` printed sides of a job to the counters; returns the sheets used."""
        if sides <= 0:
            return 0
        color = color and self.model.color
        duplex = duplex and self.model.duplex
        sheets = (sides + 1) // 2 if duplex else sides
        kind = "color" if color else "mono"
        title = service.capitalize()
        for name, amount in ((f"{kind}{title}SideCount", sides), (f"{kind}{title}SheetCount", sheets),
                             (f"{service}SideCount", sides), (f"{service}SheetCount", sheets),
                             (f"{kind}SideCount", sides), (f"{kind}SheetCount", sheets),
                             ("totalSideCount", sides), ("totalSheetCount", sheets), ("lifetimeCount", sides)):
            self._add(name, amount)
        if duplex:
            self._add("duplexSideCount", sides)
            self._add("duplexSheetCount", sheets)
        if large and self.model.large_format:
            self._add(f"{kind}LargeSideCount", sides)
            self._add("largeSideCount", sides)
            self._add("largeSheetCount", sheets)
        if service == "copy":
            self._count_scan(sides, color=color, duplex=duplex, adf=True, destination="copy")
        return sheets

    def _count_scan(self, images: int, *, color: bool, duplex: bool, adf: bool, destination: str) -> None:
        if images <= 0 or not self.model.scan:
            return
        self._add("totalScanCount", images)
        self._add("colorScanCount" if color and self.model.color else "monoScanCount", images)
        if adf:
            self._add("adfScanCount", images)
            self._add("duplexAdfScanCount" if duplex else "simplexAdfScanCount", images)
        else:
            self._add("flatbedScanCount", images)
        self._add({"copy": "copyScanCount", "fax": "faxScanCount"}.get(destination, "scanToLocalhostScanCount"),
                  images)

    def _deplete(self, sides: int, color_sides: int, sheets: int) -> None:
        """Supplies and paper used by a job; raises/clears supply and tray alerts."""
        for supply in self.supplies:
            used = color_sides if supply.uses_color else sides
            if supply.is_waste:
                used = sides * 0.5
            if used <= 0:
                continue
            supply.remaining = max(0.0, supply.remaining - used)
            supply.sides += int(used)
            self._check_supply(supply)
        remaining = sheets
        for tray in sorted(self.trays, key=lambda t: (t.manual, t.index)):
            if remaining <= 0:
                break
            taken = min(tray.level, remaining)
            tray.level -= taken
            remaining -= taken
            if tray.empty:
                self._raise_tray_empty(tray)

    # ------------------------------------------------------------------------------------------ public API
    def print_pages(self, pages: int, *, color: bool = False, duplex: bool = False, service: str = "print",
                    large: bool = False) -> int:
        """Print `pages` sides now (service "print", "copy" or "fax" — a received fax), counting and using
        supplies and paper. An explicit job prints even on a jammed printer (tests drive it); the activity of
        `tick()` waits for a printer that can print. Returns the sheets used."""
        if service not in ("print", "copy", "fax"):
            raise ValueError(f"service must be print, copy or fax, not {service!r}")
        if service == "copy" and not self.model.mfp:
            raise ValueError(f"{self.model.full_name} cannot copy")
        if service == "fax" and not self.model.fax:
            raise ValueError(f"{self.model.full_name} has no fax")
        with self._lock:
            sheets = self._count(service, pages, color=color, duplex=duplex, large=large)
            self._deplete(pages, pages if color and self.model.color else 0, sheets)
            self.printing = pages > 0
            self._changed()
            return sheets

    def copy_pages(self, pages: int, *, color: bool = False, duplex: bool = False) -> int:
        """A copy job: copy counters plus the scan counters of the originals (ADF)."""
        return self.print_pages(pages, color=color, duplex=duplex, service="copy")

    def fax_pages(self, pages: int) -> int:
        """A received fax printed (the guide's fax counters count printed fax sides)."""
        return self.print_pages(pages, service="fax")

    def scan_pages(self, images: int, *, color: bool = False, duplex: bool = False, adf: bool = True,
                   destination: str = "localhost") -> None:
        """Scan `images` (destination "localhost" = scan to network/USB, "fax" = fax out)."""
        if not self.model.scan:
            raise ValueError(f"{self.model.full_name} cannot scan")
        with self._lock:
            self._count_scan(images, color=color, duplex=duplex, adf=adf, destination=destination)
            self._changed()

    def preset_counters(self, lifetime: int) -> None:
        """Set lifetimeCount (the true total) to `lifetime`, as if the difference had been printed as mono
        simplex print pages before the last power-on (sums stay consistent, power-on counters and supplies
        do not move) — e.g. `preset_counters(2**32 - 10)`, then print 20 pages to see a Counter32 wrap."""
        chain = ("lifetimeCount", "totalSideCount", "totalSheetCount", "monoSideCount", "monoSheetCount",
                 "printSideCount", "printSheetCount", "monoPrintSideCount", "monoPrintSheetCount")
        with self._lock:
            delta = lifetime - self.totals["lifetimeCount"]
            delta = max(delta, -min(self.totals[name] for name in chain))
            for name in chain:
                self.totals[name] += delta
                self.power_on_base[name] = self.power_on_base.get(name, 0) + delta
            self._changed()

    def jam(self, *, clear_after: float | None = None) -> Alert:
        """A paper jam (critical): the printer stops until `clear_alerts()` or `clear_after` seconds."""
        with self._lock:
            return self._raise("jam", "", SEV_CRITICAL, TRAINING_UNTRAINED, GROUP_MEDIA_PATH, 1, 200, CODE_JAM,
                               "200.01 Paper jam, open front door. [x]-page jam", clear_after)

    def open_door(self, *, clear_after: float | None = None) -> Alert:
        """Front door open (critical, prtCoverStatus coverOpen) until `close_door()`/`clear_alerts()`."""
        with self._lock:
            return self._raise("door_open", "", SEV_CRITICAL, TRAINING_UNTRAINED, GROUP_COVER, 1, 0,
                               CODE_COVER_OPEN, "Close front door", clear_after)

    def close_door(self) -> None:
        """Close the door: its alert leaves the table."""
        with self._lock:
            self._clear(lambda a: a.kind == "door_open")

    def empty_tray(self, tray: int = 1) -> Alert | None:
        """Take all paper out of a tray (1-based): a "Load Tray n" warning until `refill_tray()`."""
        with self._lock:
            target = self.trays[tray - 1]
            target.level = 0
            alert = self._raise_tray_empty(target)
            self._changed()
            return alert

    def refill_tray(self, tray: int | None = None) -> None:
        """Load paper into one tray (or all): clears its empty/low alerts."""
        with self._lock:
            for item in self.trays:
                if tray is None or item.index == tray:
                    item.level = item.capacity
                    self._clear(lambda a, i=item: a.kind in ("tray_empty", "tray_low") and a.target == str(i.index))
            self._changed()

    def set_supply_level(self, key: str, percent: float) -> Supply:
        """Set a supply's remaining percent (raises or clears its low/empty alert)."""
        with self._lock:
            supply = self.supply(key)
            supply.remaining = supply.capacity * max(0.0, min(100.0, percent)) / 100
            self._check_supply(supply)
            self._changed()
            return supply

    def replace_supply(self, key: str) -> Supply:
        """A new cartridge/unit: level back to 100 %, a new serial, its alerts cleared."""
        with self._lock:
            supply = self.supply(key)
            supply.remaining = float(supply.capacity)
            supply.serial = self._supply_serial()
            supply.installed_at = self.now
            supply.sides = 0
            self._clear(lambda a: a.target == supply.key and a.kind in ("supply_low", "supply_empty"))
            self.config_changes += 1
            self._changed()
            return supply

    def clear_alerts(self) -> None:
        """Clear every alert whose condition an operator fixes (jam, door); supply and paper alerts stay
        while their condition lasts, unless the condition is fixed too (trays refilled, supplies replaced)."""
        with self._lock:
            self._clear(lambda a: a.kind in ("jam", "door_open"))

    def reboot(self) -> None:
        """Power cycle: sysUpTime and power-on counters restart, the alert table is renumbered and its
        event counters restart (RFC 3805: reset on power cycle), SNMPv3 engine boots increase."""
        with self._lock:
            self.boot_clock = self.now
            self.engine_boots += 1
            self.power_on_base = dict(self.totals)
            self._clear(lambda a: a.kind == "jam")
            for position, alert in enumerate(self.alerts, start=1):
                alert.index = position
                alert.time = 0
            self.alert_index = len(self.alerts)
            self.alert_all_events = len(self.alerts)
            self.alert_critical_events = sum(1 for a in self.alerts if a.critical)
            self.printing = False
            self.warming_up = True
            self._changed()

    def supply(self, key: str) -> Supply:
        """A supply by key ('black', 'cyan', 'imaging_unit', 'waste_toner', 'maintenance_kit') or index."""
        for supply in self.supplies:
            if supply.key == key or str(supply.index) == str(key):
                return supply
        raise KeyError(f"{self.model.full_name} has no supply {key!r}: {[s.key for s in self.supplies]}")

    def covers_open(self) -> list[Alert]:
        """The door alerts (prtCoverStatus reads them)."""
        return [a for a in self.alerts if a.kind == "door_open"]

    # ------------------------------------------------------------------------------------------ views
    @property
    def counters(self) -> dict[str, int]:
        """The guide counters as an agent reads them off the wire: lifetimeCount from prtMarkerLifeCount
        (mod 2**32), the others from the PWG counter MIB (mod 2**31) where the model has it, else the
        Lexmark private table (mod 2**32). Models with neither serve only lifetimeCount."""
        with self._lock:
            sources = counter_sources(self)
            served = {}
            for name, total in self.totals.items():
                source = sources.get(name)
                if source is None:
                    continue
                served[name] = total % (PWG_MODULUS if source == "pwg" else COUNTER_MODULUS)
            return served

    @property
    def power_on_counters(self) -> dict[str, int]:
        """Counts since the last reboot (prtMarkerPowerOnCount, PWG persistence powerOn)."""
        with self._lock:
            return {name: total - self.power_on_base.get(name, 0) for name, total in self.totals.items()}

    @property
    def error_state(self) -> list[str]:
        """hrPrinterDetectedErrorState keywords that are set."""
        bits = self.error_bits()
        return [name for position, name in enumerate(ERROR_BITS) if bits >> (15 - position) & 1]

    def error_bits(self) -> int:
        """The 16-bit hrPrinterDetectedErrorState value (bit 0 = MSB of the first octet)."""
        names = set()
        for alert in self.alerts:
            names |= {"jam": {"jammed"}, "door_open": {"doorOpen"}, "tray_low": {"lowPaper"},
                      "tray_empty": {"inputTrayEmpty"}}.get(alert.kind, set())
            if alert.kind == "supply_low" and self.supply(alert.target).is_toner:
                names.add("lowToner")
            if alert.kind == "supply_empty":
                names.add("noToner" if self.supply(alert.target).is_toner else "serviceRequested")
            if alert.kind in ("supply_low", "supply_empty") and self.supply(alert.target).is_waste:
                names.discard("serviceRequested")
                names.add("outputNearFull" if alert.kind == "supply_low" else "outputFull")
        if all(t.empty for t in self.trays if not t.manual):
            names.add("noPaper")
        value = 0
        for position, name in enumerate(ERROR_BITS):
            if name in names:
                value |= 1 << (15 - position)
        return value

    @property
    def device_status(self) -> int:
        """hrDeviceStatus."""
        if any(a.critical for a in self.alerts) or self.error_bits() & (1 << 14):
            return DEVICE_DOWN
        return DEVICE_WARNING if self.alerts else DEVICE_RUNNING

    @property
    def printer_status(self) -> int:
        """hrPrinterStatus."""
        if self.warming_up:
            return PRINTER_WARMUP
        if self.device_status == DEVICE_DOWN:
            return PRINTER_OTHER
        return PRINTER_PRINTING if self.printing else PRINTER_IDLE

    @property
    def status(self) -> str:
        """The status as the portal shows it (agents.protocol.PrinterStatus)."""
        device = self.device_status
        if device == DEVICE_DOWN:
            return PrinterStatus.ERROR
        if device == DEVICE_WARNING:
            return PrinterStatus.WARNING
        return PrinterStatus.PRINTING if self.printing else PrinterStatus.READY

    @property
    def display_text(self) -> str:
        """prtConsoleDisplayBufferText: the most severe alert, else Ready/Printing."""
        if self.alerts:
            worst = sorted(self.alerts, key=lambda a: (a.severity, -a.index))[0]
            return worst.description[:64]
        return "Printing" if self.printing else "Ready"

    @property
    def can_print(self) -> bool:
        if any(a.kind in ("jam", "door_open") for a in self.alerts):
            return False
        if any(s.is_toner and s.remaining <= 0 for s in self.supplies):
            return False
        return any(not t.empty for t in self.trays)

    def supplies_view(self) -> list[dict]:
        """The supplies in agents.protocol.Supply shape (what the portal should end up showing)."""
        with self._lock:
            return [{"key": str(s.index), "description": s.description.split("\n")[0], "color": s.color.capitalize(),
                     "level": s.percent, "capacity": s.capacity, "serial": s.serial, "sides": s.sides,
                     "type": {3: "Toner", 4: "Waste Toner", 9: "Photoconductor", 1: "Maintenance Kit"}.get(
                         s.type_code, "Other")} for s in self.supplies]

    def alerts_view(self) -> list[dict]:
        """The alert table as plain dicts (index, kind, code, severity, description, ...)."""
        with self._lock:
            return [a.as_dict() for a in self.alerts]

    # ------------------------------------------------------------------------------------------ alerts
    def _raise(self, kind, target, severity, training, group, group_index, location, code, description,
               clear_after=None) -> Alert:
        for alert in self.alerts:
            if alert.kind == kind and alert.target == target:
                return alert
        self.alert_index += 1
        alert = Alert(index=self.alert_index, kind=kind, target=target, severity=severity, training=training,
                      group=group, group_index=group_index, location=location, code=code,
                      description=description, time=self.uptime_ticks, raised_at=self.now,
                      clear_at=None if clear_after is None else self.now + clear_after)
        self.alerts.append(alert)
        self.alert_all_events += 1
        if severity == SEV_CRITICAL:
            self.alert_critical_events += 1
        self.printing = False
        self._changed()
        return alert

    def _clear(self, predicate) -> int:
        """Remove alerts; each removal is an alert event too (so prtAlertAllEvents tells an agent to re-walk)."""
        before = len(self.alerts)
        self.alerts = [a for a in self.alerts if not predicate(a)]
        removed = before - len(self.alerts)
        if removed:
            self.alert_all_events += removed
            self._changed()
        return removed

    def _check_supply(self, supply: Supply) -> None:
        """Raise/clear the supply's low and empty alerts from its level."""
        name = supply.description.split("\n")[0]
        if supply.remaining <= 0:
            self._clear(lambda a: a.kind == "supply_low" and a.target == supply.key)
            code = CODE_WASTE_FULL if supply.is_waste else CODE_TONER_EMPTY if supply.is_toner else CODE_LIFE_OVER
            text = f"Replace {name.lower()}" if not supply.is_waste else f"{name} full"
            self._raise("supply_empty", supply.key, SEV_CRITICAL, TRAINING_TRAINED, GROUP_MARKER_SUPPLIES,
                        supply.index, 0, code, text)
        elif supply.percent <= LOW_PERCENT:
            self._clear(lambda a: a.kind == "supply_empty" and a.target == supply.key)
            code = CODE_WASTE_ALMOST_FULL if supply.is_waste else (
                CODE_TONER_ALMOST_EMPTY if supply.is_toner else CODE_LIFE_ALMOST_OVER)
            text = f"{name} nearly full" if supply.is_waste else f"{name} low"
            self._raise("supply_low", supply.key, SEV_WARNING, TRAINING_NONE, GROUP_MARKER_SUPPLIES,
                        supply.index, 0, code, text)
        else:
            self._clear(lambda a: a.kind in ("supply_low", "supply_empty") and a.target == supply.key)

    def _raise_tray_empty(self, tray: Tray) -> Alert:
        return self._raise("tray_empty", str(tray.index), SEV_WARNING, TRAINING_UNTRAINED, GROUP_INPUT,
                           tray.index, 0, CODE_TRAY_EMPTY, f"Load {tray.name}")

    # ------------------------------------------------------------------------------------------ dynamics
    def advance(self, seconds: float, activity: Activity) -> None:
        """Simulated time passed (the fleet clock already moved): printing, alerts that come and go."""
        rng = self.rng
        with self._lock:
            self.warming_up = False
            self.printing = False
            self._clear(lambda a: a.clear_at is not None and a.clear_at <= self.now)
            for tray in self.trays:
                if tray.empty and not tray.manual and rng.random() < _chance(activity.tray_refill_per_hour, seconds):
                    self.refill_tray(tray.index)
            for supply in self.supplies:
                if supply.remaining <= 0 and rng.random() < _chance(activity.replace_per_hour, seconds):
                    self.replace_supply(supply.key)
            if rng.random() < _chance(activity.reboots_per_day / 24, seconds):
                self.reboot()
                return
            if rng.random() < _chance(activity.jams_per_day / 24, seconds):
                self.jam(clear_after=activity.jam_clear_minutes * 60)
            if rng.random() < _chance(activity.door_opens_per_day / 24, seconds):
                self.open_door(clear_after=activity.door_close_minutes * 60)
            if self.can_print:
                self._work(seconds, activity)
            self._changed()

    def _work(self, seconds: float, activity: Activity) -> None:
        rng, spec = self.rng, self.model
        expected = activity.pages_per_hour * self.rate_factor * seconds / 3600
        pages = _poisson(rng, expected)
        if pages <= 0:
            return
        pages = min(pages, int(spec.ppm * seconds / 60) + 1)
        service = "print"
        draw = rng.random()
        if spec.mfp and draw < activity.copy_share:
            service = "copy"
        elif spec.fax and draw < activity.copy_share + activity.fax_share:
            service = "fax"
        color = spec.color and service != "fax" and rng.random() < activity.color_share
        duplex = rng.random() < activity.duplex_share
        self.print_pages(pages, color=color, duplex=duplex, service=service)
        if spec.scan and rng.random() < _chance(activity.scans_per_hour, seconds):
            self.scan_pages(max(1, _poisson(rng, 4)), color=color, adf=rng.random() < 0.8)

    @property
    def rate_factor(self) -> float:
        """This printer's share of the fleet's mean activity (some printers are busy, some idle)."""
        if self._rate_factor is None:
            self._rate_factor = random.Random(f"rate:{self.seed}:{self.index}").lognormvariate(0, 0.6)
        return self._rate_factor

    # ------------------------------------------------------------------------------------------ serving
    def _changed(self) -> None:
        """Drop the compiled table: the next request (or oid_table()) sees the new state."""
        self._compiled = None

    def compiled(self) -> Compiled:
        """The served table, built on first use after a change."""
        compiled = self._compiled
        if compiled is not None:
            return compiled
        with self._lock:
            if self._compiled is None:
                self._compiled = self._compile()
            return self._compiled

    def _compile(self) -> Compiled:
        """Encode the current entries. The sort order (and the sorted OID list) is reused while the set of
        OIDs does not change, which is the common case: a tick changes values, not rows."""
        entries = build_entries(self)
        shared = [_encoded_oid(oid) for oid, _tag, _value in entries]
        order, previous = self._order, self._sorted_oids
        if len(order) != len(shared) or any(shared[i][0] is not previous[k] for k, i in enumerate(order)):
            order = self._order = array("H", sorted(range(len(shared)), key=lambda i: shared[i][0]))
            previous = self._sorted_oids = [shared[i][0] for i in order]
        varbinds = []
        for i in order:
            _oid, tag, value = entries[i]
            body = shared[i][1] + _encoded_value(tag, value)
            varbinds.append(b"\x30" + ber.encode_length(len(body)) + body)
        return Compiled(previous, varbinds)

    def _typed_entries(self) -> list[tuple[tuple[int, ...], int, object]]:
        with self._lock:
            return sorted(build_entries(self), key=lambda entry: entry[0])

    def oid_table(self) -> OidTable:
        """{oid tuple: value} exactly as served now: ints, str (text), bytes (binary octets), OIDs as
        tuples. Keys also accept dotted strings."""
        return OidTable((oid, value if tag != ber.OBJECT_IDENTIFIER else ber.parse_oid(value))
                        for oid, tag, value in self._typed_entries())

    def typed_oid_table(self) -> OidTable:
        """{oid: (type name as net-snmp prints it, value)}."""
        return OidTable((oid, (ber.TYPE_NAMES[tag], value)) for oid, tag, value in self._typed_entries())

    def __repr__(self) -> str:
        return f"<SimulatedPrinter {self.address} {self.model.full_name} {self.serial}>"


@dataclass
class Activity:
    """How busy the fleet is (scenario [activity] and [alerts]); rates are per printer."""

    pages_per_hour: float = 20.0
    color_share: float = 0.3
    duplex_share: float = 0.4
    copy_share: float = 0.2
    fax_share: float = 0.05
    scans_per_hour: float = 1.0
    jams_per_day: float = 0.2
    jam_clear_minutes: float = 10.0
    door_opens_per_day: float = 0.1
    door_close_minutes: float = 3.0
    tray_refill_per_hour: float = 2.0
    replace_per_hour: float = 0.5
    reboots_per_day: float = 0.02


def _chance(rate_per_hour: float, seconds: float) -> float:
    """Probability that an event with this hourly rate happens within `seconds`."""
    if rate_per_hour <= 0:
        return 0.0
    return 1.0 - math.exp(-rate_per_hour * seconds / 3600)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, int(round(rng.gauss(mean, math.sqrt(mean)))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k
