"""`lexcloud-printer-sim`: serve a simulated printer fleet until SIGINT/SIGTERM.

    lexcloud-printer-sim --printers 10 --first-address 127.0.1.1 --port 16161 --community public \
        --scenario agents/simulator/scenarios/demo.toml --speed 60

Flags override the scenario file. Only loopback addresses (127.0.0.0/8) are accepted.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from .fleet import SimulatedFleet
from .responder import SimulatorError
from .scenario import Scenario, load_scenario

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
    return parser.parse_args(argv)


def build_fleet(args: argparse.Namespace) -> SimulatedFleet:
    scenario = load_scenario(args.scenario) if args.scenario else Scenario()
    return SimulatedFleet.from_scenario(scenario, printers=args.printers, first_address=args.first_address,
                                        port=args.port, community=args.community, seed=args.seed,
                                        speed=args.speed)


async def run(fleet: SimulatedFleet) -> None:
    """Serve until a signal asks to stop."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, _stop, fleet, sig)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt still stops asyncio.run
            pass
    await fleet.serve()


def _stop(fleet: SimulatedFleet, sig: signal.Signals) -> None:
    log.info("%s received, stopping", sig.name)
    fleet.stop()


def main(argv: list[str] | None = None) -> int:
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
        asyncio.run(run(fleet))
    except (SimulatorError, ValueError, OSError) as exc:
        print(f"lexcloud-printer-sim: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
