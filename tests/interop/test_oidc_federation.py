"""OpenID Connect federation end to end, over real HTTP: lexcloud (pytest-django's live server) as the relying
party of a real OpenID Provider (panva/oidc-provider, tests/peers/oidc_provider.py), a `requests.Session` as the
browser. Home-realm discovery on the sign-in page, just-in-time provisioning from the claims (names, badge, PIN,
groups), linking existing users, refusals (with their logged reason), the password sign-in switched off while the
provider is enabled, the device API with the badge from the claims, Test federation, and the state checks."""
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError

from accounts.models import Badge, FederatedIdentity, IdentityProvider, User
from accounts.services import identity_providers, printer_login
from accounts.services.users import delete_users
from tests.conftest import PASSWORD, make_user
from tests.interop.browsing import (
    assert_on_dashboard,
    badge_login,
    post_login,
    refusals,
)
from tests.peers.oidc_provider import sign_in_with_requests, start_op

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID, CLIENT_SECRET = "lexcloud-acme", "acme-client-secret"
NEW_PERSON = {"password": "Np-pass1!", "claims": {
    "sub": "np-0001", "email": "new.person@acme.test", "email_verified": True,
    "given_name": "Nora", "family_name": "Person", "badge": "0badge77", "pin": "4711",
    "department": "Accounting", "costcenter": "CC-42", "groups": ["Finance"]}}
KNOWN = {"password": "Kn-pass1!", "claims": {"sub": "kn-0002", "email": "known@acme.test", "given_name": "Kim",
                                             "family_name": "Known"}}
STRANGER = {"password": "St-pass1!", "claims": {"sub": "st-0003", "email": "stranger@acme.test",
                                                "given_name": "Sam"}}
OUTSIDER = {"password": "Out-pass1!", "claims": {"sub": "out-0004", "email": "admin@globex.test",
                                                 "given_name": "Otto"}}
USERS = {"new.person": NEW_PERSON, "known": KNOWN, "stranger": STRANGER, "outsider": OUTSIDER}


# --- fixtures --------------------------------------------------------------------------------------------------

@pytest.fixture
def op(tmp_path, live_server, acme):
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": [f"{live_server.url}/federation/{acme.pk}/oidc/callback/"],
              "id_token_signed_response_alg": "RS256", "token_endpoint_auth_method": "client_secret_post"}
    es256 = {**client, "client_id": f"{CLIENT_ID}-es", "id_token_signed_response_alg": "ES256"}
    with start_op(tmp_path, clients=[client, es256], users=USERS) as op:
        yield op


def configure(org, op, *, domains=("acme.test",), enabled=True, client_id=CLIENT_ID) -> IdentityProvider:
    provider = identity_providers.configure(org, {"protocol": "oidc", "oidc_client_id": client_id,
                                                  "oidc_client_secret": CLIENT_SECRET,
                                                  "oidc_discovery_url": op.discovery_url}, domains=domains)
    if enabled:
        identity_providers.set_enabled(provider, True)
    return provider


@pytest.fixture
def provider(acme, op):
    return configure(acme, op)


# --- the browser's steps ---------------------------------------------------------------------------------------

def email_first(browser, base, email, op) -> str:
    """Type the e-mail on the sign-in page; follow our redirects up to the provider's authorization URL."""
    response = post_login(browser, base, username=email)
    assert response.status_code == 302, response.text[:300]
    assert "/federation/" in response.headers["Location"]
    return start(browser, urljoin(base, response.headers["Location"]), op)


