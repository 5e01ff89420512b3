"""Identity federation without a provider on the wire: provisioning from claims, home-realm discovery, the
Authentication Provider service and pages, secrets at rest. The round trips through real providers are in
tests/interop/."""
import logging

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from accounts.choices import FederationProtocol, PinGeneration, SamlSetup
from accounts.models import Badge, FederatedIdentity, FederationDomain, IdentityProvider, User
from accounts.services import federation
from accounts.services import groups as group_services
from accounts.services import identity_providers as providers
from accounts.services import printer_login as pins
from accounts.services import roles as role_services
from accounts.services.federation import FederationRefused, Identity
from lexcloud import crypto
from tests.conftest import PASSWORD, make_user

ISSUER = "https://idp.example.test/"


def _saml_provider(org, *, domains=("acme.test",), enabled=True) -> IdentityProvider:
    certificate, _key = providers.make_sp_key_pair(org)
    provider = providers.configure(org, {
        "protocol": FederationProtocol.SAML, "saml_setup": SamlSetup.MANUAL, "saml_idp_entity_id": ISSUER,
        "saml_sso_url": "https://idp.example.test/sso", "saml_idp_certificate": certificate}, domains=domains)
    if enabled:
        providers.set_enabled(provider, True)
    return IdentityProvider.objects.select_related("organization").get(pk=provider.pk)


def _identity(email="new.person@acme.test", subject=None, **claims) -> Identity:
    attributes = {"email": [email], "givenname": ["New"], "surname": ["Person"], **claims}
    return Identity(issuer=ISSUER, subject=subject or email, claims=attributes)


# --- provisioning ------------------------------------------------------------------------------------------

def test_first_sign_in_of_a_listed_domain_creates_the_user_from_claims(acme):
    provider = _saml_provider(acme)
    user = federation.sign_in(provider, _identity(department=["Finance"], costcenter=["CC-7"]))
    assert (user.organization, user.email, user.first_name, user.last_name) == (acme, "new.person@acme.test", "New", "Person")
    assert (user.department, user.cost_center) == ("Finance", "CC-7")
    assert not user.has_usable_password()  # "User credentials are not stored"
    assert FederatedIdentity.objects.get(user=user).subject == "new.person@acme.test"


def test_without_a_listed_domain_only_existing_users_sign_in_and_get_linked(acme, member, caplog):
    provider = _saml_provider(acme, domains=())
    with caplog.at_level(logging.WARNING, logger="lexcloud.federation"), pytest.raises(FederationRefused):
        federation.sign_in(provider, _identity())
    assert "is not a user and its domain is not listed" in caplog.text
    assert not User.objects.filter(email="new.person@acme.test").exists()
    user = federation.sign_in(provider, _identity(email="member@acme.test", subject="uid-42"))
    assert user == member
    assert FederatedIdentity.objects.filter(user=member, issuer=ISSUER, subject="uid-42").exists()


def test_users_are_keyed_by_issuer_and_subject_not_by_email(acme):
    provider = _saml_provider(acme)
    first = federation.sign_in(provider, _identity(subject="sub-1"))
    # the provider renames the user: same subject, new address -> the same account, e-mail updated
    renamed = federation.sign_in(provider, _identity(email="renamed@acme.test", subject="sub-1"))
    assert renamed.pk == first.pk and renamed.email == "renamed@acme.test"


def test_a_user_of_another_organization_is_refused(acme, globex, caplog):
    make_user(globex, "someone@acme.test")
    provider = _saml_provider(acme)
    with caplog.at_level(logging.WARNING, logger="lexcloud.federation"), pytest.raises(FederationRefused):
        federation.sign_in(provider, _identity(email="someone@acme.test"))
    assert "belongs to another organization" in caplog.text


def test_claims_overwrite_local_edits_and_a_locally_deleted_user_comes_back(acme):
    provider = _saml_provider(acme)
    user = federation.sign_in(provider, _identity())
    User.objects.filter(pk=user.pk).update(first_name="Edited", department="Local")
    again = federation.sign_in(provider, _identity(department=["Claims"]))
    assert (again.first_name, again.department) == ("New", "Claims")
    user.delete()
    back = federation.sign_in(provider, _identity())
    assert back.pk != user.pk and back.first_name == "New"


def test_absent_optional_claims_leave_fields_alone(acme):
    provider = _saml_provider(acme)
    user = federation.sign_in(provider, _identity(department=["Finance"]))
    again = federation.sign_in(provider, _identity())
    assert again.pk == user.pk and again.department == "Finance"


