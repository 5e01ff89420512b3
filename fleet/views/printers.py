"""The Printers page: the listing (left-pane filters, search, sorting, pagination, views and Quick View),
filter groups, Export to CSV, and the partner's aggregate "All organizations (view only)".

    printers/                                        fleet:printers              the listing
    printers/export/                                 fleet:printers-export       CSV of the current view + filters
    printers/all/                                    fleet:printers-all          aggregate: this organization and
    printers/all/export/                             fleet:printers-all-export   the ones below it (view only)
    printers/views/                                  fleet:printer-views         Manage views
    printers/views/create/                           fleet:printer-view-create   Create view (?copy=<id>, ?manage=1)
    printers/views/quick/                            fleet:printer-view-quick    Quick View
    printers/views/delete/                           fleet:printer-views-delete  POST: Delete Views
    printers/views/<view_id>/edit/                   fleet:printer-view-edit     edit a custom view
    printers/views/<view_id>/select/                 fleet:printer-view-select   POST: make it the default
    printers/filter-groups/save/                     fleet:filter-group-save     POST: create or modify
    printers/filter-groups/<filter_group_id>/        fleet:filter-group          apply (redirects to the listing)
    printers/filter-groups/<filter_group_id>/delete/ fleet:filter-group-delete   POST

The toolbar's Printer and Tags menus are fleet/views/tags.py's (templates/fleet/printers/_actions.html)."""
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views import View
from django.views.generic import TemplateView

from accounts import access
from accounts.access import effective_permissions
from accounts.gate import OrgViewMixin
from accounts.roles import Perm
from accounts.views.portal import PortalHomeView
from lexcloud.csvexport import stream_csv
from lexcloud.ids import parse_ids

from .. import selectors
from ..choices import AgentType, Communication, Status
from ..columns import COLUMNS, IDENTIFIERS
from ..filters import ALERT_CHOICES, FILTER_KEYS, FIRMWARE_CHOICES
from ..models import FilterGroup, PrinterView, Tag
from ..services import views as view_services

QUICK_KEYS = ("qv", "identifier", "col")
STATE_KEYS = ("sort", "page_size", "fg", *QUICK_KEYS)   # carried along when the filters change


def _first_error(error: ValidationError) -> str:
    return " ".join(error.messages)


class FleetHomeView(PortalHomeView):
    """The Fleet Management portal opens on the Printers page (its landing page for reporting analysts)."""

    ok_status = 302

    def get(self, request, *args, **kwargs):
        if Perm.FLEET_VIEW in effective_permissions(request.user, self.organization):
            return redirect("fleet:printers", org_id=self.organization.pk)
        return super().get(request, *args, **kwargs)


# --- the listing ------------------------------------------------------------------------------------------

class ListingMixin(OrgViewMixin):
    """What the page and its export share: which printers, which columns, which filters and order."""

    permission = Perm.FLEET_VIEW
    aggregate = False

    def base_queryset(self):
        return selectors.printers_in(self.request.user, self.organization)

    def views(self):
        if not hasattr(self, "_views"):
            self._views = view_services.views_for(self.request.user, self.organization)
        return self._views

    def layout(self) -> selectors.Layout:
        layout = selectors.quick_layout(self.request.GET) or selectors.layout_of(self.views()[1])
        return layout.with_organization() if self.aggregate else layout

    def printers(self, layout):
        return selectors.filter_printers(self.base_queryset(), self.request.GET, layout.identifier)


def _header(key, identifier, sort) -> dict:
    column = COLUMNS[key]
    label = IDENTIFIERS.get(key, column.label) if key == identifier else column.label
    current = sort or identifier
    active = bool(column.sort) and current.lstrip("-") == key
    descending = active and current.startswith("-")
    return {"key": key, "label": label, "sortable": bool(column.sort), "active": active, "descending": descending,
            "sort": key if (not active or descending) else f"-{key}"}


def _shown_errors(filterset) -> dict:
    """Filter values the page could not use. A sort the column does not allow is simply not applied (the
    listing keeps its order), so it is no error to show."""
    if filterset is None:
        return {}
    return {name: errors for name, errors in filterset.errors.items() if name != "sort"}


def _options(name, label, choices, params) -> dict:
    chosen = set(params.getlist(name))
    return {"name": name, "label": label,
            "options": [{"value": str(v), "label": text, "checked": str(v) in chosen} for v, text in choices]}


