"""Users pages: list (search, sort, pagination), Create User, Edit, Reset Password, bulk Delete, and the
user detail page (groups, role counts)."""
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import PASSWORD, make_user


def url(name, org, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org_id": org.pk, **kwargs})


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client


def create_payload(**overrides):
    data = {"email": "new.user@acme.test", "first_name": "New", "last_name": "User", "display_name": "Newbie",
            "department": "Sales", "cost_center": "CC-1", "set_password": "link", "password": ""}
    data.update(overrides)
    return data


# --- list -----------------------------------------------------------------------------------------------

def test_users_list_shows_the_organizations_users_with_total(admin_client, acme, member, globex_admin):
    response = admin_client.get(url("users", acme))
    assert response.status_code == 200
    html = response.content.decode()
    assert "member@acme.test" in html and "admin@acme.test" in html
    assert "admin@globex.test" not in html
    assert "2 total users" in html
    assert url("user", acme, user_id=member.pk) in html
    for label in ("E-mail", "First Name", "Last Name", "Display Name", "Last Login"):
        assert label in html


def test_users_list_search_matches_email_names_and_display_name(admin_client, acme):
    make_user(acme, "zed@acme.test", first_name="Zed", last_name="Zulu", display_name="Captain")
    make_user(acme, "amy@acme.test", first_name="Amy", last_name="Apple")
    for query in ("zed@", "zed", "zulu", "captain"):
        page = admin_client.get(url("users", acme), {"q": query}).context["page"]
        assert [u.email for u in page.object_list] == ["zed@acme.test"], query
    assert admin_client.get(url("users", acme), {"q": "nobody"}).context["total"] == 0


def test_users_list_sorts_by_column_and_ignores_unknown_sorts(admin_client, acme):
    make_user(acme, "b@acme.test", first_name="Zoe")
    make_user(acme, "c@acme.test", first_name="Adam")
    emails = lambda sort: [u.email for u in admin_client.get(url("users", acme), {"sort": sort}).context["page"]]  # noqa: E731
    assert emails("email") == ["admin@acme.test", "b@acme.test", "c@acme.test"]
    assert emails("-email") == ["c@acme.test", "b@acme.test", "admin@acme.test"]
    assert emails("first_name") == ["c@acme.test", "admin@acme.test", "b@acme.test"]  # Adam, Olivia, Zoe
    assert emails("password") == emails("email")


def test_users_list_paginates_fifty_per_page(admin_client, acme):
    User.objects.bulk_create([User(email=f"u{i:03}@acme.test", organization=acme) for i in range(60)])
    first = admin_client.get(url("users", acme))
    assert len(first.context["page"].object_list) == 50
    assert "61 total users" in first.content.decode()
    second = admin_client.get(url("users", acme), {"page": 2})
    assert len(second.context["page"].object_list) == 11


@pytest.mark.parametrize("rows", [10, 40])
def test_users_list_query_count_does_not_grow_with_rows(admin_client, acme, rows, django_assert_max_num_queries):
    User.objects.bulk_create([User(email=f"u{i:03}@acme.test", organization=acme) for i in range(rows)])
    with django_assert_max_num_queries(12):
        assert admin_client.get(url("users", acme)).status_code == 200


def test_users_list_query_count_is_the_same_for_10_and_40_users(admin_client, acme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for total in (10, 40):
        User.objects.exclude(email="admin@acme.test").delete()
        User.objects.bulk_create([User(email=f"u{i:03}@acme.test", organization=acme) for i in range(total)])
        with CaptureQueriesContext(connection) as captured:
            admin_client.get(url("users", acme))
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_users_list_buttons_need_users_manage(client, acme, member):
    helpdesk = make_user(acme, "help@acme.test", ["help_desk"])
    client.force_login(helpdesk)
    html = client.get(url("users", acme)).content.decode()
    assert "+ Create" not in html and "Delete User(s)" not in html


def test_users_list_shows_create_and_delete_for_administrators(admin_client, acme):
    html = admin_client.get(url("users", acme)).content.decode()
    assert "+ Create" in html and url("user-create", acme) in html and url("users-delete", acme) in html


def test_users_list_needs_users_view(client, acme, member):
    client.force_login(member)
    assert client.get(url("users", acme)).status_code == 403


def test_users_list_of_a_sibling_organization_is_not_found(client, acme, globex_admin):
    client.force_login(globex_admin)
    assert client.get(url("users", acme)).status_code == 404


def test_partner_administrator_sees_child_organization_users(client, acme, member, partner_admin):
    client.force_login(partner_admin)
    assert "member@acme.test" in client.get(url("users", acme)).content.decode()


# --- create ---------------------------------------------------------------------------------------------

def test_create_user_with_link_emails_a_set_password_link(admin_client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url("user-create", acme), create_payload())
    user = User.objects.get(email="new.user@acme.test")
    assert response.status_code == 302 and response.url == url("user", acme, user_id=user.pk)
    assert (user.organization, user.first_name, user.last_name, user.display_name, user.department,
            user.cost_center) == (acme, "New", "User", "Newbie", "Sales", "CC-1")
    assert not user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["new.user@acme.test"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_create_user_with_manual_password_sends_no_email(admin_client, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url("user-create", acme), create_payload(set_password="manual", password="Abcdef1!"))
    assert User.objects.get(email="new.user@acme.test").check_password("Abcdef1!")
    assert mail.outbox == []


def test_create_user_email_is_lowercased(admin_client, acme):
    admin_client.post(url("user-create", acme), create_payload(email="New.User@ACME.test"))
    assert User.objects.filter(email="new.user@acme.test").exists()


def test_create_user_with_a_taken_email_is_refused(admin_client, acme, globex_admin):
    response = admin_client.post(url("user-create", acme), create_payload(email="ADMIN@globex.test"))
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["E-mail must be unique."]
    assert "E-mail must be unique." in response.content.decode()
    assert User.objects.filter(email="admin@globex.test").count() == 1


@pytest.mark.parametrize("password, problem", [
    ("Abcde1!", "at least 8 characters"),
    ("abcdef1!", "uppercase"),
    ("ABCDEF1!", "lowercase"),
    ("Abcdefg!", "number"),
    ("Abcdefg1", "special character"),
])
def test_create_user_manual_password_lists_each_failed_rule(admin_client, acme, password, problem):
    response = admin_client.post(url("user-create", acme), create_payload(set_password="manual", password=password))
    errors = response.context["form"].errors["password"]
    assert len(errors) == 1 and problem in errors[0]
    assert not User.objects.filter(email="new.user@acme.test").exists()


def test_create_user_password_failing_several_rules_lists_them_all(admin_client, acme):
    response = admin_client.post(url("user-create", acme), create_payload(set_password="manual", password="abc"))
    assert len(response.context["form"].errors["password"]) == 4


@pytest.mark.parametrize("password", ["Abcdef1\\", 'Abcdef1"', "Abcdef1`"])
def test_create_user_accepts_every_special_character_of_the_guide(admin_client, acme, password):
    admin_client.post(url("user-create", acme), create_payload(set_password="manual", password=password))
    assert User.objects.get(email="new.user@acme.test").check_password(password)


def test_create_user_manual_without_password_is_refused(admin_client, acme):
    response = admin_client.post(url("user-create", acme), create_payload(set_password="manual", password=""))
    assert "password" in response.context["form"].errors


def test_create_user_form_shows_the_guides_labels(admin_client, acme):
    html = admin_client.get(url("user-create", acme)).content.decode()
    for label in ("E-mail", "First Name", "Last Name", "Display Name", "Department", "Cost Center",
                  "E-mail a link to change the password", "Set password manually", "Show Password",
                  "Email will be sent to user to finish setting up their account/password", "Create User", "Cancel"):
        assert label in html, label
    assert re.search(r'<input type="radio" name="set_password" value="link"[^>]*checked', html)
    assert "data-reveal=" in html


def test_create_user_needs_users_manage(client, acme):
    client.force_login(make_user(acme, "help@acme.test", ["help_desk"]))
    assert client.get(url("user-create", acme)).status_code == 403
    assert client.post(url("user-create", acme), create_payload()).status_code == 403
    assert not User.objects.filter(email="new.user@acme.test").exists()


# --- detail / edit / reset password ---------------------------------------------------------------------

def test_user_detail_shows_personal_information_groups_and_role_counts(admin_client, acme, member):
    User.objects.filter(pk=member.pk).update(department="Finance", cost_center="CC-9", display_name="Mimi")
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    role_services.assign_group_roles(group, ["fleet_management_viewer"])
    role_services.assign_user_roles(member, ["help_desk", "scan_management_user"])
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    html = admin_client.get(url("user", acme, user_id=member.pk)).content.decode()
    for text in ("Personal Information", "Mimi", "member@acme.test", "Mia", "Member", "Finance", "CC-9",
                 "Last Login", "Assigned Groups", "Printers", "User Roles: 2", "Group Roles: 1",
                 "Organization Roles: 1", url("user-roles", acme, user_id=member.pk), "Reset Password"):
        assert text in html, text
    assert "Users</a></li><li>member@acme.test" in html.replace("\n", "")


def test_user_detail_without_groups_says_no_group_assigned(admin_client, acme, member):
    assert "No group assigned" in admin_client.get(url("user", acme, user_id=member.pk)).content.decode()


def test_user_detail_of_another_organizations_user_is_not_found(admin_client, acme, globex_admin):
    assert admin_client.get(url("user", acme, user_id=globex_admin.pk)).status_code == 404
    assert admin_client.get(url("user-edit", acme, user_id=globex_admin.pk)).status_code == 404
    assert admin_client.post(url("user-reset-password", acme, user_id=globex_admin.pk)).status_code == 404
    assert admin_client.get(url("user-roles", acme, user_id=globex_admin.pk)).status_code == 404


def test_edit_user_updates_the_profile(admin_client, acme, member):
    response = admin_client.post(url("user-edit", acme, user_id=member.pk), {
        "email": "Mia@acme.test", "first_name": "Mia", "last_name": "Changed", "display_name": "M",
        "department": "Ops", "cost_center": "42"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.email, member.last_name, member.display_name, member.department, member.cost_center) == (
        "mia@acme.test", "Changed", "M", "Ops", "42")


def test_edit_user_form_is_prefilled_and_labelled(admin_client, acme, member):
    html = admin_client.get(url("user-edit", acme, user_id=member.pk)).content.decode()
    assert 'value="member@acme.test"' in html and "Update Profile" in html and "Cancel" in html


def test_edit_user_to_a_taken_email_is_refused(admin_client, acme, member):
    response = admin_client.post(url("user-edit", acme, user_id=member.pk), {"email": "admin@acme.test"})
    assert response.context["form"].errors["email"] == ["E-mail must be unique."]
    member.refresh_from_db()
    assert member.email == "member@acme.test"


def test_edit_user_needs_users_manage(client, acme, member):
    client.force_login(make_user(acme, "help@acme.test", ["help_desk"]))
    assert client.get(url("user", acme, user_id=member.pk)).status_code == 200
    assert client.post(url("user-edit", acme, user_id=member.pk), {"email": "x@acme.test"}).status_code == 403


def test_reset_password_emails_the_user_a_link(admin_client, acme, member):
    response = admin_client.post(url("user-reset-password", acme, user_id=member.pk))
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
    assert "/accounts/reset/" in mail.outbox[0].body
    member.refresh_from_db()
    assert member.check_password(PASSWORD)  # the old password works until the link is used


def test_reset_password_answers_405_to_get(admin_client, acme, member):
    assert admin_client.get(url("user-reset-password", acme, user_id=member.pk)).status_code == 405


# --- bulk delete ----------------------------------------------------------------------------------------

def test_bulk_delete_removes_the_selected_users(admin_client, acme, member):
    other = make_user(acme, "other@acme.test")
    keep = make_user(acme, "keep@acme.test")
    response = admin_client.post(url("users-delete", acme), {"ids": [member.pk, other.pk]}, follow=True)
    assert not User.objects.filter(pk__in=[member.pk, other.pk]).exists()
    assert User.objects.filter(pk=keep.pk).exists()
    assert "2 users deleted." in response.content.decode()


def test_bulk_delete_ignores_ids_of_other_organizations(admin_client, acme, globex_admin, member):
    admin_client.post(url("users-delete", acme), {"ids": [globex_admin.pk, member.pk]})
    assert User.objects.filter(pk=globex_admin.pk).exists()
    assert not User.objects.filter(pk=member.pk).exists()


def test_bulk_delete_refuses_your_own_account(admin_client, acme, org_admin, member):
    response = admin_client.post(url("users-delete", acme), {"ids": [org_admin.pk, member.pk]}, follow=True)
    assert "You cannot delete your own account." in response.content.decode()
    assert User.objects.filter(pk__in=[org_admin.pk, member.pk]).count() == 2


def test_bulk_delete_needs_users_manage_and_post(client, acme, member):
    client.force_login(make_user(acme, "help@acme.test", ["help_desk"]))
    assert client.post(url("users-delete", acme), {"ids": [member.pk]}).status_code == 403
    assert User.objects.filter(pk=member.pk).exists()


def test_bulk_delete_answers_405_to_get(admin_client, acme):
    assert admin_client.get(url("users-delete", acme)).status_code == 405


def test_bulk_delete_of_a_sibling_organization_is_not_found(client, acme, globex_admin, member):
    client.force_login(globex_admin)
    assert client.post(url("users-delete", acme), {"ids": [member.pk]}).status_code == 404
    assert User.objects.filter(pk=member.pk).exists()


def test_assigned_groups_edit_sets_the_users_groups(client, org_admin, member, acme):
    from accounts.models import Group

    client.force_login(org_admin)
    help_desk = Group.objects.get(organization=acme, name="Help Desk")
    reporting = Group.objects.get(organization=acme, name="Reporting")
    help_desk.members.add(member)
    page = client.get(f"/o/{acme.pk}/account/users/{member.pk}/groups/")
    assert {row["group"].name for row in page.context["rows"] if row["checked"]} == {"Help Desk"}
    response = client.post(f"/o/{acme.pk}/account/users/{member.pk}/groups/", {"groups": [reporting.pk]})
    assert response.status_code == 302
    assert set(member.member_of.values_list("name", flat=True)) == {"Reporting"}


def test_assigned_groups_edit_keeps_the_authority_rule(client, acme, member):
    from accounts.models import Group
    from tests.conftest import make_user

    user_admin = make_user(acme, "ua@acme.test", ["user_administrator"])
    client.force_login(user_admin)
    admins = Group.objects.get(organization=acme, name="Admin")
    response = client.post(f"/o/{acme.pk}/account/users/{member.pk}/groups/", {"groups": [admins.pk]})
    assert b"You cannot grant rights you do not hold yourself" in response.content
    assert not member.member_of.exists()
