"""Builders for the Tasks tests: activated agents with credentials, printers under them, agents' events and
HTTP Basic headers, with unique device ids so tests can share the real MQTT broker."""
import base64
import uuid

from django.utils import timezone

from agents import protocol
from fleet.choices import Activation, AgentType, Communication
from fleet.models import Agent, Printer


def agent_of(org, kind=AgentType.FLEET, *, active=True, name=None) -> Agent:
    """An agent; `agent.secret` holds its clear secret."""
    agent = Agent(organization=org, kind=kind, name=name or f"Agent {uuid.uuid4().hex[:6]}",
                  device_id=f"test-{kind}-{uuid.uuid4().hex}",
                  activation=Activation.ACTIVATED if active else Activation.REQUIRED,
                  activated_at=timezone.now() if active else None)
    agent.secret = agent.issue_secret()
    agent.save()
    return agent


def printer_of(agent, serial=None, *, communicating=True, ip="127.0.0.20", org=None) -> Printer:
    return Printer.objects.create(
        organization=org or agent.organization, agent=agent, agent_type=agent.kind if agent else "",
        serial=serial or f"SN{uuid.uuid4().hex[:10].upper()}", ip_address=ip,
        communication=Communication.COMMUNICATING if communicating else Communication.NOT_COMMUNICATING)


def event(job, state, **fields) -> protocol.Event:
    """An event as the agent sends it, parsed by the protocol."""
    body = {"job": job if isinstance(job, int) else job.pk, "state": state, **fields}
    return protocol.Event.parse(body)


def basic(agent) -> dict:
    token = base64.b64encode(f"{agent.device_id}:{agent.secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}
