"""The agent runtime against a real Django live server over REST only (no broker): activation with a code made
by the server's services, the definition, discovery answers enrolled and telemetry in the database, commands
picked up by the REST fallback and finished as jobs, files uploaded, deactivation, silent activation of a Local
Agent from its configuration file, and the outbox replaying what was queued while the server was down."""
import json
import os
import stat

import pytest

from agents.core.activation import client_for, fetch_definition
from agents.core.config import AgentConfig, StateDir
from agents.fleet_agent import main as fleet_main
from fleet.choices import AgentType, JobStatus, TaskStatus, TaskType
from fleet.models import Agent, Job, Printer, ProcessedMessage, Supply, TaskFile
from fleet.services import agents as agent_services
from fleet.services import tasks as task_services

from .agent_support import FakeCollector, FakePrinter, agent_config, dead_url, start_agent, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _rest_only(settings):
    settings.MQTT_URL = ""


@pytest.fixture
def fleet_agent(acme):
    return agent_services.save_fleet_agent(acme, name="Fleet Agent 1")


@pytest.fixture
def collector():
    return FakeCollector([FakePrinter("SIM0001", "127.0.1.1", black=80), FakePrinter("SIM0002", "127.0.1.2", black=40)])


@pytest.fixture
def agents_started():
    started = []

    def start(config, collector=None):
        started.append(start_agent(config, collector).wait_started())
        return started[-1]

    yield start
    for running in started:
        if running.thread.is_alive():
            running.stop()


def supply_level(serial):
    return Supply.objects.filter(printer__serial=serial, color="Black").values_list("level", flat=True).first()


def activated(tmp_path, live_server, fleet_agent) -> AgentConfig:
    """`lexcloud-fleet-agent activate` as an administrator runs it, with the portal's current code."""
    code = agent_services.current_activation_code(fleet_agent).code
    config = agent_config(tmp_path, server=live_server.url)
    assert fleet_main(["--state-dir", str(config.state_dir), "activate", "--server", live_server.url,
                       "--code", code]) == 0
    fleet_agent.refresh_from_db()
    return config


def test_activation_stores_private_credentials_and_printers_reach_the_database(
        tmp_path, live_server, fleet_agent, collector, agents_started):
    config = activated(tmp_path, live_server, fleet_agent)
    credentials = config.state_dir / "credentials.json"
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
    saved = json.loads(credentials.read_text())
    fleet_agent.refresh_from_db()
    assert saved["device_id"] == fleet_agent.device_id and fleet_agent.check_secret(saved["secret"])

    running = agents_started(config, collector)
    definition = json.loads((config.state_dir / "definition.json").read_text())
    assert (definition["device_id"], definition["kind"]) == (fleet_agent.device_id, "fleet")
    wait_until(lambda: supply_level("SIM0001") == 80 and supply_level("SIM0002") == 40, what="telemetry")
    printers = Printer.objects.filter(agent=fleet_agent).order_by("serial")
    assert [(p.serial, str(p.ip_address)) for p in printers] == [("SIM0001", "127.0.1.1"), ("SIM0002", "127.0.1.2")]
    assert wait_until(lambda: running.runtime.outbox is not None and len(running.runtime.outbox) == 0)
    assert running.runtime.status()["route"] == "rest"


def test_a_wrong_code_is_refused(tmp_path, live_server, fleet_agent, capsys):
    state = tmp_path / "state"
    assert fleet_main(["--state-dir", str(state), "activate", "--server", live_server.url, "--code", "nope"]) == 1
    assert "invalid or expired" in capsys.readouterr().err
    assert not (state / "credentials.json").exists()


def test_commands_over_rest_are_acknowledged_and_completed(tmp_path, live_server, acme, fleet_agent, collector,
                                                          agents_started):
    config = activated(tmp_path, live_server, fleet_agent)
    agents_started(config, collector)
    wait_until(lambda: supply_level("SIM0002") == 40, what="first report")
    collector.printers[1].black = 35
    printer = Printer.objects.get(serial="SIM0002")
    refresh = task_services.create_task(acme, TaskType.REFRESH, printers=[printer])
    walk = task_services.create_task(acme, TaskType.MIB_WALK, printers=[printer])
    log = task_services.create_task(acme, TaskType.AGENT_LOG, agents=[fleet_agent])
    version = task_services.create_task(acme, TaskType.UPDATE_AGENT, agents=[fleet_agent])

    def done(task):
        task.refresh_from_db()
        return task.status not in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)

    for task in (refresh, walk, log, version):
        wait_until(lambda t=task: done(t), what=f"{task.task_type} to finish")
        assert task.status == TaskStatus.COMPLETED, Job.objects.filter(task=task).values("status", "message")
    assert supply_level("SIM0002") == 35
    walked = TaskFile.objects.get(job__task=walk)
    assert walked.name == "mibwalk-SIM0002.txt"
    # the Fleet Agent page's MIB Walk names an address and a profile, not a managed printer
    from fleet.services.agents import request_mib_walk

    by_address = request_mib_walk(fleet_agent, "127.0.0.9", fleet_agent.snmp_profiles.get(is_default=True))
    wait_until(lambda: done(by_address), what="the address MIB walk to finish")
    assert by_address.status == TaskStatus.COMPLETED, Job.objects.filter(task=by_address).values("message")
    assert TaskFile.objects.get(job__task=by_address).name == "mibwalk-127.0.0.9.txt"
    assert TaskFile.objects.get(job__task=log).size > 0
    assert Job.objects.get(task=version).result["version"]


