"""Device API: a printer (an Application with a client-credentials token) authenticates users of its own
organization by badge, PIN, badge + PIN, e-mail and password, or one-time login code; brute force is throttled
per printer and per organization, every attempt is audited."""
import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import throttle
from accounts.models import AuthAttempt, Badge, UserPin
from accounts.services import device_sessions
from tests.accounts import test_device_api_fixtures as fixtures
from tests.accounts.test_device_api_fixtures import (
    Person,
    access_token,
    badge_pin_mode,
    configure,
    printer_of,
)

acme_printer, acme_token, alice = fixtures.acme_printer, fixtures.acme_token, fixtures.alice

BASE = "/api/device/v1/"


class Device:
    """A printer calling the API with its access token (Django's test client)."""

    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path, **headers):
        return self.client.get(BASE + path, headers={**self.headers, **headers})

    def post(self, path, body, **headers):
        return self.client.post(BASE + path, body, content_type="application/json",
                                headers={**self.headers, **headers})

    def login(self, body):
        return self.post("authenticate", body)


@pytest.fixture
def device(client, acme_token):
    return Device(client, acme_token)


# --- the printer's own authentication ----------------------------------------------------------------------

def test_a_call_without_token_answers_401_json_with_www_authenticate(client, acme_printer):
    response = client.get(BASE + "login-configuration")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_refused(client, acme_printer):
    response = Device(client, "not-a-token").get("login-configuration")
    assert response.status_code == 401


