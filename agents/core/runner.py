"""The main loop shared by the Fleet Agent and the Local Agent: wait for activation (or activate silently from
the configuration), read the definition, then run side by side: delivery of the outbox (MQTT or REST, with
back-off), commands (MQTT subscription and REST polling, deduplicated), heartbeats, discovery (Fleet Agent,
per the definition's schedule) or configured printers (Local Agent), polling per the interval, and periodic
re-reads of the definition. One asyncio loop; blocking network calls run in worker threads."""
from __future__ import annotations

import asyncio
import contextvars
import logging
import logging.handlers
import threading
import time
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from .. import __version__, protocol
from ..protocol import (
    Command,
    Enroll,
    Event,
    Heartbeat,
    JobState,
    Message,
    MessageType,
    PrinterReport,
    Telemetry,
)
from .activation import ActivationFailed, client_for, ensure_activated, fetch_definition
from .collector import Collector, profile_name
from .commands import Dispatcher, Outcome
from .config import (
    FLEET,
    LOCAL,
    NATIVE,
    SCHEDULE_FILE,
    AgentConfig,
    Credentials,
    StateDir,
    read_json,
    write_private,
)
from .http import HttpError, RestClient, Unreachable
from .outbox import Outbox
from .transport import CredentialsRejected, Transport, TransportSettings, check_broker, check_server
from .webpage import LocalPage, start_page

log = logging.getLogger("agents.runtime")

REPORTS_PER_MESSAGE = 100            # telemetry batch size (well under MAX_PRINTERS_PER_MESSAGE and 4 MB)
POLL_CONCURRENCY = 50
DISCOVERY_CONCURRENCY = 50
LOG_BYTES, LOG_BACKUPS = 5 * 1024 * 1024, 3
UPLOAD_LIMIT = 45 * 1024 * 1024      # the server refuses job files above 50 MB
TITLES = {FLEET: "Lexcloud Fleet Agent", LOCAL: "Lexcloud Local Agent", NATIVE: "Lexcloud Native Agent"}
SELF_POLLING = (LOCAL, NATIVE)       # kinds that poll configured printers instead of discovering a range
LEVELS = {"summary": logging.INFO, "detailed": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO,
          "warning": logging.WARNING, "error": logging.ERROR}


