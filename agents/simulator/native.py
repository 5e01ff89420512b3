"""Native-Agent printers: simulated printers whose own firmware agent enrolls itself with the organization's
enrollment code (its serial number pre-enrolled in the portal) and then publishes telemetry, heartbeats and
events with its own credentials over MQTT (REST as fallback), taking commands (refresh, log collection...).

    fleet = SimulatedFleet(printers=10, first_address="127.0.1.1", port=16161)
    with fleet.running(speed=60):
        native = NativePrinters(fleet, "http://127.0.0.1:8000", "K7PQ2M", state_root=Path("native"),
                                indexes=range(3))
        with native.running():
            ...

Each printer's agent is the shared agent runtime (agents.core, kind "native") whose only printer is itself:
it reads its own data by polling its own simulated SNMP responder on loopback through agents.snmp, as
firmware reads its own state, so the report mapping is the one the Fleet Agent uses. All the runtimes share
one asyncio loop in one thread (one SNMP socket and pysnmp engine, one pool of worker threads for the
blocking REST and MQTT calls); each keeps its own state directory (credentials, outbox, log). MQTT costs one
paho network thread per printer.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from agents.core.collector import SnmpCollector
from agents.core.config import NATIVE, AgentConfig, WebSettings
from agents.core.runner import AgentRuntime

from .device import SimulatedPrinter
from .fleet import SimulatedFleet
from .responder import SimulatorError

log = logging.getLogger("agents.simulator")

DEFAULT_POLLING_MINUTES = 1.0      # firmware reads itself cheaply; the reporting rule decides what is sent
SNMP_TIMEOUT, SNMP_RETRIES = 2.0, 1
MAX_WORKERS = 64
ENROLL_WAIT = 10.0                 # seconds a printer may take to enroll before the next one starts anyway


class SelfCollector(SnmpCollector):
    """The SNMP collector of one printer reading itself: never backs off from its own address (it is not a
    dead host of a discovery range), and leaves the loop's shared SNMP socket open when its runtime stops
    (NativePrinters closes it once, after the last runtime)."""

    def __init__(self):
        super().__init__(None)
        self.backoff = self.snmp.Backoff(base=0, maximum=0)

    def close(self) -> None:
        """Shared with the other printers of the loop: see NativePrinters._run_all."""


def native_config(device: SimulatedPrinter, port: int, server: str, enrollment_code: str, state_dir: Path, *,
                  mqtt_url: str | None = None, **options) -> AgentConfig:
    """The agent configuration a Native-Agent printer carries: its serial, the enrollment code, the server,
    and itself as the only printer (v2c with its own community, on the fleet's UDP port). `mqtt_url` None
    takes the broker the server names at enrollment, "-" means REST only. The local page stays off."""
    values = {"polling_interval_minutes": DEFAULT_POLLING_MINUTES, **options}
    return AgentConfig(kind=NATIVE, state_dir=Path(state_dir), server=server, enrollment_code=enrollment_code,
                       serial=device.serial, host_name=device.hostname, mqtt_url=mqtt_url or "",
                       printers=[{"address": device.address, "port": port, "version": "v2c",
                                  "community": device.community, "timeout": SNMP_TIMEOUT,
                                  "retries": SNMP_RETRIES}],
                       web=WebSettings(enabled=False), **values)


class NativePrinters:
    """Native-Agent printers among a running SimulatedFleet: `indexes` are 0-based positions in
    `fleet.devices`. `start()` returns at once (enrollment and reporting go on in the background); `stop()`
    stops every runtime and waits. `options` are AgentConfig fields for all of them (timings, ...)."""

    def __init__(self, fleet: SimulatedFleet, server: str, enrollment_code: str, *, mqtt_url: str | None = None,
                 state_root: str | Path, indexes: Iterable[int], **options):
        self.fleet, self.server, self.enrollment_code = fleet, server.rstrip("/"), enrollment_code
        self.mqtt_url, self.state_root, self.options = mqtt_url, Path(state_root), options
        self.indexes = sorted(set(indexes))
        bad = [i for i in self.indexes if not 0 <= i < len(fleet.devices)]
        if bad:
            raise SimulatorError(f"native printers {bad} are not in the fleet of {len(fleet.devices)} printers")
        if not self.server or not enrollment_code:
            raise SimulatorError("Native-Agent printers need the server URL and the organization's enrollment code")
        self.runtimes: dict[str, AgentRuntime] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def devices(self) -> list[SimulatedPrinter]:
        return [self.fleet.devices[i] for i in self.indexes]

    def start(self) -> NativePrinters:
        """Build one runtime per printer (the fleet must be serving: its UDP port is known then) and run them
        all on one loop in a background thread."""
        if self._thread is not None:
            raise SimulatorError("the native printers are already running")
        if self.fleet.responder is None:
            raise SimulatorError("start the fleet before its Native-Agent printers (they poll themselves over SNMP)")
        for device in self.devices:
            config = native_config(device, self.fleet.port, self.server, self.enrollment_code,
                                   self.state_root / device.serial, mqtt_url=self.mqtt_url, **self.options)
            self.runtimes[device.serial] = AgentRuntime(config, SelfCollector())
        self._thread = threading.Thread(target=self._main, name="native-printers", daemon=True)
        self._thread.start()
        log.info("%d Native-Agent printer(s) enrolling with %s (state in %s)", len(self.runtimes), self.server,
                 self.state_root)
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self.loop = loop
        loop.set_default_executor(ThreadPoolExecutor(max_workers=min(MAX_WORKERS, 4 + 2 * len(self.runtimes)),
                                                     thread_name_prefix="native-io"))
        try:
            loop.run_until_complete(self._run_all())
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    async def _run_all(self) -> None:
        """Every runtime as a task of this loop (each in its own context, so each logs to its own file),
        started one after the other: real printers enroll from as many addresses, but here they all come
        from 127.0.0.1, and the server allows few enrollment attempts at a time per address."""
        from agents import snmp

        tasks = {}
        try:
            for serial, runtime in self.runtimes.items():
                if self._stopping.is_set():
                    break
                tasks[serial] = asyncio.ensure_future(runtime.run())
                await self._enrolled_or_failed(runtime, tasks[serial])
            results = await asyncio.gather(*tasks.values(), return_exceptions=True)
            for serial, result in zip(tasks, results, strict=True):
                if isinstance(result, BaseException):
                    log.error("Native-Agent printer %s stopped: %r", serial, result)
        finally:
            for task in tasks.values():
                task.cancel()
            snmp.close_engine()

    async def _enrolled_or_failed(self, runtime: AgentRuntime, task: asyncio.Future) -> None:
        """Wait until the runtime runs (enrolled), was refused, stopped, or ENROLL_WAIT passed."""
        deadline = asyncio.get_running_loop().time() + ENROLL_WAIT
        while not (runtime.started.is_set() or runtime.phase in ("Activation failed", "Stopped") or task.done()
                   or self._stopping.is_set()):
            if asyncio.get_running_loop().time() >= deadline:
                return
            await asyncio.sleep(0.02)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every runtime (each delivers what it can within a few seconds) and wait for the thread."""
        self._stopping.set()
        for runtime in self.runtimes.values():
            runtime.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("Native-Agent printers did not stop within %.0f s", timeout)
            self._thread = None

    @contextmanager
    def running(self) -> Iterator[NativePrinters]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def runtime(self, serial: str) -> AgentRuntime:
        return self.runtimes[serial]

    def wait_running(self, timeout: float = 30.0) -> bool:
        """True once every printer is enrolled and its transport runs (False when the time is up)."""
        import time

        deadline = time.monotonic() + timeout
        return all(r.started.wait(max(0.0, deadline - time.monotonic())) for r in self.runtimes.values())

    def status(self) -> list[dict]:
        """One line per printer: serial, address, agent state, error, device id and route."""
        rows = []
        for device in self.devices:
            runtime = self.runtimes.get(device.serial)
            state = runtime.status() if runtime is not None else {}
            rows.append({"serial": device.serial, "address": device.address, "state": state.get("state", ""),
                         "error": state.get("error", ""), "device_id": state.get("device_id", ""),
                         "route": state.get("route", ""), "queued": state.get("queued", 0)})
        return rows
