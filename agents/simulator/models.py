"""The printer models the simulator draws from (`data/models.json`) and the vendor quirks it reproduces.

Lexmark models come from the catalog (fleet/data/printer_models.json); third-party models carry the quirks
that peers (LibreNMS, glpi-agent) had to handle, so that the agents meet them here before the field.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "models.json"

# What each quirk does to what the simulated printer serves (anchors.md §1-§2).
QUIRKS = {
    "waste_some_remaining": "waste toner bottle level is -3 ('some remaining') until full (0)",
    "levels_some_remaining": "Ricoh: every supply level is -3 while not empty, -100 when empty (librenms#4177)",
    "ricoh_private_levels": "Ricoh: real percent levels at 1.3.6.1.4.1.367.3.2.1.2.24.1.1.{3,5}",
    "levels_three_stage": "Canon: levels are only 100, 10, 1 or 0 of max 100 (librenms#5637)",
    "levels_brother_codes": "Brother: level is a code 0 ok / 1 low / 3 near empty / 2 empty, max -2",
    "capacity_unknown": "prtMarkerSuppliesMaxCapacity is -2 (unknown)",
    "level_unknown_waste": "waste toner level is -2 (unknown)",
    "percent_units": "supplies in percent (unit 19, max 100) instead of impressions",
    "hex_descriptions": "HP: supply descriptions are two lines with a NUL, so clients print them as hex",
    "no_printer_mib_serial": "no prtGeneralSerialNumber: the serial is only in the vendor OID",
    "vendor_counter_offset": "Xerox: vendor total counter is 4 below prtMarkerLifeCount (glpi-agent#1155)",
}

ENTERPRISES = {"Lexmark": 641, "HP": 11, "Canon": 1602, "Xerox": 253, "Ricoh": 367, "Brother": 2435,
               "Kyocera": 1347}


@dataclass(frozen=True)
class ModelSpec:
    """One printer model: identity, capabilities (color, MFP, fax), paper trays and quirks."""

    name: str
    vendor: str
    sys_object_id: str
    color: bool
    mfp: bool
    fax: bool
    scan: bool
    duplex: bool
    large_format: bool
    ppm: int
    trays: tuple[int, ...]
    machine_type: str
    firmware: str
    pwg_counters: bool
    lexmark_private: bool
    quirks: frozenset[str] = field(default_factory=frozenset)
    descr_prefix: str = ""
    mac_oui: str = "00:21:B7"
    vendor_serial_oid: str = ""

    @property
    def full_name(self) -> str:
        """'Lexmark CX735de': what hrDeviceDescr and the portal show."""
        return f"{self.vendor} {self.name}"

    @property
    def enterprise(self) -> int:
        return ENTERPRISES.get(self.vendor, int(self.sys_object_id.split(".")[6]))

    @property
    def kind(self) -> str:
        return ("color " if self.color else "mono ") + ("MFP" if self.mfp else "printer")

    def has(self, quirk: str) -> bool:
        return quirk in self.quirks

    @classmethod
    def from_dict(cls, raw: dict) -> ModelSpec:
        values = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        values["trays"] = tuple(values.get("trays", (250,)))
        values["quirks"] = frozenset(values.get("quirks", ()))
        unknown = values["quirks"] - set(QUIRKS)
        if unknown:
            raise ValueError(f"model {raw.get('name')}: unknown quirks {sorted(unknown)}")
        return cls(**values)


@cache
def catalog() -> tuple[ModelSpec, ...]:
    """All models of data/models.json, in file order."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(ModelSpec.from_dict(item) for item in raw["models"])


def model_named(name: str) -> ModelSpec:
    """A model by name ('CX735de' or 'Lexmark CX735de'), case-insensitive."""
    wanted = name.strip().lower()
    for spec in catalog():
        if wanted in (spec.name.lower(), spec.full_name.lower()):
            return spec
    raise KeyError(f"unknown printer model {name!r}; known: {', '.join(m.name for m in catalog())}")
