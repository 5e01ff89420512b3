"""Assign and remove roles of users, groups and organizations."""
from django.core.exceptions import ValidationError
from django.db import transaction

from .. import access
from ..choices import GroupKind
from ..models import Group, Organization, RoleAssignment, User
from ..roles import BY_CODE, DEFAULT_ROLE, PARTNER_ADMINISTRATOR, assignable_roles


def _check_assignable(org: Organization, roles) -> list[str]:
    allowed = {role.code for role in assignable_roles(org.entitlements)}
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in BY_CODE]
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(unknown)}."})
    not_entitled = [BY_CODE[r].name for r in roles if r not in allowed]
    if not_entitled:
        raise ValidationError({"roles": f"The organization is not entitled to: {', '.join(not_entitled)}."})
    return roles


def _add(org, roles, **holder):
    # ignore_conflicts: two identical requests at once both succeed instead of one failing on the constraint
    RoleAssignment.objects.bulk_create([RoleAssignment(organization=org, role=r, **holder) for r in roles],
                                       ignore_conflicts=True)


@transaction.atomic
def assign_user_roles(user: User, roles, *, by: User | None = None) -> None:
    """`by` is the administrator acting (None: an operator command); they grant only what they hold."""
    roles = [r for r in _check_assignable(user.organization, roles) if r != DEFAULT_ROLE]
    if PARTNER_ADMINISTRATOR in roles and not user.member_of.filter(kind=GroupKind.CHILD_ORGANIZATION_ACCESS).exists():
        raise ValidationError({"roles": "You can assign the Partner Administrator role only to members of a "
                                        "Child Organization Access Group."})
    access.check_may_grant(by, user.organization, roles)
    _add(user.organization, roles, user=user)
    access.forget(user)


@transaction.atomic
def remove_user_roles(user: User, roles, *, by: User | None = None) -> int:
    access.check_may_manage_users(by, user.organization, [user.pk], field="roles")
    deleted, _ = RoleAssignment.objects.filter(user=user, role__in=list(roles)).delete()
    access.forget(user)
    return deleted


@transaction.atomic
def assign_group_roles(group: Group, roles, *, by: User | None = None) -> None:
    roles = _check_assignable(group.organization, roles)
    access.check_may_grant(by, group.organization, roles)
    if PARTNER_ADMINISTRATOR in roles and not group.is_child_access:
        raise ValidationError({"roles": "The Partner Administrator role belongs to Child Organization Access groups."})
    _add(group.organization, roles, group=group)


@transaction.atomic
def remove_group_roles(group: Group, roles, *, by: User | None = None) -> int:
    """Taking a role from a group takes it from every member: `by` may take away only what they could give."""
    roles = set(roles)
    if group.is_child_access and PARTNER_ADMINISTRATOR in roles:
        raise ValidationError({"roles": "You cannot delete the Partner Administrator role from a child "
                                        "organization access group."})
    access.check_may_grant(by, group.organization, roles)
    deleted, _ = RoleAssignment.objects.filter(group=group, role__in=roles).delete()
    return deleted


@transaction.atomic
def assign_organization_roles(org: Organization, roles, *, by: User | None = None) -> None:
    roles = [r for r in _check_assignable(org, roles) if r != DEFAULT_ROLE]
    access.check_may_grant(by, org, roles)
    if PARTNER_ADMINISTRATOR in roles:
        raise ValidationError({"roles": "The Partner Administrator role cannot be an organization role."})
    _add(org, roles, user=None, group=None)


@transaction.atomic
def remove_organization_roles(org: Organization, roles, *, by: User | None = None) -> int:
    access.check_may_grant(by, org, roles)
    deleted, _ = RoleAssignment.objects.filter(organization=org, user=None, group=None, role__in=list(roles)).delete()
    return deleted


def _sync(org: Organization, current: set[str], wanted, locked=frozenset()):
    """Split a full selection of the Assign Roles page into roles to add and roles to remove. Only roles the
    page offered (the organization's assignable roles) can be removed; locked roles always stay."""
    offered = {role.code for role in assignable_roles(org.entitlements)}
    wanted = set(wanted) | (current & set(locked))
    return wanted - current, (current & offered) - wanted


@transaction.atomic
def set_organization_roles(org: Organization, roles, *, by: User | None = None) -> tuple[int, int]:
    """**Assign Roles** on Organization Roles: the checked roles become the organization roles."""
    current = set(RoleAssignment.objects.filter(organization=org, user=None, group=None).values_list("role", flat=True))
    add, remove = _sync(org, current, [r for r in roles if r != DEFAULT_ROLE])
    if add:
        assign_organization_roles(org, sorted(add), by=by)
    if remove:
        remove_organization_roles(org, remove, by=by)
    return len(add), len(remove)


@transaction.atomic
def set_user_roles(user: User, roles, *, by: User | None = None) -> tuple[int, int]:
    """**Assign Roles** on a user's roles page: the checked roles become the user's own roles."""
    current = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    add, remove = _sync(user.organization, current, [r for r in roles if r != DEFAULT_ROLE])
    if add:
        assign_user_roles(user, sorted(add), by=by)
    if remove:
        remove_user_roles(user, remove, by=by)
    return len(add), len(remove)


@transaction.atomic
def set_group_roles(group: Group, roles, *, by: User | None = None) -> tuple[int, int]:
    """**Assign Roles** on a group's Group Roles tab; Partner Administrator stays in child access groups."""
    current = set(RoleAssignment.objects.filter(group=group).values_list("role", flat=True))
    locked = {PARTNER_ADMINISTRATOR} if group.is_child_access else set()
    add, remove = _sync(group.organization, current, roles, locked)
    if add:
        assign_group_roles(group, sorted(add), by=by)
    if remove:
        remove_group_roles(group, remove, by=by)
    return len(add), len(remove)