def test_missing_email_claim_and_missing_subject_are_refused(acme):
    provider = _saml_provider(acme)
    with pytest.raises(FederationRefused, match="e-mail claim"):
        federation.sign_in(provider, Identity(ISSUER, "sub", {"givenname": ["X"]}))
    with pytest.raises(FederationRefused, match="subject"):
        federation.sign_in(provider, Identity(ISSUER, "", {"email": ["a@acme.test"]}))


def test_deactivated_users_are_refused(acme):
    provider = _saml_provider(acme)
    user = federation.sign_in(provider, _identity())
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(FederationRefused, match="deactivated"):
        federation.sign_in(provider, _identity())


def test_badge_and_pin_claims_feed_printer_login(acme, member):
    provider = _saml_provider(acme)
    user = federation.sign_in(provider, _identity(badge=["B-77"], pin=["4821"]))
    badge = Badge.objects.get(user=user)
    assert badge.badge_id.lower() == "b-77" and not badge.temporary and badge.expires_at is None
    assert pins.check_user_pin(user, "4821")
    # a badge another user holds stays theirs; the sign-in still succeeds
    Badge.objects.create(organization=acme, user=member, badge_id="taken")
    federation.sign_in(provider, _identity(badge=["taken"]))
    assert Badge.objects.get(badge_id="taken").user == member


def test_groups_claim_sets_exactly_the_named_groups(acme):
    provider = _saml_provider(acme)
    finance = group_services.create_group(acme, "Finance")
    role_services.assign_group_roles(finance, ["help_desk"])
    other = group_services.create_group(acme, "Other")
    user = federation.sign_in(provider, _identity(groups=["finance", "Unknown"]))
    assert set(user.member_of.values_list("name", flat=True)) == {"Finance"}
    from accounts.access import effective_roles

    assert "help_desk" in effective_roles(user, acme).all  # roles come with the groups
    group_services.add_members(other, [user.pk])
    federation.sign_in(provider, _identity(groups=["Other"]))
    assert set(user.member_of.values_list("name", flat=True)) == {"Other"}


