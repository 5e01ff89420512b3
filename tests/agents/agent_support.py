"""Helpers for the agent runtime tests: a small collector standing in for agents.snmp (the SNMP side has its own
tests against the simulator), an agent runtime running in a thread, a free-port finder and a waiter."""
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agents.core.config import AgentConfig, WebSettings
from agents.core.runner import AgentRuntime, run_in_thread
from agents.protocol import PrinterIdentity, PrinterReport, Supply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_url(scheme="http") -> str:
    """A loopback URL where nothing listens (the server or broker is "down")."""
    return f"{scheme}://127.0.0.1:{free_port()}"


def wait_until(predicate, timeout=15.0, what="condition"):
    """Poll `predicate` until true. SQLite's shared in-memory test database answers "table is locked" to a
    read while the live server writes from another connection: such a read is simply tried again."""
    from django.db import OperationalError

    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except OperationalError as error:
            if "locked" not in str(error):
                raise
            value = None
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@dataclass
class FakeProfile:
    name: str = "Default"
    port: int = 161


@dataclass
class FakeFound:
    address: str
    profile: FakeProfile
    identity: PrinterIdentity


@dataclass
class FakePrinter:
    serial: str
    address: str
    model: str = "CX725ade"
    black: int = 80
    lifetime: int = 1000
    answers: bool = True


@dataclass
class FakeCollector:
    """The collector interface (agents.core.collector.Collector) over in-memory printers."""

    printers: list[FakePrinter] = field(default_factory=list)
    polls: list[str] = field(default_factory=list)
    sent: dict = field(default_factory=dict)     # serial -> last black level reported (the "policy")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def profile(self, definition, name="", inline=None):
        return FakeProfile(name=name or "Default", port=int((inline or {}).get("port", 161)))

    def targets(self, definition):
        return [(p.address, FakeProfile()) for p in self.printers]

    async def discover(self, targets, *, concurrency, delay_ms):
        wanted = {address for address, _ in targets}
        return [FakeFound(p.address, FakeProfile(), PrinterIdentity(serial=p.serial, model=p.model,
                                                                    manufacturer="Lexmark", ip=p.address))
                for p in self.printers if p.address in wanted and p.answers]

    def _printer(self, serial):
        return next(p for p in self.printers if p.serial == serial)

    async def poll(self, address, profile, serial, identity=None):
        printer = self._printer(serial)
        with self.lock:
            self.polls.append(serial)
        if not printer.answers:
            raise TimeoutError("no SNMP answer")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return PrinterReport(serial=serial, model=printer.model, ip=address, collected_at=now, status="ready",
                             counters={"lifetimeCount": printer.lifetime},
                             supplies=[Supply(key="1", type="Toner", color="Black", level=printer.black,
                                              description="Black Cartridge")], alerts=[])

    def due(self, serial, report, now, refresh=False):
        level = report.supplies[0].level
        if refresh or self.sent.get(serial) != level:
            self.sent[serial] = level
            return True
        return False

    async def mib_walk(self, address, profile):
        return f".1.3.6.1.2.1.1.1.0 = STRING: \"Lexmark {address}\"\n"


def agent_config(tmp_path, *, kind="fleet", server="", code="", mqtt_url="-", web=False, **options) -> AgentConfig:
    """Fast timings: commands polled twice a second, back-off from 0.2 s, heartbeats rarely."""
    defaults = dict(rest_poll_seconds=0.5, backoff_min=0.2, backoff_max=1.0, mqtt_grace_seconds=1.0,
                    heartbeat_seconds=3600, http_timeout=5.0)
    return AgentConfig(kind=kind, state_dir=tmp_path / f"{kind}-agent", server=server, activation_code=code,
                       mqtt_url=mqtt_url, web=WebSettings(enabled=web, port=free_port() if web else 80),
                       **{**defaults, **options})


class Running:
    """An agent runtime in a thread; `stop()` waits for it to finish."""

    def __init__(self, config: AgentConfig, collector=None):
        self.runtime = AgentRuntime(config, collector or FakeCollector())
        self.thread = run_in_thread(self.runtime)

    def wait_started(self, timeout=15.0):
        assert self.runtime.started.wait(timeout), self.runtime.status()
        return self

    def stop(self, timeout=20.0):
        self.runtime.stop()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the agent did not stop"


def start_agent(config, collector=None) -> Running:
    return Running(config, collector)
