"""Native-Agent printers of the simulator against a real Django live server: simulated printers whose serials
were pre-enrolled enroll themselves with the organization's enrollment code (POST enroll), each getting its
own Native Agent and credentials, read themselves over real UDP SNMP through agents.snmp, and report with
their own credentials over REST or over the real Mosquitto (127.0.0.1:1883) with the server's ingest loop; a
refresh task completes; a serial that was not pre-enrolled is refused with the server's message."""
import json
import math
import threading

import pytest

from agents.core.activation import ActivationFailed, enroll_native
from agents.core.config import NATIVE, AgentConfig, StateDir
from agents.simulator.cli import native_spec, parse_args
from agents.simulator.mib import served_supply
from agents.simulator.native import NativePrinters
from agents.simulator.scenario import load_scenario
from fleet.choices import AgentType, TaskStatus, TaskType
from fleet.management.commands.mqtt_ingest import IngestLoop
from fleet.models import Agent, PreEnrollment, Printer, Supply
from fleet.services import native as native_services
from fleet.services import tasks as task_services

from .agent_support import wait_until
from .conftest import BROKER
from .simulator_support import make_fleet

LIVE = pytest.mark.django_db(transaction=True)
FAST = dict(rest_poll_seconds=0.5, backoff_min=0.2, backoff_max=1.0, mqtt_grace_seconds=1.0,
            heartbeat_seconds=3600, http_timeout=5.0)


@pytest.fixture
def rest_only(settings):
    settings.MQTT_URL = ""


@pytest.fixture
def fleet():
    """Lexmark models (plain percent levels) on a random loopback range, SNMP on a free port, clock frozen."""
    simulated = make_fleet(3, models=["CX735de", "MX622ade", "MS431"])
    with simulated.running(speed=0):
        yield simulated


@pytest.fixture
def natives(tmp_path):
    started = []

    def start(fleet, server, code, indexes, **options):
        printers = NativePrinters(fleet, server, code, state_root=tmp_path / "native", indexes=indexes,
                                  **{**FAST, **options})
        started.append(printers.start())
        return printers

    yield start
    for printers in started:
        printers.stop()


@pytest.fixture
def ingest(broker):
    """The server's ingest loop on every device's topic, as `manage.py mqtt_ingest` runs it."""
    loop = IngestLoop(BROKER, batch_ms=50, progress_seconds=3600, write=lambda line: None)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert loop.subscribed.wait(10)
    yield loop
    loop.stop()
    thread.join(10)


def pre_enrolled(organization, devices) -> str:
    """Pre-enroll the simulated printers' serials as an administrator does; the organization's code."""
    native_services.pre_enroll(organization, [device.serial for device in devices])
    return native_services.enrollment_code(organization).code


def supplies_of(device) -> dict:
    """The percent an agent computes from what the printer serves (whole units remaining, rounded up)."""
    levels = {}
    for supply in device.supplies:
        _unit, maximum, level = served_supply(device, supply)
        levels[str(supply.index)] = math.ceil(level * 100 / maximum) if level >= 0 and maximum > 0 else level
    return levels


def stored_levels(serial) -> dict:
    return dict(Supply.objects.filter(printer__serial=serial).values_list("key", "level"))


def reported(serial):
    """The printer once its first report is in (counters stored)."""
    return (Printer.objects.select_related("agent").filter(serial=serial, counters_at__isnull=False)
            .exclude(counters={}).first())


def refresh_completes(organization, printer) -> None:
    task = task_services.create_task(organization, TaskType.REFRESH, printers=[printer])

    def finished():
        task.refresh_from_db()
        return task.status not in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)

    wait_until(finished, timeout=30, what="the refresh task")
    assert task.status == TaskStatus.COMPLETED


