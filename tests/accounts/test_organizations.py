"""Organization Information, Child Organizations (create, the 2025 delete flow) and Organization Roles pages."""
import pytest
from django.urls import reverse

from accounts import access
from accounts.access import effective_permissions, effective_roles
from accounts.choices import GroupKind, OrganizationStatus
from accounts.models import Group, Organization, RoleAssignment, User
from accounts.roles import Perm
from accounts.services import groups as group_services
from accounts.services import organizations as org_services
from accounts.services import roles as role_services
from tests.conftest import make_user


def url(name, org, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org_id": org.pk, **kwargs})


def fresh(user):
    user = User.objects.get(pk=user.pk)
    access.forget(user)
    return user


# Organization Information ------------------------------------------------------------------------------------

def test_organization_information_shows_id_parent_counts_and_services(client, org_admin, acme, partner):
    client.force_login(org_admin)
    response = client.get(url("organization", acme))
    html = response.content.decode()
    assert response.status_code == 200
    assert str(acme.pk) in html and f'data-copy="{acme.pk}"' in html
    assert "Demo Partner" in html  # parent organization name
    assert "Active Lexmark Cloud Services" in html and "Cloud Fleet Management" in html
    assert response.context["user_count"] == 1 and response.context["group_count"] == 5


def test_root_organization_shows_root_as_parent(client, partner):
    admin = make_user(partner, "oa@partner.test", ["organization_administrator"])
    client.force_login(admin)
    html = client.get(url("organization", partner)).content.decode()
    assert "Root" in html and "Partner" in html


def test_only_entitled_services_are_listed(client, org_admin, acme):
    acme.entitlements = ["account", "print"]
    acme.save()
    client.force_login(org_admin)
    services = client.get(url("organization", acme)).context["services"]
    assert services == ["Account Management", "Cloud Print Management"]


def test_customer_administrator_sees_no_delete_organization_button(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.get(url("organization", acme))
    assert response.context["can_delete"] is False
    assert "Delete Organization" not in response.content.decode()
    assert client.get(url("organization-delete", acme)).status_code == 403


def test_partner_administrator_sees_delete_organization_on_a_child(client, partner_admin, acme):
    client.force_login(partner_admin)
    response = client.get(url("organization", acme))
    assert response.context["can_delete"] is True and response.context["delete_blocker"] == ""
    assert "Delete Organization" in response.content.decode()


def test_delete_organization_is_disabled_when_mps_express_is_enabled(client, partner_admin, acme):
    acme.mps_express_enabled = True
    acme.save()
    client.force_login(partner_admin)
    html = client.get(url("organization", acme)).content.decode()
    assert "disabled" in html and "MPS Express is enabled for the organization." in html


# Child organizations: create --------------------------------------------------------------------------------

def test_partner_administrator_creates_a_child_with_the_parents_region_and_services(client, partner_admin, partner):
    partner.region = "eu"
    partner.save()
    client.force_login(partner_admin)
    response = client.post(url("child-create", partner), {"name": "Initech"})
    assert response.status_code == 302
    child = Organization.objects.get(name="Initech")
    assert child.parent == partner and child.region == "eu" and child.entitlements == partner.entitlements
    assert child.groups.filter(predefined=True).count() == 5


def test_child_organization_name_must_be_unique(client, partner_admin, partner, acme):
    client.force_login(partner_admin)
    response = client.post(url("child-create", partner), {"name": "acme"})
    assert response.status_code == 200
    assert "Type a unique organization name." in response.content.decode()


def test_special_characters_in_a_child_organization_name_are_refused(client, partner_admin, partner):
    client.force_login(partner_admin)
    response = client.post(url("child-create", partner), {"name": "Bad<Name>!"})
    assert "Special characters are not supported." in response.content.decode()
    assert not Organization.objects.filter(name="Bad<Name>!").exists()


def test_a_non_partner_administrator_cannot_create_a_child_organization(client, partner):
    admin = make_user(partner, "oa@partner.test", ["organization_administrator"])
    client.force_login(admin)
    assert client.get(url("child-create", partner)).status_code == 403
    assert client.post(url("child-create", partner), {"name": "Sneaky"}).status_code == 403
    assert not Organization.objects.filter(name="Sneaky").exists()


def test_a_customer_organization_cannot_have_children(acme):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        org_services.create_child_organization(acme, "Grandchild")


def test_children_list_shows_users_count_status_and_links(client, partner_admin, partner, acme, globex, member):
    globex.status = OrganizationStatus.PENDING_DELETION
    globex.save()
    client.force_login(partner_admin)
    response = client.get(url("children", partner))
    html = response.content.decode()
    assert url("organization", acme) in html
    assert url("organization", globex) not in html and "Pending deletion" in html
    assert {c.name: c.users_count for c in response.context["children"]} == {"Acme": 1, "Globex": 0}
    assert [c.name for c in client.get(url("children", partner), {"q": "glob"}).context["children"]] == ["Globex"]


def test_children_empty_state_offers_create_child_organization(client, partner_admin, partner):
    client.force_login(partner_admin)
    html = client.get(url("children", partner)).content.decode()
    assert "Create Child Organization" in html


def test_children_list_query_count_does_not_grow_with_children(client, partner_admin, partner,
                                                               django_assert_max_num_queries):
    client.force_login(partner_admin)
    for i in range(2):
        org_services.create_child_organization(partner, f"Child {i}")
    client.get(url("children", partner))
    with django_assert_max_num_queries(14) as few:
        client.get(url("children", partner))
    for i in range(2, 12):
        org_services.create_child_organization(partner, f"Child {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("children", partner))
    assert len(response.context["children"]) == 12


# Child organizations: delete (2025 flow) ---------------------------------------------------------------------

def test_delete_page_warns_then_asks_for_the_name(client, partner_admin, acme):
    client.force_login(partner_admin)
    html = client.get(url("organization-delete", acme)).content.decode()
    assert ("Deleting an organization deletes all the users, groups, applications, and badges that are "
            "associated with the organization.") in html and "Continue" in html
    html = client.get(url("organization-delete", acme), {"step": "confirm"}).content.decode()
    assert 'name="confirm_name"' in html and "Delete" in html


def test_a_wrong_confirmation_name_is_refused(client, partner_admin, acme):
    client.force_login(partner_admin)
    response = client.post(url("organization-delete", acme), {"confirm_name": "acme"})
    assert response.status_code == 200
    assert "Type the name of the child organization exactly" in response.content.decode()
    acme.refresh_from_db()
    assert acme.status == OrganizationStatus.ACTIVE


def test_deleting_a_child_removes_its_users_groups_and_role_assignments(
        client, partner_admin, partner, acme, org_admin, member, django_capture_on_commit_callbacks):
    group = group_services.create_group(acme, "Printers")
    group_services.add_members(group, [member.pk])
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    client.force_login(partner_admin)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(url("organization-delete", acme), {"confirm_name": "Acme"})
    assert response.status_code == 302 and response.url == url("children", partner)
    assert len(callbacks) == 2  # the Celery task, run eagerly, and the notice it sends when done
    assert not Organization.objects.filter(pk=acme.pk).exists()
    assert not User.objects.filter(pk__in=[org_admin.pk, member.pk]).exists()
    assert not Group.objects.filter(organization_id=acme.pk).exists()
    assert not RoleAssignment.objects.filter(organization_id=acme.pk).exists()
    assert partner_admin.__class__.objects.filter(pk=partner_admin.pk).exists()


def test_a_child_pending_deletion_disappears_for_the_partner(client, partner_admin, acme):
    org_services.request_child_deletion(acme, by=partner_admin, confirm_name="Acme")
    client.force_login(fresh(partner_admin))
    assert client.get(url("organization", acme)).status_code == 404


def test_only_one_child_organization_can_be_deleted_at_a_time(partner_admin, acme, globex):
    from django.core.exceptions import ValidationError

    org_services.request_child_deletion(acme, by=partner_admin, confirm_name="Acme")
    with pytest.raises(ValidationError, match="You can delete only one child organization at a time."):
        org_services.request_child_deletion(globex, by=partner_admin, confirm_name="Globex")
    assert org_services.finish_pending_deletions() == 1
    org_services.request_child_deletion(Organization.objects.get(pk=globex.pk), by=partner_admin,
                                        confirm_name="Globex")


def test_a_child_with_mps_express_cannot_be_deleted(partner_admin, acme):
    from django.core.exceptions import ValidationError

    acme.mps_express_enabled = True
    acme.save()
    with pytest.raises(ValidationError, match="MPS Express"):
        org_services.request_child_deletion(acme, by=partner_admin, confirm_name="Acme")


def test_a_child_already_pending_deletion_cannot_be_deleted_again(partner_admin, acme):
    from django.core.exceptions import ValidationError

    org_services.request_child_deletion(acme, by=partner_admin, confirm_name="Acme")
    with pytest.raises(ValidationError, match="pending deletion"):
        org_services.request_child_deletion(acme, by=partner_admin, confirm_name="Acme")


def test_a_root_organization_cannot_be_deleted(partner, partner_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        org_services.request_child_deletion(partner, by=partner_admin, confirm_name="Demo Partner")


def test_finishing_deletions_is_idempotent(partner_admin, acme):
    org_services.request_child_deletion(acme, by=partner_admin, confirm_name="Acme")
    assert org_services.finish_pending_deletions() == 1
    assert org_services.finish_pending_deletions() == 0


# Organization Roles ----------------------------------------------------------------------------------------

def test_organization_role_is_inherited_by_every_user(client, org_admin, acme, member):
    client.force_login(org_admin)
    response = client.post(url("organization-roles-assign", acme), {"roles": ["print_release_management_user"]})
    assert response.status_code == 302
    later = make_user(acme, "later@acme.test")
    for user in (fresh(member), later):
        assert "print_release_management_user" in effective_roles(user, acme).organization
        assert Perm.PRINT_USE in effective_permissions(user, acme)
    html = client.get(url("organization-roles", acme)).content.decode()
    assert "Print Release Management User" in html


def test_assign_roles_page_lists_system_and_custom_roles_without_partner_administrator(client, org_admin, acme):
    client.force_login(org_admin)
    response = client.get(url("organization-roles-assign", acme))
    tables = response.context["tables"]
    assert [t["title"] for t in tables] == ["System Roles", "Custom Roles"]
    system = [row["role"].name for row in tables[0]["rows"]]
    assert system == ["Help Desk", "Organization Administrator", "User", "User Administrator"]
    # the guide's dialog: "1 of 4 roles selected" (User, the default role, is always held)
    assert "<span data-count>1</span> of 4 roles selected" in response.content.decode()


def test_partner_administrator_cannot_be_an_organization_role(client, org_admin, acme):
    client.force_login(org_admin)
    client.post(url("organization-roles-assign", acme), {"roles": ["partner_administrator"]})
    assert not RoleAssignment.objects.filter(organization=acme, role="partner_administrator").exists()


def test_unchecking_a_role_on_assign_roles_removes_it(client, org_admin, acme):
    role_services.assign_organization_roles(acme, ["print_release_management_user", "scan_management_user"])
    client.force_login(org_admin)
    client.post(url("organization-roles-assign", acme), {"roles": ["scan_management_user"]})
    assert set(RoleAssignment.objects.filter(organization=acme, user=None, group=None)
               .values_list("role", flat=True)) == {"scan_management_user"}


def test_remove_roles_removes_the_selected_organization_roles(client, org_admin, acme):
    role_services.assign_organization_roles(acme, ["print_release_management_user", "scan_management_user"])
    client.force_login(org_admin)
    response = client.post(url("organization-roles", acme), {"roles": ["scan_management_user"]})
    assert response.status_code == 302
    assert list(RoleAssignment.objects.filter(organization=acme, user=None, group=None)
                .values_list("role", flat=True)) == ["print_release_management_user"]


def test_user_administrator_sees_organization_roles_but_cannot_change_them(client, acme):
    role_services.assign_organization_roles(acme, ["scan_management_user"])
    user_admin = make_user(acme, "ua@acme.test", ["user_administrator"])
    client.force_login(user_admin)
    response = client.get(url("organization-roles", acme))
    assert response.status_code == 200 and response.context["can_manage"] is False
    assert client.post(url("organization-roles", acme), {"roles": ["scan_management_user"]}).status_code == 403
    assert client.get(url("organization-roles-assign", acme)).status_code == 403
    assert RoleAssignment.objects.filter(organization=acme, role="scan_management_user").exists()


def test_child_access_group_grants_partner_administrator_in_the_partner_itself(partner_admin, partner):
    assert Perm.CHILDREN_MANAGE in effective_permissions(partner_admin, partner)
    assert Group.objects.get(kind=GroupKind.CHILD_ORGANIZATION_ACCESS).organization == partner


def test_the_requesting_administrator_is_emailed_when_the_deletion_is_done(
        partner_admin, acme, django_capture_on_commit_callbacks):
    from django.core import mail

    from accounts.models import Organization
    from accounts.services.organizations import request_child_deletion

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_child_deletion(acme, by=partner_admin, confirm_name=acme.name)
    assert not Organization.objects.filter(pk=acme.pk).exists()
    notices = [m for m in mail.outbox if m.subject == "Organization Acme deleted"]
    assert [m.to for m in notices] == [["pa@partner.test"]]


def test_partner_chooses_the_services_of_a_child_among_its_own(client, partner_admin, partner, acme):
    from accounts.models import Organization

    partner.entitlements = ["account", "fleet", "print"]
    partner.save()
    client.force_login(partner_admin)
    page = client.get(url("organization-services", acme))
    assert [row["code"] for row in page.context["rows"]] == ["account", "fleet", "print"]
    client.post(url("organization-services", acme), {"services": ["fleet"]})
    assert Organization.objects.get(pk=acme.pk).entitlements == ["account", "fleet"]
    response = client.post(url("organization-services", acme), {"services": ["scan"]})
    assert b"The parent organization is not entitled to: Cloud Scan Management." in response.content
    assert Organization.objects.get(pk=acme.pk).entitlements == ["account", "fleet"]


def test_child_organization_administrator_cannot_grant_their_organization_services(client, org_admin, acme):
    client.force_login(org_admin)
    assert client.get(url("organization-services", acme)).status_code == 403
    assert client.post(url("organization-services", acme), {"services": ["scan"]}).status_code == 403


def test_withdrawing_a_service_from_a_partner_withdraws_it_from_its_children(partner, acme):
    from accounts.models import Organization
    from accounts.services.organizations import set_entitlements

    set_entitlements(partner, ["fleet"])
    assert Organization.objects.get(pk=acme.pk).entitlements == ["account", "fleet"]
