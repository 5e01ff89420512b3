"""Communication status from silence (fleet.services.communication) and the purge of ingest records."""
from datetime import timedelta

import pytest
from django.utils import timezone

from fleet.choices import AgentType, Communication
from fleet.models import DiagnosticEvent, Printer, ProcessedMessage
from fleet.services.communication import printer_silence, purge_ingest_records, update_communication
from fleet.services.ingest import ingest
from fleet.tasks import update_communication as update_communication_task

from .telemetry import envelope, iso, make_agent, make_printer, message, report, telemetry

NOW = timezone.now().replace(microsecond=0)


def seen(printer, ago: timedelta, communication=Communication.COMMUNICATING):
    Printer.objects.filter(pk=printer.pk).update(last_communication=NOW - ago, communication=communication)


def status(printer):
    return Printer.objects.get(pk=printer.pk).communication


def test_thresholds_follow_the_agent_type_and_polling_interval(settings):
    settings.PRINTER_SILENCE_HOURS, settings.PRINTER_SILENCE_POLLS = 26, 3
    assert printer_silence(AgentType.FLEET) == printer_silence(AgentType.NATIVE) == timedelta(hours=26)
    assert printer_silence(AgentType.PRINTER) == timedelta(minutes=15)
    assert printer_silence(AgentType.LOCAL) == timedelta(minutes=540)
    assert printer_silence(AgentType.PRINTER, 60) == timedelta(minutes=180)


def test_fleet_agent_printers_stop_communicating_after_the_silence(acme):
    agent = make_agent(acme)
    agent.last_communication = NOW
    agent.save()
    quiet, recent, locked = (make_printer(agent, s) for s in ("A", "B", "C"))
    seen(quiet, timedelta(hours=27))
    seen(recent, timedelta(hours=25))
    seen(locked, timedelta(hours=30), Communication.NEEDS_CREDENTIALS)
    assert update_communication(NOW) == {"agent_not_communicating": 0, "not_communicating": 2}
    assert [status(p) for p in (quiet, recent, locked)] == [
        Communication.NOT_COMMUNICATING, Communication.COMMUNICATING, Communication.NOT_COMMUNICATING]


def test_printer_agent_printers_follow_their_agents_polling_interval(acme):
    fast = make_agent(acme, AgentType.PRINTER)
    slow = make_agent(acme, AgentType.PRINTER)
    slow.polling_interval = 60
    slow.save()
    a, b = make_printer(fast, "PA1"), make_printer(slow, "PA2")
    for printer in (a, b):
        seen(printer, timedelta(minutes=20))
    update_communication(NOW)
    assert (status(a), status(b)) == (Communication.NOT_COMMUNICATING, Communication.COMMUNICATING)


def test_a_silent_fleet_agent_shows_on_its_printers_until_it_speaks_again(acme):
    agent = make_agent(acme)
    agent.last_communication = NOW - timedelta(minutes=45)
    agent.save()
    printer = make_printer(agent, "A")
    seen(printer, timedelta(minutes=45))
    update_communication_task.delay()
    assert status(printer) == Communication.AGENT_NOT_COMMUNICATING
    ingest([message(envelope(agent, "heartbeat", {}))], device_id=agent.device_id)
    assert status(printer) == Communication.COMMUNICATING


def test_a_report_brings_a_printer_back(acme):
    agent = make_agent(acme)
    printer = make_printer(agent, "A")
    seen(printer, timedelta(days=3), Communication.NOT_COMMUNICATING)
    ingest([message(telemetry(agent, report("A", NOW)))], device_id=agent.device_id)
    printer.refresh_from_db()
    assert printer.communication == Communication.COMMUNICATING and printer.last_communication == NOW


def test_a_report_from_the_future_does_not_move_last_communication_past_now(acme):
    agent = make_agent(acme)
    printer = make_printer(agent, "A")
    ingest([message(telemetry(agent, report("A", NOW + timedelta(hours=3))))], device_id=agent.device_id, now=NOW)
    assert Printer.objects.get(pk=printer.pk).last_communication == NOW


@pytest.mark.parametrize("days, kept", [(6, True), (8, False)])
def test_message_ids_and_expired_diagnostics_are_purged(acme, settings, days, kept):
    settings.PROCESSED_MESSAGE_RETENTION_DAYS = 7
    agent = make_agent(acme)
    make_printer(agent, "A")
    data = telemetry(agent, report("A", NOW - timedelta(days=40),
                                   diagnostics=[{"key": "k", "at": iso(NOW - timedelta(days=40))}]))
    ingest([message(data)], device_id=agent.device_id, now=NOW - timedelta(days=days))
    assert DiagnosticEvent.objects.count() == 1
    result = purge_ingest_records(NOW)
    assert result == {"processed_messages": 0 if kept else 1, "diagnostic_events": 1}
    assert ProcessedMessage.objects.exists() is kept
