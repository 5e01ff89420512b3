"""Days to Replace: a daily prediction, from the supply level history, of the days left before a toner
cartridge, photoconductor or imaging unit of a Lexmark printer must be replaced.

Method (docs/decisions/0008-fleet-management.md, "Days to Replace"): levels are stored only when they change
(fleet.models.SupplyLevel), so the history is a step function. Over the last WINDOW, cut at the last
replacement (a rise of REPLACEMENT_JUMP points or more), a straight line is fitted to that step function by
least squares over time (each level weighs as long as it lasted, up to the printer's last report); the days
left are the current level divided by the fitted daily use, capped at MAX_DAYS. No prediction without
MIN_HISTORY of history, without a report in the last STALE_AFTER, for special levels ("unknown",
"some remaining"), for third-party printers, or under a Printer Agent older than 3.0.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from ..choices import AgentType
from ..models import Printer, Supply, SupplyLevel

WINDOW = timedelta(days=30)          # the use of the last 30 days predicts the next ones
MIN_HISTORY = timedelta(hours=24)    # with the daily run: "up to 48 hours for a prediction to be available"
STALE_AFTER = timedelta(days=7)      # no report for a week: no prediction ("no communication")
MAX_DAYS = 730                       # the guide's sample shows 730 for unused supplies
REPLACEMENT_JUMP = 10                # percent points: a rise this large is a new supply, smaller ones are noise
MIN_DAILY_USE = 0.01                 # percent per day; less is "no use"
PREDICTED_TYPES = ("Toner", "Photoconductor", "Imaging Unit")
PREDICTED_NAMES = re.compile(r"photoconductor|imaging (unit|kit)", re.IGNORECASE)  # reported with type "Other"
PRINTER_AGENT_MINIMUM = (3, 0)       # "update the Printer Agent to version 3.0 or later"
CHUNK = 500                          # printers per batch


@dataclass(frozen=True)
class Fit:
    slope: float        # percent per day (negative: in use)
    span: timedelta     # how much history the fit saw


def fit_levels(points: list[tuple[datetime, int]], until: datetime) -> Fit | None:
    """Least-squares line through the step function that holds each level from its time to the next one
    (the last one until `until`). Closed form over the segments, so the cost is the number of changes."""
    segments = []
    for (start, level), (end, _next) in zip(points, [*points[1:], (until, None)], strict=True):
        if end > start:
            segments.append((start, end, level))
    if not segments:
        return None
    origin = segments[0][0]
    s = st = stt = sy = sty = 0.0
    for start, end, level in segments:
        t0, t1 = (start - origin).total_seconds() / 86400, (end - origin).total_seconds() / 86400
        length, first, second = t1 - t0, (t1 ** 2 - t0 ** 2) / 2, (t1 ** 3 - t0 ** 3) / 3
        s, st, stt, sy, sty = s + length, st + first, stt + second, sy + level * length, sty + level * first
    denominator = s * stt - st * st
    slope = (s * sty - st * sy) / denominator if denominator > 1e-12 else 0.0
    return Fit(slope=slope, span=until - origin)


def since_replacement(points: list[tuple[datetime, int]]) -> list[tuple[datetime, int]]:
    """The points since the last replacement: a new cartridge starts a new history."""
    start = 0
    for index in range(1, len(points)):
        if points[index][1] - points[index - 1][1] >= REPLACEMENT_JUMP:
            start = index
    return points[start:]


def predict(points: list[tuple[datetime, int]], *, level: int | None, last_seen: datetime | None,
            now: datetime) -> int | None:
    """Days to Replace of one supply from its level history (oldest first, the level in force at the start of
    the window included), or None when there is not enough to go on."""
    if level is None or last_seen is None or now - last_seen > STALE_AFTER:
        return None
    points = since_replacement(sorted([*points, (last_seen, level)]))
    fit = fit_levels(points, last_seen)
    if fit is None or fit.span < MIN_HISTORY:
        return None
    daily_use = -fit.slope
    if daily_use < MIN_DAILY_USE:
        return MAX_DAYS
    return min(MAX_DAYS, int(level / daily_use))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text or "")[:3])


def _predictable_supplies():
    return Q(type__in=PREDICTED_TYPES) | Q(type="Other", description__iregex=PREDICTED_NAMES.pattern)


def _lexmark_printers():
    return Printer.objects.enrolled().filter(Q(printer_model__isnull=False) | Q(manufacturer__iexact="Lexmark"))


def _histories(supplies, start) -> dict[int, list[tuple[datetime, int]]]:
    """Per supply: its level changes inside the window, after the level in force when the window opened."""
    histories = {}
    for supply in supplies:
        histories[supply.pk] = [(start, supply.level_before)] if supply.level_before is not None else []
    for supply_id, level, at in (SupplyLevel.objects.filter(supply__in=list(histories), at__gte=start)
                                 .order_by("supply_id", "at").values_list("supply_id", "level", "at")):
        histories[supply_id].append((at, level))
    return histories


def _predict_batch(printers: list[Printer], now: datetime) -> int:
    start = now - WINDOW
    by_id = {printer.pk: printer for printer in printers}
    before = SupplyLevel.objects.filter(supply=OuterRef("pk"), at__lt=start).order_by("-at").values("level")[:1]
    supplies = list(Supply.objects.filter(_predictable_supplies(), printer__in=list(by_id))
                    .annotate(level_before=Subquery(before)).only("id", "printer_id", "level", "days_to_replace"))
    histories = _histories(supplies, start)
    changed = []
    for supply in supplies:
        printer = by_id[supply.printer_id]
        outdated = (printer.agent_type == AgentType.PRINTER and printer.agent is not None
                    and _version(printer.agent.version) < PRINTER_AGENT_MINIMUM)
        days = None if outdated else predict(histories[supply.pk], level=supply.level,
                                             last_seen=printer.last_data_refresh, now=now)
        if days != supply.days_to_replace:
            supply.days_to_replace = days
            changed.append(supply)
    with transaction.atomic():
        Supply.objects.bulk_update(changed, ["days_to_replace"], batch_size=CHUNK)
        Printer.objects.filter(pk__in=list(by_id)).update(days_to_replace_at=now)
    return len(changed)


def predict_days_to_replace(now: datetime | None = None, *, chunk: int = CHUNK) -> int:
    """The daily run over every enrolled Lexmark printer, in batches of `chunk` printers (a constant number
    of queries per batch). Returns how many supplies changed prediction."""
    now = now or timezone.now()
    printers = _lexmark_printers().select_related("agent").only(
        "id", "agent_type", "last_data_refresh", "agent__version").order_by("pk")
    changed, last = 0, 0
    while batch := list(printers.filter(pk__gt=last)[:chunk]):
        last = batch[-1].pk
        changed += _predict_batch(batch, now)
    return changed
