"""My Account: any signed-in user sees their own information, groups and roles, and can reset their password."""
from django.core import mail
from django.urls import reverse

from accounts.services import groups as group_services
from accounts.services import roles as role_services


def test_my_account_needs_sign_in(client, db):
    response = client.get(reverse("my-account"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_my_account_shows_personal_information_for_a_plain_user(client, member):
    member.department, member.cost_center, member.display_name = "Finance", "CC-7", "Mimi"
    member.save()
    client.force_login(member)
    html = client.get(reverse("my-account")).content.decode()
    for text in ("Personal Information", "Mimi", "member@acme.test", "Mia", "Member", "Finance", "CC-7",
                 "Last Login", "Reset Password", "No group assigned"):
        assert text in html, text


def test_my_account_lists_groups_role_counts_and_role_names(client, acme, member):
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    role_services.assign_group_roles(group, ["fleet_management_viewer"])
    role_services.assign_user_roles(member, ["scan_management_user"])
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    client.force_login(member)
    html = client.get(reverse("my-account")).content.decode()
    for text in ("Printers", "User Roles: 1", "Group Roles: 1", "Organization Roles: 1", "Scan Management User",
                 "Fleet Management Viewer", "Print Release Management User"):
        assert text in html, text


def test_my_account_reset_password_emails_a_link_to_yourself(client, member):
    client.force_login(member)
    response = client.post(reverse("my-account-reset-password"), follow=True)
    assert [m.to for m in mail.outbox] == [["member@acme.test"]]
    assert "/accounts/reset/" in mail.outbox[0].body
    assert "sent to member@acme.test" in response.content.decode()


def test_my_account_reset_password_answers_405_to_get(client, member):
    client.force_login(member)
    assert client.get(reverse("my-account-reset-password")).status_code == 405


def test_partner_administrator_sees_child_access_role_on_my_account(client, partner_admin):
    client.force_login(partner_admin)
    html = client.get(reverse("my-account")).content.decode()
    assert "Child Organization Access Group" in html and "Partner Administrator" in html
