"""A simulated fleet: N printers on consecutive loopback addresses, one clock, one SNMP responder.

`SimulatedFleet.running()` serves from a background thread with its own asyncio loop (tests, the other
helpers); `await fleet.serve()` serves on the caller's loop (the CLI). The clock is simulated: it moves
only with `tick()` — called by the caller, or every second by the ticker when a speed is given — so a test
that compares an SNMP walk with `oid_table()` sees the same values.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .device import FAULTS, Activity, SimulatedPrinter
from .models import ModelSpec, catalog, model_named
from .responder import Responder, SimulatorError
from .scenario import Scenario, UsmUser

log = logging.getLogger("agents.simulator")

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
MAX_PRINTERS = 10_000
DEFAULT_LOCATIONS = ("Building A, Floor 1", "Building A, Floor 2", "Building B, Floor 1", "Building B, Floor 3",
                     "Warehouse", "Reception", "Finance, Room 204", "Engineering, Room 310")


def loopback_addresses(first_address: str, count: int) -> list[str]:
    """`count` addresses from `first_address` upward inside 127.0.0.0/8, skipping x.y.z.0 and x.y.z.255 so
    each /24 looks like a real subnet. Anything outside loopback is refused: the simulator must never
    answer (or make a client send) on a real network."""
    try:
        first = ipaddress.IPv4Address(first_address)
    except ValueError as exc:
        raise SimulatorError(f"first address {first_address!r} is not an IPv4 address") from exc
    if first not in LOOPBACK:
        raise SimulatorError(f"first address {first_address} is not a loopback address: the printer simulator "
                             f"serves only 127.0.0.0/8 (e.g. 127.0.1.1), never a real network")
    addresses = []
    current = int(first)
    while len(addresses) < count:
        address = ipaddress.IPv4Address(current)
        if address not in LOOPBACK or address == LOOPBACK.broadcast_address:
            raise SimulatorError(f"{count} printers from {first_address} run past the end of 127.0.0.0/8")
        if current & 0xFF not in (0, 255):
            addresses.append(str(address))
        current += 1
    return addresses


class SimulatedFleet:
    """Printers, their clock and their SNMP service. See the package docstring for the API."""

    def __init__(self, printers: int = 5, first_address: str = "127.0.1.1", port: int = 161,
                 community: str = "public", seed: int = 1, *, third_party_share: float = 0.2,
                 model_weights: dict[str, float] | None = None, only_models: list[str] | None = None,
                 models: list[str] | None = None, activity: Activity | None = None,
                 users: list[UsmUser] | None = None, locations: list[str] | None = None,
                 contact: str = "helpdesk@example.com", epoch: float | None = None, speed: float = 0.0):
        if not 1 <= printers <= MAX_PRINTERS:
            raise SimulatorError(f"printers must be 1..{MAX_PRINTERS}, not {printers}")
        self.first_address = first_address
        self.port = port
        self.community = community
        self.seed = seed
        self.speed = speed
        self.activity = activity or Activity()
        self.users = list(users or [])
        self.clock = 0.0
        self.epoch = time.time() if epoch is None else epoch
        self.lock = threading.RLock()
        self.responder: Responder | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        addresses = loopback_addresses(first_address, printers)
        rng = random.Random(f"fleet:{seed}")
        picks = [model_named(name) for name in models] if models else None
        pool = [model_named(name) for name in only_models] if only_models else list(catalog())
        locations = list(locations or DEFAULT_LOCATIONS)
        self.devices: list[SimulatedPrinter] = []
        serials: set[str] = set()
        for index, address in enumerate(addresses):
            model = picks[index % len(picks)] if picks else _draw_model(rng, third_party_share, model_weights or {},
                                                                       pool)
            device = SimulatedPrinter(index=index, address=address, model=model, seed=seed,
                                      clock_ref=self._now, lock=self.lock, community=community,
                                      location=locations[index % len(locations)], contact=contact, epoch=self.epoch)
            while device.serial in serials:
                device.serial = device._make_serial()
            serials.add(device.serial)
            self.devices.append(device)
        self.by_address = {d.address: d for d in self.devices}

    # ------------------------------------------------------------------------------------------ building
    @classmethod
    def from_scenario(cls, scenario: Scenario, **overrides) -> SimulatedFleet:
        """A fleet as the scenario describes it; keyword arguments (printers, port, ...) override it."""
        values = dict(printers=scenario.printers, first_address=scenario.first_address, port=scenario.port,
                      community=scenario.community, seed=scenario.seed, third_party_share=scenario.third_party_share,
                      model_weights=scenario.model_weights, only_models=scenario.only_models,
                      activity=scenario.activity, users=scenario.users, locations=scenario.locations or None,
                      contact=scenario.contact, epoch=scenario.epoch, speed=scenario.speed)
        values.update({k: v for k, v in overrides.items() if v is not None})
        fleet = cls(**values)
        for spec in scenario.faults:
            for position in spec.printers:
                if not 1 <= position <= len(fleet.devices):
                    continue
                device = fleet.devices[position - 1]
                device.fault = spec.fault
                if spec.community is not None:
                    device.community = spec.community
                if spec.delay is not None:
                    device.delay = spec.delay
        return fleet

    def _now(self) -> float:
        return self.clock

    def device(self, address: str) -> SimulatedPrinter:
        return self.by_address[address]

    @property
    def addresses(self) -> list[str]:
        return [d.address for d in self.devices]

    # ------------------------------------------------------------------------------------------ time
    def tick(self, seconds: float) -> None:
        """Advance the simulated clock: every printer works (pages, supplies, alerts) for `seconds`."""
        if seconds <= 0:
            return
        with self.lock:
            self.clock += seconds
            for device in self.devices:
                device.advance(seconds, self.activity)

    async def _ticker(self, speed: float, interval: float = 1.0) -> None:
        last_log = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            self.tick(interval * speed)
            if time.monotonic() - last_log >= 60 and self.responder is not None:
                last_log = time.monotonic()
                log.info("served %s", self.responder.stats)

    # ------------------------------------------------------------------------------------------ serving
    async def serve(self, *, speed: float | None = None, ready: threading.Event | None = None) -> None:
        """Serve SNMP on every printer address until `stop()` (or cancellation). `speed` > 0 runs the clock."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._stop = asyncio.Event()
        usm = None
        if self.users:
            from .usm import Usm
            usm = Usm(self.users)
        responder = Responder(self.devices, self.port, usm=usm)
        started = time.perf_counter()
        self.port = responder.bind()
        responder.start(loop)
        self.responder = responder
        log.info("serving %d simulated printers on %s..%s UDP port %d (community %r%s) in %.2f s",
                 len(self.devices), self.devices[0].address, self.devices[-1].address, self.port, self.community,
                 f", SNMPv3 users {', '.join(u.name for u in self.users)}" if self.users else "",
                 time.perf_counter() - started)
        speed = self.speed if speed is None else speed
        ticker = asyncio.create_task(self._ticker(speed)) if speed and speed > 0 else None
        if ready is not None:
            ready.set()
        try:
            await self._stop.wait()
        finally:
            if ticker is not None:
                ticker.cancel()
            responder.close()
            log.info("stopped; %s", responder.stats)

    def stop(self) -> None:
        """Ask `serve()` to return (thread-safe)."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)

    def start(self, *, speed: float = 0.0) -> None:
        """Serve from a background thread; returns once every socket is bound (raises if binding failed).
        The clock stands still unless `speed` > 0 (a scenario's speed is for the CLI): tests move it with
        `tick()` and compare what they read with `oid_table()`."""
        if self._thread is not None:
            raise SimulatorError("the fleet is already running")
        ready = threading.Event()
        errors: list[BaseException] = []

        def main() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self.serve(speed=speed, ready=ready))
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                errors.append(exc)
            finally:
                ready.set()
                loop.close()

        self._thread = threading.Thread(target=main, name="printer-simulator", daemon=True)
        self._thread.start()
        ready.wait()
        if errors:
            self._thread.join()
            self._thread = None
            raise errors[0]

    def join(self, timeout: float | None = 10.0) -> None:
        """Stop the background thread and wait for it."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @contextmanager
    def running(self, *, speed: float = 0.0) -> Iterator[SimulatedFleet]:
        """`with fleet.running():` serves in a background thread and stops on exit (clock frozen unless
        `speed` > 0: simulated seconds per real second)."""
        self.start(speed=speed)
        try:
            yield self
        finally:
            self.join()

    def set_fault(self, fault: str | None, *printers: int) -> None:
        """Set a fault on printers by 0-based index (all when none given)."""
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"fault must be one of {sorted(FAULTS)} or None")
        targets = [self.devices[i] for i in printers] if printers else self.devices
        for device in targets:
            device.fault = fault

    def __repr__(self) -> str:
        return f"<SimulatedFleet {len(self.devices)} printers {self.first_address} port {self.port}>"


def _draw_model(rng: random.Random, third_party_share: float, weights: dict[str, float],
                models: list[ModelSpec]) -> ModelSpec:
    """One model: Lexmark or third party by share, then by weight within the group."""
    lexmark = [m for m in models if m.vendor == "Lexmark"]
    others = [m for m in models if m.vendor != "Lexmark"]
    group = others if (others and rng.random() < third_party_share) or not lexmark else lexmark

    def weight(model: ModelSpec) -> float:
        return weights.get(model.name, weights.get(model.full_name, 1.0))

    return rng.choices(group, weights=[weight(m) for m in group])[0]
