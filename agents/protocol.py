"""The wire protocol between agents (Fleet Agent, Local Agent, Native-Agent printers) and the server.

Pure Python, no Django: the server (`fleet.services.ingest`, the REST fallback) and the `agents` package
import this one module, so both sides speak the same version. A change of shape is a version bump.

Every message is a JSON object, the *envelope*:

    {"v": 1, "type": "telemetry", "id": "<uuid4 hex>", "agent": "<device id>",
     "sent_at": "2026-11-22T10:00:00Z", "body": {...}}

`id` is the message id: the server applies a message once (idempotence), and `sent_at` (with each
printer report's `collected_at`) orders reports, so a late duplicate never overwrites newer state.

Upstream types (agent → server), published on `devices/{agent}/messages/events/` or POSTed to
`/api/agents/v1/messages`:

- `telemetry`  one or more printer reports (`PrinterReport`); a list given (alerts, supplies, ...) is the
               complete current set, a list left out (null) was not collected this time
- `enroll`     printers found by discovery (identity only); the server enrolls them under this agent
- `heartbeat`  the agent is alive; its version, and its activation/definition state
- `event`      a job's progress or outcome (acknowledgement of a command)

Downstream (server → agent), on `devices/{agent}/messages/devicebound/`: `command` with a job id, a
`Command` name, the target printers (serial numbers) and arguments. The agent answers with `event`s.

Counters use the names of the integration API's counter object (`COUNTERS`); values are the raw device
values (Counter32 / IcCounter32), the server handles wrap and reset. Supply levels are percent (0..100);
-1/-2/-3 (Printer-MIB "no restriction / unknown / some remaining") are reported as `level=None` with
`level_state` "unrestricted" / "unknown" / "some" (see docs/decisions).
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
MAX_PRINTERS_PER_MESSAGE = 1000

# ---------------------------------------------------------------------------------------------- topics
TOPIC_ROOT = "devices"


def telemetry_topic(device_id: str) -> str:
    """Where a device publishes (Azure IoT Hub device-to-cloud layout; properties may follow)."""
    return f"{TOPIC_ROOT}/{device_id}/messages/events/"


def command_topic(device_id: str) -> str:
    """Where the server publishes a device's commands (cloud-to-device)."""
    return f"{TOPIC_ROOT}/{device_id}/messages/devicebound/"


def command_subscription(device_id: str) -> str:
    """What a device subscribes to (IoT Hub sends properties after the slash)."""
    return f"{TOPIC_ROOT}/{device_id}/messages/devicebound/#"


EVENTS_SUBSCRIPTION = f"{TOPIC_ROOT}/+/messages/events/#"


def device_of_topic(topic: str) -> str | None:
    """The device id of an upstream topic, or None for any other topic."""
    parts = topic.split("/")
    if len(parts) >= 4 and parts[0] == TOPIC_ROOT and parts[2] == "messages" and parts[3] == "events" and parts[1]:
        return parts[1]
    return None


# ---------------------------------------------------------------------------------------------- vocab
class MessageType:
    TELEMETRY = "telemetry"
    ENROLL = "enroll"
    HEARTBEAT = "heartbeat"
    EVENT = "event"
    COMMAND = "command"
    UPSTREAM = frozenset({TELEMETRY, ENROLL, HEARTBEAT, EVENT})
    ALL = UPSTREAM | {COMMAND}


class Command:
    """What the server asks an agent to do. The task type names of the Tasks page map onto these."""

    DISCOVER = "discover"                        # discover and enroll printers
    REFRESH = "refresh"                          # refresh printer information (given printers, or all)
    MIB_WALK = "mib_walk"                        # walk a printer's MIB and upload the walk
    REQUEST_LOG = "request_log"                  # printer log (args: log_type)
    COLLECT_AGENT_LOG = "collect_agent_log"      # the agent's own log
    UPDATE_AGENT = "update_agent"                # update the agent (args: version)
    UPDATE_SETTINGS = "update_settings"          # new definition/settings: re-fetch them
    UPDATE_CREDENTIALS = "update_credentials"    # printer access credentials changed (args: auth_type); re-read them from the definition
    PANEL_NOTIFICATION = "panel_notification"    # args: message
    CLEAR_NOTIFICATION = "clear_notification"
    UNENROLL = "unenroll"                        # stop managing the given printers
    DEACTIVATE = "deactivate"                    # the agent is deactivated: stop reporting
    RESTART = "restart"
    ALL = frozenset({DISCOVER, REFRESH, MIB_WALK, REQUEST_LOG, COLLECT_AGENT_LOG, UPDATE_AGENT, UPDATE_SETTINGS,
                     UPDATE_CREDENTIALS, PANEL_NOTIFICATION, CLEAR_NOTIFICATION, UNENROLL, DEACTIVATE, RESTART})


