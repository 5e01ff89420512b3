"""Groups: Organization Access and Child Organization Access tabs, a group's Members and Group Roles."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from lexcloud.ids import parse_ids

from ..access import effective_permissions
from ..choices import GroupKind
from ..forms.groups import GroupForm, apply_errors
from ..gate import OrgViewMixin
from ..models import Group, RoleAssignment, User
from ..roles import PARTNER_ADMINISTRATOR, Perm
from ..services import groups as group_services
from ..services import roles as role_services
from .roles import assigned_roles, role_tables

MEMBER_PICK_LIMIT = 200


def _kind(request) -> str:
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    return kind if kind in GroupKind.values else GroupKind.ORGANIZATION_ACCESS


class GroupsMixin(OrgViewMixin):
    def can_manage(self) -> bool:
        return Perm.GROUPS_MANAGE in effective_permissions(self.request.user, self.organization)

    def require_manage(self):
        if not self.can_manage():
            raise PermissionDenied("Managing groups needs the Organization Administrator or User Administrator role.")


class GroupMixin(GroupsMixin):
    """Pages of one group: the group through the tenancy filter, so another organization's id answers 404."""

    def get_group(self) -> Group:
        if not hasattr(self, "_group"):
            self._group = get_object_or_404(
                Group.objects.for_user(self.request.user, self.permission, organization=self.organization),
                pk=self.kwargs["group_id"])
        return self._group

    def get_context_data(self, **kwargs):
        return super().get_context_data(group=self.get_group(), can_manage=self.can_manage(), **kwargs)


class GroupListView(GroupsMixin, TemplateView):
    """Groups: tabs (partners), search bar, Group Name / Members / Roles, **Create**, **Delete**."""

    template_name = "accounts/groups/list.html"
    permission = Perm.GROUPS_VIEW

    def get_context_data(self, **kwargs):
        org = self.organization
        kind = _kind(self.request) if org.is_partner else GroupKind.ORGANIZATION_ACCESS
        query = self.request.GET.get("q", "").strip()
        groups = (Group.objects.for_user(self.request.user, self.permission, organization=org).filter(kind=kind)
                  .annotate(members_count=Count("members", distinct=True),
                            roles_count=Count("role_assignments", distinct=True)).order_by("name"))
        if query:
            groups = groups.filter(name__icontains=query)
        groups = list(groups)
        return super().get_context_data(
            groups=groups, query=query, kind=kind, kinds=GroupKind, can_manage=self.can_manage(),
            child_access=kind == GroupKind.CHILD_ORGANIZATION_ACCESS, **kwargs)


class GroupCreateView(GroupsMixin, TemplateView):
    """**Create** > Group name > **Create Group** (kind from the tab)."""

    template_name = "accounts/groups/create.html"
    permission = Perm.GROUPS_MANAGE

    def get_context_data(self, **kwargs):
        kind = _kind(self.request)
        return super().get_context_data(kind=kind, child_access=kind == GroupKind.CHILD_ORGANIZATION_ACCESS,
                                        **kwargs)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=GroupForm()))

    def post(self, request, *args, **kwargs):
        form = GroupForm(request.POST)
        if form.is_valid():
            try:
                group = group_services.create_group(self.organization, form.cleaned_data["name"], _kind(request))
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Group {group.name} created.")
                return redirect("accounts:group", org_id=self.organization.pk, group_id=group.pk)
        return self.render_to_response(self.get_context_data(form=form))


class GroupsDeleteView(GroupsMixin, View):
    """**Delete** > **Delete Groups**: members stay in the organization and lose the groups' roles."""

    permission = Perm.GROUPS_MANAGE

    def post(self, request, *args, **kwargs):
        ids = parse_ids(request.POST.getlist("groups"))
        kind = _kind(request)
        if not ids:
            messages.error(request, "Select one or more groups.")
        else:
            visible = (Group.objects.for_user(request.user, self.permission, organization=self.organization)
                       .filter(pk__in=ids).values_list("pk", flat=True))
            try:
                deleted = group_services.delete_groups(self.organization, list(visible), by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"{deleted} group(s) deleted.")
        url = reverse("accounts:groups", kwargs={"org_id": self.organization.pk})
        return redirect(url + ("?kind=" + kind if kind == GroupKind.CHILD_ORGANIZATION_ACCESS else ""))


class GroupDetailView(GroupMixin, TemplateView):
    """A group's **Members** tab: **Add Members**, **Remove** > **Remove Members**."""

    template_name = "accounts/groups/detail.html"
    permission = Perm.GROUPS_VIEW

    def get_context_data(self, **kwargs):
        group = self.get_group()
        return super().get_context_data(members=list(group.members.all()), tab="members",
                                        roles_count=group.role_assignments.count(), **kwargs)

    def post(self, request, *args, **kwargs):
        self.require_manage()
        ids = parse_ids(request.POST.getlist("users"))
        if not ids:
            messages.error(request, "Select one or more members.")
        else:
            try:
                removed = group_services.remove_members(self.get_group(), ids, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"{removed} member(s) removed.")
        return redirect("accounts:group", org_id=self.organization.pk, group_id=self.get_group().pk)


