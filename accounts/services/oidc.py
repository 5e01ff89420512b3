"""OpenID Connect relying party per organization, on mozilla-django-oidc.

The library reads one provider from Django settings; here its backend is configured from the organization's
IdentityProvider instead, and its ID-token check is tightened: RS256 or ES256 only, through the provider's
JWKS, with `iss` (exact, ASVS 10.2.2), `aud` (our client ID, ASVS 10.5.4), `exp` and `iat` verified, and the
nonce compared by the library. Authorization code flow with PKCE (S256) and state. Users are keyed by
(organization, iss, sub) in accounts.services.federation, not by e-mail."""
import logging
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import add_state_and_verifier_and_nonce_to_session, generate_code_challenge

from ..models import IdentityProvider, User
from .federation import Identity, refuse

log = logging.getLogger("lexcloud.federation")

ALGORITHMS = ("RS256", "ES256")
SCOPES = "openid email profile"
LEEWAY = 60  # seconds of clock skew tolerated on exp / iat / nbf
STATES = "lexcloud_oidc"  # session key: state -> {org, next, test}, beside the library's "oidc_states"


def redirect_uri(org_id, request) -> str:
    return request.build_absolute_uri(reverse("federation:oidc-callback", args=[org_id]))


class ProviderBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with its settings taken from one organization's provider."""

    def __init__(self, provider: IdentityProvider):  # noqa: D107 - no call to super: it reads Django settings
        metadata = provider.oidc_metadata
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = metadata["token_endpoint"]
        self.OIDC_OP_USER_ENDPOINT = metadata.get("userinfo_endpoint")
        self.OIDC_OP_JWKS_ENDPOINT = metadata["jwks_uri"]
        self.OIDC_RP_CLIENT_ID = provider.oidc_client_id
        self.OIDC_RP_CLIENT_SECRET = provider.oidc_client_secret
        self.OIDC_RP_SIGN_ALGO = "RS256"  # the library only looks at its prefix to fetch the JWKS
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.UserModel = User

    def get_settings(self, attr, *args):
        methods = self.provider.oidc_metadata.get("token_endpoint_auth_methods_supported") or []
        values = {"OIDC_VERIFY_SSL": True, "OIDC_TIMEOUT": settings.FEDERATION_HTTP_TIMEOUT, "OIDC_PROXY": None,
                  "OIDC_USE_NONCE": True, "OIDC_ALLOW_UNSECURED_JWT": False,
                  "OIDC_TOKEN_USE_BASIC_AUTH": bool(methods) and "client_secret_post" not in methods}
        if attr in values:
            return values[attr]
        if args:
            return args[0]
        raise AttributeError(attr)

    def retrieve_matching_jwk(self, token):
        """The library matches keys by `kid`; a provider publishing a single signing key may leave `kid` out
        (OIDC Core 10.1), and then that one key is the key."""
        if "kid" in jwt.get_unverified_header(token):
            return super().retrieve_matching_jwk(token)
        response = requests.get(self.OIDC_OP_JWKS_ENDPOINT, timeout=settings.FEDERATION_HTTP_TIMEOUT)
        response.raise_for_status()
        keys = [k for k in response.json().get("keys", []) if k.get("use", "sig") == "sig"]
        if len(keys) != 1:
            raise SuspiciousOperation("ID token without kid, and the JWKS holds more than one signing key")
        return jwt.PyJWK(keys[0])

    def _verify_jws(self, payload, key):
        """The signature with the JWKS key, and the claims that bind the token to this provider and client."""
        algorithm = jwt.get_unverified_header(payload).get("alg")
        if algorithm not in ALGORITHMS:
            raise SuspiciousOperation(f"ID token algorithm {algorithm!r} not allowed")
        try:
            claims = jwt.decode(payload, key, algorithms=[algorithm], audience=self.OIDC_RP_CLIENT_ID,
                                issuer=self.provider.oidc_metadata["issuer"], leeway=LEEWAY,
                                options={"require": ["iss", "aud", "exp", "iat", "sub"]})
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {type(error).__name__}: {error}") from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences without our client as azp")
        return claims

    def identity(self, request, *, nonce: str, code_verifier: str) -> Identity:
        """Exchange the callback's code (with the PKCE verifier) and verify the ID token."""
        token = self.get_token({"client_id": self.OIDC_RP_CLIENT_ID, "client_secret": self.OIDC_RP_CLIENT_SECRET,
                                "grant_type": "authorization_code", "code": request.GET["code"],
                                "redirect_uri": redirect_uri(self.provider.organization_id, request),
                                "code_verifier": code_verifier})
        if not token.get("id_token"):
            raise SuspiciousOperation("token response without id_token")
        return self.identity_from_token(token["id_token"], nonce=nonce, access_token=token.get("access_token"))

    def identity_from_token(self, id_token: str, *, nonce: str, access_token: str | None = None) -> Identity:
        if not nonce:
            raise SuspiciousOperation("no nonce was sent for this state")
        claims = self.verify_token(id_token, nonce=nonce)
        if self.OIDC_OP_USER_ENDPOINT and access_token and not claims.get(self.provider.claim("email")):
            # claims the ID token lacks come from userinfo, for the same subject only (OIDC Core 5.3.2)
            extra = self.get_userinfo(access_token, id_token, claims)
            if extra.get("sub") == claims["sub"]:
                claims = {**extra, **claims}
        return Identity(issuer=claims["iss"], subject=str(claims["sub"]), claims=claims)


