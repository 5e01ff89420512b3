"""The guide's Fleet Agent reporting rule (guide L8370): send on an alert change or a toner level decrement,
not on a page-count-only change, at least once every 24 hours, and at once on a refresh."""
from datetime import UTC, datetime, timedelta

from agents.protocol import Alert, LevelState, PrinterReport, Supply
from agents.snmp import ReportPolicy

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def report(*, black=50, cyan=40, alerts=(), pages=1000, errors=(), drum=80):
    return PrinterReport(
        serial="S1", collected_at="2026-12-03T08:00:00Z", error_state=list(errors),
        counters={"lifetimeCount": pages},
        supplies=[Supply(key="1", type="Toner", color="Black", level=black),
                  Supply(key="2", type="Toner", color="Cyan", level=cyan),
                  Supply(key="9", type="Photoconductor", level=drum)],
        alerts=[Alert(key=str(k), description=f"alert {k}") for k in alerts])


def test_the_first_report_is_sent_then_a_page_count_only_change_is_not():
    policy = ReportPolicy()
    assert policy.due("S1", report(), T0)
    assert not policy.due("S1", report(pages=1500), T0 + timedelta(minutes=60))
    assert not policy.due("S1", report(pages=2000, drum=70), T0 + timedelta(minutes=120))   # not a toner


def test_a_toner_decrement_is_sent_an_increase_is_not():
    policy = ReportPolicy()
    policy.due("S1", report(black=50), T0)
    assert policy.due("S1", report(black=49), T0 + timedelta(minutes=15))
    assert not policy.due("S1", report(black=100), T0 + timedelta(minutes=30))    # replaced: no decrement
    assert policy.due("S1", report(black=99), T0 + timedelta(minutes=45))


def test_a_special_level_is_no_decrement():
    policy = ReportPolicy()
    policy.due("S1", report(cyan=40), T0)
    special = report(cyan=None)
    special.supplies[1].level_state = LevelState.SOME
    assert not policy.due("S1", special, T0 + timedelta(minutes=15))
    assert policy.due("S1", report(cyan=39), T0 + timedelta(minutes=30))   # vs the last known level


def test_an_alert_appearing_or_clearing_is_sent():
    policy = ReportPolicy()
    policy.due("S1", report(), T0)
    assert policy.due("S1", report(alerts=[7]), T0 + timedelta(minutes=15))
    assert not policy.due("S1", report(alerts=[7]), T0 + timedelta(minutes=30))
    assert policy.due("S1", report(alerts=[]), T0 + timedelta(minutes=45))
    assert policy.due("S1", report(errors=["jammed"]), T0 + timedelta(minutes=60))


def test_alerts_not_collected_are_no_change():
    policy = ReportPolicy()
    policy.due("S1", report(alerts=[3]), T0)
    skipped = report(alerts=[3])
    skipped.alerts = None
    assert not policy.due("S1", skipped, T0 + timedelta(minutes=15))


def test_nothing_changed_is_sent_once_every_24_hours():
    policy = ReportPolicy()
    policy.due("S1", report(), T0)
    assert not policy.due("S1", report(), T0 + timedelta(hours=23, minutes=59))
    assert policy.due("S1", report(), T0 + timedelta(hours=24))
    assert not policy.due("S1", report(), T0 + timedelta(hours=25))


def test_refresh_sends_at_once_and_printers_are_independent():
    policy = ReportPolicy()
    policy.due("S1", report(), T0)
    assert policy.due("S1", report(), T0 + timedelta(minutes=1), refresh=True)
    assert policy.due("S2", report(), T0 + timedelta(minutes=1))
    policy.forget("S1")
    assert policy.due("S1", report(), T0 + timedelta(minutes=2))