def test_a_job_seen_twice_runs_once(tmp_path, live_server, acme, fleet_agent, collector, agents_started):
    config = activated(tmp_path, live_server, fleet_agent)
    running = agents_started(config, collector)
    wait_until(lambda: supply_level("SIM0001") == 80)
    printer = Printer.objects.get(serial="SIM0001")
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer])
    job = Job.objects.get(task=task)
    wait_until(lambda: Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED)
    handled = running.runtime.dispatcher.handled
    polls = len(collector.polls)
    # the same command again, as a late MQTT delivery would bring it
    from fleet.services.commands import build
    [(_jobs, message)] = build([Job.objects.select_related("task", "agent").get(pk=job.pk)])
    running.runtime._command_arrived(message.body)
    wait_until(lambda: running.runtime._commands.empty())
    assert (running.runtime.dispatcher.handled, len(collector.polls)) == (handled, polls)


def test_the_deactivate_command_forgets_the_credentials(tmp_path, live_server, acme, fleet_agent, collector,
                                                        agents_started):
    config = activated(tmp_path, live_server, fleet_agent)
    running = agents_started(config, collector)
    wait_until(lambda: supply_level("SIM0001") == 80)
    task = task_services.create_task(acme, TaskType.DEACTIVATE_AGENT, agents=[fleet_agent])
    running.thread.join(20)
    assert not running.thread.is_alive()
    assert running.runtime.phase == "Deactivated"
    assert not (config.state_dir / "credentials.json").exists()
    assert not (config.state_dir / "outbox.sqlite3").exists()
    assert (config.state_dir / "deactivated.json").exists()
    assert Job.objects.get(task=task).status == JobStatus.COMPLETED


def test_local_agent_activates_silently_from_its_config_file(tmp_path, live_server, acme, agents_started):
    code = agent_services.generate_local_code(acme, 2).code
    config_file = tmp_path / "local-agent.toml"
    config_file.write_text(f"""
server = "{live_server.url}"
activation_code = "{code}"
host_name = "DESKTOP-BN07DNN"
mqtt_url = "-"
rest_poll_seconds = 0.5
backoff_min = 0.2
state_dir = "{tmp_path / 'local'}"

[web]
enabled = false

[[printers]]
address = "127.0.1.7"
port = 16161
version = "v2c"
community = "public"
""")
    config = AgentConfig.load(config_file, "local")
    collector = FakeCollector([FakePrinter("LOCAL01", "127.0.1.7", black=66)])
    running = agents_started(config, collector)
    agent = Agent.objects.get(organization=acme, kind=AgentType.LOCAL)
    assert agent.name == "DESKTOP-BN07DNN"
    wait_until(lambda: supply_level("LOCAL01") == 66, what="local printer report")
    assert running.runtime._interval_minutes() == 180
    assert running.runtime.printers["LOCAL01"]["inline"]["port"] == 16161


def test_messages_queued_while_the_server_is_down_are_delivered_once_in_order(
        tmp_path, live_server, fleet_agent, collector, agents_started):
    config = activated(tmp_path, live_server, fleet_agent)
    state = StateDir(config.state_dir)
    fetch_definition(client_for(config, state.credentials()), state)   # as cached by an earlier run
    credentials_file = config.state_dir / "credentials.json"
    saved = json.loads(credentials_file.read_text())
    credentials_file.write_text(json.dumps({**saved, "server": dead_url()}))   # the server is "down"
    down = agents_started(config, collector)
    wait_until(lambda: len(down.runtime.outbox) >= 3, what="messages queued")   # heartbeat, enroll, telemetry
    down.stop()
    from agents.core.outbox import Outbox

    queued = Outbox(config.state_dir / "outbox.sqlite3")
    ids = [item.id for item in queued.peek()]
    kinds = [item.type for item in queued.peek()]
    queued.close()
    assert kinds[:3] == ["heartbeat", "enroll", "telemetry"]
    assert not ProcessedMessage.objects.filter(message_id__in=ids).exists()

    credentials_file.write_text(json.dumps(saved))                              # ... and back
    up = agents_started(config, collector)
    wait_until(lambda: ProcessedMessage.objects.filter(message_id__in=ids).count() == len(ids), what="replay")
    wait_until(lambda: len(up.runtime.outbox) == 0)
    assert supply_level("SIM0001") == 80
    assert ProcessedMessage.objects.filter(message_id__in=ids).count() == len(ids)


def test_an_unreachable_broker_falls_back_to_rest(tmp_path, live_server, acme, fleet_agent, collector,
                                                  agents_started):
    config = activated(tmp_path, live_server, fleet_agent)
    config.mqtt_url = dead_url("mqtt")
    running = agents_started(config, collector)
    wait_until(lambda: supply_level("SIM0001") == 80, what="telemetry over REST")
    assert not running.runtime.transport.mqtt_connected
    assert running.runtime.status()["route"] == "rest"
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[Printer.objects.get(serial="SIM0001")])
    wait_until(lambda: Job.objects.get(task=task).status == JobStatus.COMPLETED, what="job over REST")
    assert running.runtime.received.get("rest", 0) >= 1
