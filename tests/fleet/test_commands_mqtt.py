"""Commands reach agents (ARCHITECTURE "Data flows 2. Commands"): published after commit on the agent's command
topic of the real Mosquitto broker, received here by a paho subscriber as an agent would; kept pending when the
broker is down and resent by the beat task; and handed out over REST to agents that poll."""
import json
import queue
import threading
import uuid
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from django.urls import reverse
from django.utils import timezone

from agents import protocol
from fleet.choices import JobStatus, TaskStatus, TaskType
from fleet.models import Job
from fleet.services import commands
from fleet.services import tasks as task_services
from tests.fleet.tasks_support import agent_of, basic, event, printer_of
from tests.services import require

BROKER = ("127.0.0.1", 1883)


class Subscriber:
    """An agent's side of the command topic: subscribes with QoS 1 and collects what arrives."""

    def __init__(self, device_id):
        self.received: queue.Queue = queue.Queue()
        subscribed = threading.Event()
        self.client = mqtt.Client(client_id=f"test-agent-{uuid.uuid4().hex[:12]}", clean_session=True)
        self.client.on_connect = lambda c, u, f, rc: c.subscribe(protocol.command_subscription(device_id), qos=1)
        self.client.on_subscribe = lambda c, u, mid, qos: subscribed.set()
        self.client.on_message = lambda c, u, message: self.received.put(message)
        self.client.connect(*BROKER, keepalive=30)
        self.client.loop_start()
        assert subscribed.wait(5), "the broker did not acknowledge the subscription"

    def next(self, timeout=5.0):
        return self.received.get(timeout=timeout)

    def nothing_more(self, wait=0.5) -> bool:
        try:
            self.received.get(timeout=wait)
        except queue.Empty:
            return True
        return False

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def broker(settings):
    require(*BROKER, "mosquitto")
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    subscribers = []

    def subscribe(agent):
        subscriber = Subscriber(agent.device_id)
        subscribers.append(subscriber)
        return subscriber

    yield subscribe
    for subscriber in subscribers:
        subscriber.close()


def decode(message) -> protocol.Message:
    return protocol.decode(message.payload, upstream=False)


def test_a_command_is_published_on_the_agents_topic_after_commit(acme, broker, django_capture_on_commit_callbacks):
    agent = agent_of(acme)
    inbox = broker(agent)
    printer = printer_of(agent, "MIB-1")
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.create_task(acme, TaskType.MIB_WALK, printers=[printer], args={"profile": "Default"})
        assert inbox.nothing_more(0.3), "published before the task was committed"
    received = inbox.next()
    job = task.jobs.get()
    assert received.topic == protocol.command_topic(agent.device_id) and received.qos == 1
    message = decode(received)
    assert (message.type, message.agent) == ("command", agent.device_id)
    body = message.body
    assert (body.job, body.command, body.printers, body.args) == (job.pk, "mib_walk", ["MIB-1"], {"profile": "Default"})
    assert protocol.parse_time(body.expires_at, "expires_at") > timezone.now() + timedelta(days=6, hours=23)
    assert job.sent_at is not None and job.status == JobStatus.PENDING  # sent, not yet acknowledged by the agent


def test_jobs_of_one_agent_travel_in_one_command_with_a_job_per_serial(acme, broker,
                                                                       django_capture_on_commit_callbacks):
    first, second = agent_of(acme), agent_of(acme)
    inbox_first, inbox_second = broker(first), broker(second)
    mine = [printer_of(first, f"A-{i}") for i in range(3)]
    theirs = printer_of(second, "B-0")
    silent = printer_of(first, "A-silent", communicating=False)
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.create_task(acme, TaskType.REFRESH, printers=[*mine, theirs, silent])
    jobs = {job.serial: job.pk for job in task.jobs.all()}
    body = decode(inbox_first.next()).body
    assert body.command == "refresh" and sorted(body.printers) == ["A-0", "A-1", "A-2"]
    assert body.args["jobs"] == {serial: jobs[serial] for serial in ("A-0", "A-1", "A-2")}
    assert body.job == jobs["A-0"]
    assert inbox_first.nothing_more()
    other = decode(inbox_second.next()).body
    assert (other.printers, other.args["jobs"]) == (["B-0"], {"B-0": jobs["B-0"]})
    assert Job.objects.filter(task=task, sent_at__isnull=False).count() == 4
    assert Job.objects.get(pk=jobs["A-silent"]).status == JobStatus.NOT_COMMUNICATING


