"""PIN pages: Manage Badge/PIN > PINs (list, Generate, Delete), the user page's PIN slot and My Account's."""
import pytest
from django.core import mail
from django.urls import reverse

from accounts.choices import PinGeneration, PinSource
from accounts.models import UserPin
from accounts.services import printer_login as pins
from tests.conftest import make_user


def _pins(org):
    return reverse("accounts:pins", kwargs={"org_id": org.pk})


def _generate(org):
    return reverse("accounts:pin-generate", kwargs={"org_id": org.pk})


def _delete(org):
    return reverse("accounts:pins-delete", kwargs={"org_id": org.pk})


# --- PINs tab ----------------------------------------------------------------------------------------------

def test_pins_tab_lists_users_with_a_pin(client, org_admin, acme, member):
    make_user(acme, "nopin@acme.test")
    pins.set_pin(member, "4711")
    client.force_login(org_admin)
    body = client.get(_pins(acme)).content.decode()
    assert "member@acme.test" in body and "nopin@acme.test" not in body
    assert "4711" not in body and pins.pin_digest(acme, "4711") not in body
    for label in ("E-mail", "Created", "Expires", "Generate", "Delete", ">PINs<"):
        assert label in body, label


def test_pins_tab_search(client, org_admin, acme, member):
    other = make_user(acme, "zed@acme.test")
    pins.set_pin(member, "4711")
    pins.set_pin(other, "4712")
    client.force_login(org_admin)
    body = client.get(_pins(acme), {"q": "zed"}).content.decode()
    assert "zed@acme.test" in body and "member@acme.test" not in body


def test_pins_tab_query_count_does_not_grow(client, org_admin, acme, django_assert_max_num_queries):
    client.force_login(org_admin)
    for n in range(3):
        pins.set_pin(make_user(acme, f"a{n}@acme.test"), f"100{n}")
    client.get(_pins(acme))  # warm the session
    with django_assert_max_num_queries(20) as few:
        client.get(_pins(acme))
    for n in range(3, 30):
        pins.set_pin(make_user(acme, f"a{n}@acme.test"), f"10{n:02d}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(_pins(acme)).content.decode().count("@acme.test</a>") == 30


def test_help_desk_sees_pins_without_generate_or_delete(client, acme, member):
    hd = make_user(acme, "hd@acme.test", ["help_desk"])
    pins.set_pin(member, "4711")
    client.force_login(hd)
    body = client.get(_pins(acme)).content.decode()
    assert "member@acme.test" in body and "data-testid=\"pin-generate\"" not in body
    assert client.get(_generate(acme)).status_code == 403
    assert client.post(_delete(acme), {"ids": [member.pk]}).status_code == 403


def test_pins_tab_of_another_organization_answers_404(client, globex_admin, acme):
    client.force_login(globex_admin)
    assert client.get(_pins(acme)).status_code == 404


# --- Generate ----------------------------------------------------------------------------------------------

def test_generate_dialog_under_administrator_set_asks_for_the_pin(client, org_admin, acme):
    pins.update_configuration(acme, pin_length=6)
    client.force_login(org_admin)
    body = client.get(_generate(acme)).content.decode()
    for text in ("E-mail", "PIN code", "Show PIN code", "PIN must be of 6 characters long numeric", "Generate PIN"):
        assert text in body, text


def test_generate_sets_the_typed_pin_and_emails_it(client, org_admin, acme, member,
                                                   django_capture_on_commit_callbacks):
    client.force_login(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_generate(acme), {"email": "Member@Acme.test", "pin": "4711"})
    assert response.status_code == 302 and response["Location"] == _pins(acme)
    assert pins.find_user_by_pin(acme, "4711") == member
    assert mail.outbox[0].to == [member.email] and "4711" in mail.outbox[0].body


@pytest.mark.parametrize("pin,message", [("123", "PIN must be of 4 characters long numeric."),
                                         ("12345", "PIN must be of 4 characters long numeric."),
                                         ("", "This field is required.")])
def test_generate_refuses_a_wrong_pin(client, org_admin, acme, member, pin, message):
    client.force_login(org_admin)
    response = client.post(_generate(acme), {"email": member.email, "pin": pin})
    assert response.status_code == 200 and message in response.content.decode()
    assert not UserPin.objects.filter(user=member).exists()


def test_generate_refuses_a_taken_pin_with_a_friendly_message(client, org_admin, acme, member):
    pins.set_pin(make_user(acme, "first@acme.test"), "4711")
    client.force_login(org_admin)
    response = client.post(_generate(acme), {"email": member.email, "pin": "4711"})
    assert "This PIN cannot be used. Choose another PIN." in response.content.decode()


def test_generate_refuses_unknown_and_foreign_emails(client, org_admin, acme, globex):
    make_user(globex, "x@globex.test")
    client.force_login(org_admin)
    for email in ("nobody@acme.test", "x@globex.test"):
        response = client.post(_generate(acme), {"email": email, "pin": "4711"})
        assert "The user&#x27;s email address must already exist in the organization." in response.content.decode()
    assert not UserPin.objects.exists()


def test_generate_under_auto_has_no_pin_field_and_emails_a_generated_pin(client, org_admin, acme, member,
                                                                        django_capture_on_commit_callbacks):
    pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL)
    client.force_login(org_admin)
    assert "PIN code" not in client.get(_generate(acme)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_generate(acme), {"email": member.email, "pin": "4711"}, follow=True)
    assert UserPin.objects.get(user=member).source == PinSource.SYSTEM
    assert pins.find_user_by_pin(acme, "4711") is None  # a typed value is ignored
    sent = next(line.strip() for line in mail.outbox[0].body.splitlines() if line.strip().isdigit())
    assert sent not in response.content.decode()  # e-mailed, never shown


