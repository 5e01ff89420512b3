"""The agent runtime over MQTT against the real Mosquitto (127.0.0.1:1883), a Django live server and the
server's ingest loop (manage.py mqtt_ingest) in a thread: telemetry published by the agent reaches the
database, a command published by the server reaches the agent on its command topic and its job completes, and
messages queued while the broker was down are published once, in order, with their ids, after a restart."""
import json
import queue
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest

from agents import protocol
from agents.core.activation import client_for, fetch_definition
from agents.core.config import StateDir
from agents.core.outbox import Outbox
from agents.fleet_agent import main as fleet_main
from fleet.choices import JobStatus, TaskType
from fleet.management.commands.mqtt_ingest import IngestLoop
from fleet.models import Job, Printer, ProcessedMessage, Supply
from fleet.services import agents as agent_services
from fleet.services import tasks as task_services

from .agent_support import FakeCollector, FakePrinter, agent_config, dead_url, start_agent, wait_until
from .conftest import BROKER

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fleet_agent(acme):
    return agent_services.save_fleet_agent(acme, name=f"Fleet Agent {uuid.uuid4().hex[:6]}")


@pytest.fixture
def collector():
    return FakeCollector([FakePrinter("MQ0001", "127.0.1.11", black=70), FakePrinter("MQ0002", "127.0.1.12", black=30)])


@pytest.fixture
def harness(broker, live_server, fleet_agent, tmp_path):
    """Activate the agent, run the ingest loop on its topic; start agents; stop everything afterwards."""
    started, loops = [], []
    code = agent_services.current_activation_code(fleet_agent).code
    config = agent_config(tmp_path, server=live_server.url, mqtt_url="", command_check_seconds=3600,
                          rest_poll_seconds=3600, mqtt_grace_seconds=10)
    assert fleet_main(["--state-dir", str(config.state_dir), "activate", "--server", live_server.url,
                       "--code", code]) == 0
    fleet_agent.refresh_from_db()

    class Harness:
        agent, settings = fleet_agent, config

        def ingest(self):
            loop = IngestLoop(BROKER, topics=[protocol.telemetry_topic(fleet_agent.device_id) + "#"], batch_ms=50,
                              progress_seconds=3600, write=lambda line: None)
            thread = threading.Thread(target=loop.run, daemon=True)
            thread.start()
            assert loop.subscribed.wait(10)
            loops.append((loop, thread))
            return loop

        def start(self, collector, **changes):
            for name, value in changes.items():
                setattr(config, name, value)
            started.append(start_agent(config, collector).wait_started())
            return started[-1]

    yield Harness()
    for running in started:
        if running.thread.is_alive():
            running.stop()
    for loop, thread in loops:
        loop.stop()
        thread.join(10)


def supply_level(serial):
    return Supply.objects.filter(printer__serial=serial, color="Black").values_list("level", flat=True).first()


def test_telemetry_over_mqtt_reaches_the_database(harness, collector):
    harness.ingest()
    running = harness.start(collector)
    wait_until(lambda: running.runtime.transport.mqtt_connected, what="broker connection")
    wait_until(lambda: supply_level("MQ0001") == 70 and supply_level("MQ0002") == 30, what="telemetry")
    assert running.runtime.status()["route"] == "mqtt"
    assert Printer.objects.filter(agent=harness.agent).count() == 2
    wait_until(lambda: len(running.runtime.outbox) == 0)


def test_a_command_published_by_the_server_reaches_the_agent_over_mqtt(harness, collector, acme):
    harness.ingest()
    running = harness.start(collector)
    wait_until(lambda: running.runtime.transport.mqtt_connected and supply_level("MQ0002") == 30)
    collector.printers[1].black = 25
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[Printer.objects.get(serial="MQ0002")])
    job = Job.objects.get(task=task)
    wait_until(lambda: Job.objects.get(pk=job.pk).status == JobStatus.COMPLETED, what="job completed")
    assert running.runtime.received.get("mqtt") == 1      # REST polls only hourly in this test
    assert supply_level("MQ0002") == 25


def test_messages_queued_while_the_broker_is_down_go_out_once_in_order(harness, collector, live_server):
    state = StateDir(harness.settings.state_dir)
    fetch_definition(client_for(harness.settings, state.credentials()), state)
    credentials_file = state.file("credentials.json")
    saved = json.loads(credentials_file.read_text())
    credentials_file.write_text(json.dumps({**saved, "server": dead_url()}))   # no REST way out either
    down = harness.start(collector, mqtt_url=dead_url("mqtt"))
    wait_until(lambda: len(down.runtime.outbox) >= 3, what="messages queued")
    down.stop()
    box = Outbox(state.outbox_file)
    queued = [(item.id, item.type) for item in box.peek()]
    box.close()
    assert [kind for _, kind in queued][:3] == ["heartbeat", "enroll", "telemetry"]

    seen: queue.Queue = queue.Queue()
    watcher = mqtt.Client(client_id=f"test-watch-{uuid.uuid4().hex[:8]}", clean_session=True)
    subscribed = threading.Event()
    watcher.on_connect = lambda c, u, f, rc: c.subscribe(protocol.telemetry_topic(saved["device_id"]) + "#", qos=1)
    watcher.on_subscribe = lambda c, u, mid, qos: subscribed.set()
    watcher.on_message = lambda c, u, message: seen.put(json.loads(message.payload)["id"])
    watcher.connect("127.0.0.1", 1883)
    watcher.loop_start()
    try:
        assert subscribed.wait(5)
        ingest = harness.ingest()
        credentials_file.write_text(json.dumps(saved))
        up = harness.start(collector, mqtt_url="")            # the broker named at activation: the real one
        wait_until(lambda: len(up.runtime.outbox) == 0 and up.runtime.transport.mqtt_connected, what="replay")
        received = []
        while len(received) < len(queued):
            received.append(seen.get(timeout=10))
        assert received == [message_id for message_id, _ in queued]
        wait_until(lambda: ProcessedMessage.objects.filter(message_id__in=received).count() == len(received))
        assert ingest.totals.duplicates == 0
        assert supply_level("MQ0001") == 70
    finally:
        watcher.loop_stop()
        watcher.disconnect()