class PrinterListView(ListingMixin, TemplateView):
    template_name = "fleet/printers/list.html"

    def filter_choices(self):
        """(models, tags) offered in the left pane: the models of the fleet, the tags of the organization(s)."""
        models = selectors.fleet_models(self.organization, self.base_queryset())
        tags = Tag.objects.for_user(self.request.user, Perm.FLEET_VIEW, organization=self.organization)
        return models, [(t.pk, t.name) for t in tags.order_by("name").only("id", "name")]

    def pane(self, params) -> list[dict]:
        models, tags = self.filter_choices()
        return [
            _options("communication", "Communication status", Communication.choices, params),
            _options("agent_type", "Agent Type", AgentType.choices, params),
            _options("model", "Model", [(m, m) for m in models], params),
            _options("tag", "Tags", tags, params),
            _options("supply_alerts", "Supply Alerts", ALERT_CHOICES, params),
            _options("printer_alerts", "Printer Alerts", ALERT_CHOICES, params),
            _options("firmware_update", "Firmware Update", FIRMWARE_CHOICES, params),
            _options("status", "Printer status", Status.choices, params),
        ]

    def filter_groups(self):
        return list(FilterGroup.objects.for_user(self.request.user, Perm.FLEET_VIEW, organization=self.organization)
                    .only("id", "name", "filters"))

    def aggregate_url(self) -> str:
        """Where "All organizations (view only)" leads: the aggregate of the user's own organization, for a
        user who reaches organizations below it (a partner administrator, even from a customer's page)."""
        visible = access.visible_organizations(self.request.user)
        return reverse("fleet:printers-all", kwargs={"org_id": visible[0].pk}) if len(visible) > 1 else ""

    def urls(self) -> dict:
        org_id = self.organization.pk
        query = self.request.GET.copy()
        query.pop("page", None)
        export = reverse("fleet:printers-all-export" if self.aggregate else "fleet:printers-export",
                         kwargs={"org_id": org_id})
        return {"export": f"{export}?{query.urlencode()}" if query else export,
                "listing": reverse("fleet:printers-all" if self.aggregate else "fleet:printers", kwargs={"org_id": org_id}),
                "printers": reverse("fleet:printers", kwargs={"org_id": org_id}),
                "all": self.aggregate_url(),
                "quick": reverse("fleet:printer-view-quick", kwargs={"org_id": org_id})}

    def get_context_data(self, **kwargs):
        params = self.request.GET
        views, current = self.views()
        layout = self.layout()
        filterset, printers = self.printers(layout)
        page, extras = selectors.paginate(printers, layout.keys, params)
        renderer = selectors.CellRenderer(self.organization.pk, aggregate=self.aggregate)
        rows = renderer.rows(page.object_list, extras, layout)
        groups = self.filter_groups()
        selected_group = next((g for g in groups if str(g.pk) == params.get("fg")), None)
        filter_query = QueryDict(mutable=True)
        for key in FILTER_KEYS:
            if params.getlist(key):
                filter_query.setlist(key, params.getlist(key))
        perms = effective_permissions(self.request.user, self.organization)
        group_modified = bool(selected_group) and selected_group.filters != dict(filter_query.lists())
        return super().get_context_data(
            fleet_tab="printers", aggregate=self.aggregate, layout=layout, views=views, current_view=current,
            quick=layout.view is None, headers=[_header(k, layout.identifier, params.get("sort", "")) for k in layout.keys],
            rows=rows, tbody=renderer.tbody(rows, selectable=not self.aggregate), page=page, total=page.paginator.count,
            page_sizes=selectors.PAGE_SIZES, page_size=selectors.page_size(params), pane=self.pane(params),
            filter_errors=_shown_errors(filterset), query=params.get("q", ""), supply_below=params.get("supply_below", ""),
            state=[(k, v) for k in STATE_KEYS for v in params.getlist(k)], filter_query=filter_query.urlencode(),
            filter_count=sum(len(values) for _key, values in filter_query.lists()), filter_groups=groups,
            selected_group=selected_group, group_modified=group_modified, urls=self.urls(),
            can_manage=Perm.FLEET_MANAGE in perms and not self.aggregate,
            can_manage_views=Perm.FLEET_MANAGE in perms,
            **kwargs)


class AggregatePrinterListView(PrinterListView):
    """**All organizations (view only)**: the printers of this organization and of every organization below
    it that the user manages through Child Organization Access (D §11.1), with an Organization column that
    leads to each organization's own Printers page. Filters, views and export work; actions do not."""

    permission = (Perm.FLEET_VIEW, Perm.CHILDREN_VIEW)
    aggregate = True

    def base_queryset(self):
        return selectors.aggregate_printers(self.request.user, self.organization)

    def filter_choices(self):
        models = (self.base_queryset().exclude(model_name="").order_by("model_name")
                  .values_list("model_name", flat=True).distinct())
        orgs = selectors.subtree_organizations(self.request.user, self.organization)
        tags = Tag.objects.filter(organization__in=orgs).select_related("organization").order_by("name")
        return list(models), [(t.pk, f"{t.name} ({t.organization.name})") for t in tags]


