"""`lexcloud-printer-sim`: serve a simulated printer fleet until SIGINT/SIGTERM.

    lexcloud-printer-sim --printers 10 --first-address 127.0.1.1 --port 16161 --community public \
        --scenario agents/simulator/scenarios/demo.toml --speed 60

Native-Agent printers (the first N printers enroll themselves with the organization's enrollment code, their
serials pre-enrolled in the portal, and report over MQTT or REST on their own):

    lexcloud-printer-sim --printers 10 --port 16161 --native 3 --server http://127.0.0.1:8000 \
        --enrollment-code K7PQ2M --native-state /tmp/lexcloud-native [--mqtt-url mqtt://127.0.0.1:1883]

Flags override the scenario file. Only loopback addresses (127.0.0.0/8) are accepted.

A printer's Print Release app (agents/simulator/release.py): `lexcloud-printer-sim release --help`.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from pathlib import Path

from .fleet import SimulatedFleet
from .responder import SimulatorError
from .scenario import NativeSpec, Scenario, load_scenario

log = logging.getLogger("agents.simulator")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="lexcloud-printer-sim",
                                     description="Simulated SNMP printers on loopback addresses (127.0.0.0/8).")
    parser.add_argument("--scenario", help="scenario TOML file (or a name under agents/simulator/scenarios/)")
    parser.add_argument("--printers", type=int, help="number of printers, 1..10000 (default 10)")
    parser.add_argument("--first-address", help="first printer address, in 127.0.0.0/8 (default 127.0.1.1)")
    parser.add_argument("--port", type=int, help="SNMP UDP port on every printer address (default 161)")
    parser.add_argument("--community", help="SNMP v1/v2c read community (default public)")
    parser.add_argument("--seed", type=int, help="random seed: the same seed gives the same fleet")
    parser.add_argument("--speed", type=float,
                        help="simulated seconds per real second (default 1; 0 freezes the printers)")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    native = parser.add_argument_group("Native-Agent printers")
    native.add_argument("--native", type=int, metavar="N", help="the first N printers are Native-Agent printers")
    native.add_argument("--server", help="the portal they enroll with, e.g. http://127.0.0.1:8000")
    native.add_argument("--enrollment-code", help="the organization's enrollment code (case-sensitive)")
    native.add_argument("--native-state", metavar="DIR", help="their state (credentials, outbox, log), one "
                        "directory per serial (default: the per-user state directory)")
    native.add_argument("--mqtt-url", help="broker URL overriding the one the server names ('-': REST only)")
    return parser.parse_args(argv)


def build_fleet(args: argparse.Namespace) -> SimulatedFleet:
    scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    return SimulatedFleet.from_scenario(scenario, printers=args.printers, first_address=args.first_address,
                                        port=args.port, community=args.community, seed=args.seed,
                                        speed=args.speed)


def native_spec(args: argparse.Namespace, fleet: SimulatedFleet) -> NativeSpec | None:
    """The scenario's [native] table with the flags on top; None without Native-Agent printers."""
    scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    spec = scenario.native
    for name, value in (("printers", args.native), ("server", args.server),
                        ("enrollment_code", args.enrollment_code), ("state_dir", args.native_state),
                        ("mqtt_url", args.mqtt_url)):
        if value is not None:
            setattr(spec, name, value)
    if not spec.printers:
        return None
    if not 0 < spec.printers <= len(fleet.devices):
        raise ValueError(f"--native must be 1..{len(fleet.devices)} (the fleet's printers), not {spec.printers}")
    if not spec.server or not spec.enrollment_code:
        raise ValueError("Native-Agent printers need --server and --enrollment-code")
    return spec


def start_native(fleet: SimulatedFleet, spec: NativeSpec):
    """Start the Native-Agent printers once the fleet serves (they poll themselves on its UDP port)."""
    from agents.core.config import NATIVE, default_state_dir

    from .native import NativePrinters

    root = Path(spec.state_dir).expanduser() if spec.state_dir else default_state_dir(NATIVE)
    native = NativePrinters(fleet, spec.server, spec.enrollment_code, mqtt_url=spec.mqtt_url, state_root=root,
                            indexes=range(spec.printers))
    for device in native.devices[:20]:
        log.info("native printer %s serial %s (pre-enroll this serial)", device.address, device.serial)
    return native.start()


async def run(fleet: SimulatedFleet, native: NativeSpec | None = None) -> None:
    """Serve until a signal asks to stop; the Native-Agent printers start once the fleet serves and stop
    before it."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, _stop, fleet, sig)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt still stops asyncio.run
            pass
    ready = threading.Event()
    serving = asyncio.create_task(fleet.serve(ready=ready))
    while not ready.is_set() and not serving.done():
        await asyncio.sleep(0.05)
    printers = start_native(fleet, native) if native is not None and not serving.done() else None
    try:
        await serving
    finally:
        if printers is not None:
            await asyncio.to_thread(printers.stop)


def _stop(fleet: SimulatedFleet, sig: signal.Signals) -> None:
    log.info("%s received, stopping", sig.name)
    fleet.stop()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["release"]:   # `lexcloud-printer-sim release ...`: a printer's Print Release app
        from .release import main as release_main

        return release_main(argv[1:])
    args = parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        fleet = build_fleet(args)
        for device in fleet.devices[:20]:
            log.info("%s %-32s serial %s %s%s", device.address, device.model.full_name, device.serial,
                     device.model.kind, f" fault={device.fault}" if device.fault else "")
        if len(fleet.devices) > 20:
            log.info("... and %d more printers", len(fleet.devices) - 20)
        asyncio.run(run(fleet, native_spec(args, fleet)))
    except (SimulatorError, ValueError, OSError) as exc:
        print(f"lexcloud-printer-sim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
