"""Administration > Quota Definitions, Quota Assignments and User Quota Status (Print Release Management
Administrators). The pages answer while "Enable print quotas" is off, with a notice pointing to Organizational
Settings, and refuse changes until it is on."""
import calendar

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.forms.organizations import apply_errors
from accounts.roles import Perm
from lexcloud.csvexport import stream_csv
from lexcloud.ids import parse_ids

from ..choices import AssignmentType, QuotaColor, QuotaTotal
from ..forms_quotas import (
    CUSTOM,
    SAME,
    AssignmentFilterForm,
    AssignQuotaForm,
    QuotaDefinitionForm,
    QuotaLimitsForm,
    QuotaStatusFilterForm,
)
from ..models import QuotaDefinition
from ..models.quotas import EVERY_MONTH
from ..services import quotas as quota_services
from .base import PAGE_SIZE, PrintViewMixin, plural

LIMIT_FIELDS = ("total", "total_limit", "color", "color_limit")
DISABLED_MESSAGE = "Print quotas are not enabled for this organization. Turn on Enable print quotas in Organizational Settings."


class QuotaViewMixin(PrintViewMixin):
    permission = Perm.PRINT_ADMIN
    print_tab = "administration"

    @property
    def quotas_enabled(self) -> bool:
        return quota_services.get_settings(self.organization).quotas_enabled

    def refused(self, to: str):
        messages.error(self.request, DISABLED_MESSAGE)
        return redirect(to, org_id=self.organization.pk)


# --- Quota Definitions -----------------------------------------------------------------------------------------

class QuotaDefinitionsView(QuotaViewMixin, TemplateView):
    template_name = "printmgmt/quota_definitions.html"

    def get_context_data(self, **kwargs):
        rows = list(quota_services.definitions(self.organization))
        for row in rows:
            every = quota_services.limit_for(row, 1) if row.same_every_month else None
            row.total_text, row.color_text = quota_services.describe_total(every), quota_services.describe_color(every)
            row.months_set = len(row.limits.all())
        return super().get_context_data(definitions=rows, quota_page="definitions", **kwargs)


def _state_value(values: dict) -> str:
    return ":".join("" if values.get(k) is None else str(values[k]) for k in LIMIT_FIELDS)


def _parse_state(post) -> dict:
    """The months given limits so far (Set Quota Limits), carried in hidden month_<n> inputs."""
    state = {}
    for month, _name in quota_services.MONTHS:
        parts = (post.get(f"month_{month}") or "").split(":")
        if len(parts) == 4 and parts[0] in QuotaTotal.values and parts[2] in QuotaColor.values:
            state[month] = {"total": parts[0], "total_limit": parts[1] or None, "color": parts[2],
                            "color_limit": parts[3] or None}
    return state


