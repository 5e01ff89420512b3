"""Counter32 / IcCounter32 wrap and reset handling (fleet.services.counters): effective values never go down."""
from datetime import UTC, datetime, timedelta

from fleet.services import counters

AT = datetime(2026, 3, 2, tzinfo=UTC)


def run(*readings, restart_at=()):
    """Effective lifetimeCount after each raw reading (one report a day)."""
    state, current, values = {}, {}, []
    for day, raw in enumerate(readings):
        advanced = counters.advance(state, current, {"lifetimeCount": raw}, AT + timedelta(days=day),
                                    restart=day in restart_at)
        state, current = advanced.state, {**current, **advanced.values}
        values.append(advanced.values["lifetimeCount"])
    return values, state, current


def test_growing_counter_is_kept_as_reported():
    values, state, _ = run(100, 150, 150, 900)
    assert values == [100, 150, 150, 900]
    assert state == {}          # no offset: the raw value is the effective one, nothing more to keep


def test_counter32_wrap_adds_the_modulus():
    values, state, _ = run(2**32 - 100, 50)
    assert values == [2**32 - 100, 2**32 + 50]
    assert state["lifetimeCount"] == [50, 2**32, int((AT + timedelta(days=1)).timestamp())]


def test_ic_counter32_wraps_at_2_to_the_31():
    values, _, _ = run(2**31 - 10, 5, 20)
    assert values == [2**31 - 10, 2**31 + 5, 2**31 + 20]


def test_a_drop_that_is_not_near_the_top_is_a_reset_and_the_value_keeps_growing():
    values, state, _ = run(5000, 120, 300)
    assert values == [5000, 5120, 5300]
    assert state["lifetimeCount"][:2] == [300, 5000]


def test_after_a_restart_a_drop_near_the_top_is_a_reset_not_a_wrap():
    values, _, _ = run(2**32 - 100, 50, restart_at={1})
    assert values == [2**32 - 100, 2**32 - 100 + 50]


def test_effective_values_never_decrease_over_wraps_and_resets():
    values, _, _ = run(10, 2**31 - 5, 3, 1000, 7, 2**32 - 1, 2**32 - 1, 0, 12)
    assert values == sorted(values)


def test_restart_is_seen_when_the_boot_time_moves_forward():
    boot = counters.boot_time(AT, 86400)
    assert not counters.restarted(boot, counters.boot_time(AT + timedelta(hours=5), 86400 + 5 * 3600 + 30))
    assert counters.restarted(boot, counters.boot_time(AT + timedelta(hours=5), 600))
    # the printer restarted between two reports days apart, even though its uptime grew
    assert counters.restarted(boot, counters.boot_time(AT + timedelta(days=10), 2 * 86400))
    assert not counters.restarted(None, boot)


def test_a_stale_report_is_placed_only_within_the_current_epoch():
    _, state, current = run(5000, 120, 300)            # reset on day 1
    stale = lambda raw, at: counters.place_stale(state, current, raw, at)  # noqa: E731
    assert stale({"lifetimeCount": 200}, AT + timedelta(days=1, hours=12)) == {"lifetimeCount": 5200}
    # before the reset: cannot be placed
    assert stale({"lifetimeCount": 4000}, AT + timedelta(hours=12)) == {}
    # above the current raw value: not an older reading of this epoch
    assert stale({"lifetimeCount": 400}, AT + timedelta(days=1, hours=12)) == {}
    # counters never seen are left out
    assert stale({"monoSideCount": 1}, AT) == {}


def test_a_stale_report_of_a_counter_without_offset_is_placed_as_reported():
    _, state, current = run(100, 200)
    assert counters.place_stale(state, current, {"lifetimeCount": 150}, AT + timedelta(hours=12)) == {
        "lifetimeCount": 150}
