"""Who may do what where: effective roles and permissions of a user in an organization, and the gate
that every view and API endpoint passes through (organization_for / OrganizationPermission).

Role sources (guide, "Assigning roles"): the user's own roles, the roles of the organization access groups
the user belongs to, the organization roles (inherited by every user), and in a child organization the
roles of the Child Organization Access groups of an ancestor organization the user belongs to.
"""
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.http import Http404

from .choices import GroupKind, OrganizationStatus
from .roles import DEFAULT_ROLE, PARTNER_ADMINISTRATOR, READ_ONLY_PERMISSIONS, permissions_of


@dataclass
class EffectiveRoles:
    """Roles of a user in one organization, by source (the user page shows the three counts)."""

    user: set[str] = field(default_factory=set)
    group: set[str] = field(default_factory=set)
    organization: set[str] = field(default_factory=set)
    child_access: set[str] = field(default_factory=set)

    @property
    def all(self) -> set[str]:
        return {DEFAULT_ROLE} | self.user | self.group | self.organization | self.child_access


def _cache(user) -> dict:
    cache = getattr(user, "_lexcloud_access_cache", None)
    if cache is None:
        cache = {}
        user._lexcloud_access_cache = cache
    return cache


def forget(user) -> None:
    """Drop the per-request cache after a change of roles or memberships."""
    if hasattr(user, "_lexcloud_access_cache"):
        del user._lexcloud_access_cache


def _home_assignments(user) -> list[tuple[str, int | None, int | None, str | None]]:
    """All role assignments that reach the user in their own organization, in one query.

    Every request asks this once, so it is plain SQL: building the equivalent ORM query (an OR across the
    group-membership join) cost more than running it (bench/bench_user_list.py)."""
    from .models import Group, RoleAssignment

    cache = _cache(user)
    if "home" not in cache:
        quote = connection.ops.quote_name
        assignments, groups = quote(RoleAssignment._meta.db_table), quote(Group._meta.db_table)
        members = quote(Group.members.through._meta.db_table)
        org_id = RoleAssignment._meta.get_field("organization").get_db_prep_value(user.organization_id, connection)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ra.role, ra.user_id, ra.group_id, g.kind FROM {assignments} ra "
                f"LEFT JOIN {groups} g ON g.id = ra.group_id "
                f"WHERE ra.organization_id = %s AND (ra.user_id = %s OR (ra.user_id IS NULL AND ra.group_id IS NULL) "
                f"OR ra.group_id IN (SELECT m.group_id FROM {members} m WHERE m.user_id = %s))",
                [org_id, user.pk, user.pk])
            cache["home"] = cursor.fetchall()
    return cache["home"]


def _child_access_roles(user) -> set[str]:
    return {role for role, _u, group_id, kind in _home_assignments(user)
            if group_id and kind == GroupKind.CHILD_ORGANIZATION_ACCESS}


def _is_child_access_member(user) -> bool:
    """Every Child Organization Access group holds Partner Administrator (it cannot be removed), so the
    member's assignments already list the group: no query of its own."""
    return any(group_id and kind == GroupKind.CHILD_ORGANIZATION_ACCESS
               for _role, _u, group_id, kind in _home_assignments(user))


def effective_roles(user, organization) -> EffectiveRoles:
    roles = EffectiveRoles()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return roles
    if organization.pk == user.organization_id:
        for role, user_id, group_id, kind in _home_assignments(user):
            if user_id:
                roles.user.add(role)
            elif group_id and kind == GroupKind.ORGANIZATION_ACCESS:
                roles.group.add(role)
            elif not group_id:
                roles.organization.add(role)
        # Partner Administrators manage the child organizations of their own organization; the role counts
        # only while the user is in a Child Organization Access group, however it was assigned.
        if _is_child_access_member(user):
            roles.child_access.add(PARTNER_ADMINISTRATOR)
        else:
            roles.user.discard(PARTNER_ADMINISTRATOR)
    elif _is_child_access_member(user) and is_descendant(organization, user.organization_id):
        roles.child_access = _child_access_roles(user) | {PARTNER_ADMINISTRATOR}
    return roles


