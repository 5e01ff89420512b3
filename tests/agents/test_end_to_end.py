"""Issue 6, "Done when": the whole chain on this machine. The printer simulator (a few printers on a random
loopback range), a Mosquitto broker of the test's own (the `mosquitto` binary on a free port, stopped and
started again by the test), the portal (pytest-django's live server), the server's ingest loop
(manage.py mqtt_ingest's IngestLoop, in a thread) and a Fleet Agent with the production SNMP collector.

The agent activates with a code generated on the agent's portal page (Django's test client, signed in as a Fleet
Management and File Service Administrator), discovers the loopback range and the printers appear with the
supplies, alerts and counters the simulator serves; a Refresh printer information task and a MIB Walk task
requested from the portal complete (the walk is downloaded from the Tasks page's link); then the broker is
stopped, printers change and are polled while it is down (the messages wait in the agent's outbox, a refresh
task arrives over REST), the broker comes back on the same port and every queued message is applied once.

The broker keeps its sessions on disk (`persistence true`, in the test's directory) and the ingest uses a
fixed client id, as `mqtt_ingest --client-id` does in production: after a broker restart the ingest's
subscription exists before the agent (reconnecting every second) publishes its backlog. With `persistence
false` the broker forgets the ingest's subscription on restart, and whatever the agent publishes before the
ingest has reconnected (paho's back-off doubles up to 60 s) is acknowledged by the broker and dropped.
"""
import asyncio
import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from agents import protocol
from agents.core.collector import SnmpCollector
from agents.fleet_agent import main as fleet_main
from agents.simulator import SimulatedFleet
from fleet.choices import CriterionKind, SearchType, TaskStatus
from fleet.management.commands.mqtt_ingest import IngestLoop
from fleet.models import Alert, Printer, ProcessedMessage, Task, TaskFile
from fleet.services import agents as agent_services
from tests.conftest import make_user

from .agent_support import Running, agent_config, free_port, wait_until
from .simulator_support import fleet_range

pytestmark = pytest.mark.django_db(transaction=True)

PRINTERS = 4
# The broker stays down at least this long: the ingest's reconnect back-off (paho: 1, 2, 4, 8 s ...) then runs
# past the agent's (1 s), so the agent publishes its backlog before the ingest is back: only a broker session
# kept for the ingest saves those messages (without one this test loses them, see the module docstring).
OUTAGE_SECONDS = 8
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    """A Mosquitto of the test's own on 127.0.0.1:`port` (anonymous, plain TCP); stop() and start() keep the
    port, so clients reconnect to the same address."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.url = f"mqtt://127.0.0.1:{self.port}"
        self.config = folder / "mosquitto.conf"
        self.log = folder / "mosquitto.log"
        (folder / "data").mkdir()
        # `user`: started as root, mosquitto would switch to the user "mosquitto", who cannot write here
        self.config.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                               f"persistence_location {folder / 'data'}/\nlog_dest file {self.log}\n"
                               f"user {getpass.getuser()}\n")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"mosquitto did not start: {self.process.stderr.read()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)   # a clean stop writes the sessions to disk
            self.process.wait(10)
        self.process = None


@pytest.fixture
def broker(tmp_path, settings):
    if not os.path.exists(MOSQUITTO):
        if os.environ.get("LEXCLOUD_REQUIRE_SERVICES"):
            pytest.fail("the mosquitto binary is missing (apt-get install mosquitto)")
        pytest.skip("needs the Debian package mosquitto (apt-get install mosquitto)")
    folder = tmp_path / "broker"
    folder.mkdir()
    running = Broker(folder)
    running.start()
    settings.MQTT_URL = running.url      # the activation answer, the task commands and the ingest use it
    yield running
    running.stop()


@pytest.fixture
def printers():
    fleet = SimulatedFleet(printers=PRINTERS, first_address=fleet_range(), port=0, seed=11)
    fleet.devices[0].jam()                             # an open alert to find in the portal
    fleet.devices[1].set_supply_level("black", 4)      # a supply alert (toner low)
    fleet.devices[2].print_pages(120, color=True, duplex=True)
    with fleet.running():
        yield fleet


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator", "file_service_administrator"])


@pytest.fixture
def portal(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def started():
    """Agents and ingest loops started by the test, stopped at the end whatever happened."""
    items = []
    yield items
    for item in reversed(items):
        item()


def fleet_agent_for(organization, fleet: SimulatedFleet):
    """The Fleet Agent as the Create Fleet Agent form saves it: Advanced Search over the simulator's range plus
    one silent address, SNMP v2c on the simulator's port, no network delay."""
    last = fleet.devices[-1].address
    silent = last[:last.rindex(".") + 1] + str(int(last.rsplit(".", 1)[1]) + 1)
    return agent_services.save_fleet_agent(
        organization, name=f"E2E Fleet Agent {uuid.uuid4().hex[:6]}",
        settings_=agent_services.FleetSettings(search_type=SearchType.ADVANCED, network_delay=0),
        profiles=[agent_services.ProfileSpec(name="Default", version="v2c", community="public", timeout=1,
                                             retries=1, port=fleet.port)],
        criteria=[agent_services.CriterionSpec(CriterionKind.INCLUDE, f"{fleet.devices[0].address}-{silent}",
                                               "Default")])