_running: contextvars.ContextVar = contextvars.ContextVar("agent_runtime", default=None)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: float | None) -> str:
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class AgentRuntime:
    """One agent process. `collector` does the SNMP work (agents.core.collector)."""

    def __init__(self, config: AgentConfig, collector: Collector | None = None, *, version: str = __version__):
        self.config, self.version = config, version
        self.state = StateDir(config.state_dir)
        self._collector = collector
        self.credentials: Credentials | None = None
        self.rest: RestClient | None = None
        self.definition: dict = {}
        self.outbox: Outbox | None = None
        self.transport: Transport | None = None
        self.dispatcher: Dispatcher | None = None
        self.page: LocalPage | None = None
        self.printers: dict[str, dict] = {}
        self.phase, self.error = "Starting", ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.started = threading.Event()     # set once the transport runs (tests wait on it)
        self._log_handler: logging.Handler | None = None
        self._stop: asyncio.Event | None = None
        self._wake_delivery: asyncio.Event | None = None
        self._wake_commands: asyncio.Event | None = None
        self._commands: asyncio.Queue | None = None
        self._tasks: set[asyncio.Task] = set()
        self._deactivate = False
        self._rejected = False
        self._stop_requested = False
        self.received: dict[str, int] = {}   # commands received per way (mqtt / rest), duplicates included

    # ------------------------------------------------------------------------------------------ plumbing
    @property
    def collector(self) -> Collector:
        if self._collector is None:
            from .collector import SnmpCollector

            self._collector = SnmpCollector(self.state.file("discovery-backoff.json"))
        return self._collector

    def stop(self) -> None:
        """Thread-safe: ask the loop to finish (signal handlers, tests, the deactivate command)."""
        self._stop_requested = True
        if self.loop and self._stop:
            self.loop.call_soon_threadsafe(self._stop.set)

    def _wake(self, event: asyncio.Event | None) -> None:
        """Set an asyncio event from any thread (paho's network thread calls this)."""
        if self.loop and event is not None:
            self.loop.call_soon_threadsafe(event.set)

    def _spawn(self, coroutine) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pause(self, seconds: float, *events: asyncio.Event) -> None:
        """Sleep until `seconds` pass, the agent stops, or one of `events` is set (which is then cleared)."""
        waiters = [asyncio.ensure_future(e.wait()) for e in (self._stop, *events)]
        try:
            await asyncio.wait(waiters, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        for event in events:
            event.clear()

    @property
    def stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    # ------------------------------------------------------------------------------------------ logging
    def _configure_logging(self) -> None:
        handler = logging.handlers.RotatingFileHandler(self.state.log_file, maxBytes=LOG_BYTES,
                                                       backupCount=LOG_BACKUPS, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        # several runtimes in one process (Native-Agent printers of the simulator) share the "agents"
        # logger: each file takes its own runtime's records (and those of threads outside any runtime)
        handler.addFilter(lambda record: _running.get() in (None, self))
        logging.getLogger("agents").addHandler(handler)
        self._log_handler = handler
        self._apply_log_level()

    def _apply_log_level(self) -> None:
        name = (self.config.log_level or self.definition.get("log_level") or "summary").lower()
        level = LEVELS.get(name, logging.INFO)
        logging.getLogger("agents").setLevel(level)
        if self._log_handler:
            self._log_handler.setLevel(level)

    # ------------------------------------------------------------------------------------------ status page
    def status(self) -> dict:
        """What the local page shows."""
        transport = self.transport
        credentials = self.credentials
        broker = transport.settings.mqtt_url if transport else self._mqtt_url()
        return {
            "state": self.phase, "activation": "Activated" if credentials else "Activation required",
            "kind": self.config.kind, "agent_name": (credentials.agent.get("name", "") if credentials else ""),
            "organization": (credentials.organization.get("name", "") if credentials else ""),
            "device_id": credentials.device_id if credentials else "", "version": self.version,
            "last_communication": iso(transport.last_communication) if transport else "",
            "server": credentials.server if credentials else self.config.server,
            "broker": (f"{broker} ({'connected' if transport and transport.mqtt_connected else 'not connected'})"
                       if broker else "none (REST only)"),
            "route": transport.route if transport else "", "queued": len(self.outbox) if self.outbox else 0,
            "printers": len(self.printers), "log_level": self.definition.get("log_level", ""),
            "definition_version": self.definition.get("definition_version"),
            "proxy": self.config.proxy or "No proxy", "error": self.error,
            "commands_received": dict(self.received),
        }

    def test_connection(self) -> dict:
        """Test Agent Connection: the server (REST, with the agent's credentials) and the broker."""
        credentials = self.credentials
        rest = client_for(self.config, credentials)
        checks = {"Server": check_server(rest, activated=credentials is not None)}
        url = self._mqtt_url()
        if url:
            checks["Broker"] = check_broker(url, credentials.device_id if credentials else "",
                                            credentials.secret if credentials else "", self._transport_settings())
        return checks

    # ------------------------------------------------------------------------------------------ main
    def _mqtt_url(self) -> str:
        if self.config.mqtt_url:
            return "" if self.config.mqtt_url == "-" else self.config.mqtt_url
        return self.credentials.mqtt_url if self.credentials else ""

    def _transport_settings(self) -> TransportSettings:
        c = self.config
        return TransportSettings(mqtt_url=self._mqtt_url(), verify_tls=c.verify_tls, ca_file=c.ca_file,
                                 client_cert=c.client_cert, client_key=c.client_key, backoff_min=c.backoff_min,
                                 backoff_max=c.backoff_max, mqtt_grace_seconds=c.mqtt_grace_seconds)

    def run_forever(self) -> int:
        """Run until stopped (CLI): 0 on a clean stop."""
        return asyncio.run(self.run())

    async def run(self) -> int:
        self.loop = asyncio.get_running_loop()
        _running.set(self)   # this task's context: its child tasks and worker threads inherit it
        self._stop, self._wake_delivery, self._wake_commands = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._commands = asyncio.Queue()
        if self._stop_requested:
            self._stop.set()
        self._configure_logging()
        web = self.config.web
        if web.enabled:
            self.page = start_page(self.status, self.test_connection, bind=web.bind, port=web.port,
                                   password=web.password, title=TITLES.get(self.config.kind, TITLES[FLEET]))
        try:
            if await self._activation() and not self.stopping:
                await self._serve()
        finally:
            await self._shutdown()
        return 0

    async def _activation(self) -> bool:
        """Credentials from disk, or silent activation from the configured code; otherwise wait for them.
        A refused code is tried again after a minute, an unreachable or failing server sooner (back-off)."""
        backoff = self.config.backoff_min
        while not self.stopping:
            try:
                identity = await self._own_identity()
                self.credentials = await asyncio.to_thread(ensure_activated, self.config, self.state, identity)
            except ActivationFailed as error:
                self.phase, self.error = "Activation failed", str(error)
                log.error("activation failed: %s", error)
                await self._pause(min(backoff, 60) if error.transient else 60)
                backoff = min(backoff * 2, 60)
                continue
            if self.credentials:
                return True
            self.phase = "Deactivated" if self.state.deactivated_code() is not None else "Activation required"
            await self._pause(2)   # `activate` run from another shell writes the credentials file
        return False

    async def _own_identity(self) -> dict | None:
        """A Native-Agent printer about to enroll reads who it is (serial, model, MAC, firmware...) the way
        it reads everything else, through the collector; None for the other kinds or once enrolled."""
        if self.config.kind != NATIVE or self.state.credentials() is not None:
            return None
        try:
            found = await self.collector.discover(self._targets(), concurrency=1, delay_ms=0)
        except Exception as error:
            log.warning("could not read the printer's own identity: %s", error)
            return None
        return asdict(found[0].identity) if found else None

    async def _serve(self) -> None:
        self.outbox = Outbox(self.state.outbox_file)
        self.outbox.forget_old_jobs()
        self.printers = self.state.printers()
        self.definition = self.state.definition() or {}
        self.rest = client_for(self.config, self.credentials)
        await self._read_definition()
        self.transport = Transport(self.credentials.device_id, self.credentials.secret, self.rest, self.outbox,
                                   self._transport_settings(), on_command=lambda c: self._command_arrived(c, "mqtt"),
                                   on_connected=self._broker_connected)
        self.dispatcher = Dispatcher(self._handlers(), self._emit_event, self.outbox.first_sight)
        self.transport.start()
        self.phase = "Running"
        self._queue_heartbeat()
        for loop in (self._deliver_loop, self._command_poll_loop, self._command_loop, self._heartbeat_loop,
                     self._definition_loop, self._collect_loop):
            self._spawn(loop())
        self.started.set()
        log.info("%s agent %s running (version %s)", self.config.kind, self.credentials.device_id, self.version)
        await self._stop.wait()
        await self._cancel_tasks()
        if self._deactivate:
            await self._forget()

    async def _cancel_tasks(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _shutdown(self) -> None:
        await self._cancel_tasks()
        if self.transport:
            if self.outbox and len(self.outbox) and not self._deactivate:
                try:   # a last chance for what is queued; the rest waits on disk for the next start
                    await asyncio.wait_for(asyncio.to_thread(self.transport.deliver), 5)
                except Exception:
                    pass
            await asyncio.to_thread(self.transport.stop)
        if self.outbox:
            self.outbox.close()
        close = getattr(self._collector, "close", None)
        if close is not None:
            try:
                close()
            except Exception:
                log.debug("collector close failed", exc_info=True)
        if self.page:
            self.page.stop()
        self.phase = "Deactivated" if self._deactivate else "Stopped"
        if self._log_handler:
            logging.getLogger("agents").removeHandler(self._log_handler)
            self._log_handler.close()

    # ------------------------------------------------------------------------------------------ definition
    async def _read_definition(self) -> bool:
        """GET definition; on failure keep the cached one. True when a new version was applied."""
        try:
            definition = await asyncio.to_thread(fetch_definition, self.rest, self.state)
        except HttpError as error:
            if error.status == 401:
                self._credentials_rejected(str(error))
            log.warning("definition not read: %s", error)
            return False
        except Unreachable as error:
            log.warning("definition not read (server unreachable, using the cached one): %s", error)
            return False
        changed = definition.get("definition_version") != self.definition.get("definition_version")
        self.definition = definition
        self._apply_log_level()
        if changed:
            log.info("definition version %s applied", definition.get("definition_version"))
        return changed

    def _interval_minutes(self) -> float:
        if self.config.kind in SELF_POLLING:
            return float(self.config.polling_interval_minutes or self.definition.get("polling_interval_minutes")
                         or 180)
        return float(self.definition.get("refresh_interval_minutes") or self.config.polling_interval_minutes
                     or 60)

    # ------------------------------------------------------------------------------------------ outbox
    def _queue(self, kind: str, body: Any) -> Message:
        message = Message(type=kind, agent=self.credentials.device_id, body=body)
        self.outbox.put(message)
        self._wake(self._wake_delivery)
        return message

    def _emit_event(self, event: Event) -> None:
        self._queue(MessageType.EVENT, event)

    def _queue_heartbeat(self) -> None:
        """A heartbeat, unless one still waits in the outbox (no pile of them after a long outage)."""
        if any(item.type == MessageType.HEARTBEAT for item in self.outbox.peek(1000)):
            return
        self._queue(MessageType.HEARTBEAT, Heartbeat(version=self.version, status="ok",
                                                      printers=len(self.printers)))

    def _credentials_rejected(self, text: str) -> None:
        if not self._rejected:
            log.error("the server rejected the agent's credentials (deactivated, or activated elsewhere): %s",
                      text)
        self._rejected = True
        self.phase, self.error = "Credentials rejected", text

    async def _deliver_loop(self) -> None:
        backoff = self.config.backoff_min
        while not self.stopping:
            try:
                await asyncio.to_thread(self.transport.deliver)
                backoff = self.config.backoff_min
                if self._rejected:
                    self._rejected, self.phase, self.error = False, "Running", ""
                elif self.error and self.transport.last_communication:
                    self.error = ""
            except CredentialsRejected as error:
                self._credentials_rejected(str(error))
                await self._pause(self.config.backoff_max, self._wake_delivery)
                continue
            except (Unreachable, OSError) as error:
                self.error = str(error)
                log.warning("delivery paused %.1f s: %s (%d queued)", backoff, error, len(self.outbox))
                await self._pause(backoff)
                backoff = min(backoff * 2, self.config.backoff_max)
                continue
            waiting = len(self.outbox)
            await self._pause(min(1.0, self.config.mqtt_grace_seconds) if waiting else 30.0, self._wake_delivery)

    # ------------------------------------------------------------------------------------------ commands
    def _command_arrived(self, command: protocol.CommandMessage, via: str = "rest") -> None:
        """From paho's thread or the REST poll: into the loop's queue."""
        self.received[via] = self.received.get(via, 0) + 1
        if self.loop:
            self.loop.call_soon_threadsafe(self._commands.put_nowait, command)

    def _broker_connected(self) -> None:
        self._wake(self._wake_delivery)
        self._wake(self._wake_commands)   # catch up on jobs published while away

    async def _command_poll_loop(self) -> None:
        backoff = self.config.backoff_min
        while not self.stopping:
            try:
                for command in await asyncio.to_thread(self.transport.poll_commands):
                    self._command_arrived(command, "rest")
                backoff = self.config.backoff_min
            except CredentialsRejected as error:
                self._credentials_rejected(str(error))
            except (Unreachable, OSError) as error:
                log.debug("command poll failed: %s", error)
                await self._pause(backoff)
                backoff = min(backoff * 2, self.config.rest_poll_seconds)
                continue
            await self._until_next_command_poll()

    async def _until_next_command_poll(self) -> None:
        """While MQTT is up, the REST poll only catches missed commands (every command_check_seconds); without
        the broker, commands come by REST every rest_poll_seconds. A long wait is taken in rest_poll_seconds
        slices so that a broker lost in the middle of it switches to REST at once."""
        deadline = time.monotonic() + (self.config.command_check_seconds if self.transport.mqtt_connected
                                       else self.config.rest_poll_seconds)
        while not self.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            woken = asyncio.ensure_future(self._wake_commands.wait())
            stopped = asyncio.ensure_future(self._stop.wait())
            try:
                done, _ = await asyncio.wait({woken, stopped}, return_when=asyncio.FIRST_COMPLETED,
                                             timeout=min(self.config.rest_poll_seconds, remaining))
            finally:
                for waiter in (woken, stopped):
                    waiter.cancel()
                await asyncio.gather(woken, stopped, return_exceptions=True)
            if woken in done:
                self._wake_commands.clear()
                return
            if not self.transport.mqtt_connected:
                return   # the broker went away during a long wait: poll by REST now

    async def _command_loop(self) -> None:
        while not self.stopping:
            command = await self._commands.get()
            if self.dispatcher.fresh(command):
                self._spawn(self._run_command(command))

    async def _run_command(self, command: protocol.CommandMessage) -> None:
        await self.dispatcher.run(command)
        if command.command == Command.DEACTIVATE:
            self._deactivate = True
            self._stop.set()

    def _handlers(self) -> dict:
        return {Command.DISCOVER: self._on_discover, Command.REFRESH: self._on_refresh,
                Command.MIB_WALK: self._on_mib_walk, Command.COLLECT_AGENT_LOG: self._on_agent_log,
                Command.UPDATE_AGENT: self._on_update_agent, Command.UPDATE_SETTINGS: self._on_settings,
                Command.UPDATE_CREDENTIALS: self._on_settings, Command.UNENROLL: self._on_unenroll,
                Command.DEACTIVATE: self._on_deactivate}

    async def _on_discover(self, command, jobs, progress) -> Outcome:
        found = await self.discover_and_enroll(job=command.job)
        return Outcome(message=f"{len(found)} printer(s) found.", result={"found": len(found)})

    async def _on_refresh(self, command, jobs, progress) -> dict[int, Outcome]:
        serials = [s for s in jobs if s] or None
        results = await self.poll_round(serials, refresh=True)
        outcomes = {}
        for serial, job in jobs.items():
            if serial:
                problem = results.get(serial, "The printer is not managed by this agent.")
                outcomes[job] = Outcome(JobState.FAILED, problem) if problem else Outcome()
                continue
            failed = sum(1 for problem in results.values() if problem)
            if results and failed == len(results):
                outcomes[job] = Outcome(JobState.FAILED, "No printer answered.")
            else:
                outcomes[job] = Outcome(message=f"{len(results) - failed} of {len(results)} printer(s) refreshed.",
                                        result={"level": "warning"} if failed else {})
        return outcomes

    async def _on_mib_walk(self, command, jobs, progress) -> Outcome:
        """A printer's MIB walk (printer details > Request Log), or the Fleet Agent page's MIB Walk of an address
        with a named SNMP profile (args `address`, `profile`), which need not be a managed printer."""
        serial = command.printers[0] if command.printers else ""
        if serial:
            printer = self.printers.get(serial)
            if printer is None:
                return Outcome(JobState.FAILED, "The printer is not managed by this agent.")
            address, profile, name = printer["address"], self._profile_of(printer), serial
        else:
            address = str(command.args.get("address") or "")
            if not address:
                return Outcome(JobState.FAILED, "The MIB walk names neither a printer nor an address.")
            profile = self.collector.profile(self.definition, str(command.args.get("profile") or ""), None)
            name = address
        progress(10)
        text = await self.collector.mib_walk(address, profile)
        progress(80)
        answer = await asyncio.to_thread(self.transport.upload, command.job, f"mibwalk-{name}.txt",
                                         text.encode("utf-8"))
        return Outcome(message="MIB walk uploaded.", result={"file": answer.get("id"), "name": answer.get("name")})

    async def _on_agent_log(self, command, jobs, progress) -> Outcome:
        if self._log_handler:
            self._log_handler.flush()
        content = self.state.log_file.read_bytes() if self.state.log_file.exists() else b""
        content = content[-UPLOAD_LIMIT:]
        answer = await asyncio.to_thread(self.transport.upload, command.job,
                                         f"{self.config.kind}-agent-{self.credentials.device_id}.log", content)
        return Outcome(message="Agent log uploaded.", result={"file": answer.get("id"), "name": answer.get("name")})

    async def _on_update_agent(self, command, jobs, progress) -> Outcome:
        wanted = str(command.args.get("version") or "")
        self._queue(MessageType.HEARTBEAT, Heartbeat(version=self.version, printers=len(self.printers)))
        if wanted and wanted != self.version:
            return Outcome(JobState.COMPLETED, f"Agent version {self.version}; version {wanted} is installed "
                           "with the package manager (pip install --upgrade lexcloud-agents).",
                           {"version": self.version, "level": "info"})
        return Outcome(message=f"Agent version {self.version}.", result={"version": self.version})

    async def _on_settings(self, command, jobs, progress) -> Outcome:
        definition = await asyncio.to_thread(fetch_definition, self.rest, self.state)
        self.definition = definition
        self._apply_log_level()
        return Outcome(message=f"Definition version {definition.get('definition_version')} applied.")

    async def _on_unenroll(self, command, jobs, progress) -> Outcome:
        for serial in command.printers:
            self.printers.pop(serial, None)
            forget = getattr(self.collector, "forget", None)
            if forget is not None:
                forget(serial)
        self.state.save_printers(self.printers)
        return Outcome(message=f"{len(command.printers)} printer(s) no longer managed.")

    async def _on_deactivate(self, command, jobs, progress) -> Outcome:
        return Outcome(message="The agent stops reporting and forgets its credentials.")

    async def _forget(self) -> None:
        """After the deactivate command: report it (briefly), then forget credentials and queued state."""
        try:
            await asyncio.wait_for(asyncio.to_thread(self.transport.deliver), 5)
        except Exception as error:
            log.info("deactivation not reported to the server: %s", error)
        await asyncio.to_thread(self.transport.stop)
        self.outbox.close()
        self.outbox = None
        self.transport = None
        self.state.forget()
        self.state.mark_deactivated(self.config.silent_code, utcnow().isoformat())
        self.credentials = None
        log.warning("deactivated: credentials forgotten")

    # ------------------------------------------------------------------------------------------ heartbeat
    async def _heartbeat_loop(self) -> None:
        while not self.stopping:
            await self._pause(self.config.heartbeat_seconds)
            if not self.stopping:
                self._queue_heartbeat()

    async def _definition_loop(self) -> None:
        """The server has no push for definition changes besides the update_settings command (which a
        disconnected agent may miss): re-read it now and then and apply a new definition_version."""
        while not self.stopping:
            await self._pause(self.config.definition_check_seconds)
            if not self.stopping and await self._read_definition():
                self._wake(self._wake_commands)

    # ------------------------------------------------------------------------------------------ collection
    def _schedule(self) -> dict:
        return read_json(self.state.file(SCHEDULE_FILE)) or {}

    def _save_schedule(self, **values) -> None:
        write_private(self.state.file(SCHEDULE_FILE), {**self._schedule(), **values})

    def _discovery_due(self, now: float) -> bool:
        if self.config.kind in SELF_POLLING:
            known = {p["address"] for p in self.printers.values()}
            return any(str(p.get("address")) not in known for p in self.config.printers)
        hours = float(self.definition.get("discovery_interval_hours") or 0)
        if hours <= 0:
            return False
        return now - float(self._schedule().get("last_discovery", 0)) >= hours * 3600

    async def _collect_loop(self) -> None:
        """Discovery when due (Fleet: the definition's interval; Local: configured printers not identified
        yet), then a polling round each interval."""
        last_poll = 0.0
        while not self.stopping:
            now = time.time()
            try:
                if self._discovery_due(now):
                    await self.discover_and_enroll()
                interval = self._interval_minutes() * 60
                if self.printers and now - last_poll >= interval:
                    last_poll = now
                    await self.poll_round()
            except Exception:   # a collector failure must not stop the agent
                log.exception("collection round failed")
            wait = max(1.0, min(60.0, last_poll + self._interval_minutes() * 60 - time.time()))
            await self._pause(wait)

    def _profile_of(self, printer: dict) -> Any:
        return self.collector.profile(self.definition, printer.get("profile", ""), printer.get("inline"))

    def _targets(self) -> list[tuple[str, Any]]:
        if self.config.kind in SELF_POLLING:
            targets = []
            for entry in self.config.printers:
                inline = {k: v for k, v in entry.items() if k not in ("address", "profile")}
                targets.append((str(entry["address"]),
                                self.collector.profile(self.definition, entry.get("profile", "Local"), inline)))
            return targets
        return self.collector.targets(self.definition)

    async def discover_and_enroll(self, job: int | None = None) -> list:
        """Discover, remember what answered, send an `enroll` message (with the discovery job; not for a Native
        Agent), poll them."""
        targets = self._targets()
        log.info("discovery of %d address(es)", len(targets))
        found = await self.collector.discover(targets, concurrency=DISCOVERY_CONCURRENCY,
                                              delay_ms=int(self.definition.get("network_delay_ms") or 0))
        inline = {str(e["address"]): {k: v for k, v in e.items() if k not in ("address", "profile")}
                  for e in self.config.printers} if self.config.kind in SELF_POLLING else {}
        identities = []
        for item in found:
            identity = item.identity
            if not identity.ip:
                identity.ip = item.address
            if not identity.profile:
                identity.profile = profile_name(item.profile)
            self.printers[identity.serial] = {"address": item.address, "profile": profile_name(item.profile),
                                              "inline": inline.get(item.address), "identity": asdict(identity)}
            identities.append(identity)
        self.state.save_printers(self.printers)
        self._save_schedule(last_discovery=time.time())
        # a Native Agent was enrolled with its printer at POST enroll; the server refuses `enroll` from it
        enrolling = identities if self.config.kind != NATIVE else []
        for start in range(0, len(enrolling), protocol.MAX_PRINTERS_PER_MESSAGE):
            self._queue(MessageType.ENROLL, Enroll(enrolling[start:start + protocol.MAX_PRINTERS_PER_MESSAGE],
                                                   job=job))
        log.info("discovery found %d printer(s)", len(identities))
        if identities:
            await self.poll_round([i.serial for i in identities], refresh=True)
        return found

    async def poll_round(self, serials: list[str] | None = None, *, refresh: bool = False) -> dict[str, str]:
        """Poll printers (all, or `serials`), send the reports that are due (all of them with `refresh`).
        Returns serial -> problem text ("" when the printer answered)."""
        chosen = {s: p for s, p in self.printers.items() if serials is None or s in serials}
        limit = asyncio.Semaphore(POLL_CONCURRENCY)
        results: dict[str, str] = {}
        reports: list[PrinterReport] = []

        async def one(serial: str, printer: dict) -> None:
            async with limit:
                try:
                    report = await self.collector.poll(printer["address"], self._profile_of(printer), serial,
                                                       identity=printer.get("identity"))
                except Exception as error:
                    log.info("printer %s (%s) did not answer: %s", serial, printer["address"], error)
                    results[serial] = f"The printer did not answer: {error}"[:500]
                    return
                offline = report.status == protocol.PrinterStatus.OFFLINE
                results[serial] = "The printer did not answer." if offline else ""
                if self.collector.due(serial, report, utcnow(), refresh):
                    reports.append(report)

        await asyncio.gather(*(one(s, p) for s, p in chosen.items()))
        reports.sort(key=lambda r: r.serial)
        for start in range(0, len(reports), REPORTS_PER_MESSAGE):
            self._queue(MessageType.TELEMETRY, Telemetry(reports[start:start + REPORTS_PER_MESSAGE]))
        log.debug("polled %d printer(s), %d report(s) sent", len(chosen), len(reports))
        return results


def run_in_thread(runtime: AgentRuntime) -> threading.Thread:
    """Run an agent in a background thread with its own event loop (tests, embedded demo)."""
    thread = threading.Thread(target=runtime.run_forever, name="agent-runtime", daemon=True)
    thread.start()
    return thread