def test_user_administrator_cannot_reset_an_organization_administrators_pin_on_the_page(client, acme, org_admin):
    ua = make_user(acme, "ua@acme.test", ["user_administrator"])
    client.force_login(ua)
    response = client.post(_generate(acme), {"email": org_admin.email, "pin": "4711"})
    assert "more rights" in response.content.decode()
    assert not UserPin.objects.filter(user=org_admin).exists()


def test_generate_from_the_user_page_returns_there(client, org_admin, acme, member):
    client.force_login(org_admin)
    response = client.post(_generate(acme), {"email": member.email, "pin": "4711", "back": str(member.pk)})
    assert response["Location"] == reverse("accounts:user", kwargs={"org_id": acme.pk, "user_id": member.pk})


# --- Delete ------------------------------------------------------------------------------------------------

def test_delete_pins_in_bulk(client, org_admin, acme, member):
    other = make_user(acme, "other@acme.test")
    pins.set_pin(member, "4711")
    pins.set_pin(other, "4712")
    client.force_login(org_admin)
    response = client.post(_delete(acme), {"ids": [member.pk, other.pk]}, follow=True)
    assert "2 PINs deleted." in response.content.decode()
    assert not UserPin.objects.exists()


def test_delete_ignores_other_organizations_ids(client, org_admin, acme, globex):
    stranger = make_user(globex, "x@globex.test")
    pins.set_pin(stranger, "4711")
    client.force_login(org_admin)
    client.post(_delete(acme), {"ids": [stranger.pk]})
    assert UserPin.objects.filter(user=stranger).exists()


def test_delete_answers_405_to_get(client, org_admin, acme):
    client.force_login(org_admin)
    assert client.get(_delete(acme)).status_code == 405


# --- user page slot ----------------------------------------------------------------------------------------

def _user_page(org, user):
    return reverse("accounts:user", kwargs={"org_id": org.pk, "user_id": user.pk})


def test_user_page_offers_set_pin_then_reset_pin_and_delete(client, org_admin, acme, member):
    client.force_login(org_admin)
    body = client.get(_user_page(acme, member)).content.decode()
    assert "No PIN" in body and "Set PIN" in body and "user-pin-delete" not in body
    pins.set_pin(member, "4711")
    body = client.get(_user_page(acme, member)).content.decode()
    assert "Reset PIN" in body and "user-pin-delete" in body and "4711" not in body


def test_user_page_pin_slot_is_read_only_for_help_desk(client, acme, member):
    client.force_login(make_user(acme, "hd@acme.test", ["help_desk"]))
    body = client.get(_user_page(acme, member)).content.decode()
    assert "No PIN" in body and "user-pin-set" not in body


# --- My Account --------------------------------------------------------------------------------------------

def _my_account(client):
    return client.get(reverse("my-account")).content.decode()


def test_my_account_under_administrator_set_says_check_email_or_contact_admin(client, acme, member):
    client.force_login(member)
    body = _my_account(client)
    assert "Check e-mail or contact admin for your PIN" in body and "my-pin-set" not in body
    assert client.get(reverse("my-pin")).status_code == 302
    client.post(reverse("my-pin"), {"pin": "4711"})
    assert not UserPin.objects.filter(user=member).exists()


def test_my_account_under_user_set_sets_then_resets_own_pin(client, acme, member):
    pins.update_configuration(acme, pin_generation=PinGeneration.USER_SET, pin_length=5)
    client.force_login(member)
    assert "Set PIN" in _my_account(client)
    form = client.get(reverse("my-pin")).content.decode()
    assert "PIN must be of 5 characters long numeric" in form and "Generate PIN" in form
    response = client.post(reverse("my-pin"), {"pin": "1234"})
    assert response.status_code == 400 and "PIN must be of 5 characters long numeric." in response.content.decode()
    assert client.post(reverse("my-pin"), {"pin": "12345"}).status_code == 302
    assert pins.find_user_by_pin(acme, "12345") == member
    assert "Reset PIN" in _my_account(client)


def test_my_account_under_user_set_refuses_a_taken_pin(client, acme, member):
    pins.update_configuration(acme, pin_generation=PinGeneration.USER_SET)
    pins.set_pin(make_user(acme, "first@acme.test"), "4711")
    client.force_login(member)
    response = client.post(reverse("my-pin"), {"pin": "4711"})
    assert "This PIN cannot be used. Choose another PIN." in response.content.decode()


def test_my_account_under_auto_generates_and_emails(client, acme, member, django_capture_on_commit_callbacks):
    pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL)
    client.force_login(member)
    assert "Set PIN" in _my_account(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("my-pin"), follow=True)
    assert f"A new PIN was sent to {member.email}." in response.content.decode()
    assert mail.outbox[0].to == [member.email]
    assert "Reset PIN" in _my_account(client)


def test_my_pin_needs_sign_in(client, db):
    assert client.get(reverse("my-pin")).status_code == 302
    assert client.post(reverse("my-pin"), {"pin": "4711"}).status_code == 302
