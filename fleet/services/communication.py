"""Printer communication status from silence (guide "Printer communication statuses"), run by Celery beat.

A printer is "Not communicating" when nothing came from it for longer than its agent is expected to stay
quiet, and "Agent not communicating" when the Fleet or Local Agent that reports it went silent. Ingest sets
them back to "Communicating" (or "Agent needs credentials") when data arrives. Thresholds (settings,
docs/decisions/0008):
- Fleet Agent and Native Agent printers: they report on change and at least once every 24 hours, so
  PRINTER_SILENCE_HOURS (26);
- Printer Agent and Local Agent printers: PRINTER_SILENCE_POLLS (3) polling intervals of their agent
  (defaults 5 and 180 minutes);
- agents: a Fleet or Local Agent sends a heartbeat every 5 minutes; after AGENT_SILENCE_MINUTES (30) of
  silence its printers show "Agent not communicating".
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..choices import Activation, AgentType, Communication
from ..models import Agent, DiagnosticEvent, Printer, ProcessedMessage
from ..models.agents import LOCAL_POLLING_DEFAULT, PRINTER_AGENT_POLLING_DEFAULT

POLLING_DEFAULTS = {AgentType.PRINTER: PRINTER_AGENT_POLLING_DEFAULT, AgentType.LOCAL: LOCAL_POLLING_DEFAULT}
# agents that report several printers: their silence shows on the printers as "Agent not communicating"
RELAYING_AGENTS = (AgentType.FLEET, AgentType.LOCAL)
ALIVE = (Communication.COMMUNICATING, Communication.NEEDS_CREDENTIALS)


def agent_silence() -> timedelta:
    return timedelta(minutes=settings.AGENT_SILENCE_MINUTES)


def printer_silence(agent_type: str, polling_interval: int | None = None) -> timedelta:
    """How long a printer of this agent type may stay quiet before it is "Not communicating"."""
    if agent_type in POLLING_DEFAULTS:
        return timedelta(minutes=(polling_interval or POLLING_DEFAULTS[agent_type]) * settings.PRINTER_SILENCE_POLLS)
    return timedelta(hours=settings.PRINTER_SILENCE_HOURS)


def _quiet_since(cutoff):
    """Printers that have not communicated since `cutoff` (never: counted from their enrollment)."""
    return Q(last_communication__lt=cutoff) | Q(last_communication__isnull=True, enrolled_at__lt=cutoff)


@transaction.atomic
def update_communication(now=None) -> dict:
    """Mark silent agents' printers "Agent not communicating", then silent printers "Not communicating".
    A few UPDATEs whatever the fleet size; returns how many printers changed."""
    now = now or timezone.now()
    enrolled = Printer.objects.filter(unenrolled_at__isnull=True)
    silent_agents = Agent.objects.filter(kind__in=RELAYING_AGENTS, activation=Activation.ACTIVATED).filter(
        Q(last_communication__lt=now - agent_silence())
        | Q(last_communication__isnull=True, activated_at__lt=now - agent_silence()))
    agent_down = enrolled.filter(agent__in=silent_agents).exclude(
        communication=Communication.AGENT_NOT_COMMUNICATING).update(
        communication=Communication.AGENT_NOT_COMMUNICATING)
    quiet = 0
    for agent_type in (AgentType.FLEET, AgentType.NATIVE):
        cutoff = now - printer_silence(agent_type)
        quiet += enrolled.filter(_quiet_since(cutoff), agent_type=agent_type, communication__in=ALIVE).update(
            communication=Communication.NOT_COMMUNICATING)
    for agent_type in POLLING_DEFAULTS:
        intervals = set(Agent.objects.filter(kind=agent_type).order_by().values_list("polling_interval", flat=True)
                        .distinct())
        for interval in intervals:
            cutoff = now - printer_silence(agent_type, interval)
            quiet += enrolled.filter(_quiet_since(cutoff), agent_type=agent_type, agent__polling_interval=interval,
                                     communication__in=ALIVE).update(communication=Communication.NOT_COMMUNICATING)
        if None in intervals:
            cutoff = now - printer_silence(agent_type)
            quiet += enrolled.filter(_quiet_since(cutoff), agent_type=agent_type, agent__polling_interval__isnull=True,
                                     communication__in=ALIVE).update(communication=Communication.NOT_COMMUNICATING)
    return {"agent_not_communicating": agent_down, "not_communicating": quiet}


def purge_ingest_records(now=None) -> dict:
    """Message ids past their retention (a replay after that is still harmless: see the stale-report rule)
    and diagnostic events past their expiry."""
    now = now or timezone.now()
    retention = timedelta(days=settings.PROCESSED_MESSAGE_RETENTION_DAYS)
    messages, _ = ProcessedMessage.objects.filter(received_at__lt=now - retention).delete()
    diagnostics, _ = DiagnosticEvent.objects.filter(expires_at__lt=now).delete()
    return {"processed_messages": messages, "diagnostic_events": diagnostics}
