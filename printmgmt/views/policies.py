"""Administration > Print Policies (list, Create, edit, Duplicate, Delete) and Print Policy Assignments (tabs by
the organization's "Assign print policies by", Assign Policy, Remove Policy, the Print Policy Assigned filter).
The pages show a notice while print policies are off; the rules are printmgmt.services.policies'."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from accounts.forms.organizations import apply_errors
from accounts.roles import Perm

from ..choices import AssignmentType
from ..models import PrintPolicy
from ..policy_forms import AssignPolicyForm, PrintPolicyForm
from ..services import assignments as assignment_services
from ..services import policies as policy_services
from ..services.org_settings import get_settings
from .base import PAGE_SIZE, PrintViewMixin, plural

TARGET_LABELS = {AssignmentType.COST_CENTER: "Cost center name", AssignmentType.DEPARTMENT: "Department name",
                 AssignmentType.PERSONAL: "E-mail"}
TAB_LABELS = {AssignmentType.COST_CENTER: "Cost Center", AssignmentType.DEPARTMENT: "Department",
              AssignmentType.PERSONAL: "Personal"}


class PolicyViewMixin(PrintViewMixin):
    permission = Perm.PRINT_ADMIN
    print_tab = "administration"

    def get_policy(self) -> PrintPolicy:
        rows = PrintPolicy.objects.for_user(self.request.user, Perm.PRINT_ADMIN, organization=self.organization)
        return get_object_or_404(rows.prefetch_related("windows"), pk=self.kwargs["policy_id"])

    def http_method_not_allowed(self, request, *args, **kwargs):
        if "policy_id" in self.kwargs:
            self.get_policy()   # another organization's id answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)


class PolicyListView(PolicyViewMixin, TemplateView):
    template_name = "printmgmt/policy_list.html"

    def get_context_data(self, **kwargs):
        rows = list(policy_services.policies_of(self.organization).annotate(assigned=Count("assignments")))
        for row in rows:
            row.schedule = policy_services.describe_windows(row)
        return super().get_context_data(policies=rows, **kwargs)


class PolicyFormView(PolicyViewMixin, TemplateView):
    """Create, edit (the policy's details) and Duplicate share one form and one page."""

    template_name = "printmgmt/policy_form.html"
    mode = "create"

    def initial_values(self) -> dict | None:
        return None

    def get_context_data(self, form=None, **kwargs):
        form = form or PrintPolicyForm(policy_values=self.initial_values())
        return super().get_context_data(form=form, mode=self.mode, **kwargs)

    def post(self, request, org_id, **kwargs):
        form = PrintPolicyForm(request.POST)
        if form.is_valid():
            try:
                policy = self.save(form.values())
            except ValidationError as error:
                if hasattr(error, "error_dict") and "windows" in error.error_dict:   # shown by Select days
                    errors = dict(error.error_dict)
                    errors["days"] = errors.get("days", []) + errors.pop("windows")
                    error = ValidationError(errors)
                apply_errors(form, error)
            else:
                messages.success(request, self.done_message(policy))
                return redirect("printmgmt:policies", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def save(self, values):
        return policy_services.create_policy(self.organization, by=self.request.user, **values)

    def done_message(self, policy):
        return f"Print policy “{policy.name}” created."


class PolicyCreateView(PolicyFormView):
    pass


class PolicyEditView(PolicyFormView):
    mode = "edit"

    def get_context_data(self, **kwargs):
        self.policy = self.get_policy()
        return super().get_context_data(policy=self.policy, **kwargs)

    def initial_values(self):
        return policy_services.settings_of(self.policy)

    def save(self, values):
        return policy_services.update_policy(self.get_policy(), by=self.request.user, **values)

    def done_message(self, policy):
        return f"Print policy “{policy.name}” saved."


class PolicyDuplicateView(PolicyEditView):
    """Duplicate: the source's settings, an empty name to make unique, Create Policy."""

    mode = "duplicate"

    def initial_values(self):
        return {**policy_services.settings_of(self.policy), "name": ""}

    def save(self, values):
        return policy_services.create_policy(self.organization, by=self.request.user, **values)

    def done_message(self, policy):
        return f"Print policy “{policy.name}” created."


class PolicyDeleteView(PolicyViewMixin, View):
    http_method_names = ["post"]

    def post(self, request, org_id, policy_id):
        policy = self.get_policy()
        try:
            policy_services.delete_policy(policy, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("printmgmt:policy", org_id=org_id, policy_id=policy_id)
        messages.success(request, f"Print policy “{policy.name}” deleted.")
        return redirect("printmgmt:policies", org_id=org_id)


class AssignmentsPage(PolicyViewMixin, TemplateResponseMixin, ContextMixin, View):
    """What the Print Policy Assignments page and its Assign Policy form (re-shown when refused) share."""

    template_name = "printmgmt/policy_assignments.html"

    def kinds(self) -> list[str]:
        return assignment_services.allowed_kinds(get_settings(self.organization).policy_assign_by)

    def kind(self, value) -> str:
        kinds = self.kinds()
        return value if value in kinds else kinds[0]

    def get_context_data(self, form=None, kind=None, **kwargs):
        params = self.request.GET
        kind = kind or self.kind(params.get("kind"))
        policies = list(policy_services.policies_of(self.organization))
        chosen = next((p for p in policies if str(p.pk) == params.get("policy", "")), None)
        query = params.get("q", "").strip()
        rows = policy_services.assignment_rows(self.organization, kind, policy=chosen, query=query)
        page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
        form = form or AssignPolicyForm(policies=PrintPolicy.objects.filter(organization=self.organization),
                                        target_label=TARGET_LABELS[kind])
        tabs = [(k, TAB_LABELS[k]) for k in self.kinds()]
        return super().get_context_data(kind=kind, tabs=tabs, policies=policies, chosen=chosen, query=query,
                                        page=page, rows=page.object_list, form=form,
                                        target_label=TARGET_LABELS[kind], **kwargs)


class PolicyAssignmentsView(AssignmentsPage):
    def get(self, request, org_id):
        return self.render_to_response(self.get_context_data())


class PolicyAssignView(AssignmentsPage):
    """Assign Policy > Select print policy > Assign Print Policy (the selected rows and the typed one)."""

    http_method_names = ["post"]

    def post(self, request, org_id):
        kind = request.POST.get("kind", "")
        if kind not in self.kinds():
            messages.error(request, "Assignments of this type are not enabled in Organizational Settings.")
            return redirect("printmgmt:policy-assignments", org_id=org_id)
        form = AssignPolicyForm(request.POST, target_label=TARGET_LABELS[kind],
                                policies=PrintPolicy.objects.filter(organization=self.organization))
        targets = [*request.POST.getlist("targets"), request.POST.get("target", "")]
        if form.is_valid():
            policy = form.cleaned_data["policy"]
            try:
                rows = policy_services.assign_policy(self.organization, policy, kind, targets, by=request.user)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"“{policy.name}” assigned to {', '.join(r.target for r in rows)}.")
                return redirect(f"{reverse('printmgmt:policy-assignments', kwargs={'org_id': org_id})}?kind={kind}")
        return self.render_to_response(self.get_context_data(form=form, kind=kind, assign_open=True), status=400)


class PolicyUnassignView(PolicyViewMixin, View):
    """Remove Policy > Remove Print Policy: the selected rows fall back to the next rule."""

    http_method_names = ["post"]

    def post(self, request, org_id):
        kinds = assignment_services.allowed_kinds(get_settings(self.organization).policy_assign_by)
        kind = request.POST.get("kind") if request.POST.get("kind") in kinds else kinds[0]
        back = f"{reverse('printmgmt:policy-assignments', kwargs={'org_id': org_id})}?kind={kind}"
        targets = request.POST.getlist("targets")
        if not targets:
            messages.error(request, "Select one or more rows to remove their print policy.")
            return redirect(back)
        try:
            removed = policy_services.remove_assignments(self.organization, kind, targets, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(back)
        if removed:
            messages.success(request, f"Print policy removed from {plural(removed, 'assignment')}.")
        else:
            messages.error(request, "None of the selected rows has a print policy assigned.")
        return redirect(back)


urlpatterns = [
    path("administration/policies/", PolicyListView.as_view(), name="policies"),
    path("administration/policies/create/", PolicyCreateView.as_view(), name="policy-create"),
    path("administration/policies/<int:policy_id>/", PolicyEditView.as_view(), name="policy"),
    path("administration/policies/<int:policy_id>/duplicate/", PolicyDuplicateView.as_view(),
         name="policy-duplicate"),
    path("administration/policies/<int:policy_id>/delete/", PolicyDeleteView.as_view(), name="policy-delete"),
    path("administration/policy-assignments/", PolicyAssignmentsView.as_view(), name="policy-assignments"),
    path("administration/policy-assignments/assign/", PolicyAssignView.as_view(), name="policy-assign"),
    path("administration/policy-assignments/remove/", PolicyUnassignView.as_view(), name="policy-unassign"),
]
