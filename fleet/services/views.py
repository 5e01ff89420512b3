"""Views and filter groups of the Printers page: the state changes (create, edit, copy, delete and select
views; save, rename and delete filter groups) and the rules that go with them.

- The seven system views (organization NULL) can be copied, never edited or deleted.
- A custom view belongs to the organization it was created in and is shared with every organization below
  it (a partner's views appear in its customers' listings). It is edited or deleted only from its own
  organization; below, it can be used and copied. Names are unique across that whole line.
- Each user has a default view per organization (ViewPreference): the view last selected or created from
  the Views menu. When it is deleted (by anyone), the Standard view is the default again.
- A Fleet Management Viewer (no Perm.FLEET_MANAGE) uses only the Standard view and Quick views.
- Filter groups belong to one organization (not shared with its children) and store the listing's filter
  parameters (fleet.filters.FILTER_KEYS)."""
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict

from accounts.access import effective_permissions
from accounts.models import Organization
from accounts.roles import Perm

from ..columns import COLUMNS, IDENTIFIERS, STANDARD_VIEW, SYSTEM_VIEWS
from ..filters import FILTER_KEYS, PrinterFilterSet
from ..models import FilterGroup, PrinterView, ViewPreference

NAME_MAX_LENGTH = 64
SYSTEM_NOT_EDITABLE = "You cannot edit system-generated views."
SYSTEM_NOT_DELETABLE = "You cannot delete system-generated views."
NOT_UNIQUE = "Type a unique view name."
VIEWER_ONLY_STANDARD = "Your role can use only the Standard view and Quick views."


def can_manage_views(user, organization) -> bool:
    return Perm.FLEET_MANAGE in effective_permissions(user, organization)


def lineage(organization) -> list:
    """The organization and its ancestors: whose custom views it sees."""
    return [organization.pk, *(org.pk for org in organization.ancestors())]


def descendants(organization) -> list:
    found, frontier = [], [organization.pk]
    while frontier:
        frontier = list(Organization.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        found.extend(frontier)
    return found


def visible_views(organization):
    """System views and the custom views of the organization and of its ancestors."""
    return PrinterView.objects.filter(Q(organization__isnull=True) | Q(organization_id__in=lineage(organization)))


def _menu_order(view) -> tuple:
    return (view.system_key != STANDARD_VIEW, not view.is_system, view.name.lower())


def views_for(user, organization) -> tuple[list[PrinterView], PrinterView]:
    """(the views the user may use here, in menu order; the current default view) in one query. Each view
    carries `is_default`."""
    preferred = ViewPreference.objects.filter(view=OuterRef("pk"), user=user, organization=organization)
    views = sorted(visible_views(organization).annotate(is_default=Exists(preferred)), key=_menu_order)
    if not any(v.system_key == STANDARD_VIEW for v in views):   # a flushed database (tests, benchmarks)
        ensure_system_views()
        views = sorted(visible_views(organization).annotate(is_default=Exists(preferred)), key=_menu_order)
    if not can_manage_views(user, organization):
        views = [v for v in views if v.system_key == STANDARD_VIEW]
    standard = next((v for v in views if v.system_key == STANDARD_VIEW), None) or standard_view()
    current = next((v for v in views if v.is_default), standard)
    for view in views:
        view.is_default = view.pk == current.pk
    return views, current


def standard_view() -> PrinterView:
    ensure_system_views()
    return PrinterView.objects.get(organization__isnull=True, system_key=STANDARD_VIEW)


def ensure_system_views() -> None:
    """The seven system views exist (migration 0002 loads them; a flushed database has lost them)."""
    if PrinterView.objects.filter(organization__isnull=True).count() >= len(SYSTEM_VIEWS):
        return
    for key, (name, columns) in SYSTEM_VIEWS.items():
        PrinterView.objects.get_or_create(organization=None, system_key=key,
                                          defaults={"name": name, "columns": columns})


def current_view(user, organization) -> PrinterView:
    return views_for(user, organization)[1]


@transaction.atomic
def select_view(user, organization, view: PrinterView) -> PrinterView:
    """**Views** → a view: it "becomes the default view, and does not change when you log out"."""
    usable, _current = views_for(user, organization)
    if view.pk not in {v.pk for v in usable}:
        raise ValidationError(VIEWER_ONLY_STANDARD if not can_manage_views(user, organization)
                              else "This view is not available in this organization.")
    ViewPreference.objects.update_or_create(user=user, organization=organization, defaults={"view": view})
    return view


def _clean_name(name) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Type a view name."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Use at most {NAME_MAX_LENGTH} characters."})
    return name


