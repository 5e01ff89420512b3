"""Sign-in through an organization's identity provider: home-realm discovery on the sign-in page, the SAML
endpoints (metadata, ACS, single logout) and the OIDC callback, under /federation/<org_id>/.

These URLs are public by nature (the provider and the browser call them before anyone is signed in); what
protects them is the protocol: signatures, audience, InResponseTo / state bound to this browser, one use per
assertion. Each refusal is logged with its reason (logger `lexcloud.federation`) and shown as a plain page."""
import secrets
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..access import effective_permissions
from ..choices import FederationProtocol
from ..models import IdentityProvider
from ..roles import Perm
from ..services import federation, oidc, saml
from ..services.federation import FederationRefused

BACKEND = "accounts.auth.FederatedBackend"
BINDING_COOKIE = "lexcloud_federation"
SESSION_KEY = "federation"    # on a federated session: organization, protocol and what single logout needs


def safe_next(request, candidate: str | None) -> str:
    """Only our own paths: RelayState and next are unauthenticated (CWE-601)."""
    if candidate and candidate.startswith("/") and not candidate.startswith("//") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _provider(org_id, protocol: str | None = None) -> IdentityProvider:
    """The organization's provider (of `protocol`, when given), or 404."""
    provider = IdentityProvider.objects.select_related("organization").filter(organization_id=org_id).first()
    if provider is None or (protocol and provider.protocol != protocol):
        raise Http404("No authentication provider.")
    return provider


def _may_test(request, provider: IdentityProvider) -> bool:
    user = request.user
    return user.is_authenticated and Perm.ORG_MANAGE in effective_permissions(user, provider.organization)


def _binding(request) -> str:
    """A random value in a cookie of this browser; pending sign-ins remember its digest so that a response
    started in one browser cannot be completed in another."""
    return request.COOKIES.get(BINDING_COOKIE) or secrets.token_urlsafe(24)


def _set_binding(response, request, value: str) -> None:
    # SameSite=None so that the identity provider's cross-site POST to the ACS carries it (https only)
    secure = request.is_secure()
    response.set_cookie(BINDING_COOKIE, value, max_age=saml.PENDING_SECONDS, httponly=True, secure=secure,
                        samesite="None" if secure else "Lax", path="/federation/")


def refused(request, error: FederationRefused, status: int = 403):
    return render(request, "registration/federation_refused.html", {"message": error.message}, status=status)


# --- start -------------------------------------------------------------------------------------------------

@require_GET
def start(request, org_id):
    """Send the browser to the organization's provider. `test=1` (administrators of the organization only)
    runs a Test federation round trip that shows the claims instead of signing anyone in."""
    provider = _provider(org_id)
    test = request.GET.get("test") == "1"
    if test and not _may_test(request, provider):
        raise Http404("No authentication provider.")
    if not test and not provider.enabled:
        raise Http404("No authentication provider.")
    next_url = safe_next(request, request.GET.get("next"))
    if provider.protocol == FederationProtocol.OIDC:
        return HttpResponseRedirect(oidc.login_redirect(provider, request, next_url=next_url, test=test,
                                                        login_hint=request.GET.get("login_hint", "")[:254]))
    url, request_id = saml.login_redirect(provider, request, relay_state=next_url)
    binding = _binding(request)
    saml.remember_request(provider, request_id, binding=binding, next_url=next_url, test=test,
                          user_id=request.user.pk if test else None)
    response = HttpResponseRedirect(url)
    _set_binding(response, request, binding)
    return response


# --- SAML ------------------------------------------------------------------------------------------------

@require_GET
def saml_metadata(request, org_id):
    provider = _provider(org_id, FederationProtocol.SAML)
    return HttpResponse(saml.sp_metadata(provider, request), content_type="application/samlmetadata+xml")


@csrf_exempt  # the identity provider posts here; the response's signature and InResponseTo protect it
@require_POST
def saml_acs(request, org_id):
    provider = _provider(org_id, FederationProtocol.SAML)
    try:
        root = saml.parse_response(provider, request.POST.get("SAMLResponse", ""))
        request_id = saml.in_response_to(root)
        if request_id and BINDING_COOKIE not in request.COOKIES and not request.POST.get("rebound"):
            return _rebound(request)
        if request_id:
            pending = saml.take_request(provider, request_id, binding=request.COOKIES.get(BINDING_COOKIE, ""))
        else:
            if not (provider.enabled and provider.saml_allow_idp_initiated):
                raise federation.refuse(provider, "unsolicited response (IdP-initiated sign-in is off)")
            pending = {"next": safe_next(request, request.POST.get("RelayState")), "test": False}
        if not pending["test"] and not provider.enabled:
            raise federation.refuse(provider, "provider disabled")
        identity, slo = saml.process_response(provider, request, request_id=request_id)
        return _finish(request, provider, identity, pending, slo)
    except FederationRefused as error:
        return refused(request, error)


