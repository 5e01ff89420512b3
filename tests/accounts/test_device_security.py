"""Findings of the security review of printer login, kept fixed: integrations cannot log users in, the
throttle takes its token before the check, registration cannot route around the second factor or flood
mailboxes, PINs cannot be mapped out by administrators, odd text answers 400."""
import json

import pytest
from django.core import mail

from accounts import throttle
from accounts.choices import ApplicationKind, PinSource
from accounts.services import applications, printer_login
from tests.accounts import test_device_api_fixtures as fixtures
from tests.accounts.test_device_api_fixtures import access_token, badge_pin_mode
from tests.conftest import PASSWORD, make_user

acme_printer, acme_token, alice = fixtures.acme_printer, fixtures.acme_token, fixtures.alice
API = "/api/device/v1/"


def post(client, token, path, body):
    return client.post(API + path, json.dumps(body), content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


def test_an_integrations_credentials_cannot_log_users_in(client, acme, alice):
    integration, _secret = applications.create_application(acme, "Reporting tool", kind=ApplicationKind.INTEGRATION)
    response = post(client, access_token(integration), "authenticate", {"method": "badge", "badge": alice.badge})
    assert response.status_code == 403


def test_the_throttle_takes_a_token_before_the_check_and_gives_it_back_on_success(acme_printer):
    buckets = throttle.device_buckets(acme_printer)
    for _ in range(throttle.PRINTER.capacity):
        assert throttle.acquire(buckets) == 0  # in flight at once: each holds a token
    assert throttle.acquire(buckets) > 0  # the eleventh concurrent guess is refused before its check
    throttle.release(buckets)
    assert throttle.acquire(buckets) == 0


def test_manual_registration_asks_for_the_pin_under_badge_plus_pin(client, acme, acme_token, alice):
    badge_pin_mode(acme, secure_login=False)
    body = {"badge": "new-card", "email": alice.email, "password": PASSWORD}
    assert post(client, acme_token, "badges/register", body).status_code == 401
    assert post(client, acme_token, "badges/register", {**body, "pin": alice.pin}).status_code == 201


def test_registration_by_email_costs_a_token_and_keeps_three_links_open(client, acme, acme_token, alice,
                                                                        django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [post(client, acme_token, "badges/register-by-email", {"badge": f"c{i}", "email": alice.email})
                    .status_code for i in range(throttle.PRINTER.capacity + 1)]
    assert statuses[:-1] == [202] * throttle.PRINTER.capacity and statuses[-1] == 429
    assert len(mail.outbox) == 3


def test_administrators_cannot_map_out_pins_by_the_pin_taken_answer(client, acme, alice):
    admin = make_user(acme, "oa2@acme.test", ["organization_administrator"])
    others = [make_user(acme, f"p{i}@acme.test") for i in range(10)]
    for i, user in enumerate(others[:5]):
        printer_login.set_pin(user, f"{1000 + i}", source=PinSource.ADMIN, notify=False)
    client.force_login(admin)
    answers = []
    for i in range(printer_login.REFUSALS_PER_HOUR + 2):
        response = client.post(f"/api/v1/organizations/{acme.pk}/pins/",
                               {"user_id": others[9].pk, "pin": f"{1000 + i % 5}"}, content_type="application/json")
        answers.append("Too many" in response.content.decode())
    assert answers[:printer_login.REFUSALS_PER_HOUR] == [False] * printer_login.REFUSALS_PER_HOUR
    assert all(answers[printer_login.REFUSALS_PER_HOUR:])  # from then on every PIN gets the same answer


@pytest.mark.parametrize("body", [{"method": "pin", "pin": "\ud800"}, {"method": "badge", "badge": "a\u0000b"},
                                  {"method": "password", "email": "\ud800@x", "password": "x"}])
def test_odd_text_answers_400_not_500(client, acme_token, body):
    client.raise_request_exception = False
    response = client.post(API + "authenticate", json.dumps(body), content_type="application/json",
                           headers={"Authorization": f"Bearer {acme_token}"})
    assert response.status_code == 400


def test_printers_of_an_organization_pending_deletion_log_nobody_in(client, acme, acme_token, alice):
    from accounts.choices import OrganizationStatus

    acme.status = OrganizationStatus.PENDING_DELETION
    acme.save()
    response = post(client, acme_token, "authenticate", {"method": "badge", "badge": alice.badge})
    assert response.status_code == 403
