"""Effective roles and permissions: the sources of roles and the organization gate."""
import pytest
from django.http import Http404

from accounts.access import Denied, effective_permissions, effective_roles, organization_for
from accounts.choices import GroupKind
from accounts.roles import Perm
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from tests.conftest import make_user


def test_every_user_holds_the_default_user_role(member, acme):
    assert effective_roles(member, acme).all == {"user"}
    assert effective_permissions(member, acme) == {Perm.OWN_ACCOUNT}


def test_organization_roles_are_inherited_by_every_user(member, acme):
    role_services.assign_organization_roles(acme, ["print_release_management_user"])
    roles = effective_roles(make_user(acme, "new@acme.test"), acme)
    assert roles.organization == {"print_release_management_user"}
    assert Perm.PRINT_USE in effective_permissions(member.__class__.objects.get(pk=member.pk), acme)


def test_group_roles_reach_members_only(acme, member):
    group = group_services.create_group(acme, "Printers")
    role_services.assign_group_roles(group, ["fleet_management_administrator"])
    outsider = make_user(acme, "out@acme.test")
    group_services.add_members(group, [member.pk])
    assert effective_roles(member, acme).group == {"fleet_management_administrator"}
    assert effective_roles(outsider, acme).group == set()


def test_user_role_is_not_a_group_or_organization_role(acme, member):
    role_services.assign_user_roles(member, ["help_desk"])
    roles = effective_roles(member, acme)
    assert roles.user == {"help_desk"} and not roles.group and not roles.organization


def test_child_access_group_roles_apply_in_every_child(partner_admin, acme, globex, partner):
    assert Perm.USERS_MANAGE in effective_permissions(partner_admin, acme)
    assert Perm.USERS_MANAGE in effective_permissions(partner_admin, globex)
    # ...but not in the partner organization itself, where only Partner Administrator counts
    perms = effective_permissions(partner_admin, partner)
    assert Perm.CHILDREN_MANAGE in perms and Perm.USERS_MANAGE not in perms


def test_sibling_organization_is_invisible(globex_admin, acme):
    with pytest.raises(Http404):
        organization_for(globex_admin, acme.pk, Perm.USERS_VIEW)


def test_visible_organization_without_permission_is_denied(member, acme):
    with pytest.raises(Denied):
        organization_for(member, acme.pk, Perm.USERS_VIEW)


def test_roles_of_services_the_organization_lacks_grant_nothing(acme, member):
    role_services.assign_user_roles(member, ["scan_management_user"])
    acme.entitlements = ["account"]
    acme.save()
    from accounts import access

    access.forget(member)
    assert Perm.SCAN_USE not in effective_permissions(member, acme)


def test_partner_administrator_only_for_child_access_group_members(acme, member, partner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        role_services.assign_user_roles(member, ["partner_administrator"])


def test_partner_administrator_cannot_be_removed_from_child_access_group(partner):
    from django.core.exceptions import ValidationError

    cag = group_services.create_group(partner, "CAG", GroupKind.CHILD_ORGANIZATION_ACCESS)
    with pytest.raises(ValidationError):
        role_services.remove_group_roles(cag, ["partner_administrator"])
    assert cag.role_assignments.filter(role="partner_administrator").exists()
