"""Scenario files: a TOML description of a simulated fleet (see scenarios/demo.toml).

    seed = 1
    printers = 10
    first_address = "127.0.1.1"
    port = 16161
    community = "public"
    speed = 1.0                       # simulated seconds per real second (CLI); 0 = frozen

    [models]
    third_party_share = 0.2           # share of non-Lexmark printers
    weights = { "CX735de" = 3 }       # relative weights (default 1); `only = [...]` restricts the draw

    [activity]                        # per printer (agents.simulator.device.Activity)
    pages_per_hour = 20
    color_share = 0.3

    [alerts]
    jams_per_day = 0.2

    [[snmpv3.users]]
    name = "monitor"
    auth = "SHA"                      # MD5 | SHA | none
    auth_key = "authpass123"
    priv = "AES"                      # AES | DES | none
    priv_key = "privpass123"

    [[faults]]
    printers = [3]                    # 1-based positions in the fleet
    fault = "timeout"                 # timeout | slow | malformed
    # community = "private"           # or: this printer answers another community only
    # delay = 2.0                     # seconds, for "slow"

    [native]                          # Native-Agent printers (agents/simulator/native.py)
    printers = 3                      # the first 3 printers enroll themselves and report on their own
    server = "http://127.0.0.1:8000"
    enrollment_code = "K7PQ2M"        # the organization's code; their serials must be pre-enrolled
    state_dir = "/tmp/lexcloud-native"
    # mqtt_url = "mqtt://127.0.0.1:1883"   # else the broker the server names at enrollment ("-": REST only)
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .device import FAULTS, Activity

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class UsmUser:
    """An SNMPv3 user every simulated printer knows (keys are passphrases, localized per printer)."""

    name: str
    auth: str = "none"          # none | MD5 | SHA
    auth_key: str = ""
    priv: str = "none"          # none | DES | AES
    priv_key: str = ""

    def __post_init__(self):
        self.auth = self.auth.upper() if self.auth.lower() != "none" else "none"
        self.priv = self.priv.upper() if self.priv.lower() != "none" else "none"
        if self.auth == "SHA1":
            self.auth = "SHA"
        if self.priv in ("AES128", "AES-128"):
            self.priv = "AES"
        if self.auth not in ("none", "MD5", "SHA"):
            raise ValueError(f"SNMPv3 user {self.name}: auth must be MD5, SHA or none, not {self.auth}")
        if self.priv not in ("none", "DES", "AES"):
            raise ValueError(f"SNMPv3 user {self.name}: priv must be DES, AES or none, not {self.priv}")
        if self.priv != "none" and self.auth == "none":
            raise ValueError(f"SNMPv3 user {self.name}: privacy needs authentication")
        for kind, key in (("auth", self.auth_key if self.auth != "none" else "x" * 8),
                          ("priv", self.priv_key if self.priv != "none" else "x" * 8)):
            if len(key) < 8:
                raise ValueError(f"SNMPv3 user {self.name}: {kind}_key must have at least 8 characters")


@dataclass
class FaultSpec:
    printers: list[int]         # 1-based positions
    fault: str | None = None
    community: str | None = None
    delay: float | None = None

    def __post_init__(self):
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"fault must be one of {sorted(FAULTS)}, not {self.fault!r}")


@dataclass
class NativeSpec:
    """Native-Agent printers: the first `printers` of the fleet, enrolling at `server` with the code."""

    printers: int = 0
    server: str = ""
    enrollment_code: str = ""
    state_dir: str = ""
    mqtt_url: str | None = None


@dataclass
class Scenario:
    printers: int = 10
    first_address: str = "127.0.1.1"
    port: int = 161
    community: str = "public"
    seed: int = 1
    speed: float = 1.0
    epoch: float | None = None
    third_party_share: float = 0.2
    model_weights: dict[str, float] = field(default_factory=dict)
    only_models: list[str] = field(default_factory=list)
    activity: Activity = field(default_factory=Activity)
    users: list[UsmUser] = field(default_factory=list)
    faults: list[FaultSpec] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    contact: str = "helpdesk@example.com"
    native: NativeSpec = field(default_factory=NativeSpec)
    source: str = ""


def load_scenario(source: str | Path | dict) -> Scenario:
    """A scenario from a TOML file path, a file name under agents/simulator/scenarios/, or a dict."""
    origin = "<dict>"
    if isinstance(source, dict):
        raw = source
    else:
        path = Path(source)
        if not path.exists() and (SCENARIOS / path).exists():
            path = SCENARIOS / path
        if not path.exists() and (SCENARIOS / f"{path}.toml").exists():
            path = SCENARIOS / f"{path}.toml"
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
        origin = str(path)
    return _parse(raw, origin)


def _parse(raw: dict, origin: str) -> Scenario:
    known = {"printers", "first_address", "port", "community", "seed", "speed", "epoch", "models", "activity",
             "alerts", "snmpv3", "faults", "locations", "contact", "native"}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{origin}: unknown scenario keys {sorted(unknown)}")
    models = raw.get("models", {})
    activity_fields = {f.name for f in fields(Activity)}
    activity_values = {**raw.get("activity", {}), **raw.get("alerts", {})}
    bad = set(activity_values) - activity_fields
    if bad:
        raise ValueError(f"{origin}: unknown [activity]/[alerts] keys {sorted(bad)}; known: {sorted(activity_fields)}")
    epoch = raw.get("epoch")
    if hasattr(epoch, "timestamp"):
        epoch = epoch.timestamp()
    scenario = Scenario(
        printers=int(raw.get("printers", 10)), first_address=str(raw.get("first_address", "127.0.1.1")),
        port=int(raw.get("port", 161)), community=str(raw.get("community", "public")),
        seed=int(raw.get("seed", 1)), speed=float(raw.get("speed", 1.0)), epoch=epoch,
        third_party_share=float(models.get("third_party_share", 0.2)),
        model_weights={str(k): float(v) for k, v in models.get("weights", {}).items()},
        only_models=[str(m) for m in models.get("only", [])],
        activity=Activity(**{k: float(v) for k, v in activity_values.items()}),
        users=[UsmUser(**user) for user in raw.get("snmpv3", {}).get("users", [])],
        faults=[FaultSpec(**_fault(item)) for item in raw.get("faults", [])],
        locations=[str(x) for x in raw.get("locations", [])],
        contact=str(raw.get("contact", "helpdesk@example.com")), native=_native(raw.get("native", {}), origin),
        source=origin)
    if not 1 <= scenario.printers <= 10_000:
        raise ValueError(f"{origin}: printers must be 1..10000, not {scenario.printers}")
    if not 0 <= scenario.native.printers <= scenario.printers:
        raise ValueError(f"{origin}: [native] printers must be 0..{scenario.printers}, not {scenario.native.printers}")
    return scenario


def _fault(item: dict) -> dict:
    item = dict(item)
    printers = item.pop("printers", item.pop("printer", []))
    item["printers"] = [printers] if isinstance(printers, int) else list(printers)
    return item


def _native(item: dict, origin: str) -> NativeSpec:
    """The [native] table: unknown keys are refused like everywhere else in a scenario."""
    known = {f.name for f in fields(NativeSpec)}
    unknown = set(item) - known
    if unknown:
        raise ValueError(f"{origin}: unknown [native] keys {sorted(unknown)}; known: {sorted(known)}")
    return NativeSpec(printers=int(item.get("printers", 0)), server=str(item.get("server", "")),
                      enrollment_code=str(item.get("enrollment_code", "")), state_dir=str(item.get("state_dir", "")),
                      mqtt_url=str(item["mqtt_url"]) if item.get("mqtt_url") is not None else None)