def test_a_revoked_application_is_refused_even_with_an_unexpired_token(client, acme_printer, acme_token, alice):
    type(acme_printer).objects.filter(pk=acme_printer.pk).update(revoked_at=timezone.now())
    device = Device(client, acme_token)
    assert device.get("login-configuration").status_code == 401
    response = device.login(alice.credentials("badge"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"


def test_revoking_an_application_through_its_service_stops_its_tokens(client, acme_printer, acme_token):
    from accounts.services.applications import revoke_application

    revoke_application(acme_printer)
    assert Device(client, acme_token).get("login-configuration").status_code == 401


# --- login configuration ------------------------------------------------------------------------------------

def test_login_configuration_answers_the_organization_settings_with_an_etag(device, acme):
    response = device.get("login-configuration")
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "standard" and body["badge"] and body["pin"] and body["secure_login"]
    assert body["pin_length"] == 4
    assert body["poll_interval_seconds"] == 900
    assert body["methods"] == ["badge", "pin", "password", "code"]
    assert response["ETag"]


def test_an_unchanged_configuration_answers_304_and_a_change_a_new_etag(device, acme):
    etag = device.get("login-configuration")["ETag"]
    again = device.get("login-configuration", **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again["ETag"] == etag
    configure(acme, pin=False)
    changed = device.get("login-configuration", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["pin"] is False
    assert "pin" not in changed.json()["methods"]


def test_badge_pin_mode_offers_badge_pin_and_with_secure_login_credentials(device, acme):
    badge_pin_mode(acme)
    assert device.get("login-configuration").json()["methods"] == ["badge_pin"]
    badge_pin_mode(acme, secure_login=True)
    assert device.get("login-configuration").json()["methods"] == ["badge_pin", "password", "code"]


# --- authenticate -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["badge", "pin", "password", "code"])
def test_each_standard_method_answers_identity_printer_roles_and_a_session(device, alice, method):
    response = device.login(alice.credentials(method))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"] == {"id": alice.user.pk, "email": "alice@acme.test", "display_name": "Pat Alice",
                            "department": "Finance", "cost_center": "CC-7"}
    # roles of the solutions used at printers only, not Account Management's
    assert body["roles"] == ["print_release_management_user", "scan_management_user"]
    assert body["expires_in"] == 900
    assert device.get("session", **{"X-Session-Token": body["session_token"]}).json()["user"]["id"] == alice.user.pk
    attempt = AuthAttempt.objects.get()
    assert (attempt.method, attempt.succeeded, attempt.user_id) == (method, True, alice.user.pk)


def test_badge_plus_pin_needs_both(device, acme, alice):
    badge_pin_mode(acme)
    assert device.login(alice.credentials("badge_pin")).status_code == 200
    wrong = device.login({"method": "badge_pin", "badge": alice.badge, "pin": "0000"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_credentials"
    alone = device.login(alice.credentials("badge"))
    assert alone.status_code == 403 and alone.json()["error"] == "method_not_allowed"


def test_a_badge_login_records_last_logged_in(device, alice):
    device.login(alice.credentials("badge"))
    assert Badge.objects.get(badge_id=alice.badge).last_used_at is not None


def test_a_method_the_configuration_does_not_allow_is_refused_with_403(device, acme, alice):
    configure(acme, pin=False)
    response = device.login(alice.credentials("pin"))
    assert response.status_code == 403
    assert response.json()["error"] == "method_not_allowed"


def test_credentials_are_required_for_their_method(device):
    response = device.login({"method": "badge_pin", "badge": "x"})
    assert response.status_code == 400
    assert "pin" in response.json()
    assert device.login({"method": "fingerprint"}).status_code == 400


def test_wrong_password_and_unknown_email_get_the_same_answer(device, alice):
    wrong = device.login({"method": "password", "email": alice.email, "password": "Wrong-pass1!"})
    unknown = device.login({"method": "password", "email": "nobody@acme.test", "password": "Wrong-pass1!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "invalid_credentials", "detail": "The credentials are not valid."}


def test_a_wrong_pin_or_code_is_refused(device, alice):
    assert device.login({"method": "pin", "pin": "9999"}).json()["error"] == "invalid_credentials"
    assert device.login({"method": "code", "code": "12345678"}).json()["error"] == "invalid_credentials"


def test_an_unknown_badge_answers_registration_required_with_the_registration_options(device):
    response = device.login({"method": "badge", "badge": "unknown-badge"})
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "registration_required"
    assert body["registration"]["manual"].endswith("/api/device/v1/badges/register")
    assert body["registration"]["email"].endswith("/api/device/v1/badges/register-by-email")


def test_an_expired_temporary_badge_answers_expired(device, acme, alice):
    from accounts.services.badges import register_badge

    register_badge(alice.user, "temp-1", temporary=True)
    Badge.objects.filter(badge_id="temp-1").update(expires_at=timezone.now() - timedelta(minutes=1))
    response = device.login({"method": "badge", "badge": "temp-1"})
    assert response.status_code == 401
    assert response.json()["error"] == "expired"


def test_an_expired_pin_answers_expired(device, alice):
    UserPin.objects.filter(user=alice.user).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = device.login(alice.credentials("pin"))
    assert response.status_code == 401
    assert response.json()["error"] == "expired"


def test_a_login_code_works_once(device, alice):
    body = alice.credentials("code")
    assert device.login(body).status_code == 200
    again = device.login(body)
    assert again.status_code == 401 and again.json()["error"] == "invalid_credentials"


def test_a_deactivated_user_cannot_log_in_with_their_badge(device, alice):
    type(alice.user).objects.filter(pk=alice.user.pk).update(is_active=False)
    response = device.login(alice.credentials("badge"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_credentials"


def test_badge_authentication_queries_do_not_grow_with_users(device, acme, alice, django_assert_max_num_queries):
    for i in range(20):
        Person(acme, f"u{i}@acme.test", f"badge-{i}", f"{1000 + i}")
    # 9 on PostgreSQL: the transaction starts with SET LOCAL synchronous_commit (device_auth._relax_commit)
    with django_assert_max_num_queries(9):
        assert device.login(alice.credentials("badge")).status_code == 200


# --- sessions -----------------------------------------------------------------------------------------------

def test_a_session_token_is_bound_to_its_printer(client, device, acme, alice):
    token = device.login(alice.credentials("badge")).json()["session_token"]
    other = Device(client, access_token(printer_of(acme, "Second printer")))
    response = other.get("session", **{"X-Session-Token": token})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_session"


def test_a_session_token_expires(device, alice, monkeypatch):
    token = device.login(alice.credentials("badge")).json()["session_token"]
    monkeypatch.setattr(device_sessions, "SESSION_LIFETIME", -1)
    assert device.get("session", **{"X-Session-Token": token}).status_code == 401


def test_a_forged_session_token_is_refused(device):
    assert device.get("session", **{"X-Session-Token": "eyJ1IjoxfQ:forged:sig"}).status_code == 401
    assert device.get("session").status_code == 401


# --- brute-force protection -----------------------------------------------------------------------------------

def _fail(device, n):
    for _ in range(n):
        assert device.login({"method": "pin", "pin": "0000"}).status_code == 401


def test_the_printer_is_throttled_after_ten_failures_before_credentials_are_checked(device, alice):
    _fail(device, throttle.PRINTER.capacity)
    response = device.login(alice.credentials("badge"))  # right credentials, still refused
    assert response.status_code == 429
    assert response.json()["error"] == "too_many_attempts"
    assert 1 <= int(response["Retry-After"]) <= throttle.PRINTER.refill_seconds
    rows = AuthAttempt.objects.all()
    assert rows.filter(succeeded=False, throttled=False, reason="wrong_pin").count() == 10
    throttled = rows.get(throttled=True)
    assert (throttled.method, throttled.succeeded, throttled.reason) == ("badge", False, "too_many_attempts")
    assert Badge.objects.get(badge_id=alice.badge).last_used_at is None  # never looked at


def test_another_printer_of_the_organization_is_not_throttled_by_the_first(client, device, acme, alice):
    _fail(device, throttle.PRINTER.capacity)
    other = Device(client, access_token(printer_of(acme, "Second printer")))
    assert other.login(alice.credentials("badge")).status_code == 200


def test_the_organization_bucket_limits_all_its_printers_together(client, acme_printer, acme, alice, monkeypatch):
    monkeypatch.setattr(throttle, "ORGANIZATION", throttle.Bucket("organization", capacity=4, refill_seconds=3))
    printers = [Device(client, access_token(printer_of(acme, f"P{i}"))) for i in range(3)]
    _fail(printers[0], 2)
    _fail(printers[1], 2)
    assert printers[2].login(alice.credentials("badge")).status_code == 429


def test_successes_do_not_consume_the_bucket(device, alice):
    for _ in range(throttle.PRINTER.capacity + 5):
        assert device.login(alice.credentials("badge")).status_code == 200


def test_the_bucket_refills_one_failure_per_period(device, alice, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    _fail(device, throttle.PRINTER.capacity)
    assert device.login(alice.credentials("badge")).status_code == 429
    now[0] += throttle.PRINTER.refill_seconds
    assert device.login(alice.credentials("badge")).status_code == 200
    _fail(device, 1)
    assert device.login(alice.credentials("badge")).status_code == 429


def test_the_throttle_fails_open_when_the_cache_is_down(device, alice, monkeypatch, caplog):
    class Down:
        def __getattr__(self, name):
            def broken(*args, **kwargs):
                raise ConnectionError("cache down")
            return broken

    monkeypatch.setattr(throttle, "cache", Down())
    with caplog.at_level(logging.WARNING, logger="accounts.throttle"):
        assert device.login({"method": "pin", "pin": "0000"}).status_code == 401
        assert device.login(alice.credentials("badge")).status_code == 200
    assert "cache unavailable" in caplog.text
    assert AuthAttempt.objects.count() == 2


def test_audit_rows_never_hold_the_secret_values(device, alice):
    for method in ("badge", "pin", "password", "code"):
        device.login(alice.credentials(method))
    device.login({"method": "pin", "pin": "0000"})
    device.login({"method": "password", "email": alice.email, "password": "Secret-guess9"})
    for row in AuthAttempt.objects.values():
        text = " ".join(str(v) for v in row.values())
        for secret in (alice.badge, alice.pin, alice.password, "0000", "Secret-guess9"):
            assert secret not in text


# --- badge registration at the printer ----------------------------------------------------------------------

def test_manual_registration_registers_the_badge_and_logs_the_user_in(device, alice):
    response = device.post("badges/register", {"badge": "new-badge", "email": alice.email, "password": alice.password})
    assert response.status_code == 201, response.content
    assert response.json()["user"]["id"] == alice.user.pk
    badge = Badge.objects.get(badge_id="new-badge")
    assert badge.user == alice.user and not badge.temporary
    assert device.login({"method": "badge", "badge": "new-badge"}).status_code == 200


def test_manual_registration_with_a_wrong_password_registers_nothing(device, alice):
    response = device.post("badges/register", {"badge": "new-badge", "email": alice.email, "password": "nope"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_credentials"
    assert not Badge.objects.filter(badge_id="new-badge").exists()


def test_manual_registration_of_a_badge_already_registered_is_refused(device, acme, alice):
    bob = Person(acme, "bob@acme.test", "bob-badge", "5555")
    response = device.post("badges/register", {"badge": bob.badge, "email": alice.email, "password": alice.password})
    assert response.status_code == 400
    assert Badge.objects.get(badge_id=bob.badge).user == bob.user


def test_email_registration_sends_a_link_and_answers_202(device, alice, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = device.post("badges/register-by-email", {"badge": "mailed-badge", "email": alice.email})
    assert response.status_code == 202
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [alice.email]


def test_email_registration_answers_the_same_for_an_unknown_or_foreign_address(device, globex_admin,
                                                                                django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        unknown = device.post("badges/register-by-email", {"badge": "b1", "email": "nobody@acme.test"})
        foreign = device.post("badges/register-by-email", {"badge": "b1", "email": globex_admin.email})
    assert unknown.status_code == foreign.status_code == 202
    assert unknown.json() == foreign.json()
    assert mail.outbox == []


def test_registration_is_refused_when_badges_are_not_used(device, acme, alice):
    configure(acme, badge=False)
    response = device.post("badges/register", {"badge": "b2", "email": alice.email, "password": alice.password})
    assert response.status_code == 403


def test_the_device_badge_lookup_follows_find_badge(acme, globex, alice):
    """device_auth.lookup_badge (one SQL query, the printers' hot path) and badges.find_badge agree."""
    from accounts.services import badges, device_auth

    bob = Person(acme, "bob@acme.test", "bob-badge", "5555")
    badges.register_badge(alice.user, "temp-ok", temporary=True)
    badges.register_badge(alice.user, "temp-old", temporary=True)
    Badge.objects.filter(badge_id="temp-old").update(expires_at=timezone.now() - timedelta(seconds=1))
    Person(globex, "gina@globex.test", "globex-badge", "6666")
    type(bob.user).objects.filter(pk=bob.user.pk).update(is_active=False)
    for badge_id in (alice.badge, "temp-ok", "temp-old", bob.badge, "globex-badge", "unknown", "", " " + alice.badge):
        found = badges.find_badge(acme, badge_id)
        looked = device_auth.lookup_badge(acme, badge_id)
        usable = looked is not None and looked[1] and looked[0].user.is_active
        assert (found is not None) == usable, badge_id
        if found is not None:
            assert (found.pk, found.user_id) == (looked[0].pk, looked[0].user.pk)


@pytest.mark.parametrize("body", [
    {"method": "badge", "badge": " 20171a "}, {"method": "pin", "pin": "4821", "extra": 1},
    {"method": "password", "email": "a@b.test", "password": " spaced "}, {"method": "code", "code": "1234 5678"},
    {"method": "badge_pin", "badge": "b", "pin": ""}, {"method": "badge", "badge": 20171}, {"method": "nope"},
    {"method": "pin", "pin": "1" * 33}, {"method": "badge"}, [], "text"])
def test_the_fast_body_parser_agrees_with_the_serializer(body):
    from accounts.api.device import AuthenticateSerializer, parse_authenticate

    fast = parse_authenticate(body)
    serializer = AuthenticateSerializer(data=body)
    if fast is not None:
        assert serializer.is_valid() and dict(serializer.validated_data) == fast


def test_a_configuration_change_applies_to_the_next_login(device, acme, alice):
    assert device.login(alice.credentials("pin")).status_code == 200  # the configuration is now cached
    configure(acme, pin=False)
    assert device.login(alice.credentials("pin")).status_code == 403
