"""Sign-in by e-mail and password, sign-out, and password reset by an e-mailed link (real SMTP)."""
import re

from django.urls import reverse

from tests.conftest import PASSWORD


def test_sign_in_with_email_in_any_case_lands_on_the_dashboard(client, org_admin):
    response = client.post(reverse("login"), {"username": "ADMIN@Acme.test", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).url == reverse("dashboard")


def test_wrong_password_is_refused_with_a_message(client, org_admin):
    response = client.post(reverse("login"), {"username": "admin@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert b"Incorrect e-mail address or password." in response.content
    assert "_auth_user_id" not in client.session


def test_inactive_user_cannot_sign_in(client, org_admin):
    org_admin.is_active = False
    org_admin.save()
    client.post(reverse("login"), {"username": "admin@acme.test", "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_sign_out_ends_the_session(client, org_admin):
    client.force_login(org_admin)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_link_arrives_by_smtp_and_sets_a_policy_compliant_password(client, member, smtp_server):
    response = client.post(reverse("password_reset"), {"email": "MEMBER@acme.test"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "member@acme.test"
    link = re.search(r"https?://\S+/accounts/reset/\S+/", message.get_content()).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)

    set_password_url = client.get(path).url  # Django swaps the token for a session marker
    weak = client.post(set_password_url, {"new_password1": "password2", "new_password2": "password2"})
    assert weak.status_code == 200 and b"uppercase" in weak.content
    done = client.post(set_password_url, {"new_password1": "New-pass9!", "new_password2": "New-pass9!"})
    assert done.status_code == 302
    client.logout()
    client.post(reverse("login"), {"username": "member@acme.test", "password": "New-pass9!"})
    assert "_auth_user_id" in client.session


def test_password_reset_for_an_unknown_address_sends_nothing(client, db, smtp_server):
    client.post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert smtp_server.messages == []


def test_user_created_without_a_password_can_still_ask_for_a_reset_link(client, acme, smtp_server):
    from accounts.services.users import create_user

    create_user(acme, "fresh@acme.test", send_password_link=False)
    client.post(reverse("password_reset"), {"email": "fresh@acme.test"})
    assert [m["To"] for m in smtp_server.messages] == ["fresh@acme.test"]


def test_sign_in_is_refused_after_ten_failures_even_with_the_right_password(client, org_admin, settings):
    from django.core.cache import cache

    cache.clear()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "admin@acme.test", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "admin@acme.test", "password": PASSWORD})
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    cache.clear()
    client.post(reverse("login"), {"username": "admin@acme.test", "password": PASSWORD})
    assert "_auth_user_id" in client.session


def test_forbidden_and_missing_pages_keep_the_shell_and_explain(client, member, acme, globex):
    client.force_login(member)
    forbidden = client.get(f"/o/{acme.pk}/account/users/")
    assert forbidden.status_code == 403 and b"You do not have access to this page" in forbidden.content
    assert b'data-testid="org-switcher"' in forbidden.content
    missing = client.get(f"/o/{globex.pk}/account/users/")
    assert missing.status_code == 404 and b"organization you cannot see" in missing.content


def test_many_addresses_together_hit_the_per_account_limit(client, org_admin, settings):
    from django.core.cache import cache

    cache.clear()
    for attempt in range(settings.LOGIN_FAILURE_LIMIT * 5):
        client.post(reverse("login"), {"username": "admin@acme.test", "password": "wrong"},
                    REMOTE_ADDR=f"127.0.{attempt // 9}.{attempt % 9 + 1}")
    response = client.post(reverse("login"), {"username": "admin@acme.test", "password": PASSWORD},
                           REMOTE_ADDR="127.0.99.1")
    assert b"Too many failed sign-in attempts" in response.content


def test_sign_in_works_when_the_cache_is_down(client, org_admin, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:9/0"}}  # nothing listens there
    client.post(reverse("login"), {"username": "admin@acme.test", "password": PASSWORD})
    assert "_auth_user_id" in client.session


def test_a_deactivated_users_session_ends(client, org_admin):
    client.force_login(org_admin)
    org_admin.is_active = False
    org_admin.save()
    assert client.get(reverse("dashboard")).status_code == 302
