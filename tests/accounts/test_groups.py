"""Groups pages: the two tabs of partners, create/delete, Members and Group Roles."""
import pytest
from django.urls import reverse

from accounts import access
from accounts.access import effective_permissions, effective_roles
from accounts.choices import GroupKind
from accounts.models import Group, RoleAssignment, User
from accounts.roles import Perm
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import make_user


def url(name, org, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org_id": org.pk, **kwargs})


@pytest.fixture
def partner_oa(partner):
    return make_user(partner, "oa@partner.test", ["organization_administrator"])


def test_group_list_shows_members_roles_and_predefined_tag(client, org_admin, acme, member):
    group = Group.objects.get(organization=acme, name="Admin")
    group_services.add_members(group, [member.pk, org_admin.pk])
    client.force_login(org_admin)
    response = client.get(url("groups", acme))
    rows = {g.name: (g.members_count, g.roles_count) for g in response.context["groups"]}
    assert rows["Admin"] == (2, 1) and rows["Fleet Management Admins"] == (0, 3)
    html = response.content.decode()
    assert "Predefined" in html and url("group", acme, group_id=group.pk) in html
    assert "Child Organization Access" not in html  # a customer organization has one kind of group


def test_partner_sees_the_child_organization_access_tab(client, partner_oa, partner, partner_admin):
    client.force_login(partner_oa)
    response = client.get(url("groups", partner), {"kind": GroupKind.CHILD_ORGANIZATION_ACCESS})
    assert [g.name for g in response.context["groups"]] == ["Child Organization Access Group"]
    assert "Organization Access" in response.content.decode()
    names = [g.name for g in client.get(url("groups", partner)).context["groups"]]
    assert "Child Organization Access Group" not in names and "Admin" in names


def test_group_search_filters_by_name(client, org_admin, acme):
    client.force_login(org_admin)
    names = [g.name for g in client.get(url("groups", acme), {"q": "fleet"}).context["groups"]]
    assert names == ["Fleet Management Admins", "Fleet Management Viewers"]


def test_create_group_sanitises_and_refuses_duplicates(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.post(url("group-create", acme), {"name": "Print/Scan"})
    group = Group.objects.get(organization=acme, name="Print_Scan")
    assert response.url == url("group", acme, group_id=group.pk)
    response = client.post(url("group-create", acme), {"name": "print_scan"})
    assert response.status_code == 200 and "Type a unique group name." in response.content.decode()


def test_child_access_group_created_from_its_tab_holds_partner_administrator(client, partner_oa, partner):
    client.force_login(partner_oa)
    client.post(url("group-create", partner), {"name": "Partners", "kind": GroupKind.CHILD_ORGANIZATION_ACCESS})
    group = Group.objects.get(organization=partner, name="Partners")
    assert group.kind == GroupKind.CHILD_ORGANIZATION_ACCESS
    assert list(group.role_assignments.values_list("role", flat=True)) == ["partner_administrator"]


def test_a_customer_cannot_create_a_child_access_group(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.post(url("group-create", acme), {"name": "CAG", "kind": GroupKind.CHILD_ORGANIZATION_ACCESS})
    assert "available only to channel partners" in response.content.decode()
    assert not Group.objects.filter(name="CAG").exists()


def test_deleting_a_group_keeps_its_users_who_lose_its_roles(client, org_admin, acme, member):
    group = group_services.create_group(acme, "Printers")
    role_services.assign_group_roles(group, ["fleet_management_administrator"])
    group_services.add_members(group, [member.pk])
    client.force_login(org_admin)
    response = client.post(url("groups-delete", acme), {"groups": [group.pk]})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    survivor = User.objects.get(pk=member.pk)
    assert survivor.organization == acme
    assert "fleet_management_administrator" not in effective_roles(survivor, acme).all


def test_delete_groups_answers_405_to_get(client, org_admin, acme):
    client.force_login(org_admin)
    assert client.get(url("groups-delete", acme)).status_code == 405


def test_help_desk_sees_groups_but_cannot_change_them(client, acme, member):
    help_desk = make_user(acme, "hd@acme.test", ["help_desk"])
    group = Group.objects.get(organization=acme, name="Admin")
    client.force_login(help_desk)
    response = client.get(url("groups", acme))
    assert response.status_code == 200 and "Delete Groups" not in response.content.decode()
    assert client.post(url("groups-delete", acme), {"groups": [group.pk]}).status_code == 403
    assert client.get(url("group-create", acme)).status_code == 403
    assert client.post(url("group", acme, group_id=group.pk), {"users": [member.pk]}).status_code == 403
    assert client.get(url("group-members-add", acme, group_id=group.pk)).status_code == 403
    assert Group.objects.filter(pk=group.pk).exists()


def test_add_and_remove_members(client, org_admin, acme, member):
    group = group_services.create_group(acme, "Printers")
    client.force_login(org_admin)
    response = client.get(url("group-members-add", acme, group_id=group.pk), {"q": "mia"})
    assert [u.email for u in response.context["users"]] == ["member@acme.test"]
    response = client.post(url("group-members-add", acme, group_id=group.pk), {"users": [member.pk]})
    assert response.url == url("group", acme, group_id=group.pk)
    assert list(group.members.all()) == [member]
    assert "member@acme.test" in client.get(url("group", acme, group_id=group.pk)).content.decode()
    client.post(url("group", acme, group_id=group.pk), {"users": [member.pk]})
    assert group.members.count() == 0


def test_users_of_another_organization_cannot_be_added(client, org_admin, acme, globex_admin):
    group = group_services.create_group(acme, "Printers")
    client.force_login(org_admin)
    client.post(url("group-members-add", acme, group_id=group.pk), {"users": [globex_admin.pk]})
    assert group.members.count() == 0


def test_group_roles_assign_and_remove(client, org_admin, acme, member):
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    client.force_login(org_admin)
    response = client.get(url("group-roles-assign", acme, group_id=group.pk))
    assert "partner_administrator" not in {r["role"].code for t in response.context["tables"] for r in t["rows"]}
    client.post(url("group-roles-assign", acme, group_id=group.pk),
                {"roles": ["fleet_management_administrator", "file_service_administrator"]})
    user = User.objects.get(pk=member.pk)
    assert Perm.FLEET_MANAGE in effective_permissions(user, acme)
    assert "Fleet Management Administrator" in client.get(url("group-roles", acme, group_id=group.pk)).content.decode()
    client.post(url("group-roles", acme, group_id=group.pk), {"roles": ["fleet_management_administrator"]})
    assert list(group.role_assignments.values_list("role", flat=True)) == ["file_service_administrator"]


def test_partner_administrator_is_locked_in_a_child_access_group(client, partner_oa, partner, partner_admin):
    cag = Group.objects.get(organization=partner, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
    client.force_login(partner_oa)
    response = client.get(url("group-roles", partner, group_id=cag.pk))
    assert [row["locked"] for row in response.context["roles"] if row["role"].code == "partner_administrator"] == [True]
    response = client.post(url("group-roles", partner, group_id=cag.pk), {"roles": ["partner_administrator"]},
                           follow=True)
    assert ("You cannot delete the Partner Administrator role from a child organization access group."
            in response.content.decode())
    # Assign Roles keeps it even though a locked checkbox is not posted by a hand-made form
    client.post(url("group-roles-assign", partner, group_id=cag.pk), {"roles": ["fleet_management_administrator"]})
    assert set(cag.role_assignments.values_list("role", flat=True)) == {"partner_administrator",
                                                                        "fleet_management_administrator"}


def test_child_access_group_role_applies_in_every_child(client, partner_oa, partner, partner_admin, acme, globex):
    cag = Group.objects.get(organization=partner, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
    client.force_login(partner_oa)
    client.post(url("group-roles-assign", partner, group_id=cag.pk),
                {"roles": ["partner_administrator", "organization_administrator", "fleet_management_administrator"]})
    user = User.objects.get(pk=partner_admin.pk)
    for child in (acme, globex):
        assert "fleet_management_administrator" in effective_roles(user, child).child_access
    access.forget(user)
    assert Perm.FLEET_MANAGE not in effective_permissions(user, partner)


def test_group_of_another_organization_answers_404(client, org_admin, acme, globex):
    other = Group.objects.get(organization=globex, name="Admin")
    client.force_login(org_admin)
    assert client.get(url("group", acme, group_id=other.pk)).status_code == 404
    assert client.get(url("group-roles", acme, group_id=other.pk)).status_code == 404
    client.post(url("groups-delete", acme), {"groups": [other.pk]})
    assert Group.objects.filter(pk=other.pk).exists()


def test_group_list_query_count_does_not_grow_with_groups(client, org_admin, acme, member,
                                                          django_assert_max_num_queries):
    client.force_login(org_admin)
    client.get(url("groups", acme))
    with django_assert_max_num_queries(15) as few:
        client.get(url("groups", acme))
    for i in range(15):
        group = group_services.create_group(acme, f"Team {i}")
        group_services.add_members(group, [member.pk])
        role_services.assign_group_roles(group, ["scan_management_user"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("groups", acme))
    assert len(response.context["groups"]) == 20
    assert RoleAssignment.objects.filter(group__organization=acme).count() >= 15
