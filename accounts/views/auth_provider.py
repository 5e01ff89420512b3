"""Organization > Authentication Provider (Organization Administrators): configure SAML or OIDC, copy our
service provider's details, Test federation, enable, disable, remove."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from ..forms.federation import AuthProviderForm
from ..forms.organizations import apply_errors
from ..gate import OrgViewMixin
from ..models import IdentityProvider
from ..models.federation import CLAIM_LABELS, DEFAULT_CLAIMS, DEFAULT_SAML_ATTRIBUTES
from ..roles import Perm
from ..services import federation, oidc, saml
from ..services import identity_providers as providers


class ProviderMixin(OrgViewMixin):
    permission = Perm.ORG_MANAGE

    def provider(self) -> IdentityProvider | None:
        return IdentityProvider.objects.filter(organization=self.organization).first()

    def sp_details(self) -> dict:
        org = self.organization.pk
        return {**saml.sp_urls(org, self.request), "redirect_uri": oidc.redirect_uri(org, self.request)}


class AuthProviderView(ProviderMixin, TemplateView):
    template_name = "accounts/organization/auth_provider.html"

    def get_context_data(self, **kwargs):
        provider = self.provider()
        result = federation.test_result(self.request.GET.get("result", ""), self.organization.pk, self.request.user)
        claims = []
        if provider is not None:
            claims = [(label, provider.claim(name)) for name, label in CLAIM_LABELS.items()]
        return super().get_context_data(provider=provider, sp=self.sp_details(), result=result, claims=claims,
                                        domains=federation.domains_of(self.organization),
                                        test_url=reverse("federation:start", args=[self.organization.pk]) + "?test=1",
                                        **kwargs)


class AuthProviderConfigureView(ProviderMixin, TemplateView):
    template_name = "accounts/organization/auth_provider_form.html"

    def get_context_data(self, form=None, **kwargs):
        provider = self.provider()
        if form is None:
            form = AuthProviderForm(provider=provider, initial=AuthProviderForm.initial_for(
                provider, federation.domains_of(self.organization)))
        return super().get_context_data(form=form, provider=provider, sp=self.sp_details(),
                                        default_claims={"oidc": DEFAULT_CLAIMS, "saml": DEFAULT_SAML_ATTRIBUTES},
                                        **kwargs)

    def post(self, request, org_id):
        form = AuthProviderForm(request.POST, provider=self.provider())
        if form.is_valid():
            try:
                providers.configure(self.organization, form.values, domains=form.domain_list, by=request.user)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Authentication provider configured. Run Test federation before you "
                                          "sign out; a configuration status e-mail is on its way.")
                return redirect("accounts:auth-provider", org_id=org_id)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class AuthProviderActionView(ProviderMixin, View):
    """POST enable / disable / remove."""

    ok_status = 405
    action = ""

    def post(self, request, org_id):
        provider = self.provider()
        if provider is not None:
            if self.action == "remove":
                providers.remove(self.organization, by=request.user)
                messages.success(request, "Authentication provider removed. Users sign in with a password again "
                                          "(they can set one with Forgot your password?).")
            else:
                providers.set_enabled(provider, self.action == "enable", by=request.user)
                messages.success(request, "Sign-in through the provider is on." if self.action == "enable"
                                 else "Sign-in through the provider is off: users sign in with a password.")
        return redirect("accounts:auth-provider", org_id=org_id)


urlpatterns = [
    path("authentication-provider/", AuthProviderView.as_view(), name="auth-provider"),
    path("authentication-provider/configure/", AuthProviderConfigureView.as_view(), name="auth-provider-configure"),
    path("authentication-provider/enable/", AuthProviderActionView.as_view(action="enable"),
         name="auth-provider-enable"),
    path("authentication-provider/disable/", AuthProviderActionView.as_view(action="disable"),
         name="auth-provider-disable"),
    path("authentication-provider/remove/", AuthProviderActionView.as_view(action="remove"),
         name="auth-provider-remove"),
]

