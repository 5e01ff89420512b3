"""Badges (spec A §22-§23, C §19; A test cases 34-37, T17): registration rules, temporary lifetime,
e-mailed single-use registration links, the Manage Badge/PIN pages, the user and My Account pages, the API."""
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Badge, BadgeRegistration
from accounts.services import badges as badge_services
from accounts.services.badges import (
    ALREADY_REGISTERED,
    USER_NOT_IN_ORGANIZATION,
    complete_email_registration,
    delete_badges,
    find_badge,
    register_badge,
    register_badge_for_email,
    start_email_registration,
    touch_badge,
)
from tests.conftest import make_user


@pytest.fixture
def clock(monkeypatch):
    """Move timezone.now() around (the services read it through the module attribute)."""
    real_now = timezone.now
    state = {"now": real_now()}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])

    def travel(**delta):
        state["now"] = state["now"] + timedelta(**delta)
        return state["now"]

    travel.now = lambda: state["now"]
    return travel


# --- services -------------------------------------------------------------------------------------------

def test_registered_badge_is_found_by_its_id(acme, member):
    badge = register_badge(member, " 20171a ", description="Blue card")
    assert (badge.badge_id, badge.description, badge.temporary, badge.expires_at) == ("20171a", "Blue card", False, None)
    assert find_badge(acme, "20171a") == badge


def test_badge_id_is_unique_in_the_organization_without_saying_whose(acme, member, org_admin):
    register_badge(member, "20171a")
    with pytest.raises(ValidationError) as exc:
        register_badge(org_admin, "20171a")
    assert exc.value.message_dict == {"badge_id": [ALREADY_REGISTERED]}
    assert member.email not in str(exc.value)


def test_the_same_badge_id_may_exist_in_another_organization(acme, globex, member):
    register_badge(member, "20171a")
    other = make_user(globex, "g@globex.test")
    assert register_badge(other, "20171a").organization == globex
    assert find_badge(acme, "20171a").user == member
    assert find_badge(globex, "20171a").user == other


def test_registering_for_an_unknown_email_is_refused(acme, globex):  # A 35
    make_user(globex, "elsewhere@globex.test")
    for email in ("nobody@acme.test", "elsewhere@globex.test"):
        with pytest.raises(ValidationError) as exc:
            register_badge_for_email(acme, email, "b1")
        assert exc.value.message_dict == {"email": [USER_NOT_IN_ORGANIZATION]}


def test_empty_badge_id_is_refused(member):
    with pytest.raises(ValidationError, match="Type a badge ID"):
        register_badge(member, "   ")


def test_temporary_badge_is_valid_at_23h59_and_not_at_24h01(acme, member, clock):  # A 34, T17
    badge = register_badge(member, "temp1", temporary=True)
    assert badge.expires_at == badge.registered_at + timedelta(hours=24)
    clock(hours=23, minutes=59)
    assert find_badge(acme, "temp1") == badge
    clock(minutes=2)
    assert find_badge(acme, "temp1") is None


def test_an_expired_temporary_badge_frees_its_id(acme, member, org_admin, clock):
    register_badge(member, "temp1", temporary=True)
    clock(hours=24, minutes=1)
    assert register_badge(org_admin, "temp1").user == org_admin


def test_badges_of_deactivated_users_are_not_found(acme, member):
    register_badge(member, "b1")
    member.is_active = False
    member.save()
    assert find_badge(acme, "b1") is None


def test_touch_badge_records_the_last_log_in(acme, member):
    badge = register_badge(member, "b1")
    touch_badge(badge)
    badge.refresh_from_db()
    assert badge.last_used_at is not None


def test_an_administrator_cannot_register_or_delete_badges_of_users_above_them(acme, member):
    useradmin = make_user(acme, "ua@acme.test", ["user_administrator"])
    boss = make_user(acme, "boss@acme.test", ["organization_administrator"])
    with pytest.raises(ValidationError, match="more rights"):
        register_badge(boss, "b1", by=useradmin)
    badge = register_badge(boss, "b1")
    with pytest.raises(ValidationError, match="more rights"):
        delete_badges(acme, [badge.pk], by=useradmin)
    assert Badge.objects.filter(pk=badge.pk).exists()
    assert register_badge(member, "b2", by=useradmin).user == member


