"""What every Print Management page shares: the gate, the portal's tabs and the organization's settings."""
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from accounts.access import effective_permissions
from accounts.gate import OrgViewMixin
from accounts.roles import Perm

from ..services.org_settings import get_settings, submission_address

PAGE_SIZE = 50


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class PrintViewMixin(OrgViewMixin):
    print_tab = ""

    @property
    def perms(self) -> frozenset:
        return effective_permissions(self.request.user, self.organization)

    @property
    def is_admin(self) -> bool:
        return Perm.PRINT_ADMIN in self.perms

    def user_in_org(self, value, permission=Perm.PRINT_ADMIN):
        """A user of this organization picked by id or e-mail (the administrators' user picker), or 404."""
        users = get_user_model().objects.for_user(self.request.user, permission, organization=self.organization)
        value = (value or "").strip()
        lookup = {"pk": value} if value.isdigit() else {"email__iexact": value}
        user = users.filter(**lookup).first()
        if user is None:
            raise Http404("No such user in this organization.")
        return user

    def get_context_data(self, **kwargs):
        settings = get_settings(self.organization)
        return super().get_context_data(print_tab=self.print_tab, print_settings=settings, is_admin=self.is_admin,
                                        can_use=Perm.PRINT_USE in self.perms,
                                        submission_address=submission_address(settings), **kwargs)


class PrintHomeView(OrgViewMixin, View):
    """The portal's entry: users land on their Print Queue, administrators without a queue on Organizational
    Settings, reporting analysts on Print Job History."""

    permission = (Perm.PRINT_USE, Perm.PRINT_ADMIN, Perm.PRINT_REPORTS)
    ok_status = 302

    def get(self, request, org_id):
        perms = effective_permissions(request.user, self.organization)
        name = ("printmgmt:queue" if Perm.PRINT_USE in perms else
                "printmgmt:settings" if Perm.PRINT_ADMIN in perms else "printmgmt:history")
        return redirect(reverse(name, kwargs={"org_id": org_id}))
