"""OpenID Connect federation in a real browser, against a real OpenID Provider (tests/peers/oidc_provider.py):
the organization administrator configures the provider on Organization > Authentication Provider, runs Test
federation (signing in at the provider's form), enables it; then a user of the domain signs in e-mail first
and lands on the dashboard. Screenshots: /tmp/shots/auth_provider_form.png (the form filled in) and
/tmp/shots/auth_provider_oidc.png (the page with the Test federation result)."""
from pathlib import Path

import pytest

from accounts.models import FederatedIdentity, IdentityProvider, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_test_federation_result, enable_provider, sign_in, sign_in_federated
from tests.peers.oidc_provider import start_op

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
CLIENT_ID, CLIENT_SECRET = "lexcloud-e2e", "e2e-client-secret"
USERS = {
    "new.person": {"password": "Np-pass1!", "claims": {
        "sub": "np-0001", "email": "new.person@acme.test", "email_verified": True, "given_name": "Nora",
        "family_name": "Person", "badge": "0badge77", "pin": "4711", "department": "Accounting",
        "costcenter": "CC-42"}},
}


@pytest.fixture
def op(tmp_path, live_server, acme, settings):
    settings.FEDERATION_ALLOW_HTTP_LOOPBACK = True
    client = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": [f"{live_server.url}/federation/{acme.pk}/oidc/callback/"],
              "id_token_signed_response_alg": "ES256", "token_endpoint_auth_method": "client_secret_post"}
    with start_op(tmp_path, clients=[client], users=USERS) as op:
        yield op


def sign_in_at_op(page, op, login):
    page.wait_for_url(f"{op.issuer}/interaction/**")
    page.fill("#login", login)
    page.fill("#password", USERS[login]["password"])
    page.click("button[type=submit]")


def test_admin_configures_tests_and_enables_oidc_then_a_user_signs_in(browser, live_server, page, acme, org_admin,
                                                                     op):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, "admin@acme.test", PASSWORD)

    # Organization > Authentication Provider > Configure
    page.goto(f"/o/{acme.pk}/account/")
    page.click(".subnav summary:has-text('Organization')")
    page.click(".subnav a:has-text('Authentication Provider')")
    page.wait_for_url(f"**/o/{acme.pk}/account/authentication-provider/")
    assert page.locator("[data-testid=auth-provider-empty]").is_visible()
    page.click("[data-testid=auth-provider-configure]")
    page.check("input[name=protocol][value=oidc]")
    assert page.locator("[data-testid=oidc-fields]").is_visible()
    assert not page.locator("[data-testid=saml-fields]").is_visible()
    page.fill("#id_oidc_client_id", CLIENT_ID)
    page.fill("#id_oidc_client_secret", CLIENT_SECRET)
    page.fill("#id_oidc_discovery_url", op.discovery_url)
    page.fill("#id_domains", "acme.test")
    page.screenshot(path=str(SHOTS / "auth_provider_form.png"), full_page=True)
    page.click("[data-testid=auth-provider-save]")
    page.wait_for_url(f"**/o/{acme.pk}/account/authentication-provider/")
    assert page.locator("[data-testid=auth-provider-status]").inner_text().strip() == "Not enabled"
    assert "acme.test" in page.locator("[data-testid=auth-provider-domains]").inner_text()
    provider = IdentityProvider.objects.get(organization=acme)
    assert provider.protocol == "oidc" and provider.oidc_metadata["issuer"] == op.issuer and not provider.enabled

    # Test federation: a round trip through the provider's sign-in form, the claims shown, nothing created
    page.click("[data-testid=auth-provider-test]")
    sign_in_at_op(page, op, "new.person")
    page.wait_for_url(f"**/o/{acme.pk}/account/authentication-provider/?result=*")
    claims = assert_test_federation_result(page, given_name="Nora", badge="0badge77", cost_center="CC-42")
    assert "np-0001" in claims
    page.screenshot(path=str(SHOTS / "auth_provider_oidc.png"), full_page=True)
    assert not User.objects.filter(email="new.person@acme.test").exists()

    # Enable (confirmed in the dialog)
    enable_provider(page)
    provider.refresh_from_db()
    assert provider.enabled

    # a user of the domain, in another browser: e-mail first, the provider's form, the dashboard
    name = sign_in_federated(browser, live_server.url, "new.person@acme.test", lambda p: sign_in_at_op(p, op, "new.person"))
    assert "Nora Person" in name
    user = User.objects.get(email="new.person@acme.test")
    assert FederatedIdentity.objects.get(user=user).issuer == op.issuer
