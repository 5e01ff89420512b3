"""An agent's configuration (TOML file and command-line options) and its state directory: the credentials
issued at activation (kept in a 0600 file), the cached definition, the managed printers, the outbox and the
log. Everything an agent must remember across restarts lives in that one directory."""
from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

FLEET, LOCAL, NATIVE = "fleet", "local", "native"
CREDENTIALS_FILE = "credentials.json"
DEFINITION_FILE = "definition.json"
PRINTERS_FILE = "printers.json"
OUTBOX_FILE = "outbox.sqlite3"
LOG_FILE = "agent.log"
SCHEDULE_FILE = "schedule.json"
DEACTIVATED_FILE = "deactivated.json"
DEFAULT_WEB_PORT = 80
DEFAULT_LOCAL_POLLING_MINUTES = 180


def default_state_dir(kind: str) -> Path:
    """Where an agent keeps its state when not told: $LEXCLOUD_AGENT_HOME, else a per-user directory (so the
    agent runs unprivileged; a service install passes --state-dir /var/lib/...)."""
    root = os.environ.get("LEXCLOUD_AGENT_HOME")
    if root:
        return Path(root)
    base = os.environ.get("XDG_STATE_HOME") or os.environ.get("LOCALAPPDATA") or str(Path.home() / ".local/state")
    return Path(base) / f"lexcloud-{kind}-agent"


@dataclass
class WebSettings:
    """The local web page: port 80 and local-host-only unless configured otherwise; optional password."""

    enabled: bool = True
    port: int = DEFAULT_WEB_PORT
    bind: str = "127.0.0.1"
    password: str = ""


@dataclass
class AgentConfig:
    """What the operator configures (file or options). The server sends the rest in the definition."""

    kind: str = FLEET
    state_dir: Path = field(default_factory=lambda: default_state_dir(FLEET))
    server: str = ""                      # https://lexcloud.example.test (used for activation)
    activation_code: str = ""             # silent activation on first start
    host_name: str = ""
    mqtt_url: str = ""                    # overrides the broker named at activation ("-" = REST only)
    verify_tls: bool = True
    ca_file: str = ""                     # CA bundle for the server and the broker
    client_cert: str = ""                 # MQTT client certificate (X.509 device identity), optional
    client_key: str = ""
    proxy: str = ""                       # http(s) proxy for REST, e.g. http://proxy.example:3128
    http_timeout: float = 30.0
    log_level: str = ""                   # overrides the definition's log level (debug, info, ...)
    polling_interval_minutes: int | None = None   # Local Agent: overrides the definition
    heartbeat_seconds: float = 300.0
    rest_poll_seconds: float = 60.0       # REST command poll while MQTT is down (and at most this often)
    command_check_seconds: float = 900.0  # REST command poll even while MQTT is up (missed messages)
    definition_check_seconds: float = 3600.0
    backoff_min: float = 1.0              # reconnect back-off, seconds (doubles up to backoff_max)
    backoff_max: float = 300.0
    mqtt_grace_seconds: float = 10.0      # how long a configured broker may be down before REST takes over
    printers: list[dict] = field(default_factory=list)   # Local Agent: [{address, port, version, community...}]
    serial: str = ""                      # Native Agent: the printer's own serial number (pre-enrolled)
    enrollment_code: str = ""             # Native Agent: the organization's enrollment code
    web: WebSettings = field(default_factory=WebSettings)

    @property
    def silent_code(self) -> str:
        """The code this configuration activates with on its own: the enrollment code of a Native Agent,
        the activation code of the others."""
        return (self.enrollment_code if self.kind == NATIVE else self.activation_code).strip()

    @classmethod
    def load(cls, path: str | Path | None, kind: str, **overrides) -> AgentConfig:
        """The file (if any) with the options given on the command line on top (None = not given)."""
        data: dict = {}
        if path:
            with open(path, "rb") as handle:
                data = tomllib.load(handle)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{path}: unknown settings {', '.join(unknown)}")
        web = WebSettings(**data.pop("web", {"enabled": kind != NATIVE}))   # a printer has its own page
        config = cls(kind=kind, web=web, **{k: v for k, v in data.items() if k != "kind"})
        for name, value in overrides.items():
            if value is None:
                continue
            if name.startswith("web_"):
                setattr(config.web, name[4:], value)
            else:
                setattr(config, name, value)
        if "state_dir" not in data and overrides.get("state_dir") is None:
            config.state_dir = default_state_dir(kind)
        config.state_dir = Path(config.state_dir).expanduser()
        return config


@dataclass
class Credentials:
    """What activation hands out; the secret authenticates the agent (HTTP Basic, broker password)."""

    device_id: str
    secret: str
    server: str
    mqtt_url: str = ""
    organization: dict = field(default_factory=dict)
    agent: dict = field(default_factory=dict)
    definition_url: str = ""
    activated_at: str = ""


def write_private(path: Path, data: dict) -> None:
    """Write JSON atomically with mode 0600 from the start (the file holds secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(temporary, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:
        return None


class StateDir:
    """The agent's directory: credentials, cached definition, managed printers."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.path, 0o700)
        except OSError:
            pass

    def file(self, name: str) -> Path:
        return self.path / name

    @property
    def log_file(self) -> Path:
        return self.file(LOG_FILE)

    @property
    def outbox_file(self) -> Path:
        return self.file(OUTBOX_FILE)

    def credentials(self) -> Credentials | None:
        data = read_json(self.file(CREDENTIALS_FILE))
        if not data or not data.get("device_id") or not data.get("secret"):
            return None
        return Credentials(**{k: v for k, v in data.items() if k in {f.name for f in fields(Credentials)}})

    def save_credentials(self, credentials: Credentials) -> None:
        write_private(self.file(CREDENTIALS_FILE), asdict(credentials))

    def forget(self) -> None:
        """Deactivation: the credentials and everything learned with them go; the log stays for support."""
        for name in (CREDENTIALS_FILE, DEFINITION_FILE, PRINTERS_FILE, SCHEDULE_FILE, DEACTIVATED_FILE,
                     OUTBOX_FILE, OUTBOX_FILE + "-wal", OUTBOX_FILE + "-shm"):
            self.file(name).unlink(missing_ok=True)

    def mark_deactivated(self, code: str, at: str) -> None:
        """Remember that the server deactivated this installation, so that a restart does not activate it
        again silently with the same code from the configuration file (a Local Agent code may have
        activations left)."""
        write_private(self.file(DEACTIVATED_FILE), {"code": code, "at": at})

    def deactivated_code(self) -> str | None:
        data = read_json(self.file(DEACTIVATED_FILE))
        return None if data is None else str(data.get("code") or "")

    def definition(self) -> dict | None:
        return read_json(self.file(DEFINITION_FILE))

    def save_definition(self, definition: dict) -> None:
        write_private(self.file(DEFINITION_FILE), definition)   # holds SNMP community names and keys

    def printers(self) -> dict:
        return read_json(self.file(PRINTERS_FILE)) or {}

    def save_printers(self, printers: dict) -> None:
        write_private(self.file(PRINTERS_FILE), printers)
