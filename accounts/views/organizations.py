"""Organization Information (with the 2025 child deletion flow), Organization Roles, Child Organizations."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.generic import TemplateView

from ..access import effective_permissions
from ..choices import OrganizationStatus, Service
from ..forms.organizations import ChildOrganizationForm, DeleteOrganizationForm, apply_errors
from ..gate import OrgViewMixin
from ..models import Organization, RoleAssignment
from ..roles import PARTNER_ADMINISTRATOR, Perm
from ..services import organizations as org_services
from ..services import roles as role_services
from .roles import assigned_roles, role_tables


class OrganizationInfoView(OrgViewMixin, TemplateView):
    """Organization Information: ID (copy), parent, counts and the Active Lexmark Cloud Services."""

    template_name = "accounts/organization/info.html"
    permission = Perm.ORG_VIEW

    def get_context_data(self, **kwargs):
        org = self.organization
        labels = dict(Service.choices)
        services = [labels[code] for code in Service.values if org.is_entitled(code)]
        can_delete = bool(org.parent_id) and Perm.CHILDREN_MANAGE in effective_permissions(self.request.user,
                                                                                           org.parent)
        return super().get_context_data(
            user_count=org.users.count(),
            group_count=org.groups.count(),
            services=services,
            can_delete=can_delete,
            delete_blocker=org_services.deletion_blocker(org) if can_delete else "",
            **kwargs,
        )


class ParentManagerMixin:
    """The child's pages are under the child's org_id; deleting it needs CHILDREN_MANAGE in the parent."""

    def check_parent(self):
        org = self.organization
        if org.parent_id is None or Perm.CHILDREN_MANAGE not in effective_permissions(self.request.user, org.parent):
            raise PermissionDenied("Only a Partner Administrator of the parent organization can delete it.")


class OrganizationDeleteView(ParentManagerMixin, OrgViewMixin, TemplateView):
    """**Delete Organization**: the warning and **Continue**, then type the child's name and **Delete**."""

    template_name = "accounts/organization/delete.html"
    # Partner Administrators hold children.manage in every child they reach; the parent is checked too.
    permission = Perm.CHILDREN_MANAGE

    def get(self, request, *args, **kwargs):
        self.check_parent()
        confirm = request.GET.get("step") == "confirm"
        return self.render_to_response(self.get_context_data(
            step="confirm" if confirm else "warning", form=DeleteOrganizationForm(),
            blocker=org_services.deletion_blocker(self.organization)))

    def post(self, request, *args, **kwargs):
        self.check_parent()
        form = DeleteOrganizationForm(request.POST)
        if form.is_valid():
            try:
                org_services.request_child_deletion(self.organization, by=request.user,
                                                    confirm_name=form.cleaned_data["confirm_name"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"{self.organization.name} is pending deletion. Its users, groups, "
                                          "applications, and badges are being deleted.")
                return redirect("accounts:children", org_id=self.organization.parent_id)
        return self.render_to_response(self.get_context_data(
            step="confirm", form=form, blocker=org_services.deletion_blocker(self.organization)))


class OrganizationRolesView(OrgViewMixin, TemplateView):
    """Organization Roles: roles every user of the organization inherits; **Remove** > **Remove Roles**."""

    template_name = "accounts/organization/roles.html"
    permission = Perm.ORG_VIEW

    def get_context_data(self, **kwargs):
        codes = RoleAssignment.objects.filter(organization=self.organization, user=None, group=None) \
            .values_list("role", flat=True)
        return super().get_context_data(
            roles=assigned_roles(codes),
            can_manage=Perm.ORG_MANAGE in effective_permissions(self.request.user, self.organization),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if Perm.ORG_MANAGE not in effective_permissions(request.user, self.organization):
            raise PermissionDenied("Managing organization roles needs the Organization Administrator role.")
        roles = request.POST.getlist("roles")
        if not roles:
            messages.error(request, "Select one or more roles.")
        else:
            try:
                removed = role_services.remove_organization_roles(self.organization, roles, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"{removed} role(s) removed.")
        return redirect("accounts:organization-roles", org_id=self.organization.pk)


class OrganizationRolesAssignView(OrgViewMixin, TemplateView):
    """**Assign** on Organization Roles: System Roles and Custom Roles, then **Assign Roles**."""

    template_name = "accounts/roles_assign.html"
    permission = Perm.ORG_MANAGE

    def get_context_data(self, **kwargs):
        current = set(RoleAssignment.objects.filter(organization=self.organization, user=None, group=None)
                      .values_list("role", flat=True))
        roles_url = reverse("accounts:organization-roles", kwargs={"org_id": self.organization.pk})
        return super().get_context_data(
            tables=role_tables(self.organization, current, exclude={PARTNER_ADMINISTRATOR}),
            cancel_url=roles_url, crumbs=[(roles_url, "Organization Roles")], holder=self.organization.name,
            **kwargs)

    def post(self, request, *args, **kwargs):
        try:
            added, removed = role_services.set_organization_roles(self.organization, request.POST.getlist("roles"),
                                                                    by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self.render_to_response(self.get_context_data())
        messages.success(request, f"Organization roles updated: {added} assigned, {removed} removed.")
        return redirect("accounts:organization-roles", org_id=self.organization.pk)


class ChildOrganizationsView(OrgViewMixin, TemplateView):
    """Child Organizations of a partner: search bar, name (to its Organization Information), users, status."""

    template_name = "accounts/organization/children.html"
    permission = Perm.CHILDREN_VIEW

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", "").strip()
        children = Organization.objects.filter(parent=self.organization).annotate(users_count=Count("users")).order_by("name")
        has_children = children.exists() if not query else True
        if query:
            children = children.filter(name__icontains=query)
        return super().get_context_data(
            children=list(children), query=query, has_children=has_children,
            pending=OrganizationStatus.PENDING_DELETION,
            can_manage=Perm.CHILDREN_MANAGE in effective_permissions(self.request.user, self.organization),
            **kwargs,
        )


class ChildCreateView(OrgViewMixin, TemplateView):
    """**Create** (or **Create Child Organization**): Organization name > **Create Child Organization**."""

    template_name = "accounts/organization/child_create.html"
    permission = Perm.CHILDREN_MANAGE

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ChildOrganizationForm()))

    def post(self, request, *args, **kwargs):
        form = ChildOrganizationForm(request.POST)
        if form.is_valid():
            try:
                child = org_services.create_child_organization(self.organization, form.cleaned_data["name"])
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Child organization {child.name} created.")
                return redirect("accounts:children", org_id=self.organization.pk)
        return self.render_to_response(self.get_context_data(form=form))


class OrganizationServicesView(ParentManagerMixin, OrgViewMixin, TemplateView):
    """**Active Lexmark Cloud Services** of a child organization, chosen by its partner among the partner's
    own services."""

    template_name = "accounts/organization/services.html"
    permission = Perm.CHILDREN_MANAGE  # as for deletion: checked in the parent too

    def get_context_data(self, **kwargs):
        org = self.organization
        offered = set(org.parent.entitlements) | {Service.ACCOUNT.value}
        chosen = set(self.request.POST.getlist("services")) if self.request.method == "POST" else set(org.entitlements)
        rows = [{"code": code, "label": label, "checked": code in chosen or code == Service.ACCOUNT,
                 "locked": code == Service.ACCOUNT} for code, label in Service.choices if code in offered]
        return super().get_context_data(rows=rows, **kwargs)

    def get(self, request, *args, **kwargs):
        self.check_parent()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.check_parent()
        try:
            org_services.set_child_services(self.organization, request.POST.getlist("services"))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self.render_to_response(self.get_context_data())
        messages.success(request, "Active services updated.")
        return redirect("accounts:organization", org_id=self.organization.pk)


urlpatterns = [
    path("organization/", OrganizationInfoView.as_view(), name="organization"),
    path("organization/delete/", OrganizationDeleteView.as_view(), name="organization-delete"),
    path("organization/services/", OrganizationServicesView.as_view(), name="organization-services"),
    path("organization/roles/", OrganizationRolesView.as_view(), name="organization-roles"),
    path("organization/roles/assign/", OrganizationRolesAssignView.as_view(), name="organization-roles-assign"),
    path("children/", ChildOrganizationsView.as_view(), name="children"),
    path("children/create/", ChildCreateView.as_view(), name="child-create"),
]