def start(browser, url, op) -> str:
    response = browser.get(url, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(f"{op.issuer}/"), location
    return location


def at_op(browser, authorize_url, login) -> str:
    """Sign in at the provider; the callback URL it sends the browser back to (not yet delivered)."""
    response = sign_in_with_requests(browser, authorize_url, login, USERS[login]["password"])
    assert response.is_redirect, (response.status_code, response.text[:300])
    callback = urljoin(response.url, response.headers["Location"])
    assert "/oidc/callback/?" in callback and "code=" in callback, callback
    return callback


def sign_in(browser, base, op, email, login):
    """E-mail first, the provider, back: the final response (redirects followed)."""
    return browser.get(at_op(browser, email_first(browser, base, email, op), login), timeout=10)


# --- sign-in and provisioning ----------------------------------------------------------------------------------

def test_a_new_user_of_a_listed_domain_is_created_from_the_claims(live_server, acme, op, provider, finance, browser):
    response = sign_in(browser, live_server.url, op, "new.person@acme.test", "new.person")
    assert_on_dashboard(response, "Nora Person")

    user = User.objects.get(email="new.person@acme.test")
    assert user.organization_id == acme.pk
    assert (user.first_name, user.last_name) == ("Nora", "Person")
    assert (user.department, user.cost_center) == ("Accounting", "CC-42")
    assert not user.has_usable_password()
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.organization_id, identity.issuer, identity.subject) == (acme.pk, op.issuer, "np-0001")
    assert identity.last_sign_in_at is not None
    badge = Badge.objects.get(organization=acme, badge_id="0badge77")
    assert badge.user_id == user.pk and not badge.temporary and badge.expires_at is None
    assert printer_login.check_user_pin(user, "4711")
    assert not printer_login.check_user_pin(user, "1234")
    assert list(user.member_of.values_list("pk", flat=True)) == [finance.pk]


def test_the_claims_overwrite_local_edits_at_the_next_sign_in(live_server, acme, op, provider, finance,
                                                             make_browser):
    assert_on_dashboard(sign_in(make_browser(), live_server.url, op, "new.person@acme.test", "new.person"), "Nora")
    User.objects.filter(email="new.person@acme.test").update(first_name="Edited", department="Elsewhere")

    assert_on_dashboard(sign_in(make_browser(), live_server.url, op, "new.person@acme.test", "new.person"), "Nora")
    user = User.objects.get(email="new.person@acme.test")
    assert (user.first_name, user.department) == ("Nora", "Accounting")
    assert FederatedIdentity.objects.filter(user=user).count() == 1
    assert Badge.objects.filter(organization=acme, badge_id="0badge77").count() == 1


def test_a_user_deleted_locally_comes_back_at_the_next_sign_in(live_server, acme, op, provider, finance,
                                                              make_browser):
    assert_on_dashboard(sign_in(make_browser(), live_server.url, op, "new.person@acme.test", "new.person"), "Nora")
    first = User.objects.get(email="new.person@acme.test")
    delete_users(acme, [first.pk])
    assert not User.objects.filter(email="new.person@acme.test").exists()
    assert not FederatedIdentity.objects.filter(subject="np-0001").exists()

    assert_on_dashboard(sign_in(make_browser(), live_server.url, op, "new.person@acme.test", "new.person"), "Nora")
    again = User.objects.get(email="new.person@acme.test")
    assert again.pk != first.pk and again.organization_id == acme.pk
    assert FederatedIdentity.objects.get(subject="np-0001").user == again
    assert Badge.objects.get(organization=acme, badge_id="0badge77").user == again


def test_an_id_token_signed_es256_signs_in_too(live_server, acme, op, browser):
    configure(acme, op, client_id=f"{CLIENT_ID}-es")
    assert_on_dashboard(sign_in(browser, live_server.url, op, "new.person@acme.test", "new.person"), "Nora")
    assert FederatedIdentity.objects.filter(organization=acme, subject="np-0001").exists()


