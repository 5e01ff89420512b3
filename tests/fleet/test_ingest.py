"""Telemetry ingest rules (fleet.services.ingest): state, history, idempotence, ordering, ownership."""
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleet.choices import AgentType, Communication
from fleet.models import (
    Alert,
    CounterSnapshot,
    DiagnosticEvent,
    Printer,
    ProcessedMessage,
    Supply,
    SupplyLevel,
)
from fleet.services import ingest as ingest_service
from fleet.services.ingest import decode_payloads, ingest

from .telemetry import (
    T0,
    alert,
    envelope,
    later,
    make_agent,
    make_printer,
    message,
    report,
    supplies,
    telemetry,
)


@pytest.fixture
def agent(acme):
    return make_agent(acme)


@pytest.fixture
def printer(agent):
    return make_printer(agent, "SN001")


def send(agent, *reports, message_id=None):
    return ingest([message(telemetry(agent, *reports, message_id=message_id))], device_id=agent.device_id)


def full_report(serial="SN001", at=T0, **fields):
    values = dict(status="warning", status_text="Tray 1 low", error_state=["lowPaper"], uptime=3600,
                  authenticated=True, firmware="CXTPC.081.215", ip="127.0.0.11", model="CX725ade",
                  counters={"lifetimeCount": 1000, "monoPrintSideCount": 600},
                  supplies=supplies(black=40, cyan=25), alerts=[alert("a1", "warning"), alert("s1", "error", supply=True)],
                  apps=[{"name": "Cloud Print Release", "version": "1.2", "state": "running"}])
    return report(serial, at, **{**values, **fields})


def test_a_report_sets_the_printer_state_and_its_listing_fields(agent, printer):
    result = send(agent, full_report())
    assert (result.applied, result.reports, result.refused, result.errors) == (1, 1, 0, 0)
    printer.refresh_from_db()
    assert (printer.status, printer.status_text, printer.error_state) == ("warning", "Tray 1 low", ["lowPaper"])
    assert printer.firmware == "CXTPC.081.215" and str(printer.ip_address) == "127.0.0.11"
    assert printer.printer_model.name == "CX725ade"
    assert printer.authenticated is True and printer.communication == Communication.COMMUNICATING
    assert printer.uptime == 3600 and printer.last_restart == T0 - timedelta(hours=1)
    assert printer.last_data_refresh == T0 and printer.last_communication == T0
    assert printer.counters == {"lifetimeCount": 1000, "monoPrintSideCount": 600} and printer.counters_at == T0
    assert printer.lowest_supply == 25                      # the lowest toner, not the fuser
    assert (printer.printer_alerts, printer.supply_alerts, printer.worst_severity) == (1, 1, "error")
    assert printer.apps == [{"name": "Cloud Print Release", "version": "1.2", "state": "running"}]
    assert Supply.objects.filter(printer=printer).count() == 3
    assert CounterSnapshot.objects.get(printer=printer).values == {"lifetimeCount": 1000, "monoPrintSideCount": 600}


def test_identification_edited_in_the_portal_is_kept_by_later_reports_and_re_enrollment(agent, printer):
    from fleet.services.enrollment import enroll
    from fleet.services.printers import update_identification

    send(agent, full_report(location="Floor 1", contact="helpdesk"))
    printer.refresh_from_db()
    update_identification(printer, location="Building B, room 12", contact="helpdesk", name="", asset_tag="",
                          description="")
    send(agent, full_report(at=later(1), location="Floor 1", contact="ops@acme.test", name="PRN-7"))
    printer.refresh_from_db()
    assert printer.edited_fields == ["location"]            # only what the administrator changed
    assert printer.location == "Building B, room 12"        # kept
    assert (printer.contact, printer.name) == ("ops@acme.test", "PRN-7")   # still follow the printer
    enroll(agent, {"serial": "SN001", "location": "Floor 1"})
    printer.refresh_from_db()
    assert printer.location == "Building B, room 12"


