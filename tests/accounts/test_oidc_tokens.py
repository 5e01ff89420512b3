"""The ID-token checks of the OpenID Connect relying party (accounts.services.oidc), without the node peer: a
JWKS and a token endpoint served by a local `http.server` thread on 127.0.0.1, tokens made here with PyJWT
(RSA and EC keys from cryptography). Each bad token is refused by `ProviderBackend.identity_from_token`
(SuspiciousOperation) and, through the whole callback (`process_callback`), as a FederationRefused whose
reason is logged on `lexcloud.federation`.

The JWKS publishes its keys without `alg` (as many providers do), so that the relying party's own algorithm
allow-list (RS256, ES256) is what refuses `none` and HS256, not the library's JWK matching."""
import base64
import json
import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.contrib.sessions.backends.cache import SessionStore
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory
from mozilla_django_oidc.utils import generate_code_challenge

from accounts.models import IdentityProvider
from accounts.services import oidc
from accounts.services.federation import FederationRefused, Identity

CLIENT_ID = "lexcloud-tokens"
CLIENT_SECRET = "a-client-secret-long-enough-for-hs256-0123456789"
ISSUER = "https://op.example.test"
RSA_KID, EC_KID = "rsa-1", "ec-1"


class _Keys:
    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # published nowhere

    def jwks(self) -> dict:
        keys = []
        for kid, algorithm, key in ((RSA_KID, jwt.algorithms.RSAAlgorithm, self.rsa),
                                    (EC_KID, jwt.algorithms.ECAlgorithm, self.ec)):
            jwk = algorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "use": "sig"})  # no "alg": see the module docstring
        return {"keys": keys}


class _Provider(ThreadingHTTPServer):
    """GET /jwks: the public keys; POST /token: `id_token` as set by the test (the form posted is kept)."""

    daemon_threads = True

    def __init__(self, keys: _Keys):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.keys, self.id_token, self.token_requests = keys, None, []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


class _Handler(BaseHTTPRequestHandler):
    server: _Provider

    def _json(self, status: int, document: dict) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path == "/jwks":
            return self._json(200, self.server.keys.jwks())
        return self._json(404, {"error": "not_found"})

    def do_POST(self):  # noqa: N802 - http.server's name
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        self.server.token_requests.append({key: values[0] for key, values in form.items()})
        if self.path != "/token":
            return self._json(404, {"error": "not_found"})
        return self._json(200, {"access_token": "at-1", "token_type": "Bearer", "expires_in": 300,
                                "id_token": self.server.id_token})

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def keys():
    return _Keys()


@pytest.fixture(scope="module")
def op(keys):
    server = _Provider(keys)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def provider(op, settings):
    settings.FEDERATION_ALLOW_HTTP_LOOPBACK = True
    op.id_token, op.token_requests[:] = None, []
    # not saved: the checks read only the provider's fields and its organization's ID
    return IdentityProvider(organization_id=uuid.uuid4(), protocol="oidc", enabled=True,
                            oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                            oidc_metadata={"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize",
                                           "token_endpoint": f"{op.base}/token", "jwks_uri": f"{op.base}/jwks"})