class PrinterExportView(ListingMixin, View):
    """**Export to CSV**: "all information present in the current view and current filters", every page."""

    def get(self, request, *args, **kwargs):
        layout = self.layout()
        _filterset, printers = self.printers(layout)
        header = [IDENTIFIERS.get(layout.identifier, COLUMNS[layout.identifier].label),
                  *(COLUMNS[k].label for k in layout.columns)]
        rows = ([selectors.cell_text(k, selectors.cell_value(k, row, extras)) for k in layout.keys]
                for row, extras in selectors.iter_rows(printers, layout.keys))
        name = "all-organizations" if self.aggregate else slugify(self.organization.name) or "organization"
        return stream_csv(f"printers-{name}-{date.today():%Y%m%d}.csv", header, rows)


class AggregateExportView(PrinterExportView):
    permission = AggregatePrinterListView.permission
    aggregate = True

    def base_queryset(self):
        return selectors.aggregate_printers(self.request.user, self.organization)


# --- views ------------------------------------------------------------------------------------------------

def _back(request, organization, default_name="fleet:printers") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default_name, kwargs={"org_id": organization.pk})


class ObjectLookupMixin:
    """POST-only views on one object: an id of another organization answers 404 whatever the method."""

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_object()
        return super().http_method_not_allowed(request, *args, **kwargs)


class ViewSelectView(ObjectLookupMixin, OrgViewMixin, View):
    """**Views** → a view: it becomes the user's default view in this organization."""

    permission = Perm.FLEET_VIEW
    http_method_names = ["post"]

    def get_object(self) -> PrinterView:
        return get_object_or_404(view_services.visible_views(self.organization), pk=self.kwargs["view_id"])

    def post(self, request, org_id, view_id):
        view = self.get_object()
        try:
            view_services.select_view(request.user, self.organization, view)
        except ValidationError as error:
            messages.error(request, _first_error(error))
        return redirect(_back(request, self.organization))


def move_columns(columns: list[str], move: str, picked_available: list[str], picked_selected: list[str]) -> list[str]:
    """The Create view column builder without JavaScript: **>** adds the picked available columns, **<**
    removes the picked selected ones, **^**/**v** move the picked selected columns one place."""
    columns = [c for c in columns if c in COLUMNS]
    if move == "add":
        return columns + [c for c in picked_available if c in COLUMNS and c not in columns]
    if move == "remove":
        return [c for c in columns if c not in picked_selected]
    if move not in ("up", "down"):
        return columns
    step = -1 if move == "up" else 1
    positions = [i for i, c in enumerate(columns) if c in picked_selected]
    for i in positions if step < 0 else reversed(positions):
        j = i + step
        if 0 <= j < len(columns) and columns[j] not in picked_selected:
            columns[i], columns[j] = columns[j], columns[i]
    return columns


