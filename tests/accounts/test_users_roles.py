"""A user's roles in the UI: the User Roles tab (Assign / Remove), the read-only Group Roles and
Organization Roles tabs, and the Assign Roles page (System Roles / Custom Roles)."""
import pytest
from django.urls import reverse

from accounts.access import effective_roles
from accounts.choices import GroupKind
from accounts.models import RoleAssignment
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import make_user


def url(name, org, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org_id": org.pk, **kwargs})


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client


def user_roles(user):
    return set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))


def test_roles_page_lists_the_users_own_roles_with_assign_and_remove(admin_client, acme, member):
    role_services.assign_user_roles(member, ["help_desk"])
    response = admin_client.get(url("user-roles", acme, user_id=member.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Help Desk" in html and "User Roles (1)" in html
    assert url("user-roles-assign", acme, user_id=member.pk) in html
    assert ">Assign<" in html and ">Remove<" in html and "Remove Roles" in html


def test_roles_page_shows_group_roles_with_their_group(admin_client, acme, member):
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    role_services.assign_group_roles(group, ["fleet_management_viewer"])
    html = admin_client.get(url("user-roles", acme, user_id=member.pk), {"tab": "group"}).content.decode()
    assert "Fleet Management Viewer" in html and "Printers" in html and "Group Roles (1)" in html


def test_roles_page_shows_organization_roles(admin_client, acme, member):
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    html = admin_client.get(url("user-roles", acme, user_id=member.pk), {"tab": "organization"}).content.decode()
    assert "Print Release Management User" in html and "Organization Roles (1)" in html


def test_remove_roles_removes_only_the_selected_user_roles(admin_client, acme, member):
    role_services.assign_user_roles(member, ["help_desk", "scan_management_user"])
    response = admin_client.post(url("user-roles", acme, user_id=member.pk), {"roles": ["help_desk"]})
    assert response.status_code == 302
    assert user_roles(member) == {"scan_management_user"}


def test_remove_roles_needs_users_manage(client, acme, member):
    role_services.assign_user_roles(member, ["scan_management_user"])
    client.force_login(make_user(acme, "help@acme.test", ["help_desk"]))
    assert client.get(url("user-roles", acme, user_id=member.pk)).status_code == 200
    html = client.get(url("user-roles", acme, user_id=member.pk)).content.decode()
    assert ">Remove<" not in html
    assert client.post(url("user-roles", acme, user_id=member.pk), {"roles": ["scan_management_user"]}).status_code == 403
    assert user_roles(member) == {"scan_management_user"}


def test_assign_page_has_system_and_custom_role_tables(admin_client, acme, member):
    response = admin_client.get(url("user-roles-assign", acme, user_id=member.pk))
    html = response.content.decode()
    assert "System Roles" in html and "Custom Roles" in html and "Assign Roles" in html
    system, custom = response.context["tables"]
    # the guide's dialog for a customer organization: Help Desk, Organization Administrator, User (the
    # default role, always held) and User Administrator, "1 of 4 roles selected"
    assert [row["role"].code for row in system["rows"]] == [
        "help_desk", "organization_administrator", "user", "user_administrator"]
    assert "fleet_management_administrator" in {row["role"].code for row in custom["rows"]}
    assert "<span data-count>1</span> of 4 roles selected" in html


def test_assign_page_offers_partner_administrator_in_partner_organizations(partner, client):
    client.force_login(make_user(partner, "oa@partner.test", ["organization_administrator"]))
    colleague = make_user(partner, "colleague@partner.test")
    system = client.get(url("user-roles-assign", partner, user_id=colleague.pk)).context["tables"][0]
    assert "partner_administrator" in {row["role"].code for row in system["rows"]}


def test_unticking_a_role_on_the_assign_page_removes_it(admin_client, acme, member):
    role_services.assign_user_roles(member, ["help_desk", "scan_management_user"])
    admin_client.post(url("user-roles-assign", acme, user_id=member.pk), {"roles": ["help_desk"]})
    assert user_roles(member) == {"help_desk"}


def test_assign_page_offers_only_roles_of_entitled_services(admin_client, acme, member):
    acme.entitlements = ["fleet"]
    acme.save()
    custom = admin_client.get(url("user-roles-assign", acme, user_id=member.pk)).context["tables"][1]
    services = {row["role"].service for row in custom["rows"]}
    assert services == {"fleet"}


def test_assign_roles_gives_the_user_the_selected_roles(admin_client, acme, member):
    response = admin_client.post(url("user-roles-assign", acme, user_id=member.pk),
                                 {"roles": ["help_desk", "fleet_management_viewer"]})
    assert response.status_code == 302 and response.url == url("user-roles", acme, user_id=member.pk)
    assert user_roles(member) == {"help_desk", "fleet_management_viewer"}


def test_assign_partner_administrator_to_a_non_member_of_child_access_group_is_refused(admin_client, acme, member):
    response = admin_client.post(url("user-roles-assign", acme, user_id=member.pk), {"roles": ["partner_administrator"]})
    assert response.status_code == 200
    assert "Child Organization Access Group" in response.content.decode()
    assert user_roles(member) == set()


def test_assign_partner_administrator_to_a_child_access_group_member(client, partner, partner_admin):
    # the boss holds Partner Administrator (through the group) and Organization Administrator
    boss = make_user(partner, "boss@partner.test", ["organization_administrator"])
    colleague = make_user(partner, "colleague@partner.test")
    cag = partner.groups.get(kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
    group_services.add_members(cag, [boss.pk, colleague.pk])
    client.force_login(boss)
    client.post(url("user-roles-assign", partner, user_id=colleague.pk), {"roles": ["partner_administrator"]})
    assert user_roles(colleague) == {"partner_administrator"}


def test_assign_unknown_role_is_refused_with_a_message(admin_client, acme, member):
    response = admin_client.post(url("user-roles-assign", acme, user_id=member.pk), {"roles": ["emperor"]})
    assert "Unknown roles: emperor." in response.content.decode()
    assert user_roles(member) == set()


def test_assign_page_needs_users_manage(client, acme, member):
    client.force_login(make_user(acme, "help@acme.test", ["help_desk"]))
    assert client.get(url("user-roles-assign", acme, user_id=member.pk)).status_code == 403
    assert client.post(url("user-roles-assign", acme, user_id=member.pk), {"roles": ["help_desk"]}).status_code == 403


def test_assign_roles_to_another_organizations_user_is_not_found(admin_client, acme, globex_admin):
    response = admin_client.post(url("user-roles-assign", acme, user_id=globex_admin.pk), {"roles": ["help_desk"]})
    assert response.status_code == 404
    assert admin_client.post(url("user-roles", acme, user_id=globex_admin.pk),
                             {"roles": ["organization_administrator"]}).status_code == 404
    assert user_roles(globex_admin) == {"organization_administrator"}


def test_role_counts_follow_assignments(admin_client, acme, member):
    role_services.assign_user_roles(member, ["help_desk", "scan_management_user"])
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    html = admin_client.get(url("user", acme, user_id=member.pk)).content.decode()
    assert "User Roles: 2" in html and "Group Roles: 0" in html and "Organization Roles: 1" in html
    admin_client.post(url("user-roles", acme, user_id=member.pk), {"roles": ["help_desk"]})
    html = admin_client.get(url("user", acme, user_id=member.pk)).content.decode()
    assert "User Roles: 1" in html
    assert effective_roles(member.__class__.objects.get(pk=member.pk), acme).user == {"scan_management_user"}