def effective_permissions(user, organization) -> frozenset[str]:
    """The one function that answers "may this user do X in this organization"."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cache = _cache(user)
    key = ("perms", organization.pk)
    if key not in cache:
        roles = effective_roles(user, organization)
        if organization.pk != user.organization_id and not roles.child_access:
            cache[key] = frozenset()
        else:
            cache[key] = permissions_of(roles.all, organization.entitlements)
            if organization.status == OrganizationStatus.PENDING_DELETION:
                cache[key] &= READ_ONLY_PERMISSIONS  # its data can be looked at, no longer changed
    return cache[key]


def is_descendant(organization, ancestor_id) -> bool:
    """True if `ancestor_id` is above the organization and nothing between them is pending deletion."""
    for org in organization.ancestors():
        if org.pk == ancestor_id:
            return True
        if org.status == OrganizationStatus.PENDING_DELETION:
            return False
    return False


def can_see(user, organization) -> bool:
    """An organization exists for a user only if it is theirs or one they reach as a partner."""
    if not getattr(user, "is_authenticated", False):
        return False
    if organization.pk == user.organization_id:
        return True
    if organization.status == OrganizationStatus.PENDING_DELETION:
        return False
    return _is_child_access_member(user) and is_descendant(organization, user.organization_id)


def visible_organizations(user):
    """The user's organization followed by every descendant reached through child organization access."""
    from .models import Organization

    if not getattr(user, "is_authenticated", False):
        return []
    cache = _cache(user)
    if "visible" not in cache:
        home = user.organization
        found = [home]
        if _is_child_access_member(user):
            frontier = [home.pk]
            while frontier:
                level = list(Organization.objects.filter(parent_id__in=frontier)
                             .exclude(status=OrganizationStatus.PENDING_DELETION).select_related("parent"))
                found.extend(level)
                frontier = [org.pk for org in level]
        cache["visible"] = found
    return cache["visible"]


def organization_ids_with(user, permission: str) -> list:
    return [org.pk for org in visible_organizations(user) if permission in effective_permissions(user, org)]


class Denied(Exception):
    """The organization is visible but the permission is missing (403)."""


def organization_for(user, org_id, permission):
    """The gate: the organization if the user holds `permission` there (a code, or a tuple of codes of
    which any one suffices); Http404 if the user cannot see it; Denied (answered 403) if they see it
    without the permission."""
    from .models import Organization

    if getattr(user, "is_authenticated", False) and str(org_id) == str(user.organization_id):
        organization = user.organization  # loaded with the user (EmailBackend.get_user)
    else:
        try:
            organization = Organization.objects.select_related("parent").get(pk=org_id)
        except (Organization.DoesNotExist, ValueError, ValidationError):
            raise Http404("No such organization.") from None
    if not can_see(user, organization):
        raise Http404("No such organization.")
    needed = (permission,) if isinstance(permission, str) else tuple(permission)
    if not set(needed) & effective_permissions(user, organization):
        raise Denied(permission)
    return organization


# --- Authority: administrators hand out account-management rights only up to their own ------------------
#
# A User Administrator "manages users" but must not make anyone (least of all themselves) an Organization
# Administrator or a Partner Administrator, nor take over the account of someone who holds more than they do.
# Solution roles (Fleet, Print, Scan...) are theirs to hand out, as the guide says. `actor=None` is the
# operator (management commands), who may do anything. See docs/decisions/0004-authority.md.

def _account_permissions() -> frozenset[str]:
    from .roles import ROLES, Perm

    system = [role for role in ROLES if role.category == "system"]
    return frozenset().union(*(role.permissions for role in system)) - {Perm.OWN_ACCOUNT}


ACCOUNT_PERMISSIONS = _account_permissions()


def roles_above(actor, organization) -> set[str]:
    """Role codes that grant account-management rights the actor does not hold in this organization."""
    from .roles import ROLES

    held = effective_permissions(actor, organization)
    return {role.code for role in ROLES if (role.permissions & ACCOUNT_PERMISSIONS) - held}


def _refuse(field: str, message: str):
    from django.core.exceptions import ValidationError

    raise ValidationError({field: message})


def check_may_grant(actor, organization, role_codes, *, field="roles") -> None:
    """Refuse roles (directly, or through a group's membership) that would give more than the actor has."""
    if actor is None:
        return
    from .roles import BY_CODE

    above = sorted(BY_CODE[code].name for code in set(role_codes) & roles_above(actor, organization))
    if above:
        _refuse(field, "You cannot grant rights you do not hold yourself: " + ", ".join(above) + ".")


def users_above(actor, organization, user_ids=None) -> set[int]:
    """Users of the organization holding a role (their own, or through a group) that gives more
    account-management rights than the actor has: one query."""
    from .models import User

    if actor is None:
        return set()
    above = roles_above(actor, organization)
    if not above:
        return set()
    users = User.objects.filter(organization=organization).filter(
        Q(role_assignments__role__in=above) | Q(member_of__role_assignments__role__in=above))
    if user_ids is not None:
        users = users.filter(pk__in=list(user_ids))
    return set(users.values_list("pk", flat=True).distinct())


def check_may_manage_users(actor, organization, user_ids, *, field="users") -> None:
    """Refuse changes to users who hold more account-management rights than the actor."""
    if actor is None:
        return
    if users_above(actor, organization, user_ids):
        _refuse(field, "You cannot change a user who has more rights than you.")
