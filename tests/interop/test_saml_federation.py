"""SAML 2.0 federation end to end, over real HTTP: lexcloud (pytest-django's live server) as the service provider
of a real SAML identity provider (pysaml2, tests/peers/saml_idp.py), a `requests.Session` as the browser.

E-mail first on the sign-in page, the IdP's form, the auto-posted SAMLResponse at our ACS, just-in-time
provisioning (names, department, cost center, badge, PIN, groups); both setups (metadata URL, manual); IdP-initiated
sign-in; single logout both ways; Test federation; the device API with the badge from the claims. Then crafted
responses (tests/peers/saml_tools.py, an in-process IdP whose certificate our SP trusts): each attack is refused
with a 403 page, a logged reason and nobody signed in."""
import base64
import datetime as dt
import logging
import secrets
import zlib
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
from lxml import etree

from accounts.models import Badge, FederatedIdentity, IdentityProvider, User
from accounts.services import identity_providers, printer_login
from accounts.services.saml import MAX_MESSAGE
from tests.conftest import PASSWORD, make_user
from tests.interop.browsing import (
    REFUSED,
    assert_on_dashboard,
    assert_refused,
    badge_login,
    csrf_of,
    post_login,
    refusals,
    signed_in,
)
from tests.peers.saml_idp import start_idp
from tests.peers.saml_tools import (
    TestIdP,
    add_transform,
    encrypt_like,
    inject_comment_in_name_id,
    set_audience,
    strip_signature,
    xsw_variants,
)

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PERSON = {"password": "Np-pass1!", "name_id": "new.person@acme.test", "attributes": {
    "email": ["new.person@acme.test"], "givenname": ["Nora"], "surname": ["Person"], "badge": ["0badge77"],
    "pin": ["4711"], "department": ["Accounting"], "costcenter": ["CC-42"], "groups": ["Finance"]}}
USERS = {"new.person": NEW_PERSON}


# --- fixtures --------------------------------------------------------------------------------------------------

@pytest.fixture
def idp(tmp_path, live_server):
    with start_idp(USERS, tmp_path) as idp:
        yield idp


def sp_entity_id(base, org) -> str:
    return f"{base}/federation/{org.pk}/saml/metadata/"


def acs_url(base, org) -> str:
    return f"{base}/federation/{org.pk}/saml/acs/"


def configure(org, idp, base, *, setup="metadata", domains=("acme.test",), enabled=True, idp_initiated=False):
    """The organization's provider for the running IdP, which is told to trust our SP metadata."""
    values = {"protocol": "saml", "saml_setup": setup, "saml_allow_idp_initiated": idp_initiated}
    if setup == "metadata":
        values["saml_metadata_url"] = idp.metadata_url
    else:
        values.update(saml_idp_entity_id=idp.entity_id, saml_sso_url=idp.sso_url, saml_slo_url=idp.slo_url,
                      saml_idp_certificate=idp.cert_pem)
    provider = identity_providers.configure(org, values, domains=domains)
    if enabled:
        identity_providers.set_enabled(provider, True)
    if hasattr(idp, "trust_url"):
        idp.trust_url(sp_entity_id(base, org))  # our SP entity ID is also its metadata URL
    return provider


# --- the browser's steps ---------------------------------------------------------------------------------------

class Form(HTMLParser):
    """The first form of a page: its action and its inputs' values."""

    def __init__(self, response):
        super().__init__()
        self.action, self.fields = None, {}
        self.feed(response.text)
        self.action = urljoin(response.url, self.action or "")

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action") or ""
        elif tag == "input" and attrs.get("name") and self.action is not None:
            self.fields.setdefault(attrs["name"], attrs.get("value") or "")


def email_first(browser, base, email, idp):
    """Type the e-mail on the sign-in page and follow the redirects to the IdP's sign-in form."""
    response = post_login(browser, base, username=email)
    assert response.status_code == 302, response.text[:300]
    assert "/federation/" in response.headers["Location"]
    page = browser.get(urljoin(base, response.headers["Location"]), timeout=10)
    assert page.status_code == 200 and page.url.startswith(idp.sso_url), (page.status_code, page.url)
    return page


