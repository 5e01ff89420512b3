"""The Fleet Agent with its real SNMP collector (agents.snmp over UDP) against the printer simulator and a Django
live server (REST): the definition's criteria and profile drive discovery, the printers appear with the
simulator's supplies and counters, and a MIB walk task uploads the walk."""
import uuid

import pytest

from agents.core.collector import SnmpCollector
from agents.fleet_agent import main as fleet_main
from fleet.choices import TaskStatus, TaskType
from fleet.models import Printer, Supply, TaskFile
from fleet.services import agents as agent_services
from fleet.services import tasks as task_services
from fleet.services.agents import CriterionSpec, FleetSettings, ProfileSpec

from .agent_support import agent_config, start_agent, wait_until
from .simulator_support import make_fleet

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _rest_only(settings):
    settings.MQTT_URL = ""


@pytest.fixture
def fleet():
    simulated = make_fleet(3)
    with simulated.running(speed=0):
        yield simulated


def test_discovery_and_polling_of_simulated_printers_reach_the_portal(tmp_path, live_server, acme, fleet):
    first, last = fleet.devices[0].address, fleet.devices[-1].address
    agent = agent_services.save_fleet_agent(
        acme, name=f"Sim {uuid.uuid4().hex[:6]}", settings_=FleetSettings(discovery_interval=24, network_delay=0),
        profiles=[ProfileSpec(name="Sim", version="v2c", community="public", timeout=1, retries=0, port=fleet.port)],
        criteria=[CriterionSpec("include", f"{first}-{last}", "Sim")])
    config = agent_config(tmp_path, server=live_server.url)
    assert fleet_main(["--state-dir", str(config.state_dir), "activate", "--server", live_server.url,
                       "--code", agent_services.current_activation_code(agent).code]) == 0
    agent.refresh_from_db()
    running = start_agent(config, SnmpCollector(config.state_dir / "backoff.json")).wait_started()
    try:
        serials = sorted(device.serial for device in fleet.devices)
        wait_until(lambda: sorted(Printer.objects.filter(agent=agent).values_list("serial", flat=True)) == serials,
                   timeout=30, what="enrolled printers")
        device = fleet.devices[0]
        printer = wait_until(lambda: Printer.objects.filter(serial=device.serial, counters__isnull=False)
                             .exclude(counters={}).first(), timeout=30, what="counters")
        assert str(printer.ip_address) == device.address
        assert Supply.objects.filter(printer=printer).exists()
        task = task_services.create_task(acme, TaskType.MIB_WALK, printers=[printer])

        def finished():
            task.refresh_from_db()
            return task.status not in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)

        wait_until(finished, timeout=30, what="MIB walk")
        assert task.status == TaskStatus.COMPLETED
        walk = TaskFile.objects.get(job__task=task)
        with walk.content.open("rb") as handle:
            assert b".1.3.6.1.2.1.1.1.0 = " in handle.read()
    finally:
        running.stop()


def test_a_local_agent_polls_its_configured_printer_over_snmp(tmp_path, live_server, acme, fleet):
    device = fleet.devices[1]
    code = agent_services.generate_local_code(acme, 1).code
    config = agent_config(tmp_path, kind="local", server=live_server.url, code=code,
                          printers=[{"address": device.address, "port": fleet.port, "version": "v2c",
                                     "community": "public", "timeout": 1, "retries": 0}])
    running = start_agent(config, SnmpCollector()).wait_started()
    try:
        printer = wait_until(lambda: Printer.objects.filter(serial=device.serial, agent__kind="local")
                             .exclude(counters={}).first(), timeout=30, what="the local printer's report")
        assert str(printer.ip_address) == device.address
        assert Supply.objects.filter(printer=printer).exists()
        assert running.runtime.printers[device.serial]["inline"]["port"] == fleet.port
    finally:
        running.stop()
