"""Administrators hand out account-management rights only up to their own (docs/decisions/0004-authority.md),
organizations pending deletion are read-only, and bad ids never crash a page."""
import io

import pytest
from django.core.exceptions import ValidationError

from accounts.access import effective_permissions
from accounts.choices import GroupKind, OrganizationKind, OrganizationStatus
from accounts.models import Group, RoleAssignment, User, UserImport
from accounts.roles import Perm
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from accounts.services.imports import import_users, run_import
from accounts.services.organizations import create_organization
from accounts.services.users import update_user
from tests.conftest import PASSWORD, make_user

HEADER = "EMAIL,OPERATION,PASSWORD,FIRST_NAME,LAST_NAME,DISPLAY_NAME,SHORTNAME,GROUPS,CUSTOM_ATTRIBUTES,COST_CENTER,DEPARTMENT\n"


def api(org, rest):
    return f"/api/v1/organizations/{org.pk}/{rest}"


@pytest.fixture
def user_admin(acme):
    return make_user(acme, "ua@acme.test", ["user_administrator"])


def test_user_administrator_cannot_make_themselves_organization_administrator(client, acme, user_admin):
    client.force_login(user_admin)
    response = client.post(api(acme, f"users/{user_admin.pk}/roles/"), {"roles": ["organization_administrator"]},
                           content_type="application/json")
    assert response.status_code == 400
    assert "You cannot grant rights you do not hold yourself: Organization Administrator." in str(response.json())
    assert not RoleAssignment.objects.filter(user=user_admin, role="organization_administrator").exists()


def test_user_administrator_may_still_hand_out_solution_roles_and_their_own(acme, user_admin, member):
    role_services.assign_user_roles(member, ["fleet_management_administrator", "file_service_administrator",
                                             "user_administrator", "help_desk"], by=user_admin)
    assert set(member.role_assignments.values_list("role", flat=True)) == {
        "fleet_management_administrator", "file_service_administrator", "user_administrator", "help_desk"}


def test_user_administrator_cannot_join_a_group_that_grants_organization_administrator(acme, user_admin):
    admins = Group.objects.get(organization=acme, name="Admin")  # predefined: Organization Administrator
    with pytest.raises(ValidationError, match="Organization Administrator"):
        group_services.add_members(admins, [user_admin.pk], by=user_admin)
    helpdesk = Group.objects.get(organization=acme, name="Help Desk")
    with pytest.raises(ValidationError):
        role_services.assign_group_roles(helpdesk, ["organization_administrator"], by=user_admin)


def test_partner_user_administrator_cannot_join_the_child_organization_access_group(client, partner, acme,
                                                                                     partner_admin):
    ua = make_user(partner, "ua@partner.test", ["user_administrator"])
    cag = Group.objects.get(organization=partner, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)
    client.force_login(ua)
    response = client.post(api(partner, f"groups/{cag.pk}/members/"), {"user_ids": [ua.pk]},
                           content_type="application/json")
    assert response.status_code == 400 and "Partner Administrator" in str(response.json())
    assert client.get(api(acme, "users/")).status_code == 404


def test_user_administrator_cannot_take_over_an_organization_administrator(client, acme, org_admin, user_admin):
    client.force_login(user_admin)
    response = client.patch(api(acme, f"users/{org_admin.pk}/"), {"email": "attacker@evil.test"},
                            content_type="application/json")
    assert response.status_code == 400
    assert User.objects.get(pk=org_admin.pk).email == "admin@acme.test"
    for call in (lambda: role_services.remove_user_roles(org_admin, ["organization_administrator"], by=user_admin),
                 lambda: update_user(org_admin, first_name="Pwned", by=user_admin)):
        with pytest.raises(ValidationError, match="more rights than you"):
            call()
    # ...while an Organization Administrator manages a User Administrator freely
    update_user(user_admin, first_name="Ulla", by=org_admin)


def test_import_refuses_to_change_users_or_groups_above_the_importer(acme, org_admin, user_admin, member):
    content = (HEADER + f"{org_admin.email},UPDATE,Pwned-pass1!,,,,,,,,\n"
               f"{member.email},UPDATE,,,,,,Admin,,,\n"
               f"{member.email.replace('member', 'other')},CREATE,Other-pass1!,,,,,Team,,,\n")
    result = import_users(acme, content, by=user_admin)
    assert [(e["line"], e["reason"][:40]) for e in result.errors] == [
        (2, "You cannot change a user who has more ri"), (3, "You cannot add users to Admin: the group")]
    assert result.created == 1
    assert not User.objects.get(pk=org_admin.pk).check_password("Pwned-pass1!")
    assert not member.member_of.filter(name="Admin").exists()