class QuotaDefinitionFormView(QuotaViewMixin, TemplateView):
    """Create (or edit, the Default Quota included): name, Same or Custom limits for each month; custom months are
    selected and given limits with Set Quota Limits, then the definition is saved."""

    template_name = "printmgmt/quota_definition_form.html"

    def get_definition(self):
        if "quota_definition_id" not in self.kwargs:
            return None
        return get_object_or_404(QuotaDefinition.objects.for_user(self.request.user, self.permission,
                                                                   organization=self.organization)
                                 .prefetch_related("limits"), pk=self.kwargs["quota_definition_id"])

    def get_context_data(self, form=None, limits_form=None, state=None, **kwargs):
        definition = self.get_definition()
        if form is None:
            rows = {row.month: row for row in definition.limits.all()} if definition else {}
            mode = SAME if definition is None or definition.same_every_month else CUSTOM
            form = QuotaDefinitionForm(initial={"name": definition.name if definition else "", "limits_mode": mode})
            every = rows.get(EVERY_MONTH)
            limits_form = QuotaLimitsForm(initial={k: getattr(every, k) for k in LIMIT_FIELDS} if every else None)
            state = {m: {k: getattr(r, k) for k in LIMIT_FIELDS} for m, r in rows.items() if m != EVERY_MONTH}
        months = []
        for month, name in quota_services.MONTHS:
            values = state.get(month)
            row = _Limits(**values) if values else None
            months.append({"month": month, "name": name, "state": _state_value(values) if values else "",
                           "total": quota_services.describe_total(row), "color": quota_services.describe_color(row),
                           "set": values is not None})
        return super().get_context_data(definition=definition, form=form, limits_form=limits_form, months=months,
                                        quota_page="definitions", **kwargs)

    def post(self, request, org_id, **kwargs):
        if not self.quotas_enabled:
            return self.refused("printmgmt:quota-definitions")
        definition = self.get_definition()
        form, limits_form = QuotaDefinitionForm(request.POST), QuotaLimitsForm(request.POST)
        state = _parse_state(request.POST)
        valid = form.is_valid() & limits_form.is_valid()
        if request.POST.get("action") == "set_limits":
            return self.set_limits(form, limits_form, state, valid)
        if valid:
            same = form.cleaned_data["limits_mode"] == SAME
            limits = {EVERY_MONTH: limits_form.values()} if same else state
            try:
                if definition is None:
                    definition = quota_services.create_definition(
                        self.organization, form.cleaned_data["name"], same_every_month=same, limits=limits,
                        by=request.user)
                    messages.success(request, f"Quota definition “{definition.name}” created.")
                else:
                    definition = quota_services.update_definition(
                        definition, name=form.cleaned_data["name"], same_every_month=same, limits=limits,
                        by=request.user)
                    messages.success(request, f"Quota definition “{definition.name}” saved.")
            except ValidationError as error:
                self._apply(form, limits_form, error, same)
            else:
                return redirect("printmgmt:quota-definitions", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form, limits_form=limits_form, state=state),
                                       status=400)

    def set_limits(self, form, limits_form, state, valid):
        """Set Quota Limits: the limits typed apply to the months selected (the page comes back with them)."""
        months = form.cleaned_data.get("months") if valid else None
        if valid and not months:
            form.add_error("months", "Select one or more months.")
            valid = False
        if valid:
            try:
                values = quota_services.clean_limits(**limits_form.values())
            except ValidationError as error:
                apply_errors(limits_form, error)
            else:
                for month in months:
                    state[month] = values
                names = ", ".join(calendar.month_name[m] for m in sorted(months))
                messages.info(self.request, f"Quota limits set for {names}. Click Save to keep them.")
                form = QuotaDefinitionForm(initial={"name": form.cleaned_data["name"], "limits_mode": CUSTOM})
                return self.render_to_response(self.get_context_data(form=form, limits_form=QuotaLimitsForm(),
                                                                     state=state))
        return self.render_to_response(self.get_context_data(form=form, limits_form=limits_form, state=state),
                                       status=400)

    @staticmethod
    def _apply(form, limits_form, error, same):
        if not hasattr(error, "error_dict"):
            apply_errors(form, error)
            return
        for field, found in error.message_dict.items():
            if field in LIMIT_FIELDS and same:
                limits_form.add_error(field, found)
            elif field == "months" or field == "limits":
                form.add_error("months" if not same else None, found)
            else:
                form.add_error(field if field in form.fields else None, found)


class _Limits:
    """A month's limits as describe_total/describe_color read them (a QuotaMonthLimit's fields)."""

    def __init__(self, total, total_limit, color, color_limit):
        self.total, self.color = total, color
        self.total_limit = int(total_limit) if str(total_limit or "").isdigit() else None
        self.color_limit = int(color_limit) if str(color_limit or "").isdigit() else None