def clean_view(organization, *, name, identifier, columns, exclude=None) -> tuple[str, str, list[str]]:
    """(name, identifier, columns) checked: a unique name, a known identifier, one or more known columns."""
    name = _clean_name(name)
    if identifier not in IDENTIFIERS:
        raise ValidationError({"identifier": "Choose the printer identification column."})
    if isinstance(columns, str) or not isinstance(columns, list | tuple):
        raise ValidationError({"columns": "Columns must be a list of column keys."})
    unknown = [str(c) for c in columns if c not in COLUMNS]
    if unknown:
        raise ValidationError({"columns": f"Unknown column: {', '.join(unknown[:5])}."})
    cleaned = []
    for key in columns:
        if key != identifier and key not in cleaned:
            cleaned.append(key)
    if not cleaned:
        raise ValidationError({"columns": "Select one or more columns."})
    taken = PrinterView.objects.filter(
        Q(organization__isnull=True) | Q(organization_id__in=lineage(organization) + descendants(organization)),
        name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": NOT_UNIQUE})
    return name, identifier, cleaned


def _require_manager(user, organization):
    if user is not None and not can_manage_views(user, organization):
        raise ValidationError(VIEWER_ONLY_STANDARD)


@transaction.atomic
def create_view(organization, *, name, identifier="ip_address", columns, by=None, make_default=True) -> PrinterView:
    """**Create view** (and Copy): "The created view is applied automatically, and becomes the default view"
    — except from Manage views, where it "does not become the default view" (make_default=False)."""
    _require_manager(by, organization)
    name, identifier, columns = clean_view(organization, name=name, identifier=identifier, columns=columns)
    try:
        with transaction.atomic():
            view = PrinterView.objects.create(organization=organization, name=name, identifier=identifier,
                                              columns=columns, created_by=by)
    except IntegrityError:   # a concurrent request took the name first
        raise ValidationError({"name": NOT_UNIQUE}) from None
    if make_default and by is not None:
        ViewPreference.objects.update_or_create(user=by, organization=organization, defaults={"view": view})
    return view


def editable_views(organization):
    """Views this organization may edit or delete: its own custom views."""
    return PrinterView.objects.filter(organization=organization)


@transaction.atomic
def update_view(organization, view: PrinterView, *, name, identifier, columns, by=None) -> PrinterView:
    _require_manager(by, organization)
    if view.is_system:
        raise ValidationError(SYSTEM_NOT_EDITABLE)
    if view.organization_id != organization.pk:
        raise ValidationError("This view is shared from another organization: copy it to change it.")
    view.name, view.identifier, view.columns = clean_view(organization, name=name, identifier=identifier,
                                                          columns=columns, exclude=view)
    try:
        with transaction.atomic():
            view.save(update_fields=["name", "identifier", "columns"])
    except IntegrityError:
        raise ValidationError({"name": NOT_UNIQUE}) from None
    return view


@transaction.atomic
def delete_views(organization, view_ids, *, by=None) -> int:
    """**Delete Views**: the organization's own custom views among `view_ids`. Users whose default was one
    of them get the Standard view again (their preference goes with the view)."""
    _require_manager(by, organization)
    ids = list(view_ids)
    if PrinterView.objects.filter(pk__in=ids, organization__isnull=True).exists():
        raise ValidationError(SYSTEM_NOT_DELETABLE)
    _total, per_model = editable_views(organization).filter(pk__in=ids).delete()
    return per_model.get(PrinterView._meta.label, 0)


def copy_name(view: PrinterView, organization) -> str:
    """A free name for a copy: "Copy of X", "Copy of X (2)", ..."""
    base = f"Copy of {view.name}"[:NAME_MAX_LENGTH]
    names = {n.lower() for n in PrinterView.objects.filter(
        Q(organization__isnull=True) | Q(organization_id__in=lineage(organization) + descendants(organization)),
        name__istartswith=base[:40]).values_list("name", flat=True)}
    candidate, n = base, 1
    while candidate.lower() in names:
        n += 1
        candidate = f"{base[:NAME_MAX_LENGTH - 5]} ({n})"
    return candidate


# --- filter groups ----------------------------------------------------------------------------------------

def clean_filters(data) -> dict[str, list[str]]:
    """The listing filters of `data` (a QueryDict or a dict of lists) that a filter group keeps: known
    filters only, checked by the listing's FilterSet; empty values dropped. At least one filter."""
    if not isinstance(data, QueryDict):
        query = QueryDict(mutable=True)
        for key, values in (data or {}).items():
            query.setlist(key, [str(v) for v in (values if isinstance(values, list | tuple) else [values])])
        data = query
    filterset = PrinterFilterSet(data)
    if not filterset.is_valid():
        problems = "; ".join(f"{filterset.filters[k].label}: {' '.join(v)}" for k, v in filterset.errors.items())
        raise ValidationError({"filters": problems})
    filters = {}
    for key in FILTER_KEYS:
        values = [v.strip() for v in data.getlist(key) if v.strip()]
        if values:
            filters[key] = values
    if not filters:
        raise ValidationError({"filters": "Select one or more filters first."})
    return filters


def filters_query(group: FilterGroup) -> str:
    """The listing's query string of a filter group."""
    query = QueryDict(mutable=True)
    for key, values in (group.filters or {}).items():
        if key in FILTER_KEYS:
            query.setlist(key, [str(v) for v in (values if isinstance(values, list) else [values])])
    return query.urlencode()


def _clean_group_name(organization, name, exclude=None) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError({"name": "Type a filter group name."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Use at most {NAME_MAX_LENGTH} characters."})
    taken = FilterGroup.objects.filter(organization=organization, name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise ValidationError({"name": "Type a unique filter group name."})
    return name


@transaction.atomic
def save_filter_group(organization, *, name, filters, by=None, group: FilterGroup | None = None) -> FilterGroup:
    """**Save** → Create Filter Group → **Save**: a new group, or with `group` the selected group
    modified (its filters replaced, renamed when the name changed)."""
    if group is not None and group.organization_id != organization.pk:
        raise ValidationError("This filter group belongs to another organization.")
    name = _clean_group_name(organization, name, exclude=group)
    filters = clean_filters(filters)
    try:
        with transaction.atomic():
            if group is None:
                return FilterGroup.objects.create(organization=organization, name=name, filters=filters, created_by=by)
            group.name, group.filters = name, filters
            group.save(update_fields=["name", "filters"])
            return group
    except IntegrityError:
        raise ValidationError({"name": "Type a unique filter group name."}) from None


@transaction.atomic
def rename_filter_group(group: FilterGroup, name: str) -> FilterGroup:
    group.name = _clean_group_name(group.organization, name, exclude=group)
    group.save(update_fields=["name"])
    return group


@transaction.atomic
def delete_filter_group(group: FilterGroup) -> None:
    """**Delete** → Delete Filter Group → **Delete**."""
    group.delete()