@LIVE
def test_native_printers_enroll_and_report_over_rest(rest_only, tmp_path, live_server, acme, fleet, natives,
                                                     caplog):
    devices = fleet.devices[:2]
    code = pre_enrolled(acme, devices)
    printers = natives(fleet, live_server.url, code, [0, 1])
    assert printers.wait_running(30), printers.status()
    agents = set()
    for device in devices:
        printer = wait_until(lambda d=device: reported(d.serial), timeout=30, what=f"{device.serial} reported")
        agent = printer.agent
        assert (agent.kind, agent.organization_id, printer.organization_id) == (AgentType.NATIVE, acme.pk, acme.pk)
        saved = json.loads((tmp_path / "native" / device.serial / "credentials.json").read_text())
        assert saved["device_id"] == agent.device_id and agent.check_secret(saved["secret"])
        assert (str(printer.ip_address), printer.model_name) == (device.address, device.model.name)
        assert printer.counters == device.counters
        assert stored_levels(device.serial) == supplies_of(device)
        assert printers.runtime(device.serial).status()["route"] == "rest"
        agents.add(agent.pk)
    assert len(agents) == 2 == Agent.objects.filter(organization=acme, kind=AgentType.NATIVE).count()
    first, second = (printers.runtime(d.serial).credentials.device_id for d in devices)
    own_log = (tmp_path / "native" / devices[0].serial / "agent.log").read_text()
    assert first in own_log and second not in own_log         # one process, one log file per printer
    assert not PreEnrollment.objects.filter(organization=acme).exists()
    assert not Printer.objects.filter(serial=fleet.devices[2].serial).exists()    # not a native printer

    device = devices[1]
    device.set_supply_level(device.supplies[0].key, 37)
    refresh_completes(acme, Printer.objects.get(serial=device.serial))
    assert stored_levels(device.serial) == supplies_of(device)
    assert stored_levels(device.serial)[str(device.supplies[0].index)] == 37
    assert not [r for r in caplog.records if "enroll message" in r.getMessage()]   # only POST enroll enrolled


@LIVE
def test_a_native_printer_publishes_over_mqtt(broker, ingest, live_server, acme, fleet, natives):
    device = fleet.devices[2]
    code = pre_enrolled(acme, [device])
    printers = natives(fleet, live_server.url, code, [2], rest_poll_seconds=3600, command_check_seconds=3600,
                       mqtt_grace_seconds=30)
    runtime = printers.runtime(device.serial)
    wait_until(lambda: runtime.transport is not None and runtime.transport.mqtt_connected, timeout=30,
               what="broker connection")
    printer = wait_until(lambda: reported(device.serial), timeout=30, what="telemetry over MQTT")
    assert printer.agent.kind == AgentType.NATIVE and printer.agent.device_id == runtime.credentials.device_id
    assert runtime.credentials.mqtt_url == BROKER and runtime.status()["route"] == "mqtt"
    assert printer.counters == device.counters and stored_levels(device.serial) == supplies_of(device)

    device.set_supply_level(device.supplies[0].key, 21)
    refresh_completes(acme, printer)
    assert runtime.received.get("mqtt", 0) >= 1            # the command came over the broker
    assert stored_levels(device.serial)[str(device.supplies[0].index)] == 21
    assert ingest.totals.applied > 0


@LIVE
def test_a_serial_that_was_not_pre_enrolled_is_refused(rest_only, tmp_path, live_server, acme, fleet, natives):
    code = pre_enrolled(acme, [fleet.devices[0]])
    stranger = fleet.devices[1]
    printers = natives(fleet, live_server.url, code, [1])
    runtime = printers.runtime(stranger.serial)
    wait_until(lambda: runtime.phase == "Activation failed", timeout=30, what="the refusal")
    assert runtime.error == native_services.INVALID_CODE
    assert not (tmp_path / "native" / stranger.serial / "credentials.json").exists()
    config = AgentConfig(kind=NATIVE, state_dir=tmp_path / "direct", server=live_server.url, enrollment_code=code)
    with pytest.raises(ActivationFailed, match="The enrollment code is invalid or expired."):
        enroll_native(config, StateDir(config.state_dir), stranger.serial, {"model": stranger.model.name})
    assert not Agent.objects.filter(kind=AgentType.NATIVE).exists()
    assert not Printer.objects.exists()
    assert list(PreEnrollment.objects.values_list("serial", flat=True)) == [fleet.devices[0].serial]


def test_native_printers_from_the_scenario_and_the_command_line(tmp_path):
    scenario = tmp_path / "fleet.toml"
    scenario.write_text('printers = 4\n[native]\nprinters = 2\nserver = "http://127.0.0.1:8000"\n'
                        'enrollment_code = "K7PQ2M"\nstate_dir = "/tmp/native"\n')
    assert load_scenario(scenario).native.printers == 2
    fleet = make_fleet(4)
    spec = native_spec(parse_args(["--scenario", str(scenario), "--native", "3", "--mqtt-url", "-"]), fleet)
    assert (spec.printers, spec.server, spec.enrollment_code, spec.mqtt_url) == \
        (3, "http://127.0.0.1:8000", "K7PQ2M", "-")
    assert native_spec(parse_args(["--printers", "4"]), fleet) is None
    with pytest.raises(ValueError, match="--server and --enrollment-code"):
        native_spec(parse_args(["--native", "1"]), fleet)
    with pytest.raises(ValueError, match="unknown \\[native\\] keys"):
        load_scenario({"native": {"printer": 1}})