def claims(nonce, **changes) -> dict:
    now = int(time.time())
    values = {"iss": ISSUER, "sub": "subject-1", "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": nonce,
              "email": "alice@acme.test", "given_name": "Alice"}
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def tampered(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return ".".join((header, _b64(json.dumps({**document, **changes}).encode()), signature))


def rs256(keys, payload, kid=RSA_KID, key=None) -> str:
    return jwt.encode(payload, key or keys.rsa, algorithm="RS256", headers={"kid": kid})


def es256(keys, payload) -> str:
    return jwt.encode(payload, keys.ec, algorithm="ES256", headers={"kid": EC_KID})


# case -> (token made for a nonce, what the refusal says)
BAD = {
    "tampered payload": (lambda k, n: tampered(rs256(k, claims(n)), sub="someone-else"), "InvalidSignatureError"),
    "missing nonce": (lambda k, n: rs256(k, claims(None)), "Nonce verification failed"),
    "wrong nonce": (lambda k, n: rs256(k, claims("not-" + n)), "Nonce verification failed"),
    "wrong issuer": (lambda k, n: rs256(k, claims(n, iss="https://evil.example.test")), "InvalidIssuerError"),
    "wrong audience": (lambda k, n: rs256(k, claims(n, aud="another-client")), "InvalidAudienceError"),
    "expired": (lambda k, n: rs256(k, claims(n, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)),
                "ExpiredSignatureError"),
    "without exp": (lambda k, n: rs256(k, claims(n, exp=None)), "MissingRequiredClaimError"),
    "alg none": (lambda k, n: jwt.encode(claims(n), None, algorithm="none", headers={"kid": RSA_KID}),
                 "algorithm 'none' not allowed"),
    "HS256 with the client secret": (
        lambda k, n: jwt.encode(claims(n), CLIENT_SECRET, algorithm="HS256", headers={"kid": RSA_KID}),
        "algorithm 'HS256' not allowed"),
    "unknown kid": (lambda k, n: rs256(k, claims(n), kid="rsa-unknown", key=k.other_rsa),
                    "Could not find a valid JWKS"),
    "known kid, other key": (lambda k, n: rs256(k, claims(n), key=k.other_rsa), "InvalidSignatureError"),
    "ES256 header on the RSA key": (
        lambda k, n: jwt.encode(claims(n), k.ec, algorithm="ES256", headers={"kid": RSA_KID}),
        "InvalidAlgorithmError"),
    "several audiences without azp": (lambda k, n: rs256(k, claims(n, aud=[CLIENT_ID, "another-client"])),
                                      "several audiences"),
    "several audiences, another azp": (
        lambda k, n: rs256(k, claims(n, aud=[CLIENT_ID, "another-client"], azp="another-client")),
        "several audiences"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_id_token_is_refused(keys, provider, case):
    make, reason = BAD[case]
    token = make(keys, "n0nce")
    with pytest.raises(SuspiciousOperation, match=reason):
        oidc.ProviderBackend(provider).identity_from_token(token, nonce="n0nce")


def test_a_token_checked_without_a_nonce_is_refused(keys, provider):
    with pytest.raises(SuspiciousOperation, match="no nonce"):
        oidc.ProviderBackend(provider).identity_from_token(rs256(keys, claims(None)), nonce="")


@pytest.mark.parametrize("sign", [rs256, es256], ids=["RS256", "ES256"])
def test_a_good_id_token_is_accepted(keys, provider, sign):
    identity = oidc.ProviderBackend(provider).identity_from_token(sign(keys, claims("n0nce")), nonce="n0nce")
    assert isinstance(identity, Identity)
    assert (identity.issuer, identity.subject) == (ISSUER, "subject-1")
    assert identity.claims["email"] == "alice@acme.test" and identity.claims["given_name"] == "Alice"


def test_several_audiences_with_our_client_as_azp_are_accepted(keys, provider):
    token = rs256(keys, claims("n0nce", aud=[CLIENT_ID, "another-client"], azp=CLIENT_ID))
    assert oidc.ProviderBackend(provider).identity_from_token(token, nonce="n0nce").subject == "subject-1"


# --- through the callback ----------------------------------------------------------------------------------------

def started(provider):
    """A browser's request that started a sign-in: its session, and the state and nonce sent to the provider."""
    factory = RequestFactory()
    request = factory.get("/accounts/login/")
    request.session = SessionStore()
    url = oidc.login_redirect(provider, request, next_url="/dashboard/", test=False)
    params = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    return request.session, params


def callback(provider, session, **query):
    request = RequestFactory().get(f"/federation/{provider.organization_id}/oidc/callback/", query)
    request.session = session
    return request


@pytest.mark.parametrize("case", BAD)
def test_a_bad_id_token_at_the_callback_is_refused_with_a_logged_reason(keys, op, provider, case, caplog):
    make, reason = BAD[case]
    session, params = started(provider)
    op.id_token = make(keys, params["nonce"])
    with caplog.at_level(logging.WARNING, logger="lexcloud.federation"), pytest.raises(FederationRefused) as refused:
        oidc.process_callback(provider, callback(provider, session, state=params["state"], code="c0de"))
    assert reason in refused.value.reason
    logged = [r.getMessage() for r in caplog.records if r.name == "lexcloud.federation"]
    assert len(logged) == 1 and "federation refused" in logged[0] and reason in logged[0], logged
    assert f"org={provider.organization_id}" in logged[0]
    assert len(op.token_requests) == 1  # the code was redeemed, then its ID token refused


@pytest.mark.parametrize("sign", [rs256, es256], ids=["RS256", "ES256"])
def test_a_good_callback_redeems_the_code_with_the_pkce_verifier(keys, op, provider, sign):
    session, params = started(provider)
    op.id_token = sign(keys, claims(params["nonce"]))
    identity, pending = oidc.process_callback(provider, callback(provider, session, state=params["state"],
                                                                 code="c0de"))
    assert (identity.issuer, identity.subject) == (ISSUER, "subject-1")
    assert pending == {"org": str(provider.organization_id), "next": "/dashboard/", "test": False}

    (form,) = op.token_requests
    assert form["grant_type"] == "authorization_code" and form["code"] == "c0de"
    assert form["client_id"] == CLIENT_ID and form["client_secret"] == CLIENT_SECRET  # client_secret_post
    assert form["redirect_uri"].endswith(f"/federation/{provider.organization_id}/oidc/callback/")
    assert generate_code_challenge(form["code_verifier"], "S256") == params["code_challenge"]
    assert params["code_challenge_method"] == "S256" and params["scope"] == "openid email profile"

    # the state is spent: the same callback again is refused before any token request
    with pytest.raises(FederationRefused, match="unknown or used state"):
        oidc.process_callback(provider, callback(provider, session, state=params["state"], code="c0de"))
    assert len(op.token_requests) == 1


def test_a_token_from_a_callback_started_for_another_organization_is_refused(keys, op, provider):
    session, params = started(provider)
    other = IdentityProvider(organization_id=uuid.uuid4(), protocol="oidc", oidc_client_id=CLIENT_ID,
                             oidc_client_secret=CLIENT_SECRET, oidc_metadata=provider.oidc_metadata)
    op.id_token = rs256(keys, claims(params["nonce"]))
    with pytest.raises(FederationRefused, match="another organization"):
        oidc.process_callback(other, callback(other, session, state=params["state"], code="c0de"))
    assert op.token_requests == []


def test_a_token_without_kid_is_refused_when_the_jwks_holds_several_keys(keys, provider):
    token = jwt.encode(claims("n-1"), keys.rsa, algorithm="RS256")  # no kid header
    with pytest.raises(SuspiciousOperation, match="more than one signing key"):
        oidc.ProviderBackend(provider).identity_from_token(token, nonce="n-1")


def test_a_token_without_kid_uses_the_single_published_key(keys, provider, op, monkeypatch):
    single = {"keys": keys.jwks()["keys"][:1]}
    monkeypatch.setattr(type(keys), "jwks", lambda self: single)
    token = jwt.encode(claims("n-1"), keys.rsa, algorithm="RS256")
    assert oidc.ProviderBackend(provider).identity_from_token(token, nonce="n-1").subject == "subject-1"