class ViewFormMixin(OrgViewMixin):
    """Create view / edit a view: name, Column 1 (printer identification), Available → Selected columns."""

    template_name = "fleet/printers/view_form.html"
    permission = Perm.FLEET_MANAGE

    def initial(self) -> dict:
        raise NotImplementedError

    def save(self, state: dict):
        raise NotImplementedError

    def state(self) -> dict:
        post = self.request.POST
        return {"name": post.get("name", ""), "identifier": post.get("identifier", "ip_address"),
                "columns": [c for c in post.getlist("columns") if c in COLUMNS]}

    def get_context_data(self, state=None, errors=None, picked=(), **kwargs):
        state = state or self.initial()
        identifier = state["identifier"] if state["identifier"] in IDENTIFIERS else "ip_address"
        chosen = [c for c in state["columns"] if c != identifier]
        errors = errors or {}
        return super().get_context_data(
            fleet_tab="printers", state=state, identifiers=IDENTIFIERS.items(), errors=errors,
            available=[c for c in COLUMNS.values() if c.key not in chosen and c.key != identifier],
            selected=[{"column": COLUMNS[c], "picked": c in picked} for c in chosen], **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        state, move = self.state(), request.POST.get("move")
        if move:
            picked = request.POST.getlist("chosen")
            state["columns"] = move_columns(state["columns"], move, request.POST.getlist("available"), picked)
            return self.render_to_response(self.get_context_data(state=state, picked=picked))
        try:
            return self.save(state)
        except ValidationError as error:
            errors = dict(error.message_dict) if hasattr(error, "error_dict") else {"general": error.messages}
            errors.setdefault("general", errors.pop("__all__", []))
            return self.render_to_response(self.get_context_data(state=state, errors=errors))


class ViewCreateView(ViewFormMixin, TemplateView):
    """**Create view** (from the Views menu: it becomes the default) or, from Manage views, Copy (`copy`) and
    create (`manage=1`: it "does not become the default view")."""

    def from_manage(self) -> bool:
        return bool(self.request.GET.get("manage") or self.request.POST.get("manage"))

    def initial(self) -> dict:
        source_id = parse_ids([self.request.GET.get("copy", "")])
        if source_id:
            source = get_object_or_404(view_services.visible_views(self.organization), pk=source_id[0])
            return {"name": view_services.copy_name(source, self.organization), "identifier": source.identifier,
                    "columns": list(source.columns)}
        return {"name": "", "identifier": "ip_address", "columns": []}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title="Create view", submit="Create View", manage=self.from_manage(),
                                        cancel=_back(self.request, self.organization,
                                                     "fleet:printer-views" if self.from_manage() else "fleet:printers"),
                                        **kwargs)

    def save(self, state):
        manage = self.from_manage()
        view = view_services.create_view(self.organization, name=state["name"], identifier=state["identifier"],
                                         columns=state["columns"], by=self.request.user, make_default=not manage)
        messages.success(self.request, f"View “{view.name}” created.")
        return redirect("fleet:printer-views" if manage else "fleet:printers", org_id=self.organization.pk)


class ViewEditView(ViewFormMixin, TemplateView):
    """Manage views → a custom view of this organization → **Save Changes** (system views are not editable;
    views shared from a parent organization are edited there)."""

    def get_object(self) -> PrinterView:
        if not hasattr(self, "_object"):
            self._object = get_object_or_404(view_services.editable_views(self.organization), pk=self.kwargs["view_id"])
        return self._object

    def initial(self) -> dict:
        view = self.get_object()
        return {"name": view.name, "identifier": view.identifier, "columns": list(view.columns)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=f"Edit view “{self.get_object().name}”", submit="Save Changes",
                                        cancel=reverse("fleet:printer-views", kwargs={"org_id": self.organization.pk}),
                                        edited_view=self.get_object(), **kwargs)

    def save(self, state):
        view = view_services.update_view(self.organization, self.get_object(), name=state["name"],
                                         identifier=state["identifier"], columns=state["columns"], by=self.request.user)
        messages.success(self.request, f"View “{view.name}” saved.")
        return redirect("fleet:printer-views", org_id=self.organization.pk)


class ManageViewsView(OrgViewMixin, TemplateView):
    """**Manage views**: every view usable here; the organization's own custom views can be edited and
    deleted, any view copied."""

    template_name = "fleet/printers/views.html"
    permission = Perm.FLEET_MANAGE

    def get_context_data(self, **kwargs):
        views, current = view_services.views_for(self.request.user, self.organization)
        owners = {o.pk: o.name for o in [self.organization, *self.organization.ancestors()]}
        rows = [{"view": v, "editable": v.organization_id == self.organization.pk,
                 "kind": "System" if v.is_system else ("Custom" if v.organization_id == self.organization.pk
                                                       else f"Shared by {owners.get(v.organization_id, '')}"),
                 "identifier": IDENTIFIERS.get(v.identifier, v.identifier),
                 "columns": ", ".join(COLUMNS[c].label for c in v.columns if c in COLUMNS)} for v in views]
        return super().get_context_data(fleet_tab="printers", rows=rows, current_view=current, **kwargs)


