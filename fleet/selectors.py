"""The read side of the Printers page, shared by the page, its CSV export and the printers API: which
printers (through the organization gate), filtered and sorted how, and each column of a view rendered from
the one column catalog (fleet.columns).

A page of rows costs a fixed number of queries whatever its size: the printers themselves (only the fields
the view's columns need), then one query per kind of extra data the view shows (toner supplies, tags, last
task, diagnostic events) for all the rows at once.

Actions of the toolbar receive the selection from `selected_printers()`: the ticked `printer` ids, or with
`select_all=1` every printer matching the listing's filters (its query string in `query`)."""
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html import escape as _escape

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Max
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

from accounts import access
from accounts.roles import Perm
from lexcloud.ids import parse_ids

from .choices import AgentType, Communication, JobStatus, Status, TaskType
from .columns import COLUMNS, COUNTER_COLUMNS, IDENTIFIERS
from .filters import PrinterFilterSet
from .models import DiagnosticEvent, Printer, PrinterView, Supply
from .models.tasks import Job

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
EXPORT_CHUNK = 2000
DEFAULT_IDENTIFIER = "ip_address"

# columns read straight from a printer field (or a field of a related row)
FIELD_COLUMNS = {
    "ip_address": "ip_address", "host_name": "host_name", "serial": "serial", "name": "name",
    "model_name": "model_name", "manufacturer": "manufacturer", "mac_address": "mac_address",
    "location": "location", "contact": "contact", "asset_tag": "asset_tag", "description": "description",
    "organization": "organization__name", "agent_type": "agent_type", "agent_name": "agent__name",
    "agent_version": "agent__version", "communication": "communication", "status": "status",
    "last_communication": "last_communication", "last_data_refresh": "last_data_refresh",
    "enrolled_at": "enrolled_at", "firmware": "firmware", "firmware_update_available": "firmware_update_available",
    "esf_version": "esf_version", "printer_alerts": "printer_alerts", "supply_alerts": "supply_alerts",
}
# supply columns: (toner color, Supply field)
SUPPLY_COLUMNS = {f"{color}_{kind}": (color, attr) for color in ("black", "cyan", "magenta", "yellow")
                  for kind, attr in (("level", "level"), ("days", "days_to_replace"), ("coverage", "lifetime_coverage"))}
LABELS = {"communication": dict(Communication.choices), "status": dict(Status.choices),
          "agent_type": dict(AgentType.choices)}
ALWAYS = ("id", "organization_id", "serial", "communication", "worst_severity")


@dataclass(frozen=True)
class Layout:
    """What the listing shows: the identifier column first, then the view's columns. `view` is None for a
    Quick View (applied from the query string, never saved)."""

    identifier: str
    columns: tuple[str, ...]
    view: PrinterView | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.identifier, *self.columns)

    def with_organization(self) -> "Layout":
        """The aggregate view always shows the Organization column, right after the identifier."""
        if "organization" in self.columns:
            return self
        return Layout(self.identifier, ("organization", *self.columns), self.view)


def layout_of(view: PrinterView) -> Layout:
    identifier = view.identifier if view.identifier in IDENTIFIERS else DEFAULT_IDENTIFIER
    return Layout(identifier, clean_columns(view.columns, identifier), view)


def clean_columns(keys: Iterable[str], identifier: str) -> tuple[str, ...]:
    """Known column keys, once each, without the identifier (it is always the first column)."""
    seen = []
    for key in keys:
        if key in COLUMNS and key != identifier and key not in seen:
            seen.append(key)
    return tuple(seen)


def quick_layout(params) -> Layout | None:
    """The Quick View of the query string (`qv=1&identifier=serial&col=model_name&col=...`), if any."""
    if not params.get("qv"):
        return None
    identifier = params.get("identifier")
    identifier = identifier if identifier in IDENTIFIERS else DEFAULT_IDENTIFIER
    return Layout(identifier, clean_columns(params.getlist("col"), identifier))


# --- which printers ---------------------------------------------------------------------------------------

def printers_in(user, organization, permission=Perm.FLEET_VIEW):
    """The organization's enrolled printers, through the gate."""
    return Printer.objects.for_user(user, permission, organization=organization).enrolled()


