"""The federation routes (/federation/<org_id>/...) in the tenancy matrix.

They are public by nature: the browser reaches them before anyone is signed in, and the identity provider
posts to them. What the matrix checks is that an organization without a provider (or with the other
protocol) answers 404 on every one of them, that a disabled provider does not start sign-ins, and that the
Test federation round trip starts only for administrators of that organization (or of its partner)."""
import pytest
from django.urls import reverse

from accounts.choices import FederationProtocol
from accounts.models import IdentityProvider
from accounts.services import identity_providers as providers
from tests.tenancy.test_matrix import FEDERATION_PREFIX, ROUTES

FEDERATION_ROUTES = {name: route for name, (route, _pattern) in ROUTES if route.startswith(FEDERATION_PREFIX)}
METHOD = {"federation:start": "get", "federation:saml-metadata": "get", "federation:saml-acs": "post",
          "federation:saml-sls": "get", "federation:oidc-callback": "get"}
PROTOCOL = {"federation:saml-metadata": "saml", "federation:saml-acs": "saml", "federation:saml-sls": "saml",
            "federation:oidc-callback": "oidc"}


def test_every_federation_route_is_in_this_matrix():
    assert set(FEDERATION_ROUTES) == set(METHOD), "a federation route was added: classify it here"


def _provider(org, protocol=FederationProtocol.SAML, enabled=True):
    certificate, key = providers.make_sp_key_pair(org)
    provider = IdentityProvider.objects.create(
        organization=org, protocol=protocol, enabled=enabled, saml_idp_entity_id="https://idp.example.test/",
        saml_sso_url="https://idp.example.test/sso", saml_idp_certificate=certificate, sp_certificate=certificate,
        sp_private_key=key, oidc_client_id="c", oidc_client_secret="s",
        oidc_metadata={"issuer": "https://op.example.test", "authorization_endpoint": "https://op.example.test/auth",
                       "token_endpoint": "https://op.example.test/token", "jwks_uri": "https://op.example.test/jwks"})
    return provider


@pytest.mark.parametrize("name", sorted(METHOD))
def test_an_organization_without_a_provider_answers_404(client, acme, name):
    response = getattr(client, METHOD[name])(reverse(name, args=[acme.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("name", sorted(PROTOCOL))
def test_endpoints_of_the_other_protocol_answer_404(client, acme, name):
    other = FederationProtocol.OIDC if PROTOCOL[name] == "saml" else FederationProtocol.SAML
    _provider(acme, other)
    response = getattr(client, METHOD[name])(reverse(name, args=[acme.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("protocol", [FederationProtocol.SAML, FederationProtocol.OIDC])
def test_a_disabled_provider_starts_no_sign_in(client, acme, protocol):
    _provider(acme, protocol, enabled=False)
    assert client.get(reverse("federation:start", args=[acme.pk])).status_code == 404


@pytest.mark.parametrize(("who", "expected"), [
    ("anonymous", 404), ("member", 404), ("globex_admin", 404), ("org_admin", 302), ("partner_admin", 302)])
def test_test_federation_starts_only_for_administrators_of_the_organization(client, request, acme, who, expected):
    _provider(acme, enabled=False)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("federation:start", args=[acme.pk]) + "?test=1")
    assert response.status_code == expected
