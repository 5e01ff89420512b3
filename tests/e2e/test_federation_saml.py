"""SAML 2.0 federation in a real browser, against a real SAML identity provider (tests/peers/saml_idp.py): the
organization administrator configures the provider on Organization > Authentication Provider ("With Metadata
URL"), runs Test federation (signing in at the IdP's form), enables it; then a user of the domain signs in e-mail
first and lands on the dashboard. Screenshots: /tmp/shots/auth_provider_saml_form.png (the form filled in) and
/tmp/shots/auth_provider_saml.png (the page with the Test federation result).

lexcloud runs on http://localhost:<port> and the IdP on 127.0.0.1: two sites, as in a deployment. On plain http
the browser-binding cookie is SameSite=Lax and the IdP's cross-site POST arrives without it; the ACS posts the
response again from its own page (the "rebound"), which the browser sends with the cookie."""
from pathlib import Path

import pytest

from accounts.models import FederatedIdentity, IdentityProvider, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_test_federation_result, enable_provider, sign_in_federated
from tests.peers.saml_idp import start_idp

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
USERS = {"new.person": {"password": "Np-pass1!", "name_id": "new.person@acme.test", "attributes": {
    "email": ["new.person@acme.test"], "givenname": ["Nora"], "surname": ["Person"], "badge": ["0badge77"],
    "pin": ["4711"], "department": ["Accounting"], "costcenter": ["CC-42"]}}}


@pytest.fixture
def base(live_server) -> str:
    """The live server on another site than the IdP (see above)."""
    assert "://localhost:" in live_server.url
    return live_server.url


@pytest.fixture
def idp(tmp_path, live_server, settings):
    settings.FEDERATION_ALLOW_HTTP_LOOPBACK = True
    with start_idp(USERS, tmp_path) as idp:
        yield idp


def sign_in_at_idp(page, idp, login):
    page.wait_for_url(f"{idp.sso_url}?**")
    page.fill("input[name=username]", login)
    page.fill("input[name=password]", USERS[login]["password"])
    page.click("button:has-text('Sign in')")  # the IdP answers a form that posts itself to our ACS


def sign_in_with_password(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.click("[data-testid=login-next]")  # e-mail first: no enabled provider yet, so the password step
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard/**")


def test_admin_configures_tests_and_enables_saml_then_a_user_signs_in(browser, base, page, acme, org_admin, idp):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in_with_password(page, base, "admin@acme.test")

    # Organization > Authentication Provider > Configure: SAML, With Metadata URL
    page.goto(f"{base}/o/{acme.pk}/account/")
    page.click(".subnav summary:has-text('Organization')")
    page.click(".subnav a:has-text('Authentication Provider')")
    page.wait_for_url(f"**/o/{acme.pk}/account/authentication-provider/")
    page.click("[data-testid=auth-provider-configure]")
    page.check("input[name=protocol][value=saml]")
    assert page.locator("[data-testid=saml-fields]").is_visible()
    assert not page.locator("[data-testid=oidc-fields]").is_visible()
    page.check("input[name=saml_setup][value=metadata]")
    page.fill("#id_saml_metadata_url", idp.metadata_url)
    page.fill("#id_domains", "acme.test")
    page.screenshot(path=str(SHOTS / "auth_provider_saml_form.png"), full_page=True)
    page.click("[data-testid=auth-provider-save]")
    page.wait_for_url(f"**/o/{acme.pk}/account/authentication-provider/")
    assert page.locator("[data-testid=auth-provider-status]").inner_text().strip() == "Not enabled"
    assert "acme.test" in page.locator("[data-testid=auth-provider-domains]").inner_text()
    provider = IdentityProvider.objects.get(organization=acme)
    assert provider.protocol == "saml" and provider.saml_idp_entity_id == idp.entity_id and not provider.enabled
    assert provider.saml_sso_url == idp.sso_url and provider.saml_slo_url == idp.slo_url

    # the IdP's administrator loads our SP metadata (its URL is our entity ID, shown on the page)
    idp.trust_url(f"{base}/federation/{acme.pk}/saml/metadata/")

    # Test federation: a round trip through the IdP's sign-in form, the claims shown, nothing created
    page.click("[data-testid=auth-provider-test]")
    sign_in_at_idp(page, idp, "new.person")
    page.wait_for_url(f"**/o/{acme.pk}/account/authentication-provider/?result=*")
    claims = assert_test_federation_result(page, given_name="Nora", badge="0badge77", cost_center="CC-42")
    assert "givenname" in claims
    page.screenshot(path=str(SHOTS / "auth_provider_saml.png"), full_page=True)
    assert not User.objects.filter(email="new.person@acme.test").exists()

    # Enable (confirmed in the dialog)
    enable_provider(page)
    provider.refresh_from_db()
    assert provider.enabled

    # a user of the domain, in another browser: e-mail first, the IdP's form, the dashboard
    name = sign_in_federated(browser, base, "new.person@acme.test", lambda p: sign_in_at_idp(p, idp, "new.person"))
    assert "Nora Person" in name
    user = User.objects.get(email="new.person@acme.test")
    assert FederatedIdentity.objects.get(user=user).issuer == idp.entity_id