def test_unauthenticated_printer_needs_credentials_until_the_agent_can_sign_in(agent, printer):
    send(agent, report("SN001", T0, authenticated=False))
    printer.refresh_from_db()
    assert printer.communication == Communication.NEEDS_CREDENTIALS
    send(agent, report("SN001", later(minutes=5)))           # not said: the last known state holds
    printer.refresh_from_db()
    assert printer.communication == Communication.NEEDS_CREDENTIALS
    send(agent, report("SN001", later(minutes=10), authenticated=True))
    printer.refresh_from_db()
    assert printer.communication == Communication.COMMUNICATING


def test_a_replayed_message_changes_nothing(agent, printer):
    data = telemetry(agent, full_report())
    ingest([message(data)], device_id=agent.device_id)
    send(agent, report("SN001", later(hours=1), status="ready", supplies=supplies(black=39, cyan=25), alerts=[]))
    before = Printer.objects.get(pk=printer.pk)
    result = ingest([message(data), message(data)], device_id=agent.device_id)
    assert (result.applied, result.duplicates) == (0, 2)
    after = Printer.objects.get(pk=printer.pk)
    assert (after.status, after.printer_alerts, after.last_data_refresh) == (before.status, 0, later(hours=1))
    assert Alert.objects.filter(printer=printer, cleared_at__isnull=True).count() == 0
    assert CounterSnapshot.objects.filter(printer=printer).count() == 1
    assert ProcessedMessage.objects.count() == 2


def test_a_stale_report_keeps_the_current_state_but_adds_its_missing_counter_snapshot(agent, printer):
    send(agent, full_report(at=later(hours=2), counters={"lifetimeCount": 1200}))
    result = send(agent, report("SN001", later(hours=1), status="error", firmware="OLD", model="MS310dn",
                                counters={"lifetimeCount": 1100}, supplies=supplies(black=90), alerts=[]))
    assert (result.applied, result.reports, result.stale) == (1, 0, 1)
    printer.refresh_from_db()
    assert (printer.status, printer.firmware, printer.model_name) == ("warning", "CXTPC.081.215", "CX725ade")
    assert printer.last_data_refresh == later(hours=2) and printer.counters == {"lifetimeCount": 1200}
    assert Supply.objects.get(printer=printer, key="1").level == 40
    assert Alert.objects.filter(printer=printer, cleared_at__isnull=True).count() == 2
    history = dict(CounterSnapshot.objects.filter(printer=printer).values_list("collected_at", "values"))
    assert history == {later(hours=1): {"lifetimeCount": 1100},
                       later(hours=2): {"lifetimeCount": 1200}}
    send(agent, report("SN001", later(hours=1), counters={"lifetimeCount": 1100}))   # same time again: kept once
    assert CounterSnapshot.objects.filter(printer=printer).count() == 2


def test_reports_of_one_batch_apply_in_time_order_whatever_their_order_in_the_batch(agent, printer):
    newer = message(telemetry(agent, report("SN001", later(hours=2), status="ready", counters={"lifetimeCount": 20})))
    older = message(telemetry(agent, report("SN001", later(hours=1), status="error", counters={"lifetimeCount": 10})))
    result = ingest([newer, older], device_id=agent.device_id)
    assert (result.reports, result.stale) == (2, 0)
    printer.refresh_from_db()
    assert printer.status == "ready" and printer.counters == {"lifetimeCount": 20}
    assert CounterSnapshot.objects.filter(printer=printer).count() == 2