def code_from_portal(portal: Client, agent) -> str:
    """Generate activation code on the agent's page, then read the code the page shows."""
    kwargs = {"org_id": agent.organization_id, "agent_id": agent.pk}
    response = portal.post(reverse("fleet:agent-activation-code", kwargs=kwargs))
    assert response.status_code == 302, response.status_code
    page = portal.get(reverse("fleet:agent", kwargs=kwargs)).content.decode()
    return re.search(r'data-testid="activation-code">([^<]+)<', page).group(1)


def start_ingest(broker: Broker, agent, started: list) -> IngestLoop:
    """The server's ingest loop on the agent's topic, with a fixed client id (a persistent broker session)."""
    loop = IngestLoop(broker.url, topics=[protocol.telemetry_topic(agent.device_id) + "#"], batch_ms=50,
                      client_id=f"e2e-ingest-{uuid.uuid4().hex[:8]}", progress_seconds=3600, write=lambda line: None)
    thread = threading.Thread(target=loop.run, daemon=True)
    thread.start()
    assert loop.subscribed.wait(10)
    started.append(lambda: (loop.stop(), thread.join(10)))
    return loop


def task_done(task_id: int) -> Task | None:
    task = Task.objects.get(pk=task_id)
    return task if task.status not in (TaskStatus.PENDING, TaskStatus.IN_PROGRESS) else None


def stored(serial: str) -> dict:
    """What the portal holds of a printer: supply levels by key, open alert codes, counters."""
    printer = Printer.objects.get(serial=serial)
    return {"ip": str(printer.ip_address),
            "supplies": {s.key: s.level for s in printer.supplies.all()},
            "alerts": sorted(Alert.objects.filter(printer=printer, cleared_at__isnull=True)
                             .values_list("code", flat=True)),
            "counters": printer.counters}


def served(device) -> dict:
    """The same, as the simulator serves it."""
    return {"ip": device.address, "supplies": {s["key"]: s["level"] for s in device.supplies_view()},
            "alerts": sorted(str(a["code"]) for a in device.alerts_view()), "counters": device.counters}


def matches(fleet: SimulatedFleet) -> bool:
    return all(Printer.objects.filter(serial=d.serial).exists() and stored(d.serial) == served(d)
               for d in fleet.devices)


