"""Secure login codes (spec A §13, C §18, T18, test case 39): 8 digits, 15 minutes, single use, stored as a
digest; a new code voids the previous one; /device and the My Account link."""
import threading
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import LoginCode, PrinterLoginConfiguration
from accounts.services import login_codes as codes
from tests.conftest import make_user


def test_issued_code_is_eight_digits_and_stored_only_as_a_digest(member):
    code, row = codes.issue_login_code(member)
    assert len(code) == 8 and code.isdigit()
    assert row.digest != code and code not in row.digest
    assert row.digest == codes.code_digest(member.organization_id, code)
    assert LoginCode.objects.filter(digest__contains=code).count() == 0


def test_code_is_valid_fifteen_minutes(member):
    now = timezone.now()
    _code, row = codes.issue_login_code(member, now=now)
    assert row.expires_at == now + timedelta(minutes=15)


def test_code_is_accepted_once(acme, member):
    code, _row = codes.issue_login_code(member)
    assert codes.redeem_login_code(acme, code) == member
    assert codes.redeem_login_code(acme, code) is None  # "The login code cannot be reused."


def test_code_is_accepted_at_fourteen_minutes(acme, member):
    t0 = timezone.now()
    code, _row = codes.issue_login_code(member, now=t0)
    assert codes.redeem_login_code(acme, code, now=t0 + timedelta(minutes=14)) == member


def test_code_is_refused_at_sixteen_minutes(acme, member):
    t0 = timezone.now()
    code, _row = codes.issue_login_code(member, now=t0)
    assert codes.redeem_login_code(acme, code, now=t0 + timedelta(minutes=16)) is None


def test_code_is_refused_at_exactly_fifteen_minutes(acme, member):
    t0 = timezone.now()
    code, _row = codes.issue_login_code(member, now=t0)
    assert codes.redeem_login_code(acme, code, now=t0 + timedelta(minutes=15)) is None


def test_boundaries_with_the_clock_frozen_through_timezone_now(acme, member, monkeypatch):
    t0 = timezone.now()
    monkeypatch.setattr("django.utils.timezone.now", lambda: t0)
    code, _row = codes.issue_login_code(member)
    monkeypatch.setattr("django.utils.timezone.now", lambda: t0 + timedelta(minutes=16))
    assert codes.redeem_login_code(acme, code) is None
    monkeypatch.setattr("django.utils.timezone.now", lambda: t0 + timedelta(minutes=14))
    assert codes.redeem_login_code(acme, code) == member
    assert codes.redeem_login_code(acme, code) is None


def test_a_new_code_voids_the_previous_unused_code(acme, member):
    first, _ = codes.issue_login_code(member)
    second, _ = codes.issue_login_code(member)
    # equal digits are possible (1 in 10^8); the old row is gone either way
    assert LoginCode.objects.filter(user=member).count() == 1
    if first != second:
        assert codes.redeem_login_code(acme, first) is None
    assert codes.redeem_login_code(acme, second) == member


def test_a_code_of_another_organization_is_refused(acme, globex, member):
    code, _row = codes.issue_login_code(member)
    assert codes.redeem_login_code(globex, code) is None
    assert codes.redeem_login_code(acme, code) == member  # the failed attempt elsewhere did not use it


@pytest.mark.parametrize("typed", ["", "1234567", "123456789", "abcdefgh", "１２３４５６７８", None])
def test_malformed_codes_are_refused(acme, member, typed):
    codes.issue_login_code(member)
    assert codes.redeem_login_code(acme, typed) is None


def test_code_may_be_typed_with_a_space(acme, member):
    code, _row = codes.issue_login_code(member)
    assert codes.redeem_login_code(acme, f"{code[:4]} {code[4:]}") == member


def test_code_of_a_deactivated_user_is_refused(acme, member):
    code, _row = codes.issue_login_code(member)
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert codes.redeem_login_code(acme, code) is None


