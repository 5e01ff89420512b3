"""The Print Clients page: the printer address and instructions, print tokens created (secret shown once,
only its digest stored), listed and revoked; hidden while "Enable Print Clients page" is off."""
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from printmgmt.models import PrintToken
from printmgmt.services import print_tokens
from printmgmt.services.org_settings import update_settings


@pytest.fixture
def url(acme):
    return reverse("printmgmt:clients", kwargs={"org_id": acme.pk})


def test_the_page_shows_the_printer_address_and_instructions(client, pam, url):
    client.force_login(pam)
    page = client.get(url).content.decode()
    assert "ipps://testserver:443/ipp/print" in page and "ipp://testserver:80/ipp/print" in page
    assert "lpadmin -p lexcloud -E -v 'ipps://testserver:443/ipp/print?waitjob=false' -m everywhere" in page
    assert "https://testserver:443/ipp/print" in page            # Windows: a shared printer by name
    assert 'data-testid="nav-clients"' in page and 'data-testid="tokens-empty"' in page


def test_create_shows_the_secret_once_and_stores_its_digest(client, pam, url):
    client.force_login(pam)
    response = client.post(url, {"name": "Office laptop"})
    assert response.status_code == 200
    secret = response.context["secret"]
    assert secret.startswith("lxp_") and secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]   # the page with the secret is kept by no cache
    token = PrintToken.objects.get(user=pam)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest() and secret not in str(vars(token))
    assert token.prefix == secret[:10] and token.organization_id == pam.organization_id
    again = client.get(url).content.decode()
    assert secret not in again and "Office laptop" in again and f"{token.prefix}…" in again
    assert print_tokens.authenticate(secret) == pam


def test_names_are_required_and_unique(client, pam, url):
    client.force_login(pam)
    assert client.post(url, {"name": " "}).status_code == 400
    client.post(url, {"name": "Laptop"})
    response = client.post(url, {"name": "laptop"})
    assert response.status_code == 400 and "already have a print token with this name" in response.content.decode()
    assert PrintToken.objects.count() == 1


def test_the_number_of_tokens_is_capped(pam):
    for i in range(print_tokens.MAX_TOKENS_PER_USER):
        print_tokens.create_token(pam, f"Computer {i}")
    with pytest.raises(ValidationError, match="revoke one"):
        print_tokens.create_token(pam, "One more")


def test_revoke_only_own_tokens(client, pam, dan, acme):
    mine, secret = print_tokens.create_token(pam, "Laptop")
    theirs, their_secret = print_tokens.create_token(dan, "Desktop")
    client.force_login(pam)
    revoke = reverse("printmgmt:clients-tokens-revoke", kwargs={"org_id": acme.pk})
    response = client.post(revoke, {"token": [mine.pk, theirs.pk]}, follow=True)
    assert "1 print token revoked" in response.content.decode()
    assert list(PrintToken.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert print_tokens.authenticate(secret) is None and print_tokens.authenticate(their_secret) == dan
    assert "Select one or more" in client.post(revoke, {}, follow=True).content.decode()


def test_last_use_is_noted_at_most_once_a_minute(pam):
    token, secret = print_tokens.create_token(pam, "Laptop")
    assert print_tokens.authenticate(secret) == pam
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    print_tokens.authenticate(secret)
    token.refresh_from_db()
    assert token.last_used_at == first


def test_disabled_page_shows_a_notice_and_no_link(client, pam, acme, url):
    update_settings(acme, print_clients_page=False)
    client.force_login(pam)
    page = client.get(url).content.decode()
    assert 'data-testid="clients-disabled"' in page and 'data-testid="nav-clients"' not in page
    assert "ipps://" not in page
    client.post(url, {"name": "Laptop"})
    assert not PrintToken.objects.exists()


def test_a_partner_administrator_sees_no_tokens_of_the_child(client, acme, partner_admin, url):
    from accounts.services import groups as group_services
    from accounts.services import roles as role_services

    cag = partner_admin.member_of.get()
    role_services.assign_group_roles(cag, ["print_release_management_user"])
    group_services.add_members(cag, [partner_admin.pk])
    client.force_login(partner_admin)
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="tokens-other-org"' in page.content.decode()
    client.post(url, {"name": "Laptop"})
    assert not PrintToken.objects.exists()