def login_redirect(provider: IdentityProvider, request, *, next_url: str, test: bool, login_hint: str = "") -> str:
    """The provider's authorization URL (code flow, PKCE S256, state, nonce); state kept in the session."""
    state = get_random_string(32)
    nonce = get_random_string(32)
    verifier = get_random_string(64)
    params = {"response_type": "code", "scope": SCOPES, "client_id": provider.oidc_client_id,
              "redirect_uri": redirect_uri(provider.organization_id, request), "state": state, "nonce": nonce,
              "code_challenge": generate_code_challenge(verifier, "S256"), "code_challenge_method": "S256"}
    if login_hint:
        params["login_hint"] = login_hint
    add_state_and_verifier_and_nonce_to_session(request, state, params, verifier)
    states = request.session.get(STATES) or {}
    states[state] = {"org": str(provider.organization_id), "next": next_url, "test": test}
    request.session[STATES] = dict(list(states.items())[-20:])
    return f"{provider.oidc_metadata['authorization_endpoint']}?{urlencode(params)}"


def process_callback(provider: IdentityProvider, request) -> tuple[Identity, dict]:
    """Verify the callback (state known to this browser and issued for this organization) and return the
    identity and what the sign-in started with (next, test). Each state is used once."""
    state = request.GET.get("state", "")
    library_states = request.session.get("oidc_states") or {}
    ours = (request.session.get(STATES) or {}).pop(state, None)
    entry = library_states.pop(state, None)
    request.session.modified = True
    if entry is None or ours is None:
        raise refuse(provider, "unknown or used state")
    if ours["org"] != str(provider.organization_id):
        raise refuse(provider, "state issued for another organization")
    if request.GET.get("error"):
        raise refuse(provider, f"provider answered error {request.GET.get('error')!r}: "
                               f"{request.GET.get('error_description', '')[:200]}")
    if not request.GET.get("code"):
        raise refuse(provider, "callback without code")
    try:
        identity = ProviderBackend(provider).identity(request, nonce=entry.get("nonce"),
                                                      code_verifier=entry.get("code_verifier"))
    except SuspiciousOperation as error:
        raise refuse(provider, str(error)) from None
    except Exception as error:  # noqa: BLE001 - network errors, malformed tokens, JWKS without the key...
        raise refuse(provider, f"{type(error).__name__}: {error}") from None
    return identity, ours
