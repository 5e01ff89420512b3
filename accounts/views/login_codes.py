"""Secure login code: the Generate Login Code page at /device (and its fragment, fetched to refresh the code
before it expires).

Only a digest of each code is stored, so a code can be shown once: every visit of the page, every automatic
refresh and every **Refresh** makes a new code and voids the previous one. The page asks for a new code a
minute before the current one expires, so the code on screen is always valid."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from ..models import PrinterLoginConfiguration
from ..models.printer_login import LOGIN_CODE_LIFETIME
from ..services import login_codes as code_services

REFRESH_BEFORE_EXPIRY_SECONDS = 60


def code_context(user) -> dict:
    code, row = code_services.issue_login_code(user)
    left = max(0, int((row.expires_at - timezone.now()).total_seconds()))
    return {
        "code": code,
        "code_display": f"{code[:4]} {code[4:]}",
        "login_code": row,
        "minutes_left": (left + 59) // 60,
        "lifetime_minutes": int(LOGIN_CODE_LIFETIME.total_seconds() // 60),
        "refresh_seconds": max(30, left - REFRESH_BEFORE_EXPIRY_SECONDS),
    }


@method_decorator(never_cache, name="dispatch")
class DeviceCodeView(LoginRequiredMixin, TemplateView):
    """Generate Login Code: a one-time code for the printer's Secure Login, valid 15 minutes; **Refresh**
    (POST) replaces it."""

    template_name = "accounts/device/login_code.html"

    def get_context_data(self, **kwargs):
        config = PrinterLoginConfiguration.objects.filter(organization_id=self.request.user.organization_id).first()
        return super().get_context_data(secure_login_enabled=bool(config and config.secure_login),
                                        **code_context(self.request.user), **kwargs)

    def post(self, request, *args, **kwargs):
        return redirect("device-code")  # the GET makes the new code


@method_decorator(never_cache, name="dispatch")
class DeviceCodeFragmentView(LoginRequiredMixin, TemplateView):
    """The code box alone, with a new code: what the page fetches to refresh itself."""

    template_name = "accounts/device/login_code_fragment.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**code_context(self.request.user), **kwargs)


urlpatterns = [
    path("device", DeviceCodeView.as_view(), name="device-code"),
    path("device/code", DeviceCodeFragmentView.as_view(), name="device-code-fragment"),
]