class ViewsDeleteView(OrgViewMixin, View):
    """Manage views → select → **Delete** → **Delete Views**."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("view"))
        if not ids:
            messages.error(request, "Select one or more views to delete.")
            return redirect("fleet:printer-views", org_id=org_id)
        try:
            deleted = view_services.delete_views(self.organization, ids, by=request.user)
        except ValidationError as error:
            messages.error(request, _first_error(error))
        else:
            messages.success(request, f"{deleted} view{'s' if deleted != 1 else ''} deleted.")
        return redirect("fleet:printer-views", org_id=org_id)


class QuickViewPage(OrgViewMixin, TemplateView):
    """**Views → Quick View**: Column 1 (printer identification) and Additional columns → **Apply** (the
    listing shows them from its query string; nothing is saved)."""

    template_name = "fleet/printers/quick_view.html"
    permission = Perm.FLEET_VIEW

    def get_context_data(self, **kwargs):
        params = self.request.GET
        current = view_services.current_view(self.request.user, self.organization)
        layout = selectors.quick_layout(params) or selectors.layout_of(current)
        aggregate = params.get("all") == "1"
        carried = [(k, v) for k in (*FILTER_KEYS, "sort", "page_size") for v in params.getlist(k)]
        target = "fleet:printers-all" if aggregate else "fleet:printers"
        return super().get_context_data(
            fleet_tab="printers", identifiers=IDENTIFIERS.items(), layout=layout, carried=carried,
            columns=[{"column": c, "checked": c.key in layout.columns} for c in COLUMNS.values()],
            target=reverse(target, kwargs={"org_id": self.organization.pk}), **kwargs)


# --- filter groups ----------------------------------------------------------------------------------------

def _listing(organization, query: str, group=None, aggregate=False) -> str:
    url = reverse("fleet:printers-all" if aggregate else "fleet:printers", kwargs={"org_id": organization.pk})
    parts = [p for p in (query, f"fg={group.pk}" if group else "") if p]
    return f"{url}?{'&'.join(parts)}" if parts else url


class FilterGroupMixin(OrgViewMixin):
    def get_object(self, permission=Perm.FLEET_VIEW) -> FilterGroup:
        groups = FilterGroup.objects.for_user(self.request.user, permission, organization=self.organization)
        return get_object_or_404(groups, pk=self.kwargs["filter_group_id"])


class FilterGroupView(FilterGroupMixin, View):
    """**Select filter group** → a group: the listing with its filters."""

    permission = Perm.FLEET_VIEW
    ok_status = 302

    def get(self, request, org_id, filter_group_id):
        group = self.get_object()
        return redirect(_listing(self.organization, view_services.filters_query(group), group,
                                 aggregate=request.GET.get("all") == "1"))


class FilterGroupSaveView(OrgViewMixin, View):
    """**Save** → Create Filter Group → **Save**: the listing's current filters (`query`) under `name`;
    with `filter_group`, the selected group is modified (and renamed)."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id):
        query = QueryDict(request.POST.get("query", ""))
        group = None
        group_id = parse_ids([request.POST.get("filter_group", "")])
        if group_id:
            groups = FilterGroup.objects.for_user(request.user, Perm.FLEET_MANAGE, organization=self.organization)
            group = get_object_or_404(groups, pk=group_id[0])
        try:
            group = view_services.save_filter_group(self.organization, name=request.POST.get("name", ""),
                                                    filters=query, by=request.user, group=group)
        except ValidationError as error:
            messages.error(request, _first_error(error))
            return redirect(_listing(self.organization, query.urlencode(), group))
        messages.success(request, f"Filter group “{group.name}” saved.")
        return redirect(_listing(self.organization, view_services.filters_query(group), group))


class FilterGroupDeleteView(ObjectLookupMixin, FilterGroupMixin, View):
    """Select filter group → **Delete** → Delete Filter Group → **Delete**."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id, filter_group_id):
        group = self.get_object(Perm.FLEET_MANAGE)
        name = group.name
        view_services.delete_filter_group(group)
        messages.success(request, f"Filter group “{name}” deleted.")
        return redirect("fleet:printers", org_id=org_id)


urlpatterns = [
    path("", FleetHomeView.as_view(portal="fleet", permission=None), name="home"),
    path("printers/", PrinterListView.as_view(), name="printers"),
    path("printers/export/", PrinterExportView.as_view(), name="printers-export"),
    path("printers/all/", AggregatePrinterListView.as_view(), name="printers-all"),
    path("printers/all/export/", AggregateExportView.as_view(), name="printers-all-export"),
    path("printers/views/", ManageViewsView.as_view(), name="printer-views"),
    path("printers/views/create/", ViewCreateView.as_view(), name="printer-view-create"),
    path("printers/views/quick/", QuickViewPage.as_view(), name="printer-view-quick"),
    path("printers/views/delete/", ViewsDeleteView.as_view(), name="printer-views-delete"),
    path("printers/views/<int:view_id>/edit/", ViewEditView.as_view(), name="printer-view-edit"),
    path("printers/views/<int:view_id>/select/", ViewSelectView.as_view(), name="printer-view-select"),
    path("printers/filter-groups/save/", FilterGroupSaveView.as_view(), name="filter-group-save"),
    path("printers/filter-groups/<int:filter_group_id>/", FilterGroupView.as_view(), name="filter-group"),
    path("printers/filter-groups/<int:filter_group_id>/delete/", FilterGroupDeleteView.as_view(),
         name="filter-group-delete"),
]
