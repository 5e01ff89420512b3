"""The device API over real HTTP (urllib) against the running server (pytest-django's live_server), as a
printer would call it: a token from POST /oauth/token, the configuration with ETag/304, each login method,
the throttle and the badge registration flows."""
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from accounts import throttle
from accounts.choices import ApplicationKind, LoginMode
from accounts.models import AuthAttempt, Badge
from accounts.services import applications
from tests.accounts.test_device_api_fixtures import ALL_METHODS, Person, configure

pytestmark = pytest.mark.django_db(transaction=True)


class Printer:
    def __init__(self, base_url, client_id, client_secret):
        self.base, self.client_id, self.client_secret, self.token = base_url, client_id, client_secret, None

    def call(self, method, path, body=None, headers=None, token=True):
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                raw = response.read()
                return response.status, dict(response.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                payload = raw
            return error.code, dict(error.headers), payload

    def obtain_token(self):
        status, _headers, body = self.call("POST", "/oauth/token", {
            "grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
            token=False)
        assert status == 200, body
        assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
        self.token = body["access_token"]
        return body

    def login(self, body):
        return self.call("POST", "/api/device/v1/authenticate", body)


@pytest.fixture
def printer(live_server, acme):
    configure(acme, **ALL_METHODS)
    app, secret = applications.create_application(acme, "Lobby printer", kind=ApplicationKind.DEVICE)
    printer = Printer(live_server.url, app.client_id, secret)
    printer.obtain_token()
    return printer


@pytest.fixture
def alice(acme):
    return Person(acme, "alice@acme.test", "20171a", "4821", ["print_release_management_user"])


def test_a_printer_gets_a_token_and_polls_the_configuration_with_etag(printer, acme):
    status, headers, body = printer.call("GET", "/api/device/v1/login-configuration")
    assert status == 200
    assert body["poll_interval_seconds"] == 900 and body["methods"] == ["badge", "pin", "password", "code"]
    etag = headers["ETag"]
    status, _headers, _body = printer.call("GET", "/api/device/v1/login-configuration", headers={"If-None-Match": etag})
    assert status == 304
    configure(acme, mode=LoginMode.BADGE_PIN)
    status, headers, body = printer.call("GET", "/api/device/v1/login-configuration", headers={"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag
    assert body["mode"] == "badge_pin" and body["methods"] == ["badge_pin", "password", "code"]


def test_without_a_token_the_api_answers_401_with_a_bearer_challenge(printer):
    status, headers, body = printer.call("GET", "/api/device/v1/login-configuration", token=False)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert body["error"] == "invalid_token"


@pytest.mark.parametrize("method", ["badge", "pin", "password", "code"])
def test_a_user_logs_in_at_the_printer_by_each_method(printer, alice, method):
    status, _headers, body = printer.login(alice.credentials(method))
    assert status == 200, body
    assert body["user"]["email"] == "alice@acme.test" and body["roles"] == ["print_release_management_user"]
    status, _headers, session = printer.call("GET", "/api/device/v1/session",
                                             headers={"X-Session-Token": body["session_token"]})
    assert status == 200 and session["user"]["id"] == alice.user.pk


def test_badge_plus_pin_over_http(printer, acme, alice):
    configure(acme, mode=LoginMode.BADGE_PIN)
    status, _headers, body = printer.login(alice.credentials("badge_pin"))
    assert status == 200, body


def test_repeated_failures_are_throttled_with_retry_after_and_audited(printer, alice):
    for _ in range(throttle.PRINTER.capacity):
        status, _headers, body = printer.login({"method": "pin", "pin": "0000"})
        assert status == 401 and body["error"] == "invalid_credentials"
    status, headers, body = printer.login(alice.credentials("pin"))
    assert status == 429 and body["error"] == "too_many_attempts"
    assert int(headers["Retry-After"]) > 0
    assert AuthAttempt.objects.filter(succeeded=False, throttled=False).count() == throttle.PRINTER.capacity
    assert AuthAttempt.objects.filter(throttled=True).count() == 1


def test_an_unknown_badge_is_registered_manually_then_logs_in(printer, alice):
    status, _headers, body = printer.login({"method": "badge", "badge": "new-card"})
    assert status == 404 and body["error"] == "registration_required"
    manual = body["registration"]["manual"]
    assert manual.startswith(printer.base)
    status, _headers, body = printer.call("POST", manual.removeprefix(printer.base),
                                          {"badge": "new-card", "email": alice.email, "password": alice.password})
    assert status == 201, body
    status, _headers, body = printer.login({"method": "badge", "badge": "new-card"})
    assert status == 200 and body["user"]["id"] == alice.user.pk


def test_an_unknown_badge_is_registered_by_the_emailed_link(printer, alice, client):
    from django.core import mail

    mail.outbox.clear()
    status, _headers, body = printer.login({"method": "badge", "badge": "mailed-card"})
    path = body["registration"]["email"].removeprefix(printer.base)
    status, _headers, body = printer.call("POST", path, {"badge": "mailed-card", "email": alice.email})
    assert status == 202
    assert len(mail.outbox) == 1
    link = next(word for word in mail.outbox[0].body.split() if "badge-registration" in word)
    client.force_login(alice.user)
    path = urllib.parse.urlsplit(link).path
    assert "Register Badge" in client.get(path).content.decode()
    page = client.post(path)
    assert "Badge Registration Completed Successfully." in page.content.decode()
    assert Badge.objects.get(badge_id="mailed-card").user == alice.user
    status, _headers, body = printer.login({"method": "badge", "badge": "mailed-card"})
    assert status == 200