class GroupMembersAddView(GroupMixin, TemplateView):
    """**Add Members**: users of the group's organization who are not members yet, with a search bar."""

    template_name = "accounts/groups/members_add.html"
    permission = Perm.GROUPS_MANAGE

    def get_context_data(self, **kwargs):
        group = self.get_group()
        query = self.request.GET.get("q", "").strip()
        users = User.objects.filter(organization=self.organization).exclude(member_of=group)
        if query:
            users = users.filter(Q(email__icontains=query) | Q(first_name__icontains=query)
                                 | Q(last_name__icontains=query) | Q(display_name__icontains=query))
        users = list(users[:MEMBER_PICK_LIMIT + 1])
        return super().get_context_data(users=users[:MEMBER_PICK_LIMIT], more=len(users) > MEMBER_PICK_LIMIT,
                                        query=query, limit=MEMBER_PICK_LIMIT, **kwargs)

    def post(self, request, *args, **kwargs):
        ids = parse_ids(request.POST.getlist("users"))
        group = self.get_group()
        if not ids:
            messages.error(request, "Select one or more users.")
            return redirect("accounts:group-members-add", org_id=self.organization.pk, group_id=group.pk)
        try:
            added = group_services.add_members(group, ids, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("accounts:group-members-add", org_id=self.organization.pk, group_id=group.pk)
        messages.success(request, f"{added} member(s) added.")
        return redirect("accounts:group", org_id=self.organization.pk, group_id=group.pk)


class GroupRolesView(GroupMixin, TemplateView):
    """A group's **Group Roles** tab: **Assign**, **Remove** > **Remove Roles** (Partner Administrator locked
    in child organization access groups)."""

    template_name = "accounts/groups/roles.html"
    permission = Perm.GROUPS_VIEW

    def get_context_data(self, **kwargs):
        group = self.get_group()
        locked = {PARTNER_ADMINISTRATOR} if group.is_child_access else set()
        codes = group.role_assignments.values_list("role", flat=True)
        return super().get_context_data(roles=assigned_roles(codes, locked=locked), tab="roles",
                                        members_count=group.members.count(), **kwargs)

    def post(self, request, *args, **kwargs):
        self.require_manage()
        group = self.get_group()
        roles = request.POST.getlist("roles")
        if not roles:
            messages.error(request, "Select one or more roles.")
        else:
            try:
                removed = role_services.remove_group_roles(group, roles, by=request.user)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"{removed} role(s) removed.")
        return redirect("accounts:group-roles", org_id=self.organization.pk, group_id=group.pk)


class GroupRolesAssignView(GroupMixin, TemplateView):
    """**Assign** on Group Roles: System Roles and Custom Roles tables, then **Assign Roles**."""

    template_name = "accounts/roles_assign.html"
    permission = Perm.GROUPS_MANAGE

    def get_context_data(self, **kwargs):
        group = self.get_group()
        current = set(RoleAssignment.objects.filter(group=group).values_list("role", flat=True))
        if group.is_child_access:
            exclude, locked = (), {PARTNER_ADMINISTRATOR}
        else:
            exclude, locked = {PARTNER_ADMINISTRATOR}, ()
        roles_url = reverse("accounts:group-roles", kwargs={"org_id": self.organization.pk, "group_id": group.pk})
        return super().get_context_data(
            tables=role_tables(self.organization, current, exclude=exclude, locked=locked), cancel_url=roles_url,
            crumbs=[(reverse("accounts:groups", kwargs={"org_id": self.organization.pk}), "Groups"),
                    (roles_url, group.name)],
            holder=group.name, **kwargs)

    def post(self, request, *args, **kwargs):
        group = self.get_group()
        try:
            added, removed = role_services.set_group_roles(group, request.POST.getlist("roles"), by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return self.render_to_response(self.get_context_data())
        messages.success(request, f"Group roles updated: {added} assigned, {removed} removed.")
        return redirect("accounts:group-roles", org_id=self.organization.pk, group_id=group.pk)


urlpatterns = [
    path("groups/", GroupListView.as_view(), name="groups"),
    path("groups/create/", GroupCreateView.as_view(), name="group-create"),
    path("groups/delete/", GroupsDeleteView.as_view(), name="groups-delete"),
    path("groups/<int:group_id>/", GroupDetailView.as_view(), name="group"),
    path("groups/<int:group_id>/members/add/", GroupMembersAddView.as_view(), name="group-members-add"),
    path("groups/<int:group_id>/roles/", GroupRolesView.as_view(), name="group-roles"),
    path("groups/<int:group_id>/roles/assign/", GroupRolesAssignView.as_view(), name="group-roles-assign"),
]
