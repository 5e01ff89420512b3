"""My Account: the signed-in user's own information, groups and roles, and Reset Password for themselves."""
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import path
from django.views import View
from django.views.generic import TemplateView

from ..services import users as user_services
from .users import role_sources


class MyAccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/my_account.html"

    def get_context_data(self, **kwargs):
        me = self.request.user
        sources = role_sources(me, me.organization)
        roles = sources["roles"]
        return super().get_context_data(
            person=me,
            groups=list(me.member_of.order_by("name").values_list("name", flat=True)),
            user_roles=len(roles.user), group_roles=len(roles.group | roles.child_access),
            organization_roles=len(roles.organization),
            role_rows={"user": sources["user"], "group": sources["group"], "organization": sources["organization"]},
            **kwargs,
        )


class MyAccountResetPasswordView(LoginRequiredMixin, View):
    """**Reset Password** on My Account: the link goes to the signed-in user's own e-mail address."""

    http_method_names = ["post"]

    def post(self, request):
        user_services.reset_password(request.user)
        messages.success(request, f"An e-mail with a link to reset your password was sent to {request.user.email}.")
        return redirect("my-account")


urlpatterns = [
    path("my-account/", MyAccountView.as_view(), name="my-account"),
    path("my-account/reset-password/", MyAccountResetPasswordView.as_view(), name="my-account-reset-password"),
]