class JobState:
    """States an agent reports for a job (the server adds pending, stopped, expired)."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    NOT_SUPPORTED = "not_supported"
    ALL = frozenset({IN_PROGRESS, COMPLETED, FAILED, NOT_SUPPORTED})


class PrinterStatus:
    """Device status (from hrDeviceStatus / hrPrinterStatus): what the Printers page shows."""

    READY = "ready"
    PRINTING = "printing"
    WARNING = "warning"
    ERROR = "error"
    OFFLINE = "offline"
    UNKNOWN = "unknown"
    ALL = frozenset({READY, PRINTING, WARNING, ERROR, OFFLINE, UNKNOWN})


class Severity:
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    ALL = frozenset({ERROR, WARNING, INFO})


class LevelState:
    """Printer-MIB special supply levels."""

    UNRESTRICTED = "unrestricted"   # -1
    UNKNOWN = "unknown"             # -2
    SOME = "some"                   # -3 "some remaining"
    ALL = frozenset({UNRESTRICTED, UNKNOWN, SOME})


# The integration API's scalar counters (guide appendix, counters object), in the guide's order.
COUNTERS = (
    "lifetimeCount", "colorPrintSideCount", "colorPrintSheetCount", "monoPrintSideCount", "monoPrintSheetCount",
    "printSideCount", "printSheetCount", "colorCopySideCount", "colorCopySheetCount", "monoCopySideCount",
    "monoCopySheetCount", "copySideCount", "copySheetCount", "colorFaxSideCount", "colorFaxSheetCount",
    "monoFaxSideCount", "monoFaxSheetCount", "faxSideCount", "faxSheetCount", "colorSideCount", "colorSheetCount",
    "monoSideCount", "monoSheetCount", "totalSideCount", "totalSheetCount", "colorLargeSideCount",
    "monoLargeSideCount", "largeSideCount", "largeSheetCount", "duplexSideCount", "duplexSheetCount",
    "coverageTierBusinessSideCount", "coverageTierBusinessSheetCount", "coverageTierGraphicsSideCount",
    "coverageTierGraphicsSheetCount", "coverageTierHighlightSideCount", "coverageTierHighlightSheetCount",
    "blankCopySideCount", "adfScanCount", "flatbedScanCount", "scanToLocalhostScanCount", "copyScanCount",
    "faxScanCount", "simplexAdfScanCount", "duplexAdfScanCount", "monoScanCount", "colorScanCount",
    "totalScanCount", "blankFaxSideCount",
)
COUNTER_SET = frozenset(COUNTERS)
# Counters are Counter32 on the wire; PWG IcCounter32 wraps at 2**31. A decrease larger than half the range
# after a value close to the top is a wrap; any other decrease is a reset (see fleet.services.counters).
COUNTER32_MODULUS = 2**32
PAPER_COUNT_FIELDS = ("paperSize", "paperType", "paperSheetPickedCount", "paperSheetSafeCount",
                      "paperSideColorPickedCount", "paperSideColorSafeCount", "paperSideMonoPickedCount",
                      "paperSideMonoSafeCount")

SUPPLY_TYPES = ("Toner", "Photoconductor", "Imaging Unit", "Fuser", "Waste Toner", "Maintenance Kit",
                "Transfer Module", "Staples", "Other")
CAPACITY_UNITS = ("Sides", "Sheets", "Other")


class ProtocolError(ValueError):
    """A message that does not follow this protocol. The text says what is wrong, for the agent's log."""


