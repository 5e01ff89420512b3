"""Administration > Organizational Settings (Print Release Management Administrators)."""
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.views.generic import TemplateView

from accounts.forms.organizations import apply_errors
from accounts.roles import Perm

from ..forms import OrganizationSettingsForm
from ..services import org_settings
from .base import PrintViewMixin


class OrganizationSettingsView(PrintViewMixin, TemplateView):
    template_name = "printmgmt/settings.html"
    permission = Perm.PRINT_ADMIN
    print_tab = "administration"

    def get_context_data(self, form=None, **kwargs):
        form = form or OrganizationSettingsForm(instance=org_settings.get_settings(self.organization))
        return super().get_context_data(form=form, pin_enabled=org_settings.pin_login_enabled(self.organization),
                                        email_domain=settings.PRINT_EMAIL_DOMAIN,
                                        **kwargs)

    def post(self, request, org_id):
        form = OrganizationSettingsForm(request.POST, instance=org_settings.get_settings(self.organization))
        if form.is_valid():
            try:
                org_settings.update_settings(self.organization, by=request.user, **form.values())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Organizational settings saved.")
                return redirect("printmgmt:settings", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [path("administration/settings/", OrganizationSettingsView.as_view(), name="settings")]
