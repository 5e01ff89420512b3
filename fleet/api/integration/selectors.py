"""Read side of the integration API: the organizations a token reaches, and one page of their printers with
the sub-resources asked for, in a fixed number of queries whatever the page size."""
import hashlib
import logging

from django.core.cache import cache
from django.db.models import Subquery, TextField
from django.db.models.functions import Cast

from accounts.choices import OrganizationStatus
from accounts.models import Organization
from fleet.models import Alert, DiagnosticEvent, Printer, Supply
from fleet.selectors import count_printers

from . import serializers as out

try:
    from orjson import loads
except ImportError:  # pragma: no cover - a dependency
    from json import loads


def organization_ids(root: Organization) -> list:
    """The token's organization and every descendant (child organizations of a partner, theirs...), without
    organizations being deleted and what is below them: one query per level of the tree."""
    found, frontier = [root.pk], [root.pk]
    while frontier:
        frontier = list(Organization.objects.filter(parent_id__in=frontier)
                        .exclude(status=OrganizationStatus.PENDING_DELETION).values_list("pk", flat=True))
        found.extend(frontier)
    return sorted(found, key=str)


def enrolled_printers(org_ids: list, serial: str | None = None):
    queryset = Printer.objects.filter(organization_id__in=org_ids, unenrolled_at__isnull=True)
    if serial is not None:
        queryset = queryset.filter(serial=serial)
    return queryset


CONTINUATION_SECONDS = 600
log = logging.getLogger(__name__)


def _continuation_key(org_ids: list, serial: str | None, size: int, number: int) -> str:
    scope = f"{','.join(str(pk) for pk in org_ids)}|{serial}|{size}|{number}"
    return "integration:after:" + hashlib.sha256(scope.encode()).hexdigest()


def _remembered(key: str) -> int | None:
    """A continuation, or None (also when the cache is down: the offset then finds the page)."""
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - a cache outage must not fail the API
        log.warning("integration API: cache unavailable, paging by offset", exc_info=True)
        return None


def _remember(key: str, last_id: int) -> None:
    try:
        cache.set(key, last_id, CONTINUATION_SECONDS)
    except Exception:  # noqa: BLE001
        log.warning("integration API: cache unavailable", exc_info=True)


def assets_page(org_ids: list, include: frozenset, number: int, size: int,
                serial: str | None = None) -> tuple[list[dict], int]:
    """(the page's assets as the guide's objects, total assets). Printers are in id order: a stable order
    in which printers enrolled while a connector pages land on later pages.

    A connector reads pages one after the other: serving page n remembers (CONTINUATION_SECONDS, in the
    shared cache) the last printer id it held, and page n+1 of the same organizations and size then starts
    right after it (an index range scan) instead of skipping n+1 pages of printers (OFFSET, whose cost grows
    with the page number). Read in order, the pages hold every printer once even if printers are unenrolled
    meanwhile; any other page is found by its offset."""
    printers = enrolled_printers(org_ids, serial)
    total = count_printers(printers)
    offset = number * size
    if offset >= total:
        return [], total
    ordered = printers.order_by("id").values("id")
    after = _remembered(_continuation_key(org_ids, serial, size, number)) if number else None
    ids = ordered.filter(id__gt=after)[:size] if after is not None else ordered[offset:offset + size]
    page = Printer.objects.filter(id__in=Subquery(ids)).order_by("id")
    if "counters" in include:
        page = with_json_text(page)
    rows = list(page.values(*out.printer_columns(include)))
    if rows:
        _remember(_continuation_key(org_ids, serial, size, number + 1), rows[-1]["id"])
    content = [out.asset(row) for row in rows]
    by_id = {row["id"]: item for row, item in zip(rows, content, strict=True)}
    page_ids = list(by_id)
    if "counters" in include:
        for row, item in zip(rows, content, strict=True):
            item["counters"] = out.counters(loads(row["counters_json"] or "{}"), row["counters_at"],
                                            loads(row["paper_json"] or "[]"))
    if "supplies" in include and page_ids:
        days_at = {row["id"]: row["days_to_replace_at"] for row in rows}
        for supply in (Supply.objects.filter(printer_id__in=page_ids).order_by("printer_id", "key")
                       .values_list(*out.SUPPLY_COLUMNS)):
            by_id[supply[0]]["supplies"].append(out.supply(supply, days_at[supply[0]]))
    if "diagnosticEvents" in include and page_ids:
        printer_rows = {row["id"]: row for row in rows}
        for event in (DiagnosticEvent.objects.filter(printer_id__in=page_ids)
                      .order_by("printer_id", "created_at", "id").values_list(*out.DIAGNOSTIC_COLUMNS)):
            by_id[event[0]]["diagnosticEvents"].append(out.diagnostic_event(event, printer_rows[event[0]]))
    if "alerts" in include and page_ids:
        for item in (Alert.objects.filter(printer_id__in=page_ids, cleared_at__isnull=True)
                     .order_by("printer_id", "opened_at", "id").values_list(*out.ALERT_COLUMNS)):
            by_id[item[0]]["alerts"].append(out.alert(item))
    return content, total


def legacy_counters(org_ids: list) -> list[dict]:
    """The deprecated endpoint: every printer, unpaged, with the counters it reports."""
    rows = (with_json_text(enrolled_printers(org_ids)).order_by("id")
            .values_list("serial", "counters_at", "counters_json").iterator(chunk_size=5000))
    return [{"serialNumber": serial, "dateCollected": out.millis(at),
             "counters": out.legacy_counters(loads(values) if values else {})} for serial, at, values in rows]


def with_json_text(printers):
    """The counters and paper counts as JSON text, parsed by orjson: Django's JSONField decoding (json.loads
    per value) is a good part of a page's time."""
    return printers.annotate(counters_json=Cast("counters", TextField()), paper_json=Cast("paper_counts", TextField()))
