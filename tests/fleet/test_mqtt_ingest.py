"""`manage.py mqtt_ingest` against the real Mosquitto broker (127.0.0.1:1883): messages published with paho
on the agents' topics reach the database through the ingest loop, running in a thread of the test.
Each test uses fresh device ids and subscribes to them only, so parallel runs do not see each other."""
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from agents.protocol import telemetry_topic
from fleet.management.commands.mqtt_ingest import IngestLoop
from fleet.models import Alert, CounterSnapshot, Printer, ProcessedMessage
from tests.services import require

from .telemetry import T0, alert, envelope, later, make_agent, make_printer, report, supplies, telemetry

BROKER = "mqtt://127.0.0.1:1883"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    require("127.0.0.1", 1883, "mosquitto")
    return BROKER


class Running:
    """An ingest loop in a thread, subscribed to the given agents' topics."""

    def __init__(self, agents, *, share="", batch_ms=50):
        self.lines = []
        topics = [telemetry_topic(a.device_id) + "#" for a in agents]
        self.loop = IngestLoop(BROKER, topics=topics, share=share, batch_ms=batch_ms, progress_seconds=3600,
                               write=self.lines.append)
        self.thread = threading.Thread(target=self.loop.run, daemon=True)
        self.thread.start()
        assert self.loop.subscribed.wait(10), self.lines

    def wait_for(self, messages: int, timeout=15.0):
        """Until the loop has handled `messages` messages in all (applied, duplicate, refused or bad)."""
        deadline = time.monotonic() + timeout
        while self.loop.totals.messages < messages:
            assert time.monotonic() < deadline, (self.loop.totals, self.lines)
            time.sleep(0.02)
        return self.loop.totals

    def stop(self):
        self.loop.stop()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def running(broker):
    started = []

    def start(*agents, **options):
        started.append(Running(agents, **options))
        return started[-1]

    yield start
    for run in started:
        run.stop()


@pytest.fixture
def publisher(broker):
    client = mqtt.Client(client_id=f"test-publisher-{uuid.uuid4().hex[:8]}", clean_session=True)
    client.connect("127.0.0.1", 1883)
    client.loop_start()

    def publish(data, *, device_id=None):
        """Publish a wire message on the topic of `device_id` (default: the envelope's own agent)."""
        import json

        topic = telemetry_topic(device_id or data["agent"])
        info = client.publish(topic, json.dumps(data), qos=1)
        info.wait_for_publish(5)
        assert info.is_published()

    yield publish
    client.loop_stop()
    client.disconnect()


def full(serial, at, **fields):
    return report(serial, at, **{"status": "warning", "counters": {"lifetimeCount": 100}, "uptime": 600,
                                 "supplies": supplies(black=60), "alerts": [alert("a1")], **fields})


def test_telemetry_published_on_the_broker_reaches_the_printer(acme, running, publisher):
    agent = make_agent(acme)
    printer = make_printer(agent, "MQ1")
    run = running(agent)
    publisher(telemetry(agent, full("MQ1", T0)))
    assert run.wait_for(1).applied == 1
    printer.refresh_from_db()
    assert (printer.status, printer.last_data_refresh, printer.printer_alerts) == ("warning", T0, 1)
    assert CounterSnapshot.objects.get(printer=printer).values == {"lifetimeCount": 100}


def test_a_message_replayed_twice_changes_nothing(acme, running, publisher):
    agent = make_agent(acme)
    printer = make_printer(agent, "MQ1")
    run = running(agent)
    first = telemetry(agent, full("MQ1", T0, alerts=[alert("a1"), alert("a2", "error")]))
    publisher(first)
    publisher(telemetry(agent, full("MQ1", later(hours=1), status="ready", alerts=[],
                                    counters={"lifetimeCount": 150})))
    run.wait_for(2)
    publisher(first)
    publisher(first)
    totals = run.wait_for(4)
    assert (totals.applied, totals.duplicates) == (2, 2)
    printer.refresh_from_db()
    assert (printer.status, printer.printer_alerts, printer.last_data_refresh) == ("ready", 0, later(hours=1))
    assert printer.counters == {"lifetimeCount": 150}
    assert not Alert.objects.filter(printer=printer, cleared_at__isnull=True).exists()
    assert CounterSnapshot.objects.filter(printer=printer).count() == 2
    assert ProcessedMessage.objects.filter(message_id=first["id"]).count() == 1


def test_an_older_report_arriving_late_does_not_overwrite_the_newer_state(acme, running, publisher):
    agent = make_agent(acme)
    printer = make_printer(agent, "MQ1")
    run = running(agent)
    publisher(telemetry(agent, full("MQ1", later(hours=2), status="ready", firmware="NEW",
                                    supplies=supplies(black=40), alerts=[], counters={"lifetimeCount": 300})))
    run.wait_for(1)
    publisher(telemetry(agent, full("MQ1", later(hours=1), status="error", firmware="OLD",
                                    supplies=supplies(black=50), alerts=[alert("old")],
                                    counters={"lifetimeCount": 200})))
    totals = run.wait_for(2)
    assert (totals.applied, totals.reports, totals.stale) == (2, 1, 1)
    printer.refresh_from_db()
    assert (printer.status, printer.firmware, printer.lowest_supply) == ("ready", "NEW", 40)
    assert printer.last_data_refresh == later(hours=2) and printer.counters == {"lifetimeCount": 300}
    assert not Alert.objects.filter(printer=printer).exists()
    history = list(CounterSnapshot.objects.filter(printer=printer).values_list("collected_at", "values"))
    assert history == [(later(hours=1), {"lifetimeCount": 200}), (later(hours=2), {"lifetimeCount": 300})]