def at_idp(browser, login_page, login) -> Form:
    """Sign in on the IdP's form: the auto-posting form (SAMLResponse, RelayState) it answers, not yet posted."""
    form = Form(login_page)
    assert {"username", "password"} <= set(form.fields) and "Sign in" in login_page.text
    answer = browser.post(form.action, timeout=10, data={**form.fields, "username": login,
                                                         "password": USERS[login]["password"]})
    assert answer.status_code == 200 and "Continue" in answer.text, answer.text[:300]
    posted = Form(answer)
    assert "SAMLResponse" in posted.fields, answer.text[:300]
    return posted


def deliver(browser, form: Form, **kwargs):
    return browser.post(form.action, data=form.fields, timeout=10, **kwargs)


def sign_in(browser, base, idp, email="new.person@acme.test", login="new.person"):
    return deliver(browser, at_idp(browser, email_first(browser, base, email, idp), login))


# --- sign-in through the running IdP ---------------------------------------------------------------------------

@pytest.mark.parametrize("setup", ["metadata", "manual"])
def test_a_user_of_the_domain_signs_in_and_is_created_from_the_attributes(live_server, acme, idp, finance,
                                                                          browser, setup):
    provider = configure(acme, idp, live_server.url, setup=setup)
    assert provider.saml_idp_entity_id == idp.entity_id and provider.saml_slo_url == idp.slo_url

    assert_on_dashboard(sign_in(browser, live_server.url, idp), "Nora Person")

    user = User.objects.get(email="new.person@acme.test")
    assert user.organization_id == acme.pk
    assert (user.first_name, user.last_name) == ("Nora", "Person")
    assert (user.department, user.cost_center) == ("Accounting", "CC-42")
    assert not user.has_usable_password()
    identity = FederatedIdentity.objects.get(user=user)
    assert (identity.organization_id, identity.issuer, identity.subject) == (
        acme.pk, idp.entity_id, "new.person@acme.test")
    badge = Badge.objects.get(organization=acme, badge_id="0badge77")
    assert badge.user_id == user.pk and not badge.temporary and badge.expires_at is None
    assert printer_login.check_user_pin(user, "4711") and not printer_login.check_user_pin(user, "1234")
    assert list(user.member_of.values_list("pk", flat=True)) == [finance.pk]


def test_the_badge_from_the_attributes_logs_in_at_a_printer(live_server, acme, idp, finance, browser):
    configure(acme, idp, live_server.url)
    assert_on_dashboard(sign_in(browser, live_server.url, idp), "Nora Person")
    user = User.objects.get(email="new.person@acme.test")

    body = badge_login(live_server.url, acme, "0badge77")
    assert body["user"]["id"] == user.pk and body["user"]["email"] == "new.person@acme.test"
    assert body["roles"] == ["print_release_management_user"]  # through the Finance group of the attributes


# --- IdP-initiated sign-in -------------------------------------------------------------------------------------

def idp_initiated(browser, idp, base, org, relay_state) -> Form:
    page = browser.get(idp.idp_initiated_url(sp_entity_id(base, org), "new.person", relay_state), timeout=10)
    assert page.status_code == 200, page.text[:300]
    form = Form(page)
    assert form.action == acs_url(base, org)
    return form