def test_reports_for_printers_the_agent_does_not_manage_change_nothing(acme, globex, agent, printer):
    other_agent = make_agent(acme)
    theirs = make_printer(other_agent, "SN002")
    foreign_agent = make_agent(globex)
    same_serial_elsewhere = make_printer(foreign_agent, "SN003")
    result = send(agent, full_report("SN002"), full_report("SN003"), full_report("NOPE"), full_report("SN001"))
    assert (result.applied, result.reports, result.refused_reports) == (1, 1, 3)
    for other in (theirs, same_serial_elsewhere):
        other.refresh_from_db()
        assert other.last_data_refresh is None and other.status == "unknown"
    assert not Supply.objects.filter(printer__in=[theirs, same_serial_elsewhere]).exists()
    assert not Printer.objects.filter(serial="NOPE").exists()
    assert CounterSnapshot.objects.filter(printer__in=[theirs, same_serial_elsewhere]).count() == 0


def test_an_unenrolled_printer_takes_no_reports(agent, printer):
    Printer.objects.filter(pk=printer.pk).update(unenrolled_at=T0)
    assert send(agent, full_report()).refused_reports == 1
    assert Printer.objects.get(pk=printer.pk).last_data_refresh is None


def test_messages_not_from_the_authenticated_activated_agent_are_refused(acme, agent, printer):
    data = telemetry(agent, full_report())
    other = make_agent(acme)
    result = ingest([message(data)], device_id=other.device_id)
    assert (result.applied, result.refused) == (0, 1)
    assert ingest([message(data)]).refused == 1                   # no authenticated device at all
    inactive = make_agent(acme, active=False)
    assert ingest([message(telemetry(inactive, full_report()))], device_id=inactive.device_id).refused == 1
    assert ingest([message(telemetry("fleet-unknown", full_report()))], device_id="fleet-unknown").refused == 1
    assert Printer.objects.get(pk=printer.pk).last_data_refresh is None
    assert not ProcessedMessage.objects.exists()   # a refused message does not burn its id


def test_supply_levels_are_kept_when_they_change_and_special_levels_have_a_state(agent, printer):
    send(agent, report("SN001", T0, supplies=supplies(black=80)))
    send(agent, report("SN001", later(hours=1), supplies=supplies(black=80)))
    send(agent, report("SN001", later(hours=2), supplies=supplies(black=79)))
    black = Supply.objects.get(printer=printer, key="1")
    assert list(SupplyLevel.objects.filter(supply=black).values_list("level", "at")) == [(80, T0), (79, later(hours=2))]
    for raw, state in ((-1, "unrestricted"), (-2, "unknown"), (-3, "some")):
        send(agent, report("SN001", later(hours=3 + abs(raw)), supplies=supplies(black=raw)))
        black.refresh_from_db()
        assert (black.level, black.level_state) == (None, state)
    assert SupplyLevel.objects.filter(supply=black).count() == 2
    assert Printer.objects.get(pk=printer.pk).lowest_supply is None


def test_a_supply_no_longer_reported_is_removed(agent, printer):
    send(agent, report("SN001", T0, supplies=supplies(black=80, cyan=70)))
    send(agent, report("SN001", later(hours=1), supplies=supplies(black=80)))
    assert set(Supply.objects.filter(printer=printer).values_list("key", flat=True)) == {"1", "9"}
    send(agent, report("SN001", later(hours=2)))                # supplies not collected this time: kept
    assert Supply.objects.filter(printer=printer).count() == 2


def test_alerts_open_stay_and_clear_from_the_complete_list(agent, printer):
    send(agent, report("SN001", T0, alerts=[alert("a", "warning", since="2026-03-01T07:00:00Z"), alert("b", "info")]))
    send(agent, report("SN001", later(hours=1), alerts=[alert("a", "error"), alert("c", "error", supply=True)]))
    open_alerts = {a.key: a for a in Alert.objects.filter(printer=printer, cleared_at__isnull=True)}
    assert set(open_alerts) == {"a", "c"}
    assert open_alerts["a"].severity == "warning" and open_alerts["a"].opened_at.isoformat() == "2026-03-01T07:00:00+00:00"
    assert Alert.objects.get(printer=printer, key="b").cleared_at == later(hours=1)
    printer.refresh_from_db()
    assert (printer.printer_alerts, printer.supply_alerts, printer.worst_severity) == (1, 1, "error")
    send(agent, report("SN001", later(hours=2)))                # alerts not collected: unchanged
    assert Alert.objects.filter(printer=printer, cleared_at__isnull=True).count() == 2
    send(agent, report("SN001", later(hours=3), alerts=[alert("b")]))   # b again: a new alert
    assert Alert.objects.filter(printer=printer, key="b").count() == 2
    printer.refresh_from_db()
    assert (printer.printer_alerts, printer.supply_alerts, printer.worst_severity) == (1, 0, "warning")