def test_claim_names_are_configurable_and_case_insensitive(acme):
    provider = _saml_provider(acme)
    provider.claim_names = {"badge": "EmployeeId"}
    provider.save()
    profile = federation.profile_from_claims(provider, {
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/EMAIL": ["x@acme.test"], "employeeid": ["E1"]})
    assert profile == {"email": "x@acme.test", "badge": "E1"}


def test_an_organization_pending_deletion_refuses_sign_in(acme):
    provider = _saml_provider(acme)
    type(acme).objects.filter(pk=acme.pk).update(status="pending_deletion")
    provider.organization.refresh_from_db()
    with pytest.raises(FederationRefused):
        federation.sign_in(provider, _identity())


def test_replayed_assertion_ids_are_refused_until_they_expire(acme):
    from datetime import timedelta

    from django.utils import timezone

    provider = _saml_provider(acme)
    federation.use_assertion_once(provider, "_a1", timezone.now() + timedelta(minutes=5))
    with pytest.raises(FederationRefused, match="replayed"):
        federation.use_assertion_once(provider, "_a1", timezone.now() + timedelta(minutes=5))
    federation.use_assertion_once(provider, "_old", timezone.now() - timedelta(seconds=1))
    federation.use_assertion_once(provider, "_old", timezone.now() + timedelta(minutes=5))  # expired: purged first


# --- home-realm discovery and sign-in ----------------------------------------------------------------------

def test_provider_for_email_by_domain_then_by_existing_user(acme, member, globex):
    provider = _saml_provider(acme, domains=("acme.test",))
    assert federation.provider_for_email("Someone@ACME.test") == provider
    assert federation.provider_for_email("member@acme.test") == provider
    make_user(acme, "other@elsewhere.test")
    assert federation.provider_for_email("other@elsewhere.test") == provider  # a user of the org, any domain
    assert federation.provider_for_email("nobody@globex.test") is None
    providers.set_enabled(provider, False)
    assert federation.provider_for_email("someone@acme.test") is None


def test_sign_in_page_sends_federated_addresses_to_their_provider(client, acme):
    _saml_provider(acme)
    response = client.post("/accounts/login/", {"username": "jane@acme.test", "next": "/o/x/"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("federation:start", args=[acme.pk]))
    assert "login_hint=jane%40acme.test" in response["Location"]


def test_sign_in_page_asks_other_addresses_for_their_password(client, member):
    response = client.post("/accounts/login/", {"username": "member@acme.test"})
    assert response.status_code == 200 and response.context["step"] == "password"
    assert b'name="password"' in response.content and b"readonly" in response.content
    response = client.post("/accounts/login/", {"username": "member@acme.test", "password": PASSWORD})
    assert response.status_code == 302


def test_password_sign_in_is_refused_while_the_organization_is_federated(client, acme, org_admin):
    provider = _saml_provider(acme, domains=())
    response = client.post("/accounts/login/", {"username": org_admin.email, "password": PASSWORD})
    assert response.status_code == 302 and "/federation/" in response["Location"]
    from django.contrib.auth import authenticate

    assert authenticate(email=org_admin.email, password=PASSWORD) is None
    providers.set_enabled(provider, False)
    assert authenticate(email=org_admin.email, password=PASSWORD) == org_admin


def test_start_answers_404_for_disabled_or_missing_providers_and_test_mode_needs_an_administrator(
        client, acme, member, org_admin):
    assert client.get(reverse("federation:start", args=[acme.pk])).status_code == 404
    _saml_provider(acme, enabled=False)
    assert client.get(reverse("federation:start", args=[acme.pk])).status_code == 404
    client.force_login(member)
    assert client.get(reverse("federation:start", args=[acme.pk]) + "?test=1").status_code == 404
    client.force_login(org_admin)
    response = client.get(reverse("federation:start", args=[acme.pk]) + "?test=1")
    assert response.status_code == 302 and response["Location"].startswith("https://idp.example.test/sso?SAMLRequest=")


def test_next_is_limited_to_our_own_paths(rf):
    from accounts.views.federation import safe_next

    request = rf.get("/")
    assert safe_next(request, "/o/abc/account/") == "/o/abc/account/"
    for bad in ("https://evil.test/", "//evil.test/x", "javascript:alert(1)", "", None, "\\\\evil.test"):
        assert safe_next(request, bad) == reverse("home")


# --- configuration -----------------------------------------------------------------------------------------

def test_configure_saml_by_hand_makes_our_key_pair_and_mails_the_status(acme, org_admin,
                                                                      django_capture_on_commit_callbacks):
    certificate, _key = providers.make_sp_key_pair(acme)
    with django_capture_on_commit_callbacks(execute=True):
        provider = providers.configure(acme, {
            "protocol": "saml", "saml_setup": "manual", "saml_idp_entity_id": ISSUER,
            "saml_sso_url": "https://idp.example.test/sso", "saml_idp_certificate": certificate},
            domains=["Acme.test", "@acme.example"], by=org_admin)
    assert not provider.enabled  # test first, then enable
    assert "BEGIN CERTIFICATE" in provider.sp_certificate and "PRIVATE KEY" in provider.sp_private_key
    assert sorted(federation.domains_of(acme)) == ["acme.example", "acme.test"]
    assert mail.outbox and "Authentication provider configured" in mail.outbox[-1].subject


@pytest.mark.parametrize(("field", "value", "message"), [
    ("saml_idp_certificate", "MIIB...", "header and footer"),
    ("saml_sso_url", "http://idp.example.test/sso", "https://"),
    ("saml_idp_entity_id", "", "required"),
])
def test_configure_refuses_bad_saml_fields(acme, field, value, message):
    certificate, _key = providers.make_sp_key_pair(acme)
    values = {"protocol": "saml", "saml_setup": "manual", "saml_idp_entity_id": ISSUER,
              "saml_sso_url": "https://idp.example.test/sso", "saml_idp_certificate": certificate, field: value}
    with pytest.raises(ValidationError) as error:
        providers.configure(acme, values)
    assert message in " ".join(error.value.message_dict[field])
    assert not IdentityProvider.objects.exists()


def test_domains_must_be_domain_names_and_belong_to_one_organization(acme, globex):
    _saml_provider(globex, domains=("globex.test",))
    with pytest.raises(ValidationError, match="another organization"):
        providers.clean_domains(acme, ["globex.test"])
    with pytest.raises(ValidationError, match="not a domain"):
        providers.clean_domains(acme, ["not a domain"])
    assert providers.clean_domains(acme, ["A.test", "a.test", " "]) == ["a.test"]


def test_http_urls_only_for_loopback_when_allowed(settings):
    """check_url only reads the URL (nothing is fetched); the non-loopback host is a reserved .test name."""
    settings.FEDERATION_ALLOW_HTTP_LOOPBACK = True
    assert providers.check_url("http://127.0.0.1:9000/x", "f")
    assert providers.check_url("http://[::1]:9000/x", "f")
    with pytest.raises(ValidationError):
        providers.check_url("http://idp.example.test/x", "f")
    settings.FEDERATION_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(ValidationError):
        providers.check_url("http://127.0.0.1:9000/x", "f")
    assert providers.check_url("https://idp.example.test/x", "f")


def test_enabling_forces_the_pin_rule_of_federated_organizations(acme):
    pins.update_configuration(acme, pin_generation=PinGeneration.USER_SET, pin_expires=True,
                              pin_expiration_value=5, pin_expiration_unit="days")
    _saml_provider(acme)
    config = pins.get_configuration(acme)
    assert (config.pin_generation, config.pin_expires) == (PinGeneration.ADMIN_SET, False)
    with pytest.raises(ValidationError):
        pins.update_configuration(acme, pin_generation=PinGeneration.USER_SET)


def test_remove_unfederates_the_organization(acme):
    _saml_provider(acme)
    providers.remove(acme)
    acme.refresh_from_db()
    assert not acme.federation_enabled and not FederationDomain.objects.exists()


# --- secrets at rest ---------------------------------------------------------------------------------------

def test_secrets_are_encrypted_in_the_database_and_keys_rotate(acme, settings):
    provider = _saml_provider(acme)
    provider.oidc_client_secret = "s3cret-value"
    provider.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT oidc_client_secret, sp_private_key FROM accounts_identityprovider")
        secret, key = cursor.fetchone()
    assert "s3cret" not in secret and "PRIVATE KEY" not in key
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, crypto._derived_key(settings.SECRET_KEY).decode()]
    assert IdentityProvider.objects.get(pk=provider.pk).oidc_client_secret == "s3cret-value"  # old key still reads
    provider.save()  # re-saved with the new key
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert IdentityProvider.objects.get(pk=provider.pk).oidc_client_secret == "s3cret-value"


# --- pages ---------------------------------------------------------------------------------------------------

def test_authentication_provider_page_is_for_organization_administrators(client, acme, org_admin):
    url = reverse("accounts:auth-provider", args=[acme.pk])
    user_admin = make_user(acme, "ua@acme.test", ["user_administrator"])
    client.force_login(user_admin)
    assert client.get(url).status_code == 403
    client.force_login(org_admin)
    response = client.get(url)
    assert response.status_code == 200
    assert b"There are currently no authentication provider." in response.content
    assert f"/federation/{acme.pk}/oidc/callback/".encode() in response.content


def test_configure_page_saves_a_saml_provider_and_shows_our_metadata(client, acme, org_admin):
    certificate, _key = providers.make_sp_key_pair(acme)
    client.force_login(org_admin)
    response = client.post(reverse("accounts:auth-provider-configure", args=[acme.pk]), {
        "protocol": "saml", "saml_setup": "manual", "saml_idp_entity_id": ISSUER,
        "saml_sso_url": "https://idp.example.test/sso", "saml_name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        "saml_idp_certificate": certificate, "domains": "acme.test\nacme.example", "claim_badge": "EmployeeId"})
    assert response.status_code == 302, response.content.decode()[:2000]
    provider = IdentityProvider.objects.get(organization=acme)
    assert provider.claim_names == {"badge": "EmployeeId"}
    page = client.get(reverse("accounts:auth-provider", args=[acme.pk])).content.decode()
    assert "acme.example" in page and "Not enabled" in page
    metadata = client.get(reverse("federation:saml-metadata", args=[acme.pk]))
    assert metadata.status_code == 200 and metadata["Content-Type"] == "application/samlmetadata+xml"
    body = metadata.content.decode()
    assert f"/federation/{acme.pk}/saml/acs/" in body and "AuthnRequestsSigned=\"true\"" in body
    assert "WantAssertionsSigned=\"true\"" in body and "X509Certificate" in body
    client.post(reverse("accounts:auth-provider-enable", args=[acme.pk]))
    acme.refresh_from_db()
    assert acme.federation_enabled


def test_configure_page_shows_errors_on_the_fields(client, acme, org_admin):
    client.force_login(org_admin)
    response = client.post(reverse("accounts:auth-provider-configure", args=[acme.pk]), {
        "protocol": "oidc", "oidc_client_id": "", "oidc_discovery_url": ""})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_operator_command_disables_a_provider_that_locks_people_out(acme):
    from io import StringIO

    from django.core.management import call_command

    _saml_provider(acme)
    out = StringIO()
    call_command("federation", "--org", "Acme", "--disable", stdout=out)
    assert "disabled" in out.getvalue()
    acme.refresh_from_db()
    assert not acme.federation_enabled