def test_partner_administrator_role_lapses_when_the_user_leaves_the_child_access_group(partner):
    user = make_user(partner, "x@partner.test")
    cag = group_services.create_group(partner, "CAG", GroupKind.CHILD_ORGANIZATION_ACCESS)
    group_services.add_members(cag, [user.pk])
    role_services.assign_user_roles(user, ["partner_administrator"])
    group_services.remove_members(cag, [user.pk])
    user = User.objects.get(pk=user.pk)
    assert Perm.CHILDREN_MANAGE not in effective_permissions(user, partner)


def test_organization_pending_deletion_is_read_only_for_its_own_users(client, acme, org_admin):
    acme.status = OrganizationStatus.PENDING_DELETION
    acme.save()
    client.force_login(org_admin)
    assert client.get(api(acme, "users/")).status_code == 200
    response = client.post(api(acme, "users/"), {"email": "new@acme.test", "send_password_link": False},
                           content_type="application/json")
    assert response.status_code == 403


def test_grandchild_under_a_child_pending_deletion_is_out_of_reach(client, partner, partner_admin):
    sub = create_organization("Sub Partner", kind=OrganizationKind.PARTNER, parent=partner)
    grandchild = create_organization("Grandchild", parent=sub)
    sub.status = OrganizationStatus.PENDING_DELETION
    sub.save()
    client.force_login(partner_admin)
    assert client.get(api(grandchild, "users/")).status_code == 404


def test_an_import_delivered_twice_runs_once(acme, org_admin):
    user_import = UserImport.objects.create(organization=acme, created_by=org_admin, filename="u.csv",
                                            content=HEADER + "n1@acme.test,CREATE,Aa-aaaa1!,,,,,,,,\n", total_rows=1)
    first, second = UserImport.objects.get(pk=user_import.pk), UserImport.objects.get(pk=user_import.pk)
    run_import(first)
    run_import(second)
    user_import.refresh_from_db()
    assert user_import.result["created"] == 1 and user_import.result["errors"] == []


@pytest.mark.parametrize("path,data", [("users/delete/", {"ids": ["9" * 25]}), ("groups/delete/", {"groups": ["²"]})])
def test_odd_ids_in_forms_are_ignored_not_a_crash(client, acme, org_admin, path, data):
    client.force_login(org_admin)
    assert client.post(f"/o/{acme.pk}/account/{path}", data).status_code == 302


def test_odd_ids_in_the_api_answer_400(client, acme, org_admin):
    client.force_login(org_admin)
    response = client.post(api(acme, "users/bulk-delete/"), {"ids": [10**25]}, content_type="application/json")
    assert response.status_code == 400


def test_sign_in_password_is_not_changed_by_a_refused_import(client, acme, org_admin, user_admin):
    f = io.BytesIO((HEADER + f"{org_admin.email},UPDATE,Pwned-pass1!,,,,,,,,\n").encode())
    f.name = "u.csv"
    client.force_login(user_admin)
    assert client.post(api(acme, "user-imports/"), {"file": f}).status_code == 201
    client.logout()
    assert client.login(username=org_admin.email, password=PASSWORD)


def test_user_administrator_cannot_strip_or_delete_the_admin_group(client, acme, org_admin, user_admin):
    admins = Group.objects.get(organization=acme, name="Admin")
    admins.members.add(org_admin)
    client.force_login(user_admin)
    response = client.delete(api(acme, f"groups/{admins.pk}/roles/"), {"roles": ["organization_administrator"]},
                             content_type="application/json")
    assert response.status_code == 400
    assert client.delete(api(acme, f"groups/{admins.pk}/")).status_code == 400
    assert admins.role_assignments.filter(role="organization_administrator").exists()
    assert Group.objects.filter(pk=admins.pk).exists()


def test_import_checks_groups_by_identity_in_each_batch(acme, user_admin, member, monkeypatch):
    """A group renamed to a harmless name while a long import runs is still the group it was."""
    from accounts.services import imports

    monkeypatch.setattr(imports, "BATCH_SIZE", 1)
    admins = Group.objects.get(organization=acme, name="Admin")
    content = HEADER + "first@acme.test,CREATE,First-pass1!,,,,,,,,\n" + f"{member.email},UPDATE,,,,,,Zed,,,\n"

    def rename_after_first_batch(done, total):
        if done == 1:
            Group.objects.filter(pk=admins.pk).update(name="Zed")

    result = import_users(acme, content, by=user_admin, progress=rename_after_first_batch)
    assert [e["line"] for e in result.errors] == [3]
    assert not member.member_of.filter(pk=admins.pk).exists()


def test_import_whose_uploader_was_deleted_does_not_run(acme, org_admin):
    user_import = UserImport.objects.create(organization=acme, created_by=org_admin, filename="u.csv",
                                            content=HEADER + "n1@acme.test,CREATE,Aa-aaaa1!,,,,,,,,\n", total_rows=1)
    User.objects.filter(pk=org_admin.pk).delete()
    run_import(UserImport.objects.get(pk=user_import.pk))
    user_import.refresh_from_db()
    assert user_import.status == "failed" and not User.objects.filter(email="n1@acme.test").exists()