class DeleteQuotaDefinitionView(QuotaViewMixin, View):
    """POST deletes (the list's Delete button asks first); GET only leads back to the list."""

    ok_status = 302

    def definition(self, quota_definition_id):
        return get_object_or_404(QuotaDefinition.objects.for_user(self.request.user, self.permission,
                                                                  organization=self.organization),
                                 pk=quota_definition_id)

    def get(self, request, org_id, quota_definition_id):
        self.definition(quota_definition_id)
        return redirect("printmgmt:quota-definitions", org_id=org_id)

    def post(self, request, org_id, quota_definition_id):
        if not self.quotas_enabled:
            return self.refused("printmgmt:quota-definitions")
        definition = self.definition(quota_definition_id)
        try:
            assigned = quota_services.delete_definition(definition, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            extra = f" with {plural(assigned, 'assignment')}" if assigned else ""
            messages.success(request, f"Quota definition “{definition.name}” deleted{extra}.")
        return redirect("printmgmt:quota-definitions", org_id=org_id)


# --- Quota Assignments -----------------------------------------------------------------------------------------

class QuotaAssignmentsView(QuotaViewMixin, TemplateView):
    """Tabs per "Assign quotas by" (Cost Center or Department, and Personal); Assign Quota; select > Remove."""

    template_name = "printmgmt/quota_assignments.html"

    def tab(self, kinds):
        wanted = self.request.POST.get("kind") or self.request.GET.get("tab")
        return wanted if wanted in kinds else kinds[0]

    def get_context_data(self, form=None, **kwargs):
        kinds = quota_services.assignment_kinds(self.organization)
        tab = self.tab(kinds)
        definitions = list(quota_services.definitions(self.organization))
        filters = AssignmentFilterForm(self.request.GET, definitions=definitions)
        filters.is_valid()
        data = getattr(filters, "cleaned_data", {})
        rows = quota_services.assignments(self.organization, kind=tab, search=data.get("q", ""),
                                          definition=data.get("definition") or None)
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        form = form or AssignQuotaForm(definitions=quota_services.definitions(self.organization), kind=tab)
        tabs = [(k, AssignmentType(k).label) for k in kinds]
        return super().get_context_data(tabs=tabs, tab=tab, tab_label=AssignmentType(tab).label, page=page,
                                        filters=filters, form=form, quota_page="assignments", **kwargs)

    def post(self, request, org_id):
        """Assign Quota."""
        if not self.quotas_enabled:
            return self.refused("printmgmt:quota-assignments")
        kinds = quota_services.assignment_kinds(self.organization)
        tab = self.tab(kinds)
        form = AssignQuotaForm(request.POST, definitions=quota_services.definitions(self.organization), kind=tab)
        if form.is_valid():
            data = form.cleaned_data
            try:
                row = quota_services.assign_quota(self.organization, data["kind"], data["target"],
                                                  data["definition"], by=request.user)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Quota “{row.definition.name}” assigned to {row.target}.")
                return redirect(f"{request.path}?tab={row.kind}")
        return self.render_to_response(self.get_context_data(form=form, assign_open=True), status=400)


class RemoveQuotaAssignmentsView(QuotaViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, org_id):
        if not self.quotas_enabled:
            return self.refused("printmgmt:quota-assignments")
        tab = request.POST.get("kind", "")
        to = reverse("printmgmt:quota-assignments", kwargs={"org_id": org_id})
        removed = quota_services.remove_assignments(self.organization, parse_ids(request.POST.getlist("assignment")),
                                                    by=request.user)
        if removed:
            messages.success(request, f"{plural(removed, 'quota assignment')} removed.")
        else:
            messages.error(request, "Select one or more quota assignments to remove.")
        return redirect(f"{to}?tab={tab}" if tab in AssignmentType.values else to)


# --- User Quota Status -----------------------------------------------------------------------------------------

class StatusFiltersMixin(QuotaViewMixin):
    def status_rows(self):
        definitions = list(quota_services.definitions(self.organization))
        filters = QuotaStatusFilterForm(self.request.GET, definitions=definitions)
        data = filters.cleaned_data if filters.is_valid() else {}
        rows = quota_services.user_quota_status(self.organization, status=data.get("status", ""),
                                                definition=data.get("definition") or None, kind=data.get("type", ""))
        return filters, rows


class UserQuotaStatusView(StatusFiltersMixin, TemplateView):
    """Where the users are within their quota this month; filters and a CSV export of what is shown."""

    template_name = "printmgmt/quota_status.html"

    def get_context_data(self, **kwargs):
        filters, rows = self.status_rows()
        page = Paginator(rows, PAGE_SIZE).get_page(self.request.GET.get("page"))
        return super().get_context_data(filters=filters, page=page, count=len(rows), quota_page="status",
                                        month=quota_services.month_start(), **kwargs)


class UserQuotaStatusExportView(StatusFiltersMixin, View):
    def get(self, request, org_id):
        _filters, rows = self.status_rows()
        return stream_csv(*quota_services.status_csv(rows))


urlpatterns = [
    path("administration/quotas/definitions/", QuotaDefinitionsView.as_view(), name="quota-definitions"),
    path("administration/quotas/definitions/new/", QuotaDefinitionFormView.as_view(), name="quota-definition-create"),
    path("administration/quotas/definitions/<int:quota_definition_id>/", QuotaDefinitionFormView.as_view(),
         name="quota-definition-edit"),
    path("administration/quotas/definitions/<int:quota_definition_id>/delete/", DeleteQuotaDefinitionView.as_view(),
         name="quota-definition-delete"),
    path("administration/quotas/assignments/", QuotaAssignmentsView.as_view(), name="quota-assignments"),
    path("administration/quotas/assignments/remove/", RemoveQuotaAssignmentsView.as_view(),
         name="quota-assignments-remove"),
    path("administration/quotas/status/", UserQuotaStatusView.as_view(), name="quota-status"),
    path("administration/quotas/status/export/", UserQuotaStatusExportView.as_view(), name="quota-status-export"),
]
