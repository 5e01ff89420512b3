"""The OpenID Provider peer itself (oidc-provider on loopback): discovery, a full authorization code flow with
PKCE signed RS256 and ES256, the sign-in form, and PKCE enforcement. No database, no relying party."""
import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from tests.peers.oidc_provider import sign_in_with_requests, start_op

REDIRECT_URI = "http://127.0.0.1:9/federation/6f1c0e4a-1d2b-4c3d-9e8f-0a1b2c3d4e5f/oidc/callback/"
ALICE = {
    "password": "Alice-pass1!",
    "claims": {
        "sub": "alice-0001", "email": "alice@acme.test", "email_verified": True,
        "given_name": "Alice", "family_name": "Liddell",
        "badge": "20171a", "pin": "4711", "department": "Accounting", "costcenter": "CC-42",
        "groups": ["printing", "scan-to-email"],
    },
}
CLIENTS = [
    {"client_id": "lexcloud-rs", "client_secret": "rs-secret", "redirect_uris": [REDIRECT_URI],
     "id_token_signed_response_alg": "RS256"},  # client_secret_basic (the default)
    {"client_id": "lexcloud-es", "client_secret": "es-secret", "redirect_uris": [REDIRECT_URI],
     "id_token_signed_response_alg": "ES256", "token_endpoint_auth_method": "client_secret_post"},
]


@pytest.fixture
def op(tmp_path):
    with start_op(tmp_path, clients=CLIENTS, users={"alice": ALICE}) as op:
        yield op


@pytest.fixture
def session():
    with requests.Session() as session:
        session.trust_env = False  # loopback only, never through a proxy from the environment
        yield session


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(metadata, client_id, *, state, nonce, challenge=None):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
              "scope": "openid email profile", "state": state, "nonce": nonce}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return f"{metadata['authorization_endpoint']}?{urlencode(params)}"


def callback_params(response):
    """The query of the final redirect to the relying party (the hop sign_in_with_requests stops at)."""
    assert response.status_code in (302, 303), (response.status_code, response.text[:500])
    location = response.headers["Location"]
    assert location.split("?")[0] == REDIRECT_URI
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def sign_in(op, session, client_id, password=ALICE["password"]):
    metadata = op.discovery()
    verifier, challenge = pkce_pair()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    response = sign_in_with_requests(
        session, authorize_url(metadata, client_id, state=state, nonce=nonce, challenge=challenge), "alice", password)
    return metadata, response, verifier, state, nonce


