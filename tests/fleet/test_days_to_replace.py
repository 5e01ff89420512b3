"""Days to Replace (fleet.services.supplies): predictions from constructed level histories, and the daily run."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleet.choices import AgentType
from fleet.models import Printer, Supply, SupplyLevel
from fleet.services import supplies as days
from tests.fleet.detail_support import catalog_printer
from tests.fleet.factories import make_agent

NOW = timezone.now().replace(microsecond=0)


def history(*levels, every=timedelta(days=1), end=NOW):
    """Points (time, level), one every `every`, the last one at `end`."""
    return [(end - every * (len(levels) - 1 - i), level) for i, level in enumerate(levels)]


# --------------------------------------------------------------------------------------------- the method
def test_steady_use_predicts_level_over_daily_use():
    points = history(*range(80, 38, -2))                     # 2 % a day for 20 days, 40 % left
    assert days.predict(points, level=40, last_seen=NOW, now=NOW) == 20


def test_staircase_of_sparse_changes_follows_the_trend():
    points = history(90, 85, 80, 75, 70, every=timedelta(days=5))   # 1 % a day, changes seen every 5 days
    assert days.predict(points, level=70, last_seen=NOW + timedelta(days=4), now=NOW + timedelta(days=4)) in range(60, 75)


def test_replacement_starts_a_new_history():
    old = history(30, 20, 10, 5, end=NOW - timedelta(days=6))        # the old cartridge ran out fast
    new = history(100, 99, 98, 97, 96, 95)                           # new one: 1 % a day
    prediction = days.predict(old + new, level=95, last_seen=NOW, now=NOW)
    assert 90 <= prediction <= 100


def test_no_use_is_the_longest_prediction():
    assert days.predict(history(70, 70), level=70, last_seen=NOW, now=NOW) == days.MAX_DAYS
    # one level stored 10 days ago, still the same when the printer last reported
    assert days.predict([(NOW - timedelta(days=10), 70)], level=70, last_seen=NOW, now=NOW) == days.MAX_DAYS


def test_too_little_history_gives_no_prediction():
    points = [(NOW - timedelta(hours=10), 90), (NOW - timedelta(hours=2), 88)]
    assert days.predict(points, level=88, last_seen=NOW, now=NOW) is None


def test_just_replaced_supply_waits_for_history():
    points = history(40, 30, 20, 10) + [(NOW - timedelta(hours=3), 100)]
    assert days.predict(points, level=100, last_seen=NOW, now=NOW) is None


def test_special_levels_and_silent_printers_give_no_prediction():
    points = history(80, 70, 60)
    assert days.predict(points, level=None, last_seen=NOW, now=NOW) is None
    assert days.predict(points, level=60, last_seen=None, now=NOW) is None
    assert days.predict(points, level=60, last_seen=NOW - timedelta(days=8), now=NOW) is None


def test_empty_supply_is_zero_days_and_long_ones_are_capped():
    assert days.predict(history(6, 4, 2, 0), level=0, last_seen=NOW, now=NOW) == 0
    slow = history(100, 100, 100, 100, 100, 100, 100, 100, 100, 99, every=timedelta(days=3))
    assert days.predict(slow, level=99, last_seen=NOW, now=NOW) == days.MAX_DAYS


# --------------------------------------------------------------------------------------------- the daily run
def _record(supply, points):
    SupplyLevel.objects.bulk_create([SupplyLevel(supply=supply, level=level, at=at) for at, level in points])
    Supply.objects.filter(pk=supply.pk).update(level=points[-1][1])


def _supply(printer, key, **fields):
    return Supply.objects.create(printer=printer, key=key, **fields)


@pytest.fixture
def lexmark(acme):
    return catalog_printer(acme, last_data_refresh=NOW)


def test_daily_run_predicts_toner_and_imaging_units_of_lexmark_printers(lexmark):
    toner = _supply(lexmark, "toner-black", type="Toner", color="Black")
    unit = _supply(lexmark, "black-iu", type="Other", description="Black Imaging Unit")
    fuser = _supply(lexmark, "fuser", type="Fuser")
    _record(toner, history(*range(80, 38, -2)))
    _record(unit, history(100, 100))
    _record(fuser, history(90, 80, 70))
    assert days.predict_days_to_replace(now=NOW) == 2
    assert Supply.objects.get(pk=toner.pk).days_to_replace == 20
    assert Supply.objects.get(pk=unit.pk).days_to_replace == days.MAX_DAYS
    assert Supply.objects.get(pk=fuser.pk).days_to_replace is None
    assert Printer.objects.get(pk=lexmark.pk).days_to_replace_at == NOW


def test_history_older_than_the_window_counts_as_the_starting_level(lexmark):
    toner = _supply(lexmark, "toner", type="Toner")
    _record(toner, [(NOW - timedelta(days=60), 50)])     # unchanged for two months: in the window only as 50 %
    days.predict_days_to_replace(now=NOW)
    assert Supply.objects.get(pk=toner.pk).days_to_replace == days.MAX_DAYS


def test_prediction_is_withdrawn_when_the_history_no_longer_supports_it(lexmark):
    toner = _supply(lexmark, "toner", type="Toner", days_to_replace=12)
    _record(toner, [(NOW - timedelta(hours=5), 60)])
    days.predict_days_to_replace(now=NOW)
    assert Supply.objects.get(pk=toner.pk).days_to_replace is None


def test_third_party_printers_and_old_printer_agents_get_no_prediction(acme):
    third_party = catalog_printer(acme, model=None, last_data_refresh=NOW)
    old_agent = make_agent(acme, AgentType.PRINTER, version="2.4.1")
    old = catalog_printer(acme, old_agent, last_data_refresh=NOW)
    new_agent = make_agent(acme, AgentType.PRINTER, version="3.1.0")
    new = catalog_printer(acme, new_agent, last_data_refresh=NOW)
    supplies = {}
    for printer in (third_party, old, new):
        supplies[printer.pk] = _supply(printer, "toner", type="Toner")
        _record(supplies[printer.pk], history(*range(80, 38, -2)))
    days.predict_days_to_replace(now=NOW)
    assert Supply.objects.get(pk=supplies[third_party.pk].pk).days_to_replace is None
    assert Printer.objects.get(pk=third_party.pk).days_to_replace_at is None
    assert Supply.objects.get(pk=supplies[old.pk].pk).days_to_replace is None
    assert Supply.objects.get(pk=supplies[new.pk].pk).days_to_replace == 20


def test_unenrolled_printers_are_skipped(lexmark):
    toner = _supply(lexmark, "toner", type="Toner")
    _record(toner, history(*range(80, 38, -2)))
    Printer.objects.filter(pk=lexmark.pk).update(unenrolled_at=NOW)
    assert days.predict_days_to_replace(now=NOW) == 0
    assert Supply.objects.get(pk=toner.pk).days_to_replace is None


def _fleet(org, count):
    agent = make_agent(org)
    for _ in range(count):
        printer = catalog_printer(org, agent, last_data_refresh=NOW)
        for color in ("Black", "Cyan"):
            _record(_supply(printer, f"toner-{color}", type="Toner", color=color), history(*range(90, 70, -2)))


def test_query_count_per_batch_does_not_grow_with_printers(acme, globex):
    _fleet(acme, 3)
    with CaptureQueriesContext(connection) as small:
        days.predict_days_to_replace(now=NOW, chunk=100)
    _fleet(globex, 12)
    Supply.objects.update(days_to_replace=None)
    with CaptureQueriesContext(connection) as large:
        days.predict_days_to_replace(now=NOW, chunk=100)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert Supply.objects.filter(days_to_replace__isnull=True).count() == 0


def test_batches_cover_every_printer(acme):
    _fleet(acme, 5)
    assert days.predict_days_to_replace(now=NOW, chunk=2) == 10
    assert not Printer.objects.filter(days_to_replace_at__isnull=True).exists()


def test_celery_beat_task_runs_the_prediction(lexmark, settings):
    from fleet.tasks import predict_days_to_replace

    toner = _supply(lexmark, "toner", type="Toner")
    _record(toner, [(timezone.now() - timedelta(days=3), 70)])
    Printer.objects.filter(pk=lexmark.pk).update(last_data_refresh=timezone.now())
    predict_days_to_replace.delay()
    assert Supply.objects.get(pk=toner.pk).days_to_replace == days.MAX_DAYS
    assert "fleet.tasks.predict_days_to_replace" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