def test_two_users_codes_are_independent(acme, member):
    other = make_user(acme, "other@acme.test")
    mine, _ = codes.issue_login_code(member)
    theirs, _ = codes.issue_login_code(other)
    assert codes.redeem_login_code(acme, theirs) == other
    assert codes.redeem_login_code(acme, mine) == member


def test_an_expired_unused_code_does_not_block_the_same_digits_later(acme, member, monkeypatch):
    other = make_user(acme, "other@acme.test")
    t0 = timezone.now()
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: 12345678)
    codes.issue_login_code(other, now=t0)
    code, _row = codes.issue_login_code(member, now=t0 + timedelta(minutes=20))
    assert code == "12345678"
    assert codes.redeem_login_code(acme, code, now=t0 + timedelta(minutes=21)) == member


def test_a_live_code_with_the_same_digits_makes_issue_draw_again(acme, member, monkeypatch):
    other = make_user(acme, "other@acme.test")
    draws = iter([12345678, 12345678, 87654321])
    monkeypatch.setattr(codes.secrets, "randbelow", lambda n: next(draws))
    first, _ = codes.issue_login_code(other)
    second, _ = codes.issue_login_code(member)
    assert (first, second) == ("12345678", "87654321")


@pytest.mark.django_db(transaction=True)
def test_two_printers_racing_with_the_same_code_get_one_success(acme, member):
    code, _row = codes.issue_login_code(member)
    results, barrier = [], threading.Barrier(2)

    def redeem():
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            results.append(codes.redeem_login_code(acme, code))
        except Exception as error:  # pragma: no cover - a lock error is a refusal, not a second success
            results.append(error)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(1 for r in results if r == member) == 1


# ---- pages ----

def test_device_page_requires_sign_in(client):
    response = client.get("/device")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_device_page_shows_an_eight_digit_code_valid_fifteen_minutes(client, acme, member):
    client.force_login(member)
    response = client.get(reverse("device-code"))
    assert response.status_code == 200
    code = response.context["code"]
    assert len(code) == 8 and code.isdigit()
    body = response.content.decode()
    assert f'data-code="{code}"' in body
    assert "Valid for 15 minutes" in body and "Refresh" in body
    assert 'data-refresh-url="/device/code"' in body
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert codes.redeem_login_code(acme, code) == member


def test_refresh_replaces_the_code(client, acme, member):
    client.force_login(member)
    first = client.get(reverse("device-code")).context["code"]
    response = client.post(reverse("device-code"), follow=True)
    second = response.context["code"]
    assert LoginCode.objects.filter(user=member).count() == 1
    assert codes.redeem_login_code(acme, second) == member
    if first != second:
        assert codes.redeem_login_code(acme, first) is None


def test_page_refreshes_itself_a_minute_before_expiry(client, member):
    client.force_login(member)
    response = client.get(reverse("device-code"))
    assert 14 * 60 - 5 <= response.context["refresh_seconds"] <= 14 * 60


def test_fragment_answers_a_new_code(client, acme, member):
    client.force_login(member)
    response = client.get(reverse("device-code-fragment"))
    assert response.status_code == 200
    code = response.context["code"]
    assert f'data-code="{code}"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert codes.redeem_login_code(acme, code) == member


def test_my_account_links_to_generate_login_code_when_secure_login_is_enabled(client, acme, member):
    PrinterLoginConfiguration.objects.update_or_create(organization=acme, defaults={"secure_login": True})
    client.force_login(member)
    body = client.get(reverse("my-account")).content.decode()
    assert "Generate Login Code" in body and 'href="/device"' in body


def test_my_account_has_no_login_code_link_without_secure_login(client, acme, member):
    client.force_login(member)
    assert "Generate Login Code" not in client.get(reverse("my-account")).content.decode()
    PrinterLoginConfiguration.objects.update_or_create(organization=acme, defaults={"secure_login": False})
    assert "Generate Login Code" not in client.get(reverse("my-account")).content.decode()