def test_agent_commands_carry_no_printers(acme, broker, django_capture_on_commit_callbacks):
    agent = agent_of(acme)
    inbox = broker(agent)
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.create_task(acme, TaskType.DISCOVER, agents=[agent])
    body = decode(inbox.next()).body
    assert (body.job, body.command, body.printers, body.args) == (task.jobs.get().pk, "discover", [], {})


def test_nothing_is_published_when_the_task_rolls_back(acme, broker, django_capture_on_commit_callbacks):
    agent = agent_of(acme)
    inbox = broker(agent)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    assert len(callbacks) == 1  # scheduled for commit, not run inline
    assert inbox.nothing_more()


def test_a_broker_that_is_down_leaves_the_job_pending_until_the_beat_resends_it(acme, broker, settings,
                                                                                django_capture_on_commit_callbacks):
    agent = agent_of(acme)
    inbox = broker(agent)
    settings.MQTT_URL = "mqtt://127.0.0.1:9"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=True):
        task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent, "LATE-1")])
    job = task.jobs.get()
    assert (job.status, job.sent_at) == (JobStatus.PENDING, None)
    settings.MQTT_URL = "mqtt://127.0.0.1:1883"
    assert commands.send_unsent() == 0  # too recent: its own on-commit send may still be under way
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - commands.RESEND_AFTER - timedelta(seconds=1))
    from fleet.tasks import send_pending_commands

    assert send_pending_commands.delay().get() == 1
    assert decode(inbox.next()).body.printers == ["LATE-1"]
    job.refresh_from_db()
    assert job.sent_at is not None
    assert commands.send_unsent() == 0


# ---------------------------------------------------------------------------------------------- REST fallback
def test_agents_without_mqtt_poll_their_pending_commands(acme, globex, client, settings):
    settings.MQTT_URL = ""
    agent, other = agent_of(acme), agent_of(globex)
    printers = [printer_of(agent, f"R-{i}") for i in range(2)]
    task = task_services.create_task(acme, TaskType.REFRESH, printers=printers)
    task_services.create_task(acme, TaskType.DISCOVER, agents=[agent])
    task_services.create_task(globex, TaskType.REFRESH, printers=[printer_of(other, "G-1")])
    assert not Job.objects.filter(sent_at__isnull=False).exists()

    response = client.get(reverse("agents-api:commands"), **basic(agent))
    assert response.status_code == 200
    envelopes = response.json()["commands"]
    messages = [protocol.decode(json.dumps(e), upstream=False) for e in envelopes]
    assert [m.body.command for m in messages] == ["discover", "refresh"]
    assert {m.agent for m in messages} == {agent.device_id}
    assert sorted(messages[1].body.printers) == ["R-0", "R-1"]
    assert Job.objects.filter(agent=agent, sent_at__isnull=False).count() == 3
    assert not Job.objects.filter(agent=other, sent_at__isnull=False).exists()

    again = client.get(reverse("agents-api:commands"), **basic(agent)).json()["commands"]
    assert len(again) == 2, "pending jobs are handed out until the agent reports on them"
    for job in Job.objects.filter(agent=agent):
        task_services.record_event(agent, event(job, "completed"))
    assert client.get(reverse("agents-api:commands"), **basic(agent)).json()["commands"] == []
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED


def test_the_commands_endpoint_needs_the_agents_credentials(acme, client):
    agent = agent_of(acme)
    url = reverse("agents-api:commands")
    assert client.get(url).status_code == 401
    agent.secret = "wrong"
    assert client.get(url, **basic(agent)).status_code == 401


def test_expired_jobs_are_not_handed_out(acme, client, settings):
    settings.MQTT_URL = ""
    agent = agent_of(acme)
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    Job.objects.filter(task=task).update(created_at=timezone.now() - timedelta(days=8))
    assert client.get(reverse("agents-api:commands"), **basic(agent)).json()["commands"] == []


def test_an_acknowledgement_posted_by_the_agent_reaches_the_job(acme, client, settings):
    """The agent's event travels the ingest path (POST /api/agents/v1/messages) to record_event."""
    settings.MQTT_URL = ""
    agent = agent_of(acme)
    task = task_services.create_task(acme, TaskType.REFRESH, printers=[printer_of(agent)])
    job = task.jobs.get()
    envelope = protocol.Message(type="event", agent=agent.device_id,
                                body=protocol.Event(job=job.pk, state="completed", message="Refreshed"))
    response = client.post(reverse("agents-api:messages"), envelope.to_json(), content_type="application/json",
                           **basic(agent))
    assert response.status_code == 202, response.content
    job.refresh_from_db()
    task.refresh_from_db()
    assert (job.status, job.message, task.status) == (JobStatus.COMPLETED, "Refreshed", TaskStatus.COMPLETED)