def test_an_agent_that_does_not_own_the_printer_changes_nothing(acme, globex, running, publisher):
    owner, intruder, foreign = make_agent(acme), make_agent(acme), make_agent(globex)
    printer = make_printer(owner, "MQ1")
    run = running(owner, intruder, foreign)
    publisher(telemetry(intruder, full("MQ1", T0, status="error")))           # same organization, not its printer
    publisher(telemetry(foreign, full("MQ1", T0, status="error")))            # another organization
    publisher(telemetry(owner, full("MQ1", T0, status="error")), device_id=intruder.device_id)  # spoofed envelope
    totals = run.wait_for(3)
    assert (totals.applied, totals.refused_reports, totals.refused, totals.reports) == (2, 2, 1, 0)
    printer.refresh_from_db()
    assert printer.status == "unknown" and printer.last_data_refresh is None
    assert not CounterSnapshot.objects.exists() and not Alert.objects.exists()
    assert not Printer.objects.filter(organization=globex).exists()


def test_a_bad_payload_is_counted_and_the_next_message_still_applies(acme, running, publisher):
    agent = make_agent(acme)
    printer = make_printer(agent, "MQ1")
    run = running(agent)
    publisher({"v": 1, "type": "telemetry", "agent": agent.device_id})
    publisher(telemetry(agent, full("MQ1", T0)))
    totals = run.wait_for(2)
    assert (totals.errors, totals.applied) == (1, 1)
    assert Printer.objects.get(pk=printer.pk).last_data_refresh == T0


def test_a_shared_subscription_spreads_messages_over_processes_each_applied_once(acme, running, publisher):
    agent = make_agent(acme)
    serials = [f"SH{i:02d}" for i in range(20)]
    for serial in serials:
        make_printer(agent, serial)
    group = f"test-{uuid.uuid4().hex[:8]}"
    first, second = running(agent, share=group), running(agent, share=group)
    for i, serial in enumerate(serials):
        publisher(telemetry(agent, full(serial, later(minutes=i))))
    deadline = time.monotonic() + 15
    while first.loop.totals.messages + second.loop.totals.messages < len(serials):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert first.loop.totals.applied + second.loop.totals.applied == len(serials)
    assert first.loop.totals.applied and second.loop.totals.applied      # both took part
    assert Printer.objects.filter(serial__in=serials, last_data_refresh__isnull=False).count() == len(serials)


def test_a_heartbeat_over_the_broker_updates_the_agent(acme, running, publisher):
    agent = make_agent(acme)
    run = running(agent)
    publisher(envelope(agent, "heartbeat", {"version": "1.9.0"}))
    run.wait_for(1)
    agent.refresh_from_db()
    assert agent.version == "1.9.0" and agent.last_communication is not None


def test_the_command_stops_cleanly_on_sigterm(broker, tmp_path):
    topic = f"devices/test-{uuid.uuid4().hex}/messages/events/#"     # a topic nobody publishes to
    env = {**os.environ, "MQTT_URL": BROKER, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    process = subprocess.Popen([sys.executable, "manage.py", "mqtt_ingest", "--topic", topic, "--progress", "3600"],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while not any("subscribed to" in line for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, lines
            lines.append(process.stdout.readline())
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, out
    assert "stopped" in out


def test_the_command_needs_a_broker_url(settings):
    from django.core.management import CommandError, call_command

    settings.MQTT_URL = ""
    with pytest.raises(CommandError, match="MQTT_URL is not set"):
        call_command("mqtt_ingest")
    with pytest.raises(CommandError, match="mqtt://"):
        call_command("mqtt_ingest", url="http://127.0.0.1:1883")


def test_the_production_stack_runs_the_ingest_process_against_the_broker_and_database():
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    ingest = compose["services"]["mqtt-ingest"]
    assert ingest["command"].startswith("python manage.py mqtt_ingest")
    assert "--share" in ingest["command"]                  # several replicas split the messages
    assert ingest["environment"]["MQTT_URL"].startswith("mqtt://")
    assert ingest["environment"]["DATABASE_URL"].startswith("postgres://")
    assert {"postgres", "mosquitto"} <= set(ingest["depends_on"])


class _Proxy:
    """A TCP relay to the broker that can cut every connection, as a broker restart or a network failure would."""

    def __init__(self):
        import socket

        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets, self.running = [], True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket

        while self.running:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", 1883))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.close()
                except OSError:
                    pass

    def cut(self):
        import socket

        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []

    def close(self):
        self.running = False
        self.cut()
        self.listener.close()


def test_the_loop_reconnects_and_subscribes_again_after_losing_the_broker(acme, broker, publisher):
    agent = make_agent(acme)
    printer = make_printer(agent, "MQ1")
    proxy = _Proxy()
    lines = []
    loop = IngestLoop(f"mqtt://127.0.0.1:{proxy.port}", topics=[telemetry_topic(agent.device_id) + "#"],
                      batch_ms=50, progress_seconds=3600, write=lines.append)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    try:
        assert loop.subscribed.wait(10), lines
        proxy.cut()
        deadline = time.monotonic() + 10
        while loop.subscribed.is_set() and time.monotonic() < deadline:   # the loss is noticed...
            time.sleep(0.02)
        assert loop.subscribed.wait(15), lines                              # ...and the session comes back
        assert any("reconnecting" in line for line in lines)
        publisher(telemetry(agent, full("MQ1", T0)))
        deadline = time.monotonic() + 15
        while loop.totals.applied < 1:
            assert time.monotonic() < deadline, lines
            time.sleep(0.02)
        assert Printer.objects.get(pk=printer.pk).last_data_refresh == T0
    finally:
        loop.stop()
        thread.join(10)
        proxy.close()
