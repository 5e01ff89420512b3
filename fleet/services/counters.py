"""Printer counters: from the raw device values agents report (Counter32, or PWG IcCounter32 which wraps at
2**31) to effective values that never go down, across wraps and resets (docs/decisions/0008).

`Printer.counters` holds the effective values; `Printer.counter_state` holds, only for the counters whose
offset is not 0, `[raw, offset, since]`: the last raw value, what is added to it, and the time (epoch seconds)
of the first report of the current epoch. Any other counter's last raw value is its effective value, so the
state stays empty, and cheap to rewrite with each report, for most printers. Effective value = raw + offset.
- Wrap: the counter went down, its previous raw value was within WRAP_WINDOW of the top of its range
  (2**31, else 2**32) and the new raw value is what it would read after rolling over: offset += modulus.
- Reset: any other drop, or any drop after the printer restarted (its boot time moved on): the counter
  started again from zero, so offset becomes the previous effective value and the effective value keeps
  growing from there.
A late (out-of-order) report cannot move this state; `place_stale` gives its effective values when they
belong to the current epoch, so it can still be stored as history.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MODULI = (2**31, 2**32)          # PWG IcCounter32, then SNMP Counter32
WRAP_WINDOW = 2**24              # pages: more than any printer prints between two reports, far less than 2**31
RESTART_SLACK = timedelta(minutes=10)   # boot time jitter (uptime rounding, clock drift) that is not a restart


@dataclass
class Advanced:
    values: dict[str, int]                         # effective values of the counters reported
    state: dict[str, list[int]]                    # the new counter_state (all counters, reported or not)
    wrapped: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)


def boot_time(collected: datetime, uptime: int | None) -> datetime | None:
    """When the printer last started, from a report's time and its uptime in seconds."""
    return None if uptime is None else collected - timedelta(seconds=uptime)


def restarted(previous_boot: datetime | None, boot: datetime | None) -> bool:
    """The printer started again since the previous report (its boot time moved forward)."""
    return previous_boot is not None and boot is not None and boot > previous_boot + RESTART_SLACK


def wrap_modulus(previous: int, raw: int) -> int | None:
    """The range the counter rolled over, when a drop from `previous` to `raw` reads as a wrap; else None."""
    for modulus in MODULI:
        if previous < modulus and (modulus - previous) + raw <= WRAP_WINDOW:
            return modulus
    return None


def _last(state: dict, current: dict, name: str):
    """(last raw value, offset, since) of a counter, or None when it was never reported."""
    entry = state.get(name)
    if entry is not None:
        return entry[0], entry[1], (entry[2] if len(entry) > 2 else None)
    value = current.get(name)
    return None if value is None else (value, 0, None)


def advance(state: dict, current: dict, raw: dict[str, int], collected: datetime, *,
            restart: bool = False) -> Advanced:
    """Fold a newer report's raw counters (collected at `collected`) into the counter state; `current` are
    the effective values so far (Printer.counters). Runs for every report: the usual case (no offset, the
    counter did not go down) is kept short."""
    new_state = dict(state)
    result = Advanced(values={}, state=new_state)
    values = result.values
    for name, value in raw.items():
        entry = state.get(name)
        if entry is None:
            previous = current.get(name)
            if previous is None or value >= previous:
                values[name] = value
                continue
            offset, since = 0, None
        else:
            previous, offset, since = entry[0], entry[1], (entry[2] if len(entry) > 2 else None)
        if value < previous:
            modulus = None if restart else wrap_modulus(previous, value)
            if modulus:
                offset += modulus
                result.wrapped.append(name)
            else:
                offset += previous
                result.reset.append(name)
            since = int(collected.timestamp())
        new_state[name] = [value, offset, since]
        values[name] = value + offset
    return result


def place_stale(state: dict, current: dict, raw: dict[str, int], collected: datetime) -> dict[str, int]:
    """Effective values of an older report, for history: counters of the current epoch only (a value from
    before the last wrap or reset cannot be placed, and one above the current raw value is not newer)."""
    values = {}
    at = collected.timestamp()
    for name, value in raw.items():
        last = _last(state, current, name)
        if last is None or value > last[0] or (last[2] is not None and at < last[2]):
            continue
        values[name] = value + last[1]
    return values
