"""Commands to agents: pending jobs become `agents.protocol` command messages, published with QoS 1 on each
agent's command topic once their task is committed, or handed to agents that poll
`GET /api/agents/v1/commands` (the REST fallback, also the way when no MQTT broker is configured).

Grouping: the jobs of one task and one agent for a command that takes several printers travel in one message;
`printers` lists the serial numbers and `args["jobs"]` maps each serial to its own job id, on which the agent
reports (`job` is the first of them). Every other command carries exactly one job. An agent treats a job id it
has already seen as a duplicate (a job may come both over MQTT and over REST).
"""
import logging
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, timedelta
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.utils import timezone

from agents.protocol import Command, CommandMessage, Message, MessageType, command_topic

from ..choices import TASK_COMMANDS, JobStatus
from ..models import Job

log = logging.getLogger(__name__)

MULTI_PRINTER = frozenset({Command.REFRESH, Command.UNENROLL, Command.PANEL_NOTIFICATION,
                           Command.CLEAR_NOTIFICATION, Command.UPDATE_CREDENTIALS, Command.RESTART})
PRINTERS_PER_MESSAGE = 500
QOS = 1
TIMEOUT = 5.0            # seconds to connect to the broker, and to have every message acknowledged
POLL_LIMIT = 200         # jobs handed out per REST poll
RESEND_AFTER = timedelta(minutes=2)   # unsent pending jobs older than this are retried by the beat task


def _iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(batch: list[Job], command: str) -> Message:
    head = batch[0]
    args = dict(head.task.args or {})
    printers = [job.serial for job in batch if job.serial]
    if command in MULTI_PRINTER and printers:
        args["jobs"] = {job.serial: job.pk for job in batch}
    body = CommandMessage(job=head.pk, command=command, printers=printers, args=args,
                          expires_at=_iso(head.created_at + settings.FLEET_JOB_PENDING_TIMEOUT))
    return Message(type=MessageType.COMMAND, agent=head.agent.device_id, body=body)


def build(jobs) -> list[tuple[list[Job], Message]]:
    """(jobs, command message) pairs for pending jobs loaded with their task and agent. Jobs whose task type
    has no command yet (or that have no agent) are left out."""
    grouped: dict[tuple, list[Job]] = defaultdict(list)
    pairs = []
    for job in jobs:
        command = TASK_COMMANDS.get(job.task.task_type)
        if command is None or job.agent is None:
            continue
        if command in MULTI_PRINTER and job.serial:
            grouped[(job.task_id, job.agent_id, command)].append(job)
        else:
            pairs.append(([job], _message([job], command)))
    for (_task, _agent, command), group in grouped.items():
        for start in range(0, len(group), PRINTERS_PER_MESSAGE):
            batch = group[start:start + PRINTERS_PER_MESSAGE]
            pairs.append((batch, _message(batch, command)))
    return pairs


def _published(info, deadline) -> bool:
    try:
        info.wait_for_publish(max(deadline - time.monotonic(), 0.01))
        return info.is_published()
    except (ValueError, RuntimeError):
        return False


def publish(items: list[tuple[str, bytes]]) -> list[bool]:
    """Publish (topic, payload) pairs with QoS 1 over one short-lived connection to settings.MQTT_URL; for each,
    whether the broker acknowledged it. A broker that cannot be reached gives all False (logged), never raises:
    the jobs stay pending, to be resent by the beat task or fetched over REST."""
    if not items or not settings.MQTT_URL:
        return [False] * len(items)
    import paho.mqtt.client as mqtt

    url = urlparse(settings.MQTT_URL)
    tls = url.scheme in ("mqtts", "ssl")
    client = mqtt.Client(client_id=f"lexcloud-commands-{uuid.uuid4().hex[:16]}", clean_session=True)
    if url.username:
        client.username_pw_set(unquote(url.username), unquote(url.password or ""))
    if tls:
        client.tls_set()
    connected, answer = threading.Event(), {}

    def on_connect(_client, _userdata, _flags, rc):
        answer["rc"] = rc
        connected.set()

    client.on_connect = on_connect
    try:
        client.connect(url.hostname or "127.0.0.1", url.port or (8883 if tls else 1883), keepalive=30)
    except (OSError, ValueError) as exc:
        log.warning("commands not sent: MQTT broker %s unreachable (%s)", url.hostname, exc)
        return [False] * len(items)
    client.loop_start()
    try:
        if not connected.wait(TIMEOUT) or answer.get("rc") != 0:
            log.warning("commands not sent: MQTT broker refused the connection (rc=%s)", answer.get("rc"))
            return [False] * len(items)
        infos = [client.publish(topic, payload, qos=QOS) for topic, payload in items]
        deadline = time.monotonic() + TIMEOUT
        return [_published(info, deadline) for info in infos]
    finally:
        client.disconnect()
        client.loop_stop()


def _pending(job_ids=None, agent=None):
    """Pending jobs not past their time-out (the beat task expires those), with what a command needs."""
    jobs = Job.objects.filter(status=JobStatus.PENDING, agent__isnull=False,
                              created_at__gt=timezone.now() - settings.FLEET_JOB_PENDING_TIMEOUT)
    if job_ids is not None:
        jobs = jobs.filter(pk__in=list(job_ids))
    if agent is not None:
        jobs = jobs.filter(agent=agent)
    return jobs.select_related("task", "agent").order_by("pk")


def _mark_sent(job_ids) -> None:
    Job.objects.filter(pk__in=list(job_ids), sent_at__isnull=True).update(sent_at=timezone.now())


def send(job_ids) -> int:
    """Publish the commands of these jobs (those still pending); returns how many jobs went out. Called after
    the task's transaction commits, and by the beat task for jobs that could not be sent then."""
    if not settings.MQTT_URL:
        return 0
    pairs = build(_pending(job_ids))
    acknowledged = publish([(command_topic(message.agent), message.to_json()) for _jobs, message in pairs])
    sent = [job.pk for (batch, _message), ok in zip(pairs, acknowledged, strict=True) if ok for job in batch]
    _mark_sent(sent)
    return len(sent)


def send_unsent(limit: int = 5000) -> int:
    """Beat task: pending jobs never acknowledged by the broker (it was down, or MQTT was configured later)."""
    if not settings.MQTT_URL:
        return 0
    ids = list(_pending().filter(sent_at__isnull=True, created_at__lt=timezone.now() - RESEND_AFTER)
               .values_list("pk", flat=True)[:limit])
    return send(ids) if ids else 0


def poll(agent, limit: int = POLL_LIMIT) -> list[dict]:
    """The REST fallback: the agent's pending jobs as command envelopes (as published over MQTT), marked sent.
    Jobs stay pending until the agent reports on them, so a poll after a lost answer hands them out again."""
    jobs = list(_pending(agent=agent)[:limit])
    pairs = build(jobs)
    _mark_sent(job.pk for batch, _message in pairs for job in batch)
    return [message.to_dict() for _jobs, message in pairs]
