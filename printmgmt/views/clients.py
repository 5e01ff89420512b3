"""Print Clients: how to add the cloud queue as a printer on any computer (the IPP print service, /ipp/print)
and the user's print tokens, the secrets those computers keep instead of the user's password (create: shown
once; revoke). Shown while "Enable Print Clients page" is on."""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.forms.organizations import apply_errors
from accounts.roles import Perm
from lexcloud.ids import parse_ids

from ..ipp.views import service_uris
from ..services import print_tokens
from ..services.org_settings import get_settings
from .base import PrintViewMixin, plural


class TokenForm(forms.Form):
    name = forms.CharField(label="Token name", max_length=print_tokens.NAME_MAX,
                           help_text="The computer that will use it, such as “Office laptop”.")


@method_decorator(never_cache, name="dispatch")   # the created token's secret must not stay in a cache
class ClientsView(PrintViewMixin, TemplateView):
    template_name = "printmgmt/clients.html"
    permission = Perm.PRINT_USE
    print_tab = "clients"

    @property
    def own_organization(self) -> bool:
        """Tokens print into the user's own organization: the page offers them there only (a partner
        administrator looking at a child organization has no queue in it)."""
        return self.request.user.organization_id == self.organization.pk

    def get_context_data(self, form=None, **kwargs):
        enabled = get_settings(self.organization).print_clients_page
        tokens = list(print_tokens.tokens_of(self.request.user)) if enabled and self.own_organization else []
        return super().get_context_data(enabled=enabled, own_organization=self.own_organization, tokens=tokens,
                                        form=form or TokenForm(), uris=service_uris(self.request),
                                        email=self.request.user.email, **kwargs)

    def post(self, request, org_id):
        """Create token: the secret is in this response only (never stored, never in a redirect)."""
        if not get_settings(self.organization).print_clients_page or not self.own_organization:
            messages.error(request, "Print tokens are not available here.")
            return redirect("printmgmt:clients", org_id=org_id)
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = print_tokens.create_token(request.user, form.cleaned_data["name"])
            except PermissionDenied as error:
                messages.error(request, str(error))
                return redirect("printmgmt:clients", org_id=org_id)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return self.render_to_response(self.get_context_data(created=token, secret=secret))
        return self.render_to_response(self.get_context_data(form=form, add_open=True), status=400)


class RevokeTokensView(PrintViewMixin, View):
    permission = Perm.PRINT_USE
    http_method_names = ["post"]

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("token"))
        revoked = print_tokens.revoke_tokens(request.user, ids) if ids else 0
        if revoked:
            messages.success(request, f"{plural(revoked, 'print token')} revoked: computers using "
                                      f"{'it' if revoked == 1 else 'them'} can no longer print.")
        else:
            messages.error(request, "Select one or more print tokens to revoke.")
        return redirect("printmgmt:clients", org_id=org_id)


urlpatterns = [
    path("clients/", ClientsView.as_view(), name="clients"),
    path("clients/tokens/revoke/", RevokeTokensView.as_view(), name="clients-tokens-revoke"),
]