def test_counters_are_stored_as_effective_values_across_a_wrap_and_a_restart(agent, printer):
    send(agent, report("SN001", T0, uptime=86400, counters={"lifetimeCount": 2**32 - 10, "monoPrintSideCount": 5000}))
    send(agent, report("SN001", later(hours=1), uptime=90000, counters={"lifetimeCount": 30, "monoPrintSideCount": 5100}))
    send(agent, report("SN001", later(hours=2), uptime=60, counters={"lifetimeCount": 20, "monoPrintSideCount": 40}))
    values = [s.values for s in CounterSnapshot.objects.filter(printer=printer)]
    assert values == [{"lifetimeCount": 2**32 - 10, "monoPrintSideCount": 5000},
                      {"lifetimeCount": 2**32 + 30, "monoPrintSideCount": 5100},
                      {"lifetimeCount": 2**32 + 30 + 20, "monoPrintSideCount": 5140}]
    printer.refresh_from_db()
    assert printer.last_restart == later(hours=2) - timedelta(seconds=60)
    assert printer.counter_state["lifetimeCount"][:2] == [20, 2**32 + 30]


def test_diagnostic_events_are_upserted_by_key_with_an_expiry(agent, printer):
    send(agent, report("SN001", T0, diagnostics=[{"key": "900.43", "alert": "Service engine", "page_count": 10}]))
    send(agent, report("SN001", later(hours=1), diagnostics=[{"key": "900.43", "alert": "Service engine",
                                                              "page_count": 12, "at": "2026-03-02T08:30:00Z"}]))
    event = DiagnosticEvent.objects.get(printer=printer)
    assert event.page_count == 12 and event.expires_at == event.created_at + ingest_service.DIAGNOSTIC_LIFETIME


def test_a_heartbeat_keeps_the_agent_current_and_brings_its_printers_back(agent, printer):
    Printer.objects.filter(pk=printer.pk).update(communication=Communication.AGENT_NOT_COMMUNICATING)
    result = ingest([message(envelope(agent, "heartbeat", {"version": "3.4.1"}))], device_id=agent.device_id)
    assert result.applied == 1
    agent.refresh_from_db()
    assert agent.version == "3.4.1" and agent.last_communication is not None
    assert Printer.objects.get(pk=printer.pk).communication == Communication.COMMUNICATING


def test_an_enroll_message_enrolls_through_the_enrollment_service(acme, agent):
    body = {"printers": [{"serial": "NEW1", "model": "MS610dn", "ip": "127.0.0.21"}, {"serial": "NEW2"}]}
    result = ingest([message(envelope(agent, "enroll", body))], device_id=agent.device_id)
    assert result.applied == 1
    printers = Printer.objects.filter(organization=acme, agent=agent).order_by("serial")
    assert [p.serial for p in printers] == ["NEW1", "NEW2"] and printers[0].printer_model.name == "MS610dn"
    native = make_agent(acme, AgentType.NATIVE)
    ingest([message(envelope(native, "enroll", {"printers": [{"serial": "NEW3"}]}))], device_id=native.device_id)
    assert not Printer.objects.filter(serial="NEW3").exists()