def test_idp_initiated_sign_in_when_allowed_lands_on_our_relay_state_only(live_server, acme, idp, make_browser):
    configure(acme, idp, live_server.url, idp_initiated=True)
    browser = make_browser()
    response = deliver(browser, idp_initiated(browser, idp, live_server.url, acme, "/my-account/"),
                       allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"] == "/my-account/"
    assert signed_in(browser, live_server.url)

    browser = make_browser()
    response = deliver(browser, idp_initiated(browser, idp, live_server.url, acme, "https://evil.test/phish"))
    assert_on_dashboard(response, "Nora Person")
    assert all(urlsplit(r.headers.get("Location", "")).netloc in ("", urlsplit(live_server.url).netloc)
               for r in response.history)


def test_idp_initiated_sign_in_is_refused_when_off(live_server, acme, idp, browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    configure(acme, idp, live_server.url)
    response = deliver(browser, idp_initiated(browser, idp, live_server.url, acme, "/my-account/"),
                       allow_redirects=False)
    assert_refused(response, caplog, "unsolicited response (IdP-initiated sign-in is off)")
    assert not signed_in(browser, live_server.url)
    assert not User.objects.filter(email="new.person@acme.test").exists()


# --- single logout ---------------------------------------------------------------------------------------------

def test_sp_initiated_single_logout(live_server, acme, idp, browser):
    configure(acme, idp, live_server.url)
    dashboard = sign_in(browser, live_server.url, idp)
    assert_on_dashboard(dashboard, "Nora Person")

    token = csrf_of(dashboard)
    response = browser.post(f"{live_server.url}/accounts/logout/", data={"csrfmiddlewaretoken": token},
                            allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"].startswith(f"{idp.slo_url}?")
    assert {"SAMLRequest", "Signature", "SigAlg"} <= set(parse_qs(urlsplit(response.headers["Location"]).query))
    assert not signed_in(browser, live_server.url)  # signed out here first

    at_idp_slo = browser.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert at_idp_slo.status_code == 303, at_idp_slo.text[:300]
    sls = at_idp_slo.headers["Location"]
    assert sls.startswith(f"{live_server.url}/federation/{acme.pk}/saml/sls/?") and "SAMLResponse=" in sls
    back = browser.get(sls, allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"] == "/accounts/login/?signed_out=1"
    page = browser.get(urljoin(live_server.url, back.headers["Location"]), timeout=10)
    assert "You are signed out." in page.text
    assert not signed_in(browser, live_server.url)
    # the LogoutResponse answered our request once: delivered again, it is refused
    again = browser.get(sls, allow_redirects=False, timeout=10)
    assert again.status_code == 400 and REFUSED in again.text


def test_idp_initiated_single_logout_and_an_unsigned_logout_request(live_server, acme, idp, browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    configure(acme, idp, live_server.url)
    assert_on_dashboard(sign_in(browser, live_server.url, idp), "Nora Person")
    start = browser.get(idp.slo_start_url(sp_entity_id(live_server.url, acme), "new.person@acme.test"),
                        allow_redirects=False, timeout=10)
    assert start.status_code == 303
    sls = start.headers["Location"]
    assert sls.startswith(f"{live_server.url}/federation/{acme.pk}/saml/sls/?") and "SAMLRequest=" in sls

    # the same LogoutRequest without its signature is refused, and the session stays
    parts = urlsplit(sls)
    unsigned = {k: v for k, v in parse_qs(parts.query).items() if k not in ("Signature", "SigAlg")}
    response = browser.get(urlunsplit(parts._replace(query=urlencode(unsigned, doseq=True))),
                           allow_redirects=False, timeout=10)
    assert response.status_code == 400 and REFUSED in response.text
    assert any("reason=unsigned logout message" in m for m in refusals(caplog))
    assert signed_in(browser, live_server.url)

    # a signed LogoutRequest for another user's Name ID is answered but ends nobody's session here
    other = browser.get(idp.slo_start_url(sp_entity_id(live_server.url, acme), "someone.else@acme.test"),
                        allow_redirects=False, timeout=10)
    response = browser.get(other.headers["Location"], allow_redirects=False, timeout=10)
    assert response.status_code == 302 and response.headers["Location"].startswith(f"{idp.slo_url}?")
    assert signed_in(browser, live_server.url)

    # signed: our SLS ends the session and answers the IdP with a LogoutResponse
    response = browser.get(sls, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text[:300]
    answer = response.headers["Location"]
    assert answer.startswith(f"{idp.slo_url}?") and "SAMLResponse=" in answer and "Signature=" in answer
    assert not signed_in(browser, live_server.url)
    page = browser.get(answer, timeout=10)
    assert page.status_code == 200 and "You are signed out." in page.text and "status:Success" in page.text


# --- Test federation -------------------------------------------------------------------------------------------

def test_test_federation_shows_the_claims_and_creates_nothing(live_server, acme, org_admin, idp, browser):
    configure(acme, idp, live_server.url, enabled=False)
    response = post_login(browser, live_server.url, username="admin@acme.test", password=PASSWORD)
    assert response.status_code == 302 and "/federation/" not in response.headers["Location"]

    login_page = browser.get(f"{live_server.url}/federation/{acme.pk}/login/?test=1", timeout=10)
    assert login_page.url.startswith(idp.sso_url)
    response = deliver(browser, at_idp(browser, login_page, "new.person"), allow_redirects=False)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(f"/o/{acme.pk}/account/authentication-provider/?result="), location

    page = browser.get(urljoin(live_server.url, location), timeout=10)
    assert 'data-testid="federation-test-result"' in page.text and 'data-testid="federation-test-ok"' in page.text
    assert "Creates the user new.person@acme.test" in page.text
    for shown in (idp.entity_id, "Nora", "Person", "Accounting", "CC-42", "0badge77", "Finance"):
        assert shown in page.text, shown
    assert not User.objects.filter(email="new.person@acme.test").exists()
    assert not FederatedIdentity.objects.exists() and not Badge.objects.exists()
    assert "admin@acme.test" in browser.get(f"{live_server.url}/dashboard/", timeout=10).text


# --- crafted responses: an in-process IdP our SP trusts --------------------------------------------------------

class Crafter:
    """Responses of a TestIdP for one organization's SP, answering requests started by a browser."""

    def __init__(self, base, org, idp: TestIdP):
        self.base, self.org, self.idp = base, org, idp

    def start(self, browser) -> str:
        """Start a sign-in at /federation/<org>/login/ (binding cookie set): the AuthnRequest's ID."""
        response = browser.get(f"{self.base}/federation/{self.org.pk}/login/", allow_redirects=False, timeout=10)
        assert response.status_code == 302 and response.headers["Location"].startswith(self.idp.sso_url)
        encoded = parse_qs(urlsplit(response.headers["Location"]).query)["SAMLRequest"][0]
        request = etree.fromstring(zlib.decompress(base64.b64decode(encoded), -15))
        return request.get("ID")

    def response(self, in_response_to, *, email="victim@acme.test", idp=None, **kwargs) -> str:
        return (idp or self.idp).response(
            sp_entity_id=sp_entity_id(self.base, self.org), acs_url=acs_url(self.base, self.org),
            in_response_to=in_response_to, name_id=email,
            attributes={"email": [email], "givenname": ["Vic"], "surname": ["Tim"]}, **kwargs)

    def post(self, browser, saml_response, org=None):
        return browser.post(acs_url(self.base, org or self.org), data={"SAMLResponse": saml_response},
                            allow_redirects=False, timeout=10)


@pytest.fixture(scope="module")
def test_idp(tmp_path_factory):
    # nothing listens there: our SP only redirects browsers to its SSO URL, which these tests do not follow
    return TestIdP(tmp_path_factory.mktemp("test-idp"), base_url="http://127.0.0.1:9997")


@pytest.fixture(scope="module")
def impostor(tmp_path_factory, test_idp):
    """Another key under the same entity ID (and so the same Issuer)."""
    return TestIdP(tmp_path_factory.mktemp("impostor"), base_url=test_idp.idp.base_url)


@pytest.fixture
def victim(acme):
    return make_user(acme, "victim@acme.test", first_name="Victor", last_name="Victim")


@pytest.fixture
def crafter(live_server, acme, test_idp):
    configure(acme, test_idp, live_server.url, setup="manual")
    return Crafter(live_server.url, acme, test_idp)


def assert_nobody_signed_in(browser, base, victim):
    assert not signed_in(browser, base)
    victim.refresh_from_db()
    assert victim.last_login is None
    assert not FederatedIdentity.objects.exists()


def test_a_valid_crafted_response_signs_in(live_server, crafter, victim, browser):
    """The baseline of the attacks below: the same response, untampered, is accepted."""
    response = crafter.post(browser, crafter.response(crafter.start(browser)))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert signed_in(browser, live_server.url)
    assert FederatedIdentity.objects.get(subject="victim@acme.test").user == victim


TAMPERED = {
    "unsigned": (lambda c, rid, idp, imp: strip_signature(c.response(rid)),
                 "the assertion is not signed by its own enveloped signature"),
    "expired": (lambda c, rid, idp, imp: c.response(rid, lifetime_minutes=-10), "expired"),
    "not yet valid": (lambda c, rid, idp, imp: c.response(rid, not_before_offset=dt.timedelta(minutes=10)),
                      "not yet valid"),
    "issued long ago": (lambda c, rid, idp, imp: c.response(
        rid, issue_instant=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)), "outside the accepted window"),
    "wrong audience (re-signed)": (lambda c, rid, idp, imp: set_audience(
        c.response(rid), "http://localhost/federation/other/saml/metadata/", resign=True, idp=idp),
        "not a valid audience"),
    "XSLT transform (re-signed)": (lambda c, rid, idp, imp: add_transform(c.response(rid), resign=True, idp=idp),
                                   "REC-xslt-19991116' not allowed"),
    "encrypted assertion": (lambda c, rid, idp, imp: encrypt_like(c.response(rid)), "encrypted assertion"),
    "signed by another key": (lambda c, rid, idp, imp: c.response(rid, idp=imp), "Signature validation failed"),
    "unknown InResponseTo": (lambda c, rid, idp, imp: c.response(f"ONELOGIN_{secrets.token_hex(20)}"),
                             "is not a pending request"),
    "unsolicited (IdP-initiated off)": (lambda c, rid, idp, imp: c.response(None), "unsolicited response"),
    "oversized": (lambda c, rid, idp, imp: "A" * (MAX_MESSAGE + 4), "missing or oversized SAMLResponse"),
}


@pytest.mark.parametrize("attack", list(TAMPERED))
def test_tampered_responses_are_refused(live_server, crafter, test_idp, impostor, victim, browser, caplog, attack):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    make, reason = TAMPERED[attack]
    saml_response = make(crafter, crafter.start(browser), test_idp, impostor)
    assert_refused(crafter.post(browser, saml_response), caplog, reason)
    assert_nobody_signed_in(browser, live_server.url, victim)


@pytest.mark.parametrize("variant", [f"XSW{n}" for n in range(1, 9)])
def test_signature_wrapping_is_refused(live_server, acme, crafter, victim, browser, caplog, variant):
    """An attacker's own valid response (Response and Assertion signed) wrapped to carry the victim's identity."""
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    make_user(acme, "attacker@acme.test")
    own = crafter.response(crafter.start(browser), email="attacker@acme.test", sign_response=True)
    wrapped = xsw_variants(own, "victim@acme.test", "victim@acme.test")[variant]
    assert_refused(crafter.post(browser, wrapped), caplog, "(signature wrapping)")
    assert_nobody_signed_in(browser, live_server.url, victim)
    assert User.objects.get(email="attacker@acme.test").last_login is None


def test_a_comment_in_the_name_id_does_not_truncate_it(live_server, crafter, victim, browser, caplog):
    """victim@acme.test<!---->.evil.test is read whole: the address of an unlisted domain, refused; never the
    victim's account."""
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    full = "victim@acme.test.evil.test"
    injected = inject_comment_in_name_id(crafter.response(crafter.start(browser), email=full), "victim@acme.test")
    assert b"victim@acme.test<!---->.evil.test" in base64.b64decode(injected)
    assert_refused(crafter.post(browser, injected), caplog,
                   "victim@acme.test.evil.test is not a user and its domain is not listed")
    assert_nobody_signed_in(browser, live_server.url, victim)
    assert not User.objects.filter(email=full).exists()


def test_a_response_is_used_once(live_server, acme, crafter, victim, make_browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    browser, attacker = make_browser(), make_browser()
    saml_response = crafter.response(crafter.start(browser))
    assert crafter.post(browser, saml_response).status_code == 302
    assert signed_in(browser, live_server.url)
    # the same POST again (from the browser that completed it, or one that captured it): the request is answered
    assert_refused(crafter.post(browser, saml_response), caplog, "is not a pending request")
    # a browser without the binding cookie is first asked to post again from our page: then refused the same
    assert 'data-testid="saml-rebound"' in crafter.post(attacker, saml_response).text
    replay = attacker.post(acs_url(live_server.url, acme), data={"SAMLResponse": saml_response, "rebound": "1"},
                           allow_redirects=False, timeout=10)
    assert_refused(replay, caplog, "is not a pending request")
    assert not signed_in(attacker, live_server.url)

    # unsolicited responses have no request to consume: the assertion ID is remembered instead
    IdentityProvider.objects.filter(organization=acme).update(saml_allow_idp_initiated=True)
    unsolicited = crafter.response(None)
    first, second = make_browser(), make_browser()
    assert crafter.post(first, unsolicited).status_code == 302 and signed_in(first, live_server.url)
    assert_refused(crafter.post(second, unsolicited), caplog, "replayed assertion")
    assert not signed_in(second, live_server.url)


def test_a_response_to_a_request_of_another_browser_is_refused(live_server, crafter, victim, make_browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    browser, attacker = make_browser(), make_browser()
    saml_response = crafter.response(crafter.start(browser))
    crafter.start(attacker)  # the attacker has a binding cookie of their own
    assert_refused(crafter.post(attacker, saml_response), caplog,
                   "response delivered to another browser than the request's")
    assert not signed_in(attacker, live_server.url)
    victim.refresh_from_db()
    assert victim.last_login is None
    # the browser that started the sign-in still completes it
    assert crafter.post(browser, saml_response).status_code == 302 and signed_in(browser, live_server.url)


def test_a_response_for_one_organization_is_refused_at_another(live_server, acme, globex, crafter, test_idp,
                                                             victim, browser, caplog):
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    configure(globex, test_idp, live_server.url, setup="manual", domains=("globex.test",), idp_initiated=True)
    saml_response = crafter.response(crafter.start(browser))
    assert_refused(crafter.post(browser, saml_response, org=globex), caplog, "is not a pending request")
    # unsolicited (globex accepts those): audience and destination are acme's
    caplog.clear()
    assert_refused(crafter.post(browser, crafter.response(None), org=globex), caplog, "was received at")
    # ...and one addressed to globex's ACS but meant for acme's SP (Audience) is refused too
    meant_for_acme = test_idp.response(sp_entity_id=sp_entity_id(live_server.url, acme),
                                       acs_url=acs_url(live_server.url, globex), name_id="victim@acme.test",
                                       attributes={"email": ["victim@acme.test"]})
    assert_refused(crafter.post(browser, meant_for_acme, org=globex), caplog, "is not a valid audience")
    assert_nobody_signed_in(browser, live_server.url, victim)
    assert not User.objects.filter(organization=globex).exclude(email__endswith="@globex.test").exists()


def test_a_post_without_the_binding_cookie_is_posted_again_from_our_own_page(live_server, crafter, victim,
                                                                             browser, caplog):
    """Browsers hold back Lax cookies on the provider's cross-site POST (plain http): the ACS answers a form
    that posts the same response again from our origin, which carries the cookie; only once."""
    saml_response = crafter.response(crafter.start(browser))
    cookie = next(c for c in browser.cookies if c.name == "lexcloud_federation")
    browser.cookies.clear(cookie.domain, cookie.path, cookie.name)
    first = crafter.post(browser, saml_response)
    assert first.status_code == 200 and 'data-testid="saml-rebound"' in first.text
    assert 'name="rebound" value="1"' in first.text and not signed_in(browser, live_server.url)
    # the second round without the cookie is refused, not bounced again
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    again = browser.post(acs_url(live_server.url, crafter.org), data={"SAMLResponse": saml_response, "rebound": "1"},
                         allow_redirects=False, timeout=10)
    assert_refused(again, caplog, "response delivered to another browser than the request's")
    browser.cookies.set_cookie(cookie)
    done = browser.post(acs_url(live_server.url, crafter.org), data={"SAMLResponse": saml_response, "rebound": "1"},
                        allow_redirects=False, timeout=10)
    assert done.status_code == 302 and signed_in(browser, live_server.url)


def test_daily_refresh_takes_a_rotated_certificate_from_the_metadata(live_server, acme, globex, idp, caplog):
    from accounts.services.retention import purge_printer_login_records

    provider = configure(acme, idp, live_server.url)
    stale, _key = identity_providers.make_sp_key_pair(acme)
    IdentityProvider.objects.filter(pk=provider.pk).update(saml_idp_certificate=stale)
    broken = configure(globex, idp, live_server.url, domains=("globex.test",))
    IdentityProvider.objects.filter(pk=broken.pk).update(saml_metadata_url="http://127.0.0.1:9/metadata")
    caplog.set_level(logging.INFO, logger="lexcloud.federation")
    assert identity_providers.refresh_saml_metadata() == {"refreshed": 1, "failed": 1}
    assert IdentityProvider.objects.get(pk=provider.pk).saml_idp_certificate.strip() == idp.cert_pem.strip()
    assert IdentityProvider.objects.get(pk=broken.pk).saml_idp_certificate  # kept what it had
    assert "not refreshed" in caplog.text
    assert "used_assertions" in purge_printer_login_records()
