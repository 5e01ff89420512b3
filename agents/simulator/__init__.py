"""The printer simulator: a fleet of SNMP printers on loopback addresses (127.0.0.0/8 only).

    from agents.simulator import SimulatedFleet, load_scenario
    fleet = SimulatedFleet(printers=5, first_address="127.0.1.1", port=16161, community="public", seed=1)
    with fleet.running():
        dev = fleet.devices[0]
        dev.print_pages(100, color=True); dev.jam(); dev.clear_alerts(); dev.reboot()
        dev.replace_supply("black"); dev.fault = "timeout"
        dev.oid_table()

See docs/decisions/0009-printer-simulator.md for the design and the vendor quirks reproduced.
"""
from .device import Activity, SimulatedPrinter
from .fleet import SimulatedFleet, loopback_addresses
from .models import ModelSpec, catalog, model_named
from .responder import SimulatorError
from .scenario import Scenario, UsmUser, load_scenario

__all__ = ["Activity", "ModelSpec", "Scenario", "SimulatedFleet", "SimulatedPrinter", "SimulatorError", "UsmUser",
           "catalog", "loopback_addresses", "load_scenario", "model_named"]
