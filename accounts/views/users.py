"""Users pages: list, Create User, user detail (Personal Information, Assigned Groups, Assigned Roles),
Edit, Reset Password, bulk Delete, and the user's roles (User Roles tab, Assign Roles)."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import FormView, TemplateView

from lexcloud.ids import parse_ids

from ..access import effective_permissions, effective_roles
from ..choices import GroupKind
from ..forms.users import UserCreateForm, UserEditForm
from ..gate import OrgViewMixin
from ..models import Group, RoleAssignment, User
from ..roles import BY_CODE, PARTNER_ADMINISTRATOR, Perm
from ..services import groups as group_services
from ..services import roles as role_services
from ..services import users as user_services
from .roles import role_tables

PAGE_SIZE = 50
SORTS = {
    "email": ("email",), "-email": ("-email",),
    "first_name": ("first_name", "email"), "-first_name": ("-first_name", "email"),
    "last_name": ("last_name", "email"), "-last_name": ("-last_name", "email"),
    "display_name": ("display_name", "email"), "-display_name": ("-display_name", "email"),
    "last_login": ("last_login", "email"), "-last_login": ("-last_login", "email"),
}
COLUMNS = [("email", "E-mail"), ("first_name", "First Name"), ("last_name", "Last Name"),
           ("display_name", "Display Name"), ("last_login", "Last Login")]


def _first_message(error: ValidationError) -> str:
    return " ".join(error.messages)


class UserObjectMixin(OrgViewMixin):
    """Pages of one user (`user_id`) of the URL's organization; other organizations' ids answer 404."""

    def get_user(self) -> User:
        if not hasattr(self, "_target"):
            queryset = User.objects.for_user(self.request.user, Perm.USERS_VIEW, organization=self.organization)
            self._target = get_object_or_404(queryset.select_related("organization"), pk=self.kwargs["user_id"])
        return self._target

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_user()  # another organization's id answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)

    def can_manage(self) -> bool:
        return Perm.USERS_MANAGE in effective_permissions(self.request.user, self.organization)

    def require_manage(self) -> None:
        if not self.can_manage():
            raise PermissionDenied("You do not have the role this operation needs.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(target=self.get_user(), can_manage=self.can_manage(), **kwargs)


class UserListView(OrgViewMixin, TemplateView):
    template_name = "accounts/users/list.html"
    permission = Perm.USERS_VIEW

    def get_context_data(self, **kwargs):
        request = self.request
        query = request.GET.get("q", "").strip()
        sort = request.GET.get("sort", "email")
        if sort not in SORTS:
            sort = "email"
        users = User.objects.for_user(request.user, Perm.USERS_VIEW, organization=self.organization)
        if query:
            users = users.filter(Q(email__icontains=query) | Q(first_name__icontains=query)
                                 | Q(last_name__icontains=query) | Q(display_name__icontains=query))
        users = users.order_by(*SORTS[sort]).only("id", "email", "first_name", "last_name", "display_name",
                                                   "last_login")
        page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
        columns = []
        for key, label in COLUMNS:
            active = sort.lstrip("-") == key
            next_sort = f"-{key}" if sort == key else key
            columns.append({"key": key, "label": label, "sort": next_sort, "active": active,
                            "descending": active and sort.startswith("-")})
        return super().get_context_data(page=page, query=query, sort=sort, columns=columns,
                                        total=page.paginator.count, **kwargs)


class UserBulkDeleteView(OrgViewMixin, View):
    """**Delete** on the users list: POST the selected `ids`; your own account is refused."""

    permission = Perm.USERS_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Select one or more users to delete.")
            return redirect("accounts:users", org_id=org_id)
        try:
            deleted = user_services.delete_users(self.organization, ids, by=request.user)
        except ValidationError as error:
            messages.error(request, _first_message(error))
        else:
            messages.success(request, f"{deleted} user{'s' if deleted != 1 else ''} deleted.")
        return redirect("accounts:users", org_id=org_id)


class UserCreateView(OrgViewMixin, FormView):
    template_name = "accounts/users/create.html"
    permission = Perm.USERS_MANAGE
    form_class = UserCreateForm

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            user = user_services.create_user(
                self.organization, data["email"], password=data["password"] or None,
                send_password_link=not data["password"], **form.profile(),
            )
        except ValidationError as error:
            form.apply_service_error(error)
            return self.form_invalid(form)
        if data["password"]:
            messages.success(self.request, f"User {user.email} created.")
        else:
            messages.success(self.request, f"User {user.email} created. An e-mail with a link to set the password "
                                           "was sent to the user.")
        return redirect("accounts:user", org_id=self.organization.pk, user_id=user.pk)


class UserDetailView(UserObjectMixin, TemplateView):
    template_name = "accounts/users/detail.html"
    permission = Perm.USERS_VIEW

    def get_context_data(self, **kwargs):
        target = self.get_user()
        roles = effective_roles(target, self.organization)
        groups = list(target.member_of.order_by("name").values_list("name", flat=True))
        return super().get_context_data(
            groups=groups, user_roles=len(roles.user), group_roles=len(roles.group | roles.child_access),
            organization_roles=len(roles.organization), **kwargs,
        )


class UserGroupsView(UserObjectMixin, TemplateView):
    """**Assigned Groups > Edit**: tick the groups the user belongs to, then **Save Changes**."""

    template_name = "accounts/users/groups.html"
    permission = Perm.GROUPS_MANAGE

    def get_context_data(self, **kwargs):
        target = self.get_user()
        if self.request.method == "POST":
            chosen = set(parse_ids(self.request.POST.getlist("groups")))
        else:
            chosen = set(target.member_of.values_list("pk", flat=True))
        groups = Group.objects.filter(organization=self.organization).order_by("kind", "name")
        return super().get_context_data(rows=[{"group": g, "checked": g.pk in chosen} for g in groups], **kwargs)

    def post(self, request, org_id, user_id):
        target = self.get_user()
        try:
            added, removed = group_services.set_user_groups(target, parse_ids(request.POST.getlist("groups")),
                                                            by=request.user)
        except ValidationError as error:
            messages.error(request, _first_message(error))
            return self.render_to_response(self.get_context_data())
        messages.success(request, f"Groups updated: added to {added}, removed from {removed}.")
        return redirect("accounts:user", org_id=org_id, user_id=target.pk)


class UserEditView(UserObjectMixin, FormView):
    template_name = "accounts/users/edit.html"
    permission = Perm.USERS_MANAGE
    form_class = UserEditForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_user()}

    def form_valid(self, form):
        target = self.get_user()
        try:
            user_services.update_user(target, email=form.cleaned_data["email"], by=self.request.user,
                                     **form.profile())
        except ValidationError as error:
            form.apply_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Profile updated.")
        return redirect("accounts:user", org_id=self.organization.pk, user_id=target.pk)


class UserResetPasswordView(UserObjectMixin, View):
    """**Reset Password**: e-mail the user a link to set a new password."""

    permission = Perm.USERS_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id, user_id):
        target = self.get_user()
        user_services.reset_password(target)
        messages.success(request, f"An e-mail with a link to reset the password was sent to {target.email}.")
        return redirect("accounts:user", org_id=org_id, user_id=target.pk)


def role_sources(target: User, organization) -> dict:
    """The roles of a user by source, with the group each group role comes from (for display)."""
    roles = effective_roles(target, organization)
    group_rows = []
    for assignment in (RoleAssignment.objects.filter(organization=organization, group__members=target)
                       .select_related("group").order_by("group__name", "role")):
        role = BY_CODE.get(assignment.role)
        child_access = assignment.group.kind == GroupKind.CHILD_ORGANIZATION_ACCESS
        group_rows.append({"code": assignment.role, "name": role.name if role else assignment.role,
                           "description": role.description if role else "", "source": assignment.group.name,
                           "child_access": child_access})
    if PARTNER_ADMINISTRATOR in roles.child_access and not any(r["code"] == PARTNER_ADMINISTRATOR for r in group_rows):
        group_rows.append({"code": PARTNER_ADMINISTRATOR, "name": BY_CODE[PARTNER_ADMINISTRATOR].name,
                           "description": BY_CODE[PARTNER_ADMINISTRATOR].description,
                           "source": "Child Organization Access group", "child_access": True})

    def rows(codes):
        return [{"code": code, "name": BY_CODE[code].name, "description": BY_CODE[code].description}
                for code in sorted(codes, key=lambda c: BY_CODE[c].name) if code in BY_CODE]

    return {"roles": roles, "user": rows(roles.user), "group": group_rows, "organization": rows(roles.organization)}


class UserRolesView(UserObjectMixin, TemplateView):
    """Assigned Roles > Edit: the **User Roles** tab (Assign / Remove) and the read-only group and
    organization roles with their source."""

    template_name = "accounts/users/roles.html"
    permission = Perm.USERS_VIEW
    TABS = (("user", "User Roles"), ("group", "Group Roles"), ("organization", "Organization Roles"))

    def get_context_data(self, **kwargs):
        tab = self.request.GET.get("tab", "user")
        if tab not in dict(self.TABS):
            tab = "user"
        sources = role_sources(self.get_user(), self.organization)
        tabs = [{"key": key, "label": label, "count": len(sources[key]), "active": key == tab}
                for key, label in self.TABS]
        return super().get_context_data(tab=tab, tabs=tabs, rows=sources[tab], **kwargs)

    def post(self, request, org_id, user_id):
        """**Remove** → **Remove Roles**: needs Perm.USERS_MANAGE."""
        if Perm.USERS_MANAGE not in effective_permissions(request.user, self.organization):
            raise PermissionDenied("You do not have the role this operation needs.")
        target = self.get_user()
        codes = [code for code in request.POST.getlist("roles") if code]
        if not codes:
            messages.error(request, "Select one or more roles to remove.")
        else:
            try:
                removed = role_services.remove_user_roles(target, codes, by=request.user)
            except ValidationError as error:
                messages.error(request, _first_message(error))
            else:
                messages.success(request, f"{removed} role{'s' if removed != 1 else ''} removed.")
        return redirect("accounts:user-roles", org_id=org_id, user_id=target.pk)


class UserRolesAssignView(UserObjectMixin, TemplateView):
    """**Assign** → tick the roles → **Assign Roles**: System Roles and Custom Roles tables."""

    template_name = "accounts/roles_assign.html"
    permission = Perm.USERS_MANAGE

    def get_context_data(self, **kwargs):
        target, org = self.get_user(), self.organization
        held = set(target.role_assignments.values_list("role", flat=True))
        if self.request.method == "POST":
            held = set(self.request.POST.getlist("roles"))
        roles_url = reverse("accounts:user-roles", kwargs={"org_id": org.pk, "user_id": target.pk})
        return super().get_context_data(
            tables=role_tables(org, held, exclude=() if org.is_partner else {PARTNER_ADMINISTRATOR}),
            cancel_url=roles_url, holder=target.email,
            crumbs=[(reverse("accounts:users", kwargs={"org_id": org.pk}), "Users"),
                    (reverse("accounts:user", kwargs={"org_id": org.pk, "user_id": target.pk}), target.email),
                    (roles_url, "Assigned Roles")],
            **kwargs)

    def post(self, request, org_id, user_id):
        target = self.get_user()
        try:
            added, removed = role_services.set_user_roles(target, request.POST.getlist("roles"), by=request.user)
        except ValidationError as error:
            messages.error(request, _first_message(error))
            return self.render_to_response(self.get_context_data())
        messages.success(request, f"User roles updated: {added} assigned, {removed} removed.")
        return redirect("accounts:user-roles", org_id=org_id, user_id=target.pk)


urlpatterns = [
    path("users/", UserListView.as_view(), name="users"),
    path("users/delete/", UserBulkDeleteView.as_view(), name="users-delete"),
    path("users/create/", UserCreateView.as_view(), name="user-create"),
    path("users/<int:user_id>/", UserDetailView.as_view(), name="user"),
    path("users/<int:user_id>/edit/", UserEditView.as_view(), name="user-edit"),
    path("users/<int:user_id>/groups/", UserGroupsView.as_view(), name="user-groups"),
    path("users/<int:user_id>/reset-password/", UserResetPasswordView.as_view(), name="user-reset-password"),
    path("users/<int:user_id>/roles/", UserRolesView.as_view(), name="user-roles"),
    path("users/<int:user_id>/roles/assign/", UserRolesAssignView.as_view(), name="user-roles-assign"),
]