def redeem(session, metadata, client, code, verifier=None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    auth = None
    if client.get("token_endpoint_auth_method") == "client_secret_post":
        data |= {"client_id": client["client_id"], "client_secret": client["client_secret"]}
    else:
        auth = (client["client_id"], client["client_secret"])
    return session.post(metadata["token_endpoint"], data=data, auth=auth, timeout=10)


def test_discovery_advertises_pkce_s256_and_both_signing_algorithms(op, session):
    assert op.discovery_url == f"{op.issuer}/.well-known/openid-configuration"
    assert op.issuer == f"http://127.0.0.1:{op.port}"
    metadata = session.get(op.discovery_url, timeout=10).json()
    assert metadata["issuer"] == op.issuer
    assert "S256" in metadata["code_challenge_methods_supported"]
    assert {"RS256", "ES256"} <= set(metadata["id_token_signing_alg_values_supported"])
    assert metadata["response_types_supported"] == ["code"]
    assert {"client_secret_basic", "client_secret_post"} <= set(metadata["token_endpoint_auth_methods_supported"])
    assert {"badge", "pin", "department", "costcenter", "groups"} <= set(metadata["claims_supported"])
    jwks = session.get(metadata["jwks_uri"], timeout=10).json()
    assert {(key["kty"], key.get("alg")) for key in jwks["keys"]} == {("RSA", "RS256"), ("EC", "ES256")}
    assert all("d" not in key for key in jwks["keys"])  # public halves only


@pytest.mark.parametrize("client", CLIENTS, ids=lambda client: client["id_token_signed_response_alg"])
def test_code_flow_with_pkce_yields_a_signed_id_token_with_the_custom_claims(op, session, client):
    metadata, response, verifier, state, nonce = sign_in(op, session, client["client_id"])
    params = callback_params(response)
    assert params["state"] == state and params["code"]
    assert params.get("iss") == op.issuer  # RFC 9207 authorization response issuer

    tokens = redeem(session, metadata, client, params["code"], verifier)
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    id_token = tokens["id_token"]
    alg = client["id_token_signed_response_alg"]
    header = jwt.get_unverified_header(id_token)
    assert header["alg"] == alg

    jwks = jwt.PyJWKSet.from_dict(session.get(metadata["jwks_uri"], timeout=10).json())
    key = next(key for key in jwks.keys if key.key_id == header["kid"])
    claims = jwt.decode(id_token, key=key.key, algorithms=[alg], audience=client["client_id"], issuer=op.issuer,
                        options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
    assert claims["nonce"] == nonce
    expected = ALICE["claims"]
    for name in ("sub", "email", "email_verified", "given_name", "family_name",
                 "badge", "pin", "department", "costcenter", "groups"):
        assert claims[name] == expected[name], name
    assert claims["groups"] == ["printing", "scan-to-email"]

    # the same claims at userinfo, and the code is single-use
    userinfo = session.get(metadata["userinfo_endpoint"], timeout=10,
                           headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["badge"] == "20171a" and userinfo.json()["groups"] == expected["groups"]
    again = redeem(session, metadata, client, params["code"], verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_wrong_password_shows_the_form_again_and_the_right_one_then_signs_in(op, session):
    _metadata, response, *_ = sign_in(op, session, "lexcloud-rs", password="wrong")
    assert response.status_code == 200
    assert 'name="login"' in response.text and 'name="password"' in response.text
    assert 'type="submit"' in response.text
    assert "Invalid login or password." in response.text
    assert 'value="alice"' in response.text  # the login is kept
    assert "sign-in failed" in op.logs()

    _metadata, response, _verifier, state, _nonce = sign_in(op, session, "lexcloud-rs")
    assert callback_params(response)["state"] == state


def test_unknown_login_is_refused_like_a_wrong_password(op, session):
    metadata = op.discovery()
    _verifier, challenge = pkce_pair()
    url = authorize_url(metadata, "lexcloud-rs", state="s", nonce="n", challenge=challenge)
    response = sign_in_with_requests(session, url, "mallory", ALICE["password"])
    assert response.status_code == 200 and "Invalid login or password." in response.text


def test_code_without_or_with_a_wrong_verifier_is_refused(op, session):
    client = CLIENTS[0]
    metadata, response, verifier, *_ = sign_in(op, session, client["client_id"])
    code = callback_params(response)["code"]
    missing = redeem(session, metadata, client, code)
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_grant", missing.text

    metadata, response, verifier, *_ = sign_in(op, session, client["client_id"])
    wrong = redeem(session, metadata, client, callback_params(response)["code"], pkce_pair()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant", wrong.text


def test_authorization_request_without_code_challenge_is_refused(op, session):
    metadata = op.discovery()
    url = authorize_url(metadata, "lexcloud-rs", state="st", nonce="n")
    response = session.get(url, allow_redirects=False, timeout=10)
    params = callback_params(response)
    assert params["error"] == "invalid_request" and "PKCE" in params["error_description"]
    assert params["state"] == "st"


def test_cookies_work_over_plain_http(op, session):
    """Over http on loopback: no `Secure` cookie (it would never come back), and SameSite=Lax, not None
    (Chromium drops SameSite=None without Secure)."""
    metadata = op.discovery()
    _verifier, challenge = pkce_pair()
    response = session.get(authorize_url(metadata, "lexcloud-rs", state="s", nonce="n", challenge=challenge),
                           allow_redirects=False, timeout=10)
    assert response.status_code in (302, 303)
    set_cookies = response.raw.headers.getlist("Set-Cookie")
    assert set_cookies
    for cookie in set_cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert "secure" not in attributes, cookie
        assert "samesite=lax" in cookie.lower(), cookie