def test_delete_badges_ignores_other_organizations_ids(acme, globex, member):
    mine = register_badge(member, "b1")
    theirs = register_badge(make_user(globex, "g@globex.test"), "b1")
    assert delete_badges(acme, [mine.pk, theirs.pk]) == 1
    assert Badge.objects.filter(pk=theirs.pk).exists()


# --- e-mail registration --------------------------------------------------------------------------------

def _link_token(body: str) -> str:
    return re.search(r"/badge-registration/([^/\s]+)/", body).group(1)


def test_email_registration_sends_a_single_use_link(acme, member, client, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registration = start_email_registration(acme, "MEMBER@acme.test", "card-9")
    assert registration.token_digest != registration.token  # only a digest is stored
    assert not BadgeRegistration.objects.filter(token_digest=registration.token).exists()
    assert registration.expires_at == registration.created_at + timedelta(hours=24)
    [message] = mail.outbox
    assert message.to == ["member@acme.test"]
    assert "Hello member@acme.test," in message.body
    assert ("Welcome to lexcloud Badge registration. Please click on the link below to complete the registration "
            "process.") in message.body
    token = _link_token(message.body)
    assert token == registration.token

    url = reverse("badge-registration", kwargs={"token": token})
    assert client.get(url).status_code == 302  # the owner signs in first
    client.force_login(member)
    confirm = client.get(url)  # opening the link changes nothing: a prefetch or a click is not consent
    assert confirm.status_code == 200 and "Register Badge" in confirm.content.decode()
    assert find_badge(acme, "card-9") is None
    response = client.post(url)  # A 37
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Badge Registration Confirmation", "Badge Registration Completed Successfully.",
                 "Redirecting in 5 seconds...", "Click here to be manually redirected."):
        assert text in page
    assert response["Refresh"] == f"5;url={reverse('my-account')}"
    assert 'http-equiv="refresh"' in page
    badge = find_badge(acme, "card-9")
    assert badge.user == member and not badge.temporary
    registration.refresh_from_db()
    assert registration.used_at is not None

    again = client.post(reverse("badge-registration", kwargs={"token": token}))
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert Badge.objects.filter(organization=acme).count() == 1


def test_an_expired_or_unknown_registration_link_registers_nothing(acme, member, client, clock):
    registration = start_email_registration(acme, member.email, "card-9")
    client.force_login(member)
    clock(hours=24, minutes=1)
    response = client.get(reverse("badge-registration", kwargs={"token": registration.token}))
    assert response.status_code == 410 and "expired" in response.content.decode()
    response = client.get(reverse("badge-registration", kwargs={"token": "not-a-token"}))
    assert response.status_code == 404 and "not valid" in response.content.decode()
    assert not Badge.objects.exists()


def test_email_registration_needs_a_user_of_the_organization_and_a_free_badge_id(acme, globex, member):
    with pytest.raises(ValidationError, match="must already exist"):
        start_email_registration(acme, "nobody@acme.test", "c1")
    register_badge(member, "c1")
    with pytest.raises(ValidationError, match="already registered"):
        start_email_registration(acme, member.email, "c1")


def test_a_registration_link_cannot_attach_a_badge_to_someone_else(acme, member, org_admin, client):
    """Someone types a colleague's address at a printer: the link mailed to the colleague does nothing for
    anyone else, and nothing at all until its owner confirms it."""
    registration = start_email_registration(acme, member.email, "intruder-card")
    url = reverse("badge-registration", kwargs={"token": registration.token})
    client.force_login(org_admin)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert find_badge(acme, "intruder-card") is None


def test_a_badge_taken_meanwhile_is_reported_and_the_link_stays_unused(acme, member, org_admin):
    registration = start_email_registration(acme, member.email, "c1")
    register_badge(org_admin, "c1")
    with pytest.raises(ValidationError) as exc:
        complete_email_registration(registration.token)
    assert exc.value.code == "taken"
    registration.refresh_from_db()
    assert registration.used_at is None