def test_event_messages_go_to_the_tasks_service(agent, monkeypatch):
    seen = []
    monkeypatch.setattr(ingest_service.task_services, "record_event", lambda a, e: seen.append((a.pk, e.job, e.state)))
    ingest([message(envelope(agent, "event", {"job": 7, "state": "completed"}))], device_id=agent.device_id)
    assert seen == [(agent.pk, 7, "completed")]


def test_a_message_that_fails_costs_only_itself(agent, printer, monkeypatch):
    def broken(agent, event):
        raise RuntimeError("boom")

    monkeypatch.setattr(ingest_service.task_services, "record_event", broken)
    good = message(telemetry(agent, full_report()))
    bad = message(envelope(agent, "event", {"job": 7, "state": "completed"}))
    result = ingest([good, bad], device_id=agent.device_id)
    assert (result.applied, result.errors) == (1, 1)
    assert Printer.objects.get(pk=printer.pk).last_data_refresh == T0
    assert ProcessedMessage.objects.count() == 1                 # the failed one may come again


def test_undecodable_payloads_are_counted_with_their_reason(agent):
    decoded, result = decode_payloads([(agent.device_id, b"{not json"), (agent.device_id, b'{"v": 9}'),
                                       (agent.device_id, message(telemetry(agent, report("X"))).to_json())])
    assert len(decoded) == 1 and result.errors == 2
    assert "not JSON" in result.problems[0] and "unsupported protocol version" in result.problems[1]


def _batch(agent, serials, at):
    return [message(telemetry(agent, full_report(serial, at, counters={"lifetimeCount": 1000 + i},
                                                 supplies=supplies(black=50 - i % 7, cyan=30),
                                                 alerts=[alert(f"x{i % 3}"), alert("s", supply=True)],
                                                 diagnostics=[{"key": "d1", "alert": "x"}])))
            for i, serial in enumerate(serials)]


def test_queries_per_batch_do_not_grow_with_the_batch(acme, agent):
    from fleet.services.enrollment import enroll_many

    small = [f"Q{i:03d}" for i in range(3)]
    large = [f"Q{i:03d}" for i in range(3, 18)]     # within SQLite's 999 parameters per bulk INSERT
    enroll_many(agent, [{"serial": s} for s in small + large])
    ingest([message(envelope(agent, "heartbeat", {}))], device_id=agent.device_id)   # the agent is known alive
    counts = []
    for serials in (small, large):
        for at in (T0, later(hours=1)):     # first reports (creation), then updates
            with CaptureQueriesContext(connection) as ctx:
                result = ingest(_batch(agent, serials, at), device_id=agent.device_id)
            assert result.reports == len(serials)
            counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[2] and counts[1] == counts[3], counts
    assert max(counts) <= 20, counts


def test_a_message_the_server_fails_to_apply_is_kept_and_replayed_once_the_fault_is_gone(agent, printer,
                                                                                         monkeypatch):
    """The agent is told "accepted" and drops the message from its outbox: the server must not lose it."""
    from django.core.management import call_command

    from fleet.models import FailedMessage

    def fault(self, reports):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_service._Reports, "apply", fault)
    result = send(agent, full_report(), message_id="m-fault")
    assert result.errors == 1 and "disk full" in result.problems[0]
    kept = FailedMessage.objects.get()
    assert (kept.message_id, kept.device_id, kept.message_type) == ("m-fault", agent.device_id, "telemetry")
    assert not ProcessedMessage.objects.filter(message_id="m-fault").exists()   # nothing half-written
    printer.refresh_from_db()
    assert printer.status != "warning"

    call_command("ingest_failed", "--replay", stdout=io.StringIO())            # still failing: kept
    assert FailedMessage.objects.get().error.count("disk full") == 1

    monkeypatch.undo()
    out = io.StringIO()
    call_command("ingest_failed", "--replay", stdout=out)
    assert "1 applied" in out.getvalue() and not FailedMessage.objects.exists()
    printer.refresh_from_db()
    assert printer.status == "warning" and Supply.objects.filter(printer=printer).count() == 3