def test_without_domains_only_existing_users_sign_in_and_are_linked(live_server, acme, op, make_browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    known = make_user(acme, "known@acme.test", first_name="K")
    configure(acme, op, domains=())

    # an unknown address of the domain gets the password step, not the provider (its domain is not listed)...
    browser = make_browser()
    response = post_login(browser, live_server.url, username="stranger@acme.test")
    assert response.status_code == 200 and 'id="id_password"' in response.text
    # ...and started at the provider anyway, it is refused
    authorize = start(browser, f"{live_server.url}/federation/{acme.pk}/login/", op)
    response = browser.get(at_op(browser, authorize, "stranger"), allow_redirects=False, timeout=10)
    assert response.status_code == 403
    assert 'data-testid="federation-refused"' in response.text and "not a user of this organization" in response.text
    assert any("stranger@acme.test is not a user and its domain is not listed" in m for m in refusals(caplog))
    assert not User.objects.filter(email="stranger@acme.test").exists()

    # an existing user is routed by their account and linked to the identity
    assert_on_dashboard(sign_in(make_browser(), live_server.url, op, "known@acme.test", "known"), "Kim Known")
    known.refresh_from_db()
    assert known.first_name == "Kim"
    link = FederatedIdentity.objects.get(organization=acme, issuer=op.issuer, subject="kn-0002")
    assert link.user == known


def test_an_address_of_another_organization_is_refused(live_server, acme, globex_admin, op, provider, browser,
                                                       caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    authorize = start(browser, f"{live_server.url}/federation/{acme.pk}/login/", op)
    response = browser.get(at_op(browser, authorize, "outsider"), allow_redirects=False, timeout=10)
    assert response.status_code == 403 and 'data-testid="federation-refused"' in response.text
    assert any("admin@globex.test belongs to another organization" in m for m in refusals(caplog))
    globex_admin.refresh_from_db()
    assert globex_admin.first_name != "Otto"
    assert not FederatedIdentity.objects.exists()
    assert browser.get(f"{live_server.url}/dashboard/", allow_redirects=False, timeout=10).status_code == 302


# --- password sign-in and the device API -----------------------------------------------------------------------

def test_password_sign_in_is_off_while_the_provider_is_enabled(live_server, acme, op, provider, browser):
    make_user(acme, "pw.user@acme.test")
    assert authenticate(None, username="pw.user@acme.test", password=PASSWORD) is None
    response = post_login(browser, live_server.url, username="pw.user@acme.test", password=PASSWORD)
    assert response.status_code == 302 and f"/federation/{acme.pk}/login/" in response.headers["Location"]
    dashboard = browser.get(f"{live_server.url}/dashboard/", allow_redirects=False, timeout=10)
    assert dashboard.status_code == 302 and "/accounts/login/" in dashboard.headers["Location"]

    identity_providers.set_enabled(provider, False)
    assert authenticate(None, username="pw.user@acme.test", password=PASSWORD) is not None
    response = post_login(browser, live_server.url, username="pw.user@acme.test", password=PASSWORD)
    assert response.status_code == 302 and "/federation/" not in response.headers["Location"]
    assert browser.get(f"{live_server.url}/dashboard/", timeout=10).status_code == 200


def test_the_badge_from_the_claims_logs_in_at_a_printer(live_server, acme, op, provider, finance, browser):
    assert_on_dashboard(sign_in(browser, live_server.url, op, "new.person@acme.test", "new.person"), "Nora")
    user = User.objects.get(email="new.person@acme.test")

    body = badge_login(live_server.url, acme, "0badge77")
    assert body["user"]["id"] == user.pk and body["user"]["email"] == "new.person@acme.test"
    assert body["user"]["display_name"] == "Nora Person" and body["user"]["cost_center"] == "CC-42"
    assert body["roles"] == ["print_release_management_user"]  # through the Finance group of the claims


# --- Test federation -------------------------------------------------------------------------------------------

def sign_in_with_password(browser, base, email):
    response = post_login(browser, base, username=email, password=PASSWORD)
    assert response.status_code == 302 and "/federation/" not in response.headers["Location"], response.text[:300]


def test_test_federation_shows_the_claims_and_creates_nothing(live_server, acme, org_admin, op, browser):
    configure(acme, op, enabled=False)
    sign_in_with_password(browser, live_server.url, "admin@acme.test")

    authorize = start(browser, f"{live_server.url}/federation/{acme.pk}/login/?test=1", op)
    response = browser.get(at_op(browser, authorize, "new.person"), allow_redirects=False, timeout=10)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/o/{acme.pk}/account/authentication-provider/?result="), location

    page = browser.get(urljoin(live_server.url, location), timeout=10)
    assert page.status_code == 200
    assert 'data-testid="federation-test-result"' in page.text and 'data-testid="federation-test-ok"' in page.text
    assert "Creates the user new.person@acme.test" in page.text
    for shown in (op.issuer, "np-0001", "Nora", "Accounting", "CC-42", "0badge77", "Finance"):
        assert shown in page.text, shown

    assert not User.objects.filter(email="new.person@acme.test").exists()
    assert not FederatedIdentity.objects.exists() and not Badge.objects.exists()
    # the admin is still signed in as themselves
    assert "admin@acme.test" in browser.get(f"{live_server.url}/dashboard/", timeout=10).text
    # the result is the admin's: another session (even another admin) does not see it
    make_user(acme, "admin2@acme.test", ["organization_administrator"])
    with requests.Session() as second:
        second.trust_env = False
        sign_in_with_password(second, live_server.url, "admin2@acme.test")
        assert 'data-testid="federation-test-result"' not in second.get(urljoin(live_server.url, location),
                                                                         timeout=10).text


def test_test_federation_is_for_administrators_only(live_server, acme, member, op, browser):
    configure(acme, op, enabled=False)
    url = f"{live_server.url}/federation/{acme.pk}/login/?test=1"
    assert browser.get(url, allow_redirects=False, timeout=10).status_code == 404  # anonymous
    sign_in_with_password(browser, live_server.url, "member@acme.test")
    assert browser.get(url, allow_redirects=False, timeout=10).status_code == 404
    # and a disabled provider offers no sign-in either
    assert browser.get(url.removesuffix("?test=1"), allow_redirects=False, timeout=10).status_code == 404


# --- state checks ----------------------------------------------------------------------------------------------

def test_a_callback_is_used_once(live_server, acme, op, provider, browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    callback = at_op(browser, email_first(browser, live_server.url, "new.person@acme.test", op), "new.person")
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 302
    replay = browser.get(callback, allow_redirects=False, timeout=10)
    assert replay.status_code == 403 and 'data-testid="federation-refused"' in replay.text
    assert any("unknown or used state" in m for m in refusals(caplog))


def test_a_state_of_another_browser_is_refused(live_server, acme, op, provider, make_browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    victim, attacker = make_browser(), make_browser()
    callback = at_op(victim, email_first(victim, live_server.url, "new.person@acme.test", op), "new.person")
    email_first(attacker, live_server.url, "new.person@acme.test", op)  # the attacker has a session with states too

    response = attacker.get(callback, allow_redirects=False, timeout=10)
    assert response.status_code == 403 and 'data-testid="federation-refused"' in response.text
    assert any("unknown or used state" in m for m in refusals(caplog))
    assert attacker.get(f"{live_server.url}/dashboard/", allow_redirects=False, timeout=10).status_code == 302
    # the browser that started the sign-in still completes it
    assert_on_dashboard(victim.get(callback, timeout=10), "Nora")


def test_an_error_answer_of_the_provider_is_refused_with_a_page(live_server, acme, op, provider, browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    authorize = email_first(browser, live_server.url, "new.person@acme.test", op)
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    response = browser.get(f"{live_server.url}/federation/{acme.pk}/oidc/callback/", allow_redirects=False,
                           timeout=10, params={"error": "access_denied", "error_description": "The user said no",
                                               "state": state})
    assert response.status_code == 403
    assert 'data-testid="federation-refused"' in response.text and "Back to sign-in" in response.text
    assert any("access_denied" in m and "The user said no" in m for m in refusals(caplog))
    assert not User.objects.filter(email="new.person@acme.test").exists()


# --- configuration -----------------------------------------------------------------------------------------------

@pytest.fixture
def bad_discovery():
    """A discovery document on 127.0.0.1 naming another issuer than the URL it is served from."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            base = f"http://127.0.0.1:{self.server.server_port}"
            body = json.dumps({"issuer": "https://login.example.test", "authorization_endpoint": f"{base}/auth",
                               "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/.well-known/openid-configuration"
    server.shutdown()
    server.server_close()


def test_a_discovery_document_of_another_issuer_is_refused(acme, org_admin, bad_discovery, client):
    values = {"protocol": "oidc", "oidc_client_id": CLIENT_ID, "oidc_client_secret": CLIENT_SECRET,
              "oidc_discovery_url": bad_discovery}
    with pytest.raises(ValidationError) as refused:
        identity_providers.configure(acme, values, domains=["acme.test"])
    assert "does not match" in refused.value.message_dict["oidc_discovery_url"][0]

    client.force_login(org_admin)
    response = client.post(f"/o/{acme.pk}/account/authentication-provider/configure/",
                           {**values, "domains": "acme.test"})
    assert response.status_code == 400
    assert "https://login.example.test does not match the URL it was fetched from" in response.content.decode()
    assert not IdentityProvider.objects.filter(organization=acme).exists()