# --- pages ----------------------------------------------------------------------------------------------

def badges_url(org, name="accounts:badges", **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


def test_badge_list_shows_masked_ids_waiting_for_log_in_and_permanent(acme, org_admin, member, client):  # A 36
    register_badge(member, "20171a", description="Front desk")
    client.force_login(org_admin)
    page = client.get(badges_url(acme)).content.decode()
    for text in ("E-mail", "Badge ID", "Description", "Registered", "Last Logged In", "Badge Expires in",
                 "member@acme.test", "••••1a", "Front desk", "&lt;waiting for log in&gt;", "&lt;permanent&gt;",
                 "+ Register", "Delete", "Import", "Make sure to type the complete e-mail address or badge ID"):
        assert text in page, text
    assert "20171a" not in page
    shown = client.get(badges_url(acme) + "?show=1").content.decode()
    assert "20171a" in shown


def test_temporary_badges_show_the_hours_left(acme, org_admin, member, client):
    register_badge(member, "t1", temporary=True)
    client.force_login(org_admin)
    page = client.get(badges_url(acme)).content.decode()
    assert "23 h 59 min" in page or "24 h 00 min" in page


def test_badge_search_is_an_exact_match(acme, org_admin, member, client):
    register_badge(member, "20171a")
    register_badge(org_admin, "30000b")
    client.force_login(org_admin)
    body = client.get(badges_url(acme), {"q": "MEMBER@acme.test", "show": "1"}).content.decode()
    assert "20171a" in body and "30000b" not in body
    body = client.get(badges_url(acme), {"q": "30000b", "show": "1"}).content.decode()
    assert "30000b" in body and "20171a" not in body
    body = client.get(badges_url(acme), {"q": "member", "show": "1"}).content.decode()
    assert "20171a" not in body and "No badge matches" in body


def test_register_badge_page_registers_for_an_existing_user(acme, org_admin, member, client):
    client.force_login(org_admin)
    page = client.get(badges_url(acme, "accounts:badge-register")).content.decode()
    for label in ("E-mail", "Badge ID", "Badge description", "Show badge ID", "Temporary Badge", "Register Badge"):
        assert label in page
    response = client.post(badges_url(acme, "accounts:badge-register"),
                           {"email": "Member@Acme.test", "badge_id": "b-77", "description": "Lobby",
                            "temporary": "on"})
    assert response.status_code == 302
    badge = Badge.objects.get(badge_id="b-77")
    assert badge.user == member and badge.temporary and badge.description == "Lobby"


def test_register_badge_page_shows_the_rules_messages(acme, org_admin, member, client):
    register_badge(member, "b1")
    client.force_login(org_admin)
    body = client.post(badges_url(acme, "accounts:badge-register"),
                       {"email": "ghost@acme.test", "badge_id": "b2"}).content.decode()
    assert "The user&#x27;s email address must already exist in the organization." in body
    body = client.post(badges_url(acme, "accounts:badge-register"),
                       {"email": org_admin.email, "badge_id": "b1"}).content.decode()
    assert "This badge ID is already registered." in body
    assert Badge.objects.count() == 1


def test_bulk_delete_removes_the_selected_badges_of_the_organization_only(acme, globex, org_admin, member, client):
    one, two = register_badge(member, "b1"), register_badge(member, "b2")
    foreign = register_badge(make_user(globex, "g@globex.test"), "b1")
    client.force_login(org_admin)
    response = client.post(badges_url(acme, "accounts:badges-delete"), {"ids": [one.pk, foreign.pk]})
    assert response.status_code == 302
    assert set(Badge.objects.values_list("pk", flat=True)) == {two.pk, foreign.pk}


def test_help_desk_sees_badges_but_cannot_change_them(acme, member, client):
    viewer = make_user(acme, "hd@acme.test", ["help_desk"])
    register_badge(member, "b1")
    client.force_login(viewer)
    page = client.get(badges_url(acme)).content.decode()
    assert "member@acme.test" in page and "+ Register" not in page
    assert client.post(badges_url(acme, "accounts:badge-register"),
                       {"email": member.email, "badge_id": "b2"}).status_code == 403
    assert client.post(badges_url(acme, "accounts:badges-delete"), {"ids": [1]}).status_code == 403


def test_import_page_shows_the_result_with_line_numbers(acme, org_admin, client):
    make_user(acme, "jdoe@company.com")
    client.force_login(org_admin)
    content = b"BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n20171a, CREATE, jdoe@company.com, true,\n" \
              b"20172b, CREATE, llane@company.com, true,\n"
    response = client.post(badges_url(acme, "accounts:badge-import"),
                           {"file": SimpleUploadedFile("badges.csv", content, "text/csv")})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Import result" in body and "llane@company.com" in body and "<td>3</td>" in body
    assert "Badge import does not create a user" in body
    assert Badge.objects.get(badge_id="20171a").temporary


def test_import_page_refuses_a_file_over_one_megabyte(acme, org_admin, client):
    client.force_login(org_admin)
    big = SimpleUploadedFile("badges.csv", b"BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n" + b"x" * (1024 * 1024))
    body = client.post(badges_url(acme, "accounts:badge-import"), {"file": big}).content.decode()
    assert "The size of the CSV file must not exceed 1MB." in body


def test_badge_list_query_count_does_not_grow_with_rows(acme, org_admin, client, django_assert_max_num_queries):
    client.force_login(org_admin)
    users = [make_user(acme, f"u{i}@acme.test") for i in range(3)]
    for i, user in enumerate(users):
        register_badge(user, f"b{i}")
    with django_assert_max_num_queries(12) as few:
        client.get(badges_url(acme))
    for i in range(30):
        register_badge(users[i % 3], f"more{i}", temporary=bool(i % 2))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(badges_url(acme)).status_code == 200


def test_user_page_shows_badge_counts_and_edit_link(acme, org_admin, member, client):
    register_badge(member, "b1")
    register_badge(member, "b2", temporary=True)
    client.force_login(org_admin)
    page = client.get(reverse("accounts:user", kwargs={"org_id": acme.pk, "user_id": member.pk})).content.decode()
    assert "Badges Registered" in page and "Temporary" in page and "Permanent" in page
    assert "Last Used" in page and "Last Registered" in page
    assert reverse("accounts:user-badges", kwargs={"org_id": acme.pk, "user_id": member.pk}) in page


def test_user_badges_page_lists_registers_and_deletes_that_users_badges(acme, org_admin, member, client):
    other = register_badge(org_admin, "admins")
    client.force_login(org_admin)
    url = reverse("accounts:user-badges", kwargs={"org_id": acme.pk, "user_id": member.pk})
    response = client.post(reverse("accounts:user-badge-register", kwargs={"org_id": acme.pk, "user_id": member.pk}),
                           {"badge_id": "m1"})
    assert response.status_code == 302 and response["Location"] == url
    badge = Badge.objects.get(badge_id="m1")
    assert badge.user == member
    page = client.get(url + "?show=1").content.decode()
    assert "m1" in page and "admins" not in page
    client.post(reverse("accounts:user-badges-delete", kwargs={"org_id": acme.pk, "user_id": member.pk}),
                {"ids": [badge.pk, other.pk]})
    assert list(Badge.objects.values_list("badge_id", flat=True)) == ["admins"]


def test_user_badges_page_of_another_organizations_user_is_404(acme, globex, org_admin, client):
    outsider = make_user(globex, "g@globex.test")
    client.force_login(org_admin)
    assert client.get(reverse("accounts:user-badges", kwargs={"org_id": acme.pk, "user_id": outsider.pk})
                      ).status_code == 404


def test_my_account_shows_my_badges_and_links_to_register(member, client):
    register_badge(member, "mine")
    client.force_login(member)
    page = client.get(reverse("my-account")).content.decode()
    assert "Badges Registered" in page and reverse("my-badges") in page


def test_users_register_and_delete_only_their_own_badges(acme, member, org_admin, client):
    theirs = register_badge(org_admin, "admins")
    client.force_login(member)
    assert client.get(reverse("my-badges")).status_code == 200
    response = client.post(reverse("my-badges"), {"action": "register", "badge_id": "own-1", "temporary": "on"})
    assert response.status_code == 302
    mine = Badge.objects.get(badge_id="own-1")
    assert mine.user == member and mine.temporary
    body = client.post(reverse("my-badges"), {"action": "register", "badge_id": "admins"}).content.decode()
    assert "This badge ID is already registered." in body and "admin@acme.test" not in body
    client.post(reverse("my-badges"), {"action": "delete", "ids": [mine.pk, theirs.pk]})
    assert list(Badge.objects.values_list("pk", flat=True)) == [theirs.pk]


# --- API ------------------------------------------------------------------------------------------------

def api(org, name="api-badges", **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


def test_api_registers_lists_searches_and_deletes_badges(acme, org_admin, member, client):
    client.force_login(org_admin)
    response = client.post(api(acme), {"email": "member@acme.test", "badge_id": "a1", "temporary": True},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["email"] == "member@acme.test" and data["temporary"] and data["expires_at"]
    register_badge(org_admin, "a2")
    listed = client.get(api(acme)).json()
    items = listed["results"] if isinstance(listed, dict) else listed
    assert {b["badge_id"] for b in items} == {"a1", "a2"}
    found = client.get(api(acme), {"email": "MEMBER@acme.test"}).json()
    found = found["results"] if isinstance(found, dict) else found
    assert [b["badge_id"] for b in found] == ["a1"]
    found = client.get(api(acme), {"badge_id": "a"}).json()
    assert (found["results"] if isinstance(found, dict) else found) == []
    assert client.delete(api(acme, "api-badge", badge_id=data["id"])).status_code == 204
    assert not Badge.objects.filter(pk=data["id"]).exists()


def test_api_answers_400_with_the_rule(acme, org_admin, member, client):
    client.force_login(org_admin)
    register_badge(member, "a1")
    response = client.post(api(acme), {"email": "ghost@acme.test", "badge_id": "a2"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["email"] == [USER_NOT_IN_ORGANIZATION]
    response = client.post(api(acme), {"email": member.email, "badge_id": "a1"}, content_type="application/json")
    assert response.status_code == 400 and response.json()["badge_id"] == [ALREADY_REGISTERED]


def test_api_badge_of_another_organization_is_404(acme, globex, org_admin, client):
    foreign = register_badge(make_user(globex, "g@globex.test"), "f1")
    client.force_login(org_admin)
    assert client.get(api(acme, "api-badge", badge_id=foreign.pk)).status_code == 404
    assert client.delete(api(acme, "api-badge", badge_id=foreign.pk)).status_code == 404
    assert Badge.objects.filter(pk=foreign.pk).exists()


def test_api_badge_import_answers_the_result(acme, org_admin, client):
    make_user(acme, "jdoe@company.com")
    client.force_login(org_admin)
    content = b"BADGE, OPERATION, EMAIL, TEMPORARY, PIN\n20171a, CREATE, jdoe@company.com, true,\nx, CREATE, no@x.test, ,\n"
    response = client.post(api(acme, "api-badge-imports"), {"file": SimpleUploadedFile("b.csv", content)})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["badges_created"] == 1 and data["errors"][0]["line"] == 3
    bad = client.post(api(acme, "api-badge-imports"), {"file": SimpleUploadedFile("b.csv", b"nope\n")})
    assert bad.status_code == 400


def test_api_member_without_the_role_cannot_register(acme, member, client):
    client.force_login(member)
    assert client.post(api(acme), {"email": member.email, "badge_id": "x"},
                       content_type="application/json").status_code == 403


def test_summary_counts_only_valid_badges(acme, member, clock):
    register_badge(member, "p1")
    register_badge(member, "t1", temporary=True)
    assert badge_services.summary(member)["registered"] == 2
    clock(hours=25)
    data = badge_services.summary(member)
    assert (data["registered"], data["temporary"], data["permanent"]) == (1, 0, 1)