def test_simulator_agent_broker_ingest_and_portal(tmp_path, live_server, acme, portal, broker, printers, started):
    agent = fleet_agent_for(acme, printers)
    code = code_from_portal(portal, agent)
    config = agent_config(tmp_path, server=live_server.url, mqtt_url="", mqtt_grace_seconds=3600,
                          command_check_seconds=3600, rest_poll_seconds=0.5)
    assert fleet_main(["--state-dir", str(config.state_dir), "activate", "--server", live_server.url,
                       "--code", code]) == 0
    agent.refresh_from_db()
    ingest = start_ingest(broker, agent, started)
    running = Running(config, SnmpCollector(None)).wait_started(30)
    started.append(running.stop)
    runtime = running.runtime

    # discovery over the loopback range: the printers appear as the simulator serves them
    wait_until(lambda: runtime.transport.mqtt_connected, what="the agent's broker connection")
    wait_until(lambda: matches(printers), timeout=30, what="printers, supplies, alerts and counters in the portal")
    assert Printer.objects.filter(agent=agent).count() == PRINTERS
    assert stored(printers.devices[0].serial)["alerts"] and stored(printers.devices[1].serial)["alerts"]
    assert runtime.status()["route"] == "mqtt"

    # a Refresh printer information task and a MIB Walk task from the portal, delivered over MQTT
    org = {"org_id": acme.pk}
    first, second = (Printer.objects.get(serial=d.serial) for d in printers.devices[:2])
    printers.devices[0].set_supply_level("black", 61)
    response = portal.post(reverse("fleet:printers-refresh", kwargs=org), {"printer": [first.pk]})
    assert response.status_code == 302
    response = portal.post(reverse("fleet:printer-request-log", kwargs={**org, "printer_id": second.pk}),
                           {"log_type": "mib_walk"})
    assert response.status_code == 302
    refresh, walk = Task.objects.filter(organization=acme).order_by("pk")
    for task in (refresh, walk):
        assert wait_until(lambda t=task: task_done(t.pk), timeout=20, what=f"{task.task_type}").status == \
            TaskStatus.COMPLETED
    assert stored(first.serial)["supplies"] == served(printers.devices[0])["supplies"]
    walked = TaskFile.objects.get(job__task=walk)
    assert walked.name == f"mibwalk-{second.serial}.txt"
    download = portal.get(reverse("fleet:task-file", kwargs={**org, "file_id": walked.pk}))   # the Tasks page link
    assert download.status_code == 200
    text = b"".join(download.streaming_content if download.streaming else [download.content]).decode()
    assert ".1.3.6.1.2.1.43.5.1.1.17.1 = STRING:" in text and second.serial in text
    assert runtime.received.get("mqtt", 0) >= 2
    wait_until(lambda: len(runtime.outbox) == 0, what="the outbox drained")
    applied_before = ingest.totals.applied

    # the broker goes away: new state is polled, its messages wait in the agent's outbox
    broker.stop()
    down_at = time.monotonic()
    wait_until(lambda: not runtime.transport.mqtt_connected, what="the agent to see the broker gone")
    changed = printers.devices
    changed[0].set_supply_level("black", 47)
    changed[2].print_pages(35)
    changed[3].jam()
    asyncio.run_coroutine_threadsafe(runtime.poll_round(refresh=True), runtime.loop).result(30)
    changed[0].set_supply_level("black", 44)           # a second round: the last state must win
    changed[1].replace_supply("black")
    asyncio.run_coroutine_threadsafe(runtime.poll_round(refresh=True), runtime.loop).result(30)
    handled = runtime.dispatcher.handled
    outage_refresh = portal.post(reverse("fleet:printers-refresh", kwargs=org),
                                 {"printer": [Printer.objects.get(serial=changed[3].serial).pk]})
    assert outage_refresh.status_code == 302
    outage_task = Task.objects.filter(organization=acme).latest("pk")
    # command_check_seconds is an hour: the command arrives by REST only because the agent notices the lost broker
    wait_until(lambda: runtime.received.get("rest", 0) >= 1, what="the refresh command over REST")
    wait_until(lambda: runtime.dispatcher.handled > handled, what="the refresh job done, its outcome queued")
    queued = runtime.outbox.peek(1000)
    ids = [item.id for item in queued]
    assert sum(1 for item in queued if item.type == protocol.MessageType.TELEMETRY) >= 3
    assert not ProcessedMessage.objects.filter(message_id__in=ids).exists()
    assert stored(changed[0].serial)["supplies"] != served(changed[0])["supplies"]
    assert task_done(outage_task.pk) is None

    # the broker is back on the same port: every queued message arrives, once
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_at)))
    broker.start()
    wait_until(lambda: runtime.transport.mqtt_connected, what="the agent's reconnection")
    wait_until(lambda: len(runtime.outbox) == 0, timeout=20, what="the outbox drained after the outage")
    wait_until(lambda: ProcessedMessage.objects.filter(message_id__in=ids).count() == len(ids), timeout=30,
               what="every queued message applied")
    wait_until(lambda: matches(printers), timeout=20, what="the new levels, alerts and counters")
    assert ingest.totals.applied - applied_before >= len(ids)
    assert ingest.totals.duplicates == 0 and ingest.totals.errors == 0
    assert wait_until(lambda: task_done(outage_task.pk), what="the refresh sent during the outage").status == \
        TaskStatus.COMPLETED
