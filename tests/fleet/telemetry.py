"""Builders for telemetry tests: agents with credentials, enrolled printers, and protocol messages built as
an agent would send them (wire dicts, decoded by agents.protocol so the server sees exactly that)."""
import uuid
from datetime import UTC, datetime, timedelta

from django.utils import timezone

from agents import protocol
from fleet.choices import Activation, AgentType
from fleet.models import Agent
from fleet.services.enrollment import enroll

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def make_agent(org, kind=AgentType.FLEET, *, active=True, name=None) -> Agent:
    """An agent with credentials (`agent.secret` holds the clear secret for Basic authentication)."""
    agent = Agent(organization=org, kind=kind, name=name or f"{kind} {uuid.uuid4().hex[:6]}",
                  device_id=f"{kind}-{uuid.uuid4().hex}",
                  activation=Activation.ACTIVATED if active else Activation.REQUIRED,
                  activated_at=timezone.now() if active else None)
    secret = agent.issue_secret()
    agent.save()
    agent.secret = secret
    return agent


def make_printer(agent, serial, **identity):
    return enroll(agent, {"serial": serial, "model": "CX725ade", "ip": "127.0.0.10", **identity}).printer


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def report(serial, at=T0, **fields) -> dict:
    """A printer report as JSON data: `at` is its collected_at."""
    return {"serial": serial, "collected_at": iso(at), **fields}


def envelope(agent, kind, body, *, message_id=None, sent_at=None) -> dict:
    device_id = agent if isinstance(agent, str) else agent.device_id
    return {"v": 1, "type": kind, "id": message_id or uuid.uuid4().hex, "agent": device_id,
            "sent_at": iso(sent_at or T0), "body": body}


def telemetry(agent, *reports, message_id=None) -> dict:
    return envelope(agent, "telemetry", {"printers": list(reports)}, message_id=message_id)


def message(data: dict) -> protocol.Message:
    return protocol.decode(data)


def supplies(black=80, cyan=None, **extra) -> list[dict]:
    items = [{"key": "1", "type": "Toner", "color": "Black", "level": black, "description": "Black Cartridge"}]
    if cyan is not None:
        items.append({"key": "2", "type": "Toner", "color": "Cyan", "level": cyan, "description": "Cyan Cartridge"})
    items.append({"key": "9", "type": "Fuser", "level": extra.get("fuser", 90), "description": "Fuser"})
    return items


def alert(key, severity="warning", supply=False, **fields) -> dict:
    return {"key": key, "severity": severity, "description": f"Alert {key}", "supply": supply, **fields}


def later(minutes=0, hours=0, days=0) -> datetime:
    return T0 + timedelta(minutes=minutes, hours=hours, days=days)
