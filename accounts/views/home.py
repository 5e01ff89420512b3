"""Landing pages: the root redirect, the organization switcher and the Account Management home."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView, View

from lexcloud.registry import registry

from ..access import effective_permissions
from ..gate import OrgViewMixin
from ..roles import Perm


@login_required
def home(request):
    return redirect("dashboard")


class SwitchOrganizationView(OrgViewMixin, View):
    """Open a visible organization in the first portal the user may use there (404 for unseen ones)."""

    permission = Perm.OWN_ACCOUNT
    ok_status = 302

    def get(self, request, org_id):
        org = self.organization
        perms = effective_permissions(request.user, org)
        if Perm.ACCOUNT_PORTAL in perms:
            return redirect("accounts:home", org_id=org.pk)
        for portal in sorted(registry.portals.values(), key=lambda p: p.order):
            if org.is_entitled(portal.service) and set(portal.permissions) & perms:
                return redirect(reverse(portal.url_name, kwargs={"org_id": org.pk}))
        return redirect("dashboard")


class AccountHomeView(OrgViewMixin, TemplateView):
    """The Account Management dashboard: Users, Groups and (partners) Child Organizations cards."""

    template_name = "accounts/home.html"
    permission = Perm.ACCOUNT_PORTAL

    def get_context_data(self, **kwargs):
        org = self.organization
        perms = effective_permissions(self.request.user, org)
        return super().get_context_data(
            user_count=org.users.count() if Perm.USERS_VIEW in perms else None,
            group_count=org.groups.count() if Perm.GROUPS_VIEW in perms else None,
            child_count=org.children.count() if Perm.CHILDREN_VIEW in perms and org.is_partner else None,
            **kwargs,
        )