def subtree_organizations(user, organization) -> list:
    """The organization and its descendants that the user sees with Fleet Management access (the
    aggregate "All organizations (view only)" view), computed from the user's visible organizations."""
    visible = access.visible_organizations(user)
    parent_of = {org.pk: org.parent_id for org in visible}
    inside = []
    for org in visible:
        node = org.pk
        while node is not None and node != organization.pk:
            node = parent_of.get(node)
        if node == organization.pk and Perm.FLEET_VIEW in access.effective_permissions(user, org):
            inside.append(org)
    return inside


def aggregate_printers(user, organization):
    ids = [org.pk for org in subtree_organizations(user, organization)]
    return Printer.objects.filter(organization_id__in=ids).enrolled()


def fleet_models(organization, queryset) -> list[str]:
    """The distinct model names of an organization's enrolled printers (the Model filter). On PostgreSQL a
    loose index scan of the (organization, model_name) index: one probe per model instead of a pass over
    every printer (queryset, the same printers through the gate, is what other databases read)."""
    if connection.vendor != "postgresql":
        return list(queryset.exclude(model_name="").order_by("model_name").values_list("model_name", flat=True)
                    .distinct())
    table = connection.ops.quote_name(Printer._meta.db_table)
    enrolled = "organization_id = %s AND unenrolled_at IS NULL"
    sql = (f"WITH RECURSIVE m AS ((SELECT model_name FROM {table} WHERE {enrolled} AND model_name > '' "
           f"ORDER BY model_name LIMIT 1) UNION ALL SELECT (SELECT p.model_name FROM {table} p WHERE p.{enrolled} "
           f"AND p.model_name > m.model_name ORDER BY p.model_name LIMIT 1) FROM m WHERE m.model_name IS NOT NULL) "
           f"SELECT model_name FROM m WHERE model_name IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization.pk, organization.pk])
        return [row[0] for row in cursor.fetchall()]


def filter_printers(queryset, params, identifier=DEFAULT_IDENTIFIER):
    """(filterset or None, queryset): the listing's filters and sort applied; without a valid sort, the
    identifier column ascending. Invalid filter values are ignored (the filterset's errors say which)."""
    default_order = (COLUMNS[identifier].sort, "pk")
    if not any(name in params for name in PrinterFilterSet.base_filters):
        return None, queryset.order_by(*default_order)   # nothing asked: no FilterSet to build
    filterset = PrinterFilterSet(params, queryset=queryset)
    queryset = filterset.qs
    if not (filterset.is_valid() and filterset.form.cleaned_data.get("sort")):
        queryset = queryset.order_by(*default_order)
    return filterset, queryset


def selected_printers(user, organization, data, permission=Perm.FLEET_MANAGE):
    """The printers a toolbar action applies to (`data` is the POST of the selection form)."""
    base = printers_in(user, organization, permission)
    if data.get("select_all"):
        _filterset, queryset = filter_printers(base, QueryDict(data.get("query", "")))
        return queryset
    return base.filter(pk__in=parse_ids(data.getlist("printer")))


def page_size(params) -> int:
    try:
        size = int(params.get("page_size", DEFAULT_PAGE_SIZE))
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return size if size in PAGE_SIZES else DEFAULT_PAGE_SIZE


# --- rows -------------------------------------------------------------------------------------------------

def _fields(keys) -> list[str]:
    fields = list(ALWAYS)
    for key in keys:
        name = FIELD_COLUMNS.get(key) or ("counters" if key in COUNTER_COLUMNS else None)
        if name and name not in fields:
            fields.append(name)
    return fields


@dataclass
class Extras:
    """Data of a batch of rows that does not live on the printer row, fetched once per batch."""

    supplies: dict = field(default_factory=dict)     # printer id → {color: {level, days_to_replace, ...}}
    tags: dict = field(default_factory=dict)         # printer id → [names]
    last_task: dict = field(default_factory=dict)    # printer id → "Task type (Job status)"
    diagnostics: dict = field(default_factory=dict)  # printer id → count of current diagnostic events


def load_extras(ids: list[int], keys) -> Extras:
    extras = Extras()
    if not ids:
        return extras
    keys = set(keys)
    colors = {SUPPLY_COLUMNS[k][0] for k in keys & SUPPLY_COLUMNS.keys()}
    if colors:
        rows = (Supply.objects.filter(printer_id__in=ids, type="Toner")
                .values_list("printer_id", "color", "level", "days_to_replace", "lifetime_coverage"))
        for printer_id, color, level, days, coverage in rows:
            color = (color or "").lower()
            if color in colors:
                extras.supplies.setdefault(printer_id, {}).setdefault(
                    color, {"level": level, "days_to_replace": days, "lifetime_coverage": coverage})
    if "tags" in keys:
        tags = defaultdict(list)
        for printer_id, name in (Printer.tags.through.objects.filter(printer_id__in=ids)
                                 .order_by("tag__name").values_list("printer_id", "tag__name")):
            tags[printer_id].append(name)
        extras.tags = tags
    if "last_task" in keys:
        newest = Job.objects.filter(printer_id__in=ids).values("printer_id").annotate(last=Max("id")).values("last")
        types, states = dict(TaskType.choices), dict(JobStatus.choices)
        for printer_id, task_type, status in (Job.objects.filter(pk__in=newest)
                                              .values_list("printer_id", "task__task_type", "status")):
            extras.last_task[printer_id] = f"{types.get(task_type, task_type)} ({states.get(status, status)})"
    if "diagnostic_events" in keys:
        extras.diagnostics = dict(DiagnosticEvent.objects.filter(printer_id__in=ids, expires_at__gt=timezone.now())
                                  .values("printer_id").annotate(n=Count("id")).values_list("printer_id", "n"))
    return extras


def cell_value(key: str, row: dict, extras: Extras):
    """The value of one column for one printer row (a dict of `_fields()`), as data: str, int, float,
    bool, datetime, list or None."""
    if key in FIELD_COLUMNS:
        return row[FIELD_COLUMNS[key]]
    if key in COUNTER_COLUMNS:
        return (row.get("counters") or {}).get(COUNTER_COLUMNS[key])
    if key in SUPPLY_COLUMNS:
        color, attr = SUPPLY_COLUMNS[key]
        return extras.supplies.get(row["id"], {}).get(color, {}).get(attr)
    if key == "tags":
        return extras.tags.get(row["id"], [])
    if key == "last_task":
        return extras.last_task.get(row["id"])
    if key == "diagnostic_events":
        return extras.diagnostics.get(row["id"], 0)
    if key == "lexmark_managed":
        return False   # Managed Print Services arrive with MPS Express (a later issue): nothing is managed yet
    raise KeyError(key)


def cell_text(key: str, value) -> str:
    """The one text form of a value, for the page and the CSV export."""
    if value is None:
        return ""
    if key in LABELS:
        return LABELS[key].get(value, value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def iter_rows(queryset, keys, *, chunk=EXPORT_CHUNK) -> Iterator[tuple[dict, Extras]]:
    """(row, extras) for every printer of a sorted queryset, streamed (a server-side cursor on PostgreSQL)
    and handled a chunk at a time, so that the export of a large fleet never holds it all in memory."""
    batch = []
    for row in queryset.values(*_fields(keys)).iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) == chunk:
            yield from _with_extras(batch, keys)
            batch = []
    yield from _with_extras(batch, keys)


def _with_extras(rows, keys):
    extras = load_extras([r["id"] for r in rows], keys)
    for row in rows:
        yield row, extras


COUNT_CACHE_MIN = 10_000
COUNT_CACHE_SECONDS = 60


def count_printers(queryset) -> int:
    """How many printers a filtered listing has ("N total items"). A count of COUNT_CACHE_MIN or more is kept
    COUNT_CACHE_SECONDS for the same query (same organizations and filters, any order or page): counting
    100,000 printers is most of a page's time, and paging or sorting asks the same count again. Smaller
    counts are always counted afresh, so filtered views stay exact."""
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:   # nothing can match (no organization in reach): nothing to count
        return 0
    key = "fleet:printer-count:" + hashlib.sha256(f"{connection.alias}|{sql}|{params}".encode()).hexdigest()
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        if count >= COUNT_CACHE_MIN:
            cache.set(key, count, COUNT_CACHE_SECONDS)
    return count


class CountedPaginator(Paginator):
    """Django's paginator with count_printers() (the page and the list API)."""

    @cached_property
    def count(self):
        return count_printers(self.object_list)


class _Rows:
    """What the paginator pages: counts the filtered printers, fetches only the page's fields."""

    def __init__(self, queryset, keys):
        self.queryset, self.values = queryset, queryset.values(*_fields(keys))

    def count(self):
        return count_printers(self.queryset)

    def __getitem__(self, index):
        return list(self.values[index])


def paginate(queryset, keys, params):
    """(page, extras): the requested page of rows (`page`, `page_size`) and their extra data."""
    paginator = Paginator(_Rows(queryset, keys), page_size(params))
    page = paginator.get_page(params.get("page"))
    page.object_list = list(page.object_list)
    return page, load_extras([r["id"] for r in page.object_list], keys)


# --- HTML cells of the page -------------------------------------------------------------------------------

SEVERITY_CLASS = {"error": "error", "warning": "warn", "info": "grey"}
# "Agent needs credentials": a lock before the identifier (guide, printer communication statuses)
LOCK = ('<svg class="lock-icon" viewBox="0 0 16 16" role="img" aria-label="Agent needs credentials">'
        '<title>Agent needs credentials</title><path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h1a1 1 0 0 1 1 1v6a1 '
        '1 0 0 1-1 1H3a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h1zm2 0h4V5a2 2 0 1 0-4 0v2z"/></svg>')
_ID = 987654321


class CellRenderer:
    """Renders the page's cells as HTML (escaped); built once per request so that URLs are reversed once."""

    def __init__(self, organization_id, *, aggregate=False):
        self.aggregate, self.org_id = aggregate, str(organization_id)
        self.detail = self._template("fleet:printer", {"org_id": organization_id, "printer_id": _ID})
        self.org_printers = self._template("fleet:printers", {"org_id": organization_id})

    @staticmethod
    def _template(name, kwargs) -> str:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            return ""

    def detail_url(self, row) -> str:
        if not self.detail:
            return ""
        url = self.detail.replace(str(_ID), str(row["id"]))
        return url.replace(self.org_id, str(row["organization_id"])) if self.aggregate else url

    def identifier(self, row, value) -> str:
        text = _escape(cell_text("identifier", value) or row["serial"])
        lock = LOCK if row["communication"] == Communication.NEEDS_CREDENTIALS else ""
        url = self.detail_url(row)
        return f'{lock}<a href="{_escape(url)}" data-testid="printer-link">{text}</a>' if url else lock + text

    def cell(self, key, row, value) -> str:
        """One cell's HTML. Plain f-strings over html.escape: Django's escape() and format_html() are lazy-aware
        wrappers that cost more than the rest of a 200-row page."""
        if key in ("supply_alerts", "printer_alerts"):
            if not value:
                return '<span class="muted">0</span>'
            return f'<span class="tag {SEVERITY_CLASS.get(row["worst_severity"], "warn")}">{value}</span>'
        if key == "tags":
            return " ".join(f'<span class="tag grey">{_escape(name)}</span>' for name in value)
        if key == "firmware_update_available":
            return '<span class="tag warn">Update available</span>' if value else ""
        if key == "communication" and value != Communication.COMMUNICATING:
            return f'<span class="tag warn">{_escape(cell_text(key, value))}</span>'
        if key == "organization" and self.aggregate and self.org_printers:
            url = self.org_printers.replace(self.org_id, str(row["organization_id"]))
            return f'<a href="{_escape(url)}" data-testid="organization-link">{_escape(value)}</a>'
        return _escape(cell_text(key, value))

    def rows(self, rows, extras: Extras, layout: Layout) -> list[dict]:
        result = []
        for row in rows:
            cells = [self.identifier(row, cell_value(layout.identifier, row, extras))]
            cells.extend(self.cell(key, row, cell_value(key, row, extras)) for key in layout.columns)
            result.append({"id": row["id"], "cells": cells})
        return result

    @staticmethod
    def tbody(rows: list[dict], *, selectable: bool) -> str:
        """The table body as one HTML string (cells are escaped already): built here rather than by a template
        loop, which cost more than everything else on the page for 200 rows."""
        check = ('<td class="check"><input type="checkbox" name="printer" value="{}" aria-label="Select printer">'
                 "</td>") if selectable else ""
        return mark_safe("".join(
            f'<tr data-printer="{row["id"]}">{check.format(row["id"])}<td>{"</td><td>".join(row["cells"])}</td></tr>'
            for row in rows))