def _rebound(request):
    """The provider's POST is cross-site: browsers hold back SameSite=Lax cookies (plain http, where
    SameSite=None is refused) or all third-party cookies. Post the same form again from our own page, a
    same-site request that carries the binding cookie; `rebound` stops a second round."""
    return render(request, "registration/saml_rebound.html", {
        "action": request.path, "saml_response": request.POST.get("SAMLResponse", ""),
        "relay_state": request.POST.get("RelayState", "")})


@require_GET
def saml_sls(request, org_id):
    """Single logout: the provider's answer to our LogoutRequest, or its own LogoutRequest."""
    provider = _provider(org_id, FederationProtocol.SAML)

    federated = request.session.get(SESSION_KEY) or {}
    ours = federated.get("org") == str(provider.organization_id)
    try:
        url = saml.process_logout(provider, request, session_name_id=(federated.get("slo") or {}).get("name_id") if ours else None,
                                  end_session=lambda: logout(request))
    except FederationRefused as error:
        return refused(request, error, status=400)
    return HttpResponseRedirect(url or reverse("login") + "?signed_out=1")


# --- OIDC ------------------------------------------------------------------------------------------------

@require_GET
def oidc_callback(request, org_id):
    provider = _provider(org_id, FederationProtocol.OIDC)
    try:
        identity, pending = oidc.process_callback(provider, request)
        if pending.get("test"):
            pending["user"] = request.user.pk if _may_test(request, provider) else -1
        elif not provider.enabled:
            raise federation.refuse(provider, "provider disabled")
        return _finish(request, provider, identity, pending, None)
    except FederationRefused as error:
        return refused(request, error)


# --- both ------------------------------------------------------------------------------------------------

def _finish(request, provider: IdentityProvider, identity, pending: dict, slo: dict | None):
    if pending.get("test"):
        return _test_result(request, provider, identity, pending)
    user = federation.sign_in(provider, identity)
    login(request, user, backend=BACKEND)
    request.session[SESSION_KEY] = {"org": str(provider.organization_id), "protocol": provider.protocol,
                                    "slo": slo}
    return HttpResponseRedirect(safe_next(request, pending.get("next")))


def _test_result(request, provider, identity, pending):
    token = federation.keep_test_result(provider, identity, user_id=pending.get("user"))
    return redirect(reverse("accounts:auth-provider", args=[provider.organization_id]) + f"?result={token}")


# --- sign-in and sign-out pages ----------------------------------------------------------------------------

class SignInView(auth_views.LoginView):
    """E-mail first: an address whose domain (or whose user) belongs to an organization with an enabled
    provider goes to that provider; any other gets the password step."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        email = (request.POST.get("username") or "").strip()
        provider = federation.provider_for_email(email)
        if provider is not None:
            query = {"next": safe_next(request, request.POST.get("next")), "login_hint": email}
            return HttpResponseRedirect(reverse("federation:start", args=[provider.organization_id]) + "?"
                                        + urlencode(query))
        if "password" not in request.POST:
            form = self.get_form_class()(request, initial={"username": email})
            return self.render_to_response(self.get_context_data(form=form, step="password", email=email))
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("step", "password" if self.request.method == "POST" else "email")
        context.setdefault("email", (self.request.POST.get("username") or "").strip())
        context["signed_out"] = "signed_out" in self.request.GET
        return context


class SignOutView(auth_views.LogoutView):
    """Signs out here, then at the provider when it offers single logout (SAML SLO, OIDC end session)."""

    def post(self, request, *args, **kwargs):
        federated = request.session.get(SESSION_KEY)
        response = super().post(request, *args, **kwargs)
        if not federated:
            return response
        provider = IdentityProvider.objects.filter(organization_id=federated["org"], enabled=True).first()
        if provider is None:
            return response
        back = request.build_absolute_uri(reverse("login") + "?signed_out=1")
        if provider.protocol == FederationProtocol.SAML and federated.get("slo"):
            found = saml.logout_redirect(provider, request, federated["slo"], return_to=back)
            if not found:
                return response
            saml.remember_logout(provider, found[1])
            return HttpResponseRedirect(found[0])
        end_session = provider.oidc_metadata.get("end_session_endpoint")
        if provider.protocol == FederationProtocol.OIDC and end_session:
            query = urlencode({"client_id": provider.oidc_client_id, "post_logout_redirect_uri": back})
            return HttpResponseRedirect(f"{end_session}?{query}")
        return response


app_name = "federation"
urlpatterns = [
    path("<uuid:org_id>/login/", start, name="start"),
    path("<uuid:org_id>/saml/metadata/", saml_metadata, name="saml-metadata"),
    path("<uuid:org_id>/saml/acs/", saml_acs, name="saml-acs"),
    path("<uuid:org_id>/saml/sls/", saml_sls, name="saml-sls"),
    path("<uuid:org_id>/oidc/callback/", oidc_callback, name="oidc-callback"),
]
