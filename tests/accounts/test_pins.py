"""PINs: format, digest storage, uniqueness, expiry, e-mails and who may set what (A §24-§27, C §20, test cases
29, 30, 38)."""
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.choices import PinGeneration, PinSource
from accounts.models import UserPin
from accounts.services import printer_login as pins
from tests.conftest import make_user

TAKEN = "This PIN cannot be used. Choose another PIN."


@pytest.fixture
def admin_set(acme):
    return pins.update_configuration(acme, pin=True, pin_generation=PinGeneration.ADMIN_SET)


@pytest.fixture
def user_set(acme):
    return pins.update_configuration(acme, pin=True, pin_generation=PinGeneration.USER_SET)


@pytest.fixture
def auto(acme):
    return pins.update_configuration(acme, pin=True, pin_generation=PinGeneration.AUTO_EMAIL)


def _sent_pin(message) -> str:
    return next(line.strip() for line in message.body.splitlines() if line.strip().isdigit())


# --- format ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pin", ["123", "12345", "12a4", "", " 1234x", "١٢٣٤"])
def test_pin_not_of_exactly_the_configured_digits_is_rejected(admin_set, member, pin):
    with pytest.raises(ValidationError) as excinfo:
        pins.set_pin(member, pin)
    assert excinfo.value.message_dict["pin"] == ["PIN must be of 4 characters long numeric."]
    assert not UserPin.objects.filter(user=member).exists()


@pytest.mark.parametrize("length,pin,ok", [
    (4, "123", False), (4, "1234", True), (12, "123456789012", True), (12, "1234567890123", False),
])
def test_pin_boundaries_3_4_12_13_digits(acme, member, length, pin, ok):
    pins.update_configuration(acme, pin_length=length)
    if ok:
        assert pins.set_pin(member, pin).user == member
    else:
        with pytest.raises(ValidationError):
            pins.set_pin(member, pin)


# --- storage -----------------------------------------------------------------------------------------------

def test_pin_is_stored_only_as_its_keyed_digest(admin_set, acme, member):
    record = pins.set_pin(member, "4711")
    record.refresh_from_db()
    assert record.digest == pins.pin_digest(acme, "4711") and len(record.digest) == 64
    row = UserPin.objects.filter(pk=record.pk).values().get()
    assert not any("4711" in str(value) for name, value in row.items() if name != "digest")
    assert row["digest"] != "4711" and set(row) == {"id", "user_id", "organization_id", "digest", "source",
                                                    "created_at", "expires_at"}


def test_same_pin_in_two_organizations_has_different_digests(acme, globex):
    assert pins.pin_digest(acme, "4711") != pins.pin_digest(globex, "4711")


def test_pin_is_unique_in_the_organization(admin_set, acme, member):
    other = make_user(acme, "other@acme.test")
    pins.set_pin(member, "4711")
    with pytest.raises(ValidationError) as excinfo:
        pins.set_pin(other, "4711")
    assert excinfo.value.message_dict["pin"] == [TAKEN]
    assert not UserPin.objects.filter(user=other).exists()


def test_same_pin_is_fine_in_another_organization(admin_set, globex, member):
    pins.set_pin(member, "4711")
    stranger = make_user(globex, "x@globex.test")
    assert pins.set_pin(stranger, "4711").organization == globex


def test_resetting_replaces_the_users_pin(admin_set, acme, member):
    pins.set_pin(member, "4711")
    pins.set_pin(member, "4712")
    assert UserPin.objects.filter(user=member).count() == 1
    assert pins.find_user_by_pin(acme, "4711") is None
    assert pins.find_user_by_pin(acme, "4712") == member


# --- lookup ------------------------------------------------------------------------------------------------

def test_find_user_by_pin_and_check_user_pin(admin_set, acme, globex, member):
    pins.set_pin(member, "4711")
    assert pins.find_user_by_pin(acme, "4711") == member
    assert pins.find_user_by_pin(acme, "4712") is None
    assert pins.find_user_by_pin(globex, "4711") is None
    assert pins.find_user_by_pin(acme, None) is None
    assert pins.check_user_pin(member, "4711") is True
    assert pins.check_user_pin(member, "4712") is False