# ---------------------------------------------------------------------------------------------- helpers
def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value, what: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{what} must be an ISO 8601 time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ProtocolError(f"{what} is not an ISO 8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        raise ProtocolError(f"{what} must carry a time zone (UTC 'Z')")
    return parsed.astimezone(UTC)


def _str(obj: dict, key: str, what: str, *, required=False, max_length=255) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise ProtocolError(f"{what}.{key} is required")
        return ""
    if not isinstance(value, str):
        raise ProtocolError(f"{what}.{key} must be a string")
    value = value.strip()
    if required and not value:
        raise ProtocolError(f"{what}.{key} must not be empty")
    if len(value) > max_length:
        raise ProtocolError(f"{what}.{key} is longer than {max_length} characters")
    return value


def _int(obj: dict, key: str, what: str, *, minimum=None, maximum=None) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(f"{what}.{key} must be an integer")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ProtocolError(f"{what}.{key} is out of range: {value}")
    return value


def _float(obj: dict, key: str, what: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{what}.{key} must be a number")
    return float(value)


def _list(obj: dict, key: str, what: str, *, limit=1000) -> list | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list):
        raise ProtocolError(f"{what}.{key} must be a list")
    if len(value) > limit:
        raise ProtocolError(f"{what}.{key} has more than {limit} items")
    return value


def _choice(obj: dict, key: str, what: str, allowed, default="") -> str:
    value = obj.get(key)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise ProtocolError(f"{what}.{key} must be one of {sorted(allowed)}, not {str(value)[:40]!r}")
    return value


# ---------------------------------------------------------------------------------------------- bodies
@dataclass
class Supply:
    key: str                              # stable per printer (prtMarkerSuppliesIndex, or type+color)
    description: str = ""
    type: str = "Other"                   # SUPPLY_TYPES
    color: str = ""                       # "Black", "Cyan", ... or "" (none)
    level: int | None = None              # percent remaining, 0..100; None when the device does not say
    level_state: str = ""                 # LevelState when level is None
    capacity: int | None = None
    unit: str = ""                        # CAPACITY_UNITS
    status: str = ""                      # "Ok", "Intermediate", "Low", "Empty", ... as the device says
    serial: str = ""
    coverage: float | None = None         # current coverage, percent
    lifetime_coverage: float | None = None
    sides: int | None = None              # sides printed on this supply
    installed_at: str = ""                # ISO date-time or ""
    genuine: bool | None = None

    @classmethod
    def parse(cls, obj, what="supply") -> Supply:
        if not isinstance(obj, dict):
            raise ProtocolError(f"{what} must be an object")
        level = _int(obj, "level", what, minimum=-3, maximum=100)
        state = _choice(obj, "level_state", what, LevelState.ALL)
        if level is not None and level < 0:  # raw Printer-MIB special values: normalise here, once
            state, level = {-1: LevelState.UNRESTRICTED, -2: LevelState.UNKNOWN, -3: LevelState.SOME}[level], None
        installed = _str(obj, "installed_at", what, max_length=40)
        if installed:
            parse_time(installed, f"{what}.installed_at")
        genuine = obj.get("genuine")
        if genuine is not None and not isinstance(genuine, bool):
            raise ProtocolError(f"{what}.genuine must be true, false or null")
        return cls(
            key=_str(obj, "key", what, required=True, max_length=64),
            description=_str(obj, "description", what),
            type=_choice(obj, "type", what, SUPPLY_TYPES, default="Other"),
            color=_str(obj, "color", what, max_length=32),
            level=level, level_state=state,
            capacity=_int(obj, "capacity", what, minimum=0),
            unit=_choice(obj, "unit", what, CAPACITY_UNITS),
            status=_str(obj, "status", what, max_length=32),
            serial=_str(obj, "serial", what, max_length=64),
            coverage=_float(obj, "coverage", what), lifetime_coverage=_float(obj, "lifetime_coverage", what),
            sides=_int(obj, "sides", what, minimum=0), installed_at=installed, genuine=genuine,
        )


@dataclass
class Alert:
    key: str                              # stable while the condition lasts (prtAlertIndex, or group+code+location)
    severity: str = Severity.WARNING
    description: str = ""                 # the "issue" text, e.g. "Tray 1 Low"
    code: str = ""                        # prtAlertCode or the printer's error code ("202.03")
    group: str = ""                       # prtAlertGroup, e.g. "input", "markerSupplies"
    supply: bool = False                  # a supply alert (vs a printer alert)
    since: str = ""                       # when the printer raised it, ISO

    @classmethod
    def parse(cls, obj, what="alert") -> Alert:
        if not isinstance(obj, dict):
            raise ProtocolError(f"{what} must be an object")
        since = _str(obj, "since", what, max_length=40)
        if since:
            parse_time(since, f"{what}.since")
        supply = obj.get("supply", False)
        if not isinstance(supply, bool):
            raise ProtocolError(f"{what}.supply must be true or false")
        return cls(key=_str(obj, "key", what, required=True, max_length=64),
                   severity=_choice(obj, "severity", what, Severity.ALL, default=Severity.WARNING),
                   description=_str(obj, "description", what), code=_str(obj, "code", what, max_length=32),
                   group=_str(obj, "group", what, max_length=32), supply=supply, since=since)


@dataclass
class DiagnosticEvent:
    key: str
    alert: str = ""
    error_code: str = ""
    error_reason: str = ""
    error_type: str = ""
    alert_type: str = ""
    page_count: int | None = None
    at: str = ""

    @classmethod
    def parse(cls, obj, what="diagnostic") -> DiagnosticEvent:
        if not isinstance(obj, dict):
            raise ProtocolError(f"{what} must be an object")
        at = _str(obj, "at", what, max_length=40)
        if at:
            parse_time(at, f"{what}.at")
        return cls(key=_str(obj, "key", what, required=True, max_length=64), alert=_str(obj, "alert", what),
                   error_code=_str(obj, "error_code", what, max_length=32),
                   error_reason=_str(obj, "error_reason", what, max_length=32),
                   error_type=_str(obj, "error_type", what, max_length=32),
                   alert_type=_str(obj, "alert_type", what, max_length=32),
                   page_count=_int(obj, "page_count", what, minimum=0), at=at)


@dataclass
class App:
    name: str
    version: str = ""
    state: str = ""                       # "running", "stopped", ...

    @classmethod
    def parse(cls, obj, what="app") -> App:
        if not isinstance(obj, dict):
            raise ProtocolError(f"{what} must be an object")
        return cls(name=_str(obj, "name", what, required=True, max_length=128),
                   version=_str(obj, "version", what, max_length=64), state=_str(obj, "state", what, max_length=32))


IDENTITY_FIELDS = ("serial", "model", "manufacturer", "mac", "ip", "hostname", "name", "location", "contact",
                   "firmware", "esf_version", "sys_object_id", "profile")


@dataclass
class PrinterIdentity:
    serial: str
    model: str = ""
    manufacturer: str = ""
    mac: str = ""
    ip: str = ""
    hostname: str = ""
    name: str = ""
    location: str = ""
    contact: str = ""
    firmware: str = ""
    esf_version: str = ""
    sys_object_id: str = ""
    profile: str = ""                     # Fleet Agent: the SNMP profile name the printer answered

    @classmethod
    def parse_identity(cls, obj, what) -> dict:
        if not isinstance(obj, dict):
            raise ProtocolError(f"{what} must be an object")
        values = {name: _str(obj, name, what, max_length=255) for name in IDENTITY_FIELDS}
        values["serial"] = _str(obj, "serial", what, required=True, max_length=64)
        return values

    @classmethod
    def parse(cls, obj, what="printer") -> PrinterIdentity:
        return cls(**cls.parse_identity(obj, what))


@dataclass
class PrinterReport(PrinterIdentity):
    """What an agent knows of one printer at `collected_at`. Lists left `None` were not collected this time
    (the server keeps what it had); an empty list means "none" (e.g. all alerts cleared)."""

    collected_at: str = ""
    status: str = PrinterStatus.UNKNOWN
    status_text: str = ""                 # control-panel text
    error_state: list[str] = field(default_factory=list)  # hrPrinterDetectedErrorState keywords
    uptime: int | None = None             # seconds since the printer started (sysUpTime / 100)
    authenticated: bool | None = None     # the agent holds working printer credentials
    counters: dict[str, int] | None = None
    paper_counts: list[dict] | None = None
    supplies: list[Supply] | None = None
    alerts: list[Alert] | None = None
    diagnostics: list[DiagnosticEvent] | None = None
    apps: list[App] | None = None

    @classmethod
    def parse(cls, obj, what="printer") -> PrinterReport:
        values = cls.parse_identity(obj, what)
        collected = _str(obj, "collected_at", what, required=True, max_length=40)
        parse_time(collected, f"{what}.collected_at")
        counters = obj.get("counters")
        if counters is not None:
            if not isinstance(counters, dict):
                raise ProtocolError(f"{what}.counters must be an object")
            unknown = sorted(set(counters) - COUNTER_SET)
            if unknown:
                raise ProtocolError(f"{what}.counters has unknown names: {', '.join(unknown[:5])}")
            counters = {name: _int(counters, name, f"{what}.counters", minimum=0, maximum=2**64)
                        for name in counters if counters[name] is not None}
        paper = _list(obj, "paper_counts", what, limit=100)
        if paper is not None:
            for item in paper:
                if not isinstance(item, dict) or set(item) - set(PAPER_COUNT_FIELDS):
                    raise ProtocolError(f"{what}.paper_counts items take only {', '.join(PAPER_COUNT_FIELDS)}")
        errors = _list(obj, "error_state", what, limit=32) or []
        if not all(isinstance(e, str) for e in errors):
            raise ProtocolError(f"{what}.error_state must be a list of strings")
        authenticated = obj.get("authenticated")
        if authenticated is not None and not isinstance(authenticated, bool):
            raise ProtocolError(f"{what}.authenticated must be true, false or null")

        def items(key, kind, limit=200):
            raw = _list(obj, key, what, limit=limit)
            return None if raw is None else [kind.parse(item, f"{what}.{key}[{i}]") for i, item in enumerate(raw)]

        return cls(**values, collected_at=collected,
                   status=_choice(obj, "status", what, PrinterStatus.ALL, default=PrinterStatus.UNKNOWN),
                   status_text=_str(obj, "status_text", what), error_state=errors,
                   uptime=_int(obj, "uptime", what, minimum=0), authenticated=authenticated,
                   counters=counters, paper_counts=paper, supplies=items("supplies", Supply),
                   alerts=items("alerts", Alert), diagnostics=items("diagnostics", DiagnosticEvent),
                   apps=items("apps", App))

    @property
    def collected(self) -> datetime:
        return parse_time(self.collected_at, "collected_at")


@dataclass
class Telemetry:
    printers: list[PrinterReport]

    @classmethod
    def parse(cls, body) -> Telemetry:
        raw = _list(body, "printers", "body", limit=MAX_PRINTERS_PER_MESSAGE)
        if not raw:
            raise ProtocolError("body.printers must list at least one printer report")
        return cls([PrinterReport.parse(p, f"printers[{i}]") for i, p in enumerate(raw)])


@dataclass
class Enroll:
    printers: list[PrinterIdentity]
    job: int | None = None                # the discovery job this answers, if any

    @classmethod
    def parse(cls, body) -> Enroll:
        raw = _list(body, "printers", "body", limit=MAX_PRINTERS_PER_MESSAGE)
        if raw is None:
            raise ProtocolError("body.printers is required")
        return cls([PrinterIdentity.parse(p, f"printers[{i}]") for i, p in enumerate(raw)],
                   job=_int(body, "job", "body", minimum=1))


@dataclass
class Heartbeat:
    version: str = ""
    status: str = "ok"
    printers: int | None = None           # how many printers the agent manages now

    @classmethod
    def parse(cls, body) -> Heartbeat:
        return cls(version=_str(body, "version", "body", max_length=32),
                   status=_str(body, "status", "body", max_length=32) or "ok",
                   printers=_int(body, "printers", "body", minimum=0))


@dataclass
class Event:
    job: int
    state: str
    progress: int | None = None           # percent done
    message: str = ""
    result: dict = field(default_factory=dict)   # command-specific (e.g. {"file": "<upload id>"})

    @classmethod
    def parse(cls, body) -> Event:
        result = body.get("result") or {}
        if not isinstance(result, dict):
            raise ProtocolError("body.result must be an object")
        job = _int(body, "job", "body", minimum=1)
        if job is None:
            raise ProtocolError("body.job is required")
        state = _choice(body, "state", "body", JobState.ALL) or _missing("body.state")
        return cls(job=job, state=state, progress=_int(body, "progress", "body", minimum=0, maximum=100),
                   message=_str(body, "message", "body", max_length=1000), result=result)


def _missing(what):
    raise ProtocolError(f"{what} is required")


@dataclass
class CommandMessage:
    job: int
    command: str
    printers: list[str] = field(default_factory=list)   # serial numbers; empty = the agent itself / all
    args: dict = field(default_factory=dict)
    expires_at: str = ""

    @classmethod
    def parse(cls, body) -> CommandMessage:
        job = _int(body, "job", "body", minimum=1)
        if job is None:
            raise ProtocolError("body.job is required")
        printers = _list(body, "printers", "body", limit=10000) or []
        if not all(isinstance(s, str) for s in printers):
            raise ProtocolError("body.printers must be serial numbers")
        args = body.get("args") or {}
        if not isinstance(args, dict):
            raise ProtocolError("body.args must be an object")
        return cls(job=job, command=_choice(body, "command", "body", Command.ALL) or _missing("body.command"),
                   printers=printers, args=args, expires_at=_str(body, "expires_at", "body", max_length=40))


BODIES = {MessageType.TELEMETRY: Telemetry, MessageType.ENROLL: Enroll, MessageType.HEARTBEAT: Heartbeat,
          MessageType.EVENT: Event, MessageType.COMMAND: CommandMessage}


# ---------------------------------------------------------------------------------------------- envelope
@dataclass
class Message:
    type: str
    agent: str
    body: object
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: str = field(default_factory=now_iso)
    v: int = PROTOCOL_VERSION

    @property
    def sent(self) -> datetime:
        return parse_time(self.sent_at, "sent_at")

    def to_dict(self) -> dict:
        return {"v": self.v, "type": self.type, "id": self.id, "agent": self.agent, "sent_at": self.sent_at,
                "body": _plain(self.body)}

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _plain(body):
    """A body dataclass as JSON-ready data, leaving out keys whose value is None or empty text (the
    receiver's defaults), so messages stay small."""
    if hasattr(body, "__dataclass_fields__"):
        body = asdict(body)

    def prune(value):
        if isinstance(value, dict):
            return {k: prune(v) for k, v in value.items() if v is not None and v != ""}
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    return prune(body)


def decode(payload: bytes | str | dict, *, upstream: bool = True) -> Message:
    """A message from the wire, checked: raises ProtocolError with a readable reason."""
    if isinstance(payload, bytes | bytearray):
        if len(payload) > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message larger than {MAX_MESSAGE_BYTES} bytes")
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("message is not UTF-8") from None
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError as exc:
            raise ProtocolError(f"message is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise ProtocolError("message must be a JSON object")
    version = payload.get("v")
    if version not in SUPPORTED_VERSIONS:
        raise ProtocolError(f"unsupported protocol version {version!r} (supported: {sorted(SUPPORTED_VERSIONS)})")
    kind = payload.get("type")
    allowed = MessageType.UPSTREAM if upstream else MessageType.ALL
    if kind not in allowed:
        raise ProtocolError(f"unknown message type {str(kind)[:40]!r}")
    message_id = _str(payload, "id", "message", required=True, max_length=64)
    agent = _str(payload, "agent", "message", required=True, max_length=64)
    sent_at = _str(payload, "sent_at", "message", required=True, max_length=40)
    parse_time(sent_at, "sent_at")
    body = payload.get("body")
    if not isinstance(body, dict):
        raise ProtocolError("message.body must be an object")
    return Message(type=kind, agent=agent, body=BODIES[kind].parse(body), id=message_id, sent_at=sent_at,
                   v=version)


def field_names(kind) -> tuple[str, ...]:
    return tuple(f.name for f in fields(kind))