def test_inactive_users_pin_is_refused(admin_set, acme, member):
    pins.set_pin(member, "4711")
    member.is_active = False
    member.save()
    assert pins.find_user_by_pin(acme, "4711") is None
    assert pins.check_user_pin(member, "4711") is False


# --- expiry ------------------------------------------------------------------------------------------------

def test_pin_expires_after_the_organizations_rule_at_set_time(acme, member):
    pins.update_configuration(acme, pin_expires=True, pin_expiration_value=5, pin_expiration_unit="days")
    before = timezone.now()
    record = pins.set_pin(member, "4711")
    assert before + timedelta(days=5) <= record.expires_at <= timezone.now() + timedelta(days=5)
    # a later change of the rule does not move PINs already set
    pins.update_configuration(acme, pin_expires=False)
    record.refresh_from_db()
    assert record.expires_at is not None


def test_expired_pin_is_refused(acme, member):
    pins.update_configuration(acme, pin_expires=True, pin_expiration_value=1, pin_expiration_unit="hours")
    record = pins.set_pin(member, "4711")
    UserPin.objects.filter(pk=record.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert pins.find_user_by_pin(acme, "4711") is None
    assert pins.check_user_pin(member, "4711") is False


def test_never_expiring_pin_has_no_expiry(admin_set, member):
    assert pins.set_pin(member, "4711").expires_at is None


# --- e-mails -----------------------------------------------------------------------------------------------

def test_administrator_set_pin_is_emailed_to_the_user(admin_set, org_admin, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pins.set_pin(member, "4711", by=org_admin)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [member.email]
    assert _sent_pin(mail.outbox[0]) == "4711"


def test_generated_pin_is_emailed_never_returned(auto, acme, org_admin, member, django_capture_on_commit_callbacks):
    pins.update_configuration(acme, pin_length=6)
    with django_capture_on_commit_callbacks(execute=True):
        record = pins.generate_pin(member, by=org_admin)
    assert record.source == PinSource.SYSTEM and not hasattr(record, "pin")
    sent = _sent_pin(mail.outbox[0])
    assert len(sent) == 6 and pins.find_user_by_pin(acme, sent) == member


def test_users_own_pin_gets_a_notice_without_the_pin(user_set, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pins.set_pin(member, "4711", by=member, source=PinSource.USER)
    assert len(mail.outbox) == 1 and "4711" not in mail.outbox[0].body


def test_no_email_without_notify(admin_set, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pins.set_pin(member, "4711", notify=False)
    assert mail.outbox == []


def test_refused_pin_sends_nothing(admin_set, acme, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(ValidationError):
            pins.set_pin(member, "47")
    assert mail.outbox == []


# --- who may set what (the guide's matrix) -----------------------------------------------------------------

def test_typed_pins_are_refused_under_auto_generate(auto, org_admin, member):
    with pytest.raises(ValidationError):
        pins.set_pin(member, "4711", by=org_admin)


def test_administrator_may_set_under_user_set(user_set, org_admin, member):
    """Decision 0005: the guide's procedure (admin Set PIN under User set) wins over its matrix."""
    assert pins.set_pin(member, "4711", by=org_admin).source == PinSource.ADMIN


def test_user_sets_own_pin_only_under_user_set(acme, member):
    pins.update_configuration(acme, pin_generation=PinGeneration.USER_SET)
    assert pins.set_pin(member, "4711", by=member, source=PinSource.USER).source == PinSource.USER
    pins.update_configuration(acme, pin_generation=PinGeneration.ADMIN_SET)
    with pytest.raises(ValidationError) as excinfo:
        pins.set_pin(member, "4712", by=member, source=PinSource.USER)
    assert "contact admin" in excinfo.value.message_dict["pin"][0]
    pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL)
    with pytest.raises(ValidationError):
        pins.set_pin(member, "4712", by=member, source=PinSource.USER)


def test_user_cannot_set_another_users_pin_as_their_own(user_set, acme, member):
    other = make_user(acme, "other@acme.test")
    with pytest.raises(PermissionDenied):
        pins.set_pin(other, "4711", by=member, source=PinSource.USER)


def test_user_generates_own_pin_only_under_auto(acme, member):
    pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL)
    assert pins.generate_pin(member, by=member).user == member
    for generation in (PinGeneration.ADMIN_SET, PinGeneration.USER_SET):
        pins.update_configuration(acme, pin_generation=generation)
        with pytest.raises(ValidationError):
            pins.generate_pin(member, by=member)


def test_plain_user_cannot_set_someone_elses_pin(admin_set, acme, member):
    other = make_user(acme, "other@acme.test")
    with pytest.raises(PermissionDenied):
        pins.set_pin(other, "4711", by=member)
    with pytest.raises(PermissionDenied):
        pins.generate_pin(other, by=member)
    with pytest.raises(PermissionDenied):
        pins.delete_pins(acme, [other.pk], by=member)


def test_user_administrator_cannot_reset_an_organization_administrators_pin(admin_set, acme, org_admin):
    ua = make_user(acme, "ua@acme.test", ["user_administrator"])
    with pytest.raises(ValidationError) as excinfo:
        pins.set_pin(org_admin, "4711", by=ua)
    assert "more rights" in excinfo.value.messages[0]
    with pytest.raises(ValidationError):
        pins.generate_pin(org_admin, by=ua)
    pins.set_pin(org_admin, "4711")
    with pytest.raises(ValidationError):
        pins.delete_pins(acme, [org_admin.pk], by=ua)
    assert UserPin.objects.filter(user=org_admin).exists()


def test_user_administrator_manages_a_plain_users_pin(admin_set, acme, member):
    ua = make_user(acme, "ua@acme.test", ["user_administrator"])
    pins.set_pin(member, "4711", by=ua)
    assert pins.delete_pins(acme, [member.pk], by=ua) == 1


def test_delete_pins_ignores_other_organizations(admin_set, acme, globex, member):
    stranger = make_user(globex, "x@globex.test")
    pins.set_pin(stranger, "4711")
    pins.set_pin(member, "4711")
    assert pins.delete_pins(acme, [member.pk, stranger.pk]) == 1
    assert UserPin.objects.filter(user=stranger).exists()


def test_self_service_refusals_are_limited(user_set, acme, member):
    taken = [f"{n:04d}" for n in range(1000, 1000 + pins.REFUSALS_PER_HOUR)]
    for n, pin in enumerate(taken):
        pins.set_pin(make_user(acme, f"u{n}@acme.test"), pin)
    for pin in taken:
        with pytest.raises(ValidationError):
            pins.set_pin(member, pin, by=member, source=PinSource.USER)
    with pytest.raises(ValidationError) as excinfo:
        pins.set_pin(member, "9999", by=member, source=PinSource.USER)
    assert "Too many" in excinfo.value.message_dict["pin"][0]


def test_generate_avoids_taken_pins(acme, member, monkeypatch):
    pins.update_configuration(acme, pin_generation=PinGeneration.AUTO_EMAIL)
    pins.set_pin(make_user(acme, "first@acme.test"), "1111", source=PinSource.IDP)
    draws = iter("1111" + "2222")
    monkeypatch.setattr(pins.secrets, "choice", lambda _digits: next(draws))
    pins.generate_pin(member)
    assert pins.find_user_by_pin(acme, "2222") == member


# --- what My Account and the user page offer (test case 38) ------------------------------------------------

@pytest.mark.parametrize("generation,has_pin,expected", [
    (PinGeneration.USER_SET, False, ("Set PIN", True, "")),
    (PinGeneration.USER_SET, True, ("Reset PIN", True, "")),
    (PinGeneration.AUTO_EMAIL, False, ("Set PIN", False, "")),
    (PinGeneration.AUTO_EMAIL, True, ("Reset PIN", False, "")),
    (PinGeneration.ADMIN_SET, True, ("", False, "Check e-mail or contact admin for your PIN")),
])
def test_my_account_pin_actions(acme, generation, has_pin, expected):
    config = pins.update_configuration(acme, pin_generation=generation)
    actions = pins.pin_actions(config, has_pin=has_pin, self_service=True)
    assert (actions["set"], actions["typed"], actions["notice"]) == expected
