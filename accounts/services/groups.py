"""Groups: create, delete, members. Child Organization Access groups always hold Partner Administrator."""
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from .. import access
from ..choices import GroupKind
from ..models import Group, Organization, RoleAssignment, User
from ..roles import PARTNER_ADMINISTRATOR

# "Group names cannot contain ! @ # $ % ^ & * ; + ? / \ [ ]": those characters become "_".
FORBIDDEN_GROUP_CHARS = re.compile(r"[!@#$%^&*;+?/\\\[\]]")


def sanitize_group_name(name: str) -> str:
    return FORBIDDEN_GROUP_CHARS.sub("_", (name or "").strip())


@transaction.atomic
def create_group(org: Organization, name: str, kind=GroupKind.ORGANIZATION_ACCESS) -> Group:
    name = sanitize_group_name(name)
    if not name:
        raise ValidationError({"name": "Type a group name."})
    if len(name) > 150:
        raise ValidationError({"name": "The group name can have at most 150 characters."})
    if kind == GroupKind.CHILD_ORGANIZATION_ACCESS and not org.is_partner:
        raise ValidationError({"kind": "Child organization access groups are available only to channel partners."})
    if Group.objects.filter(organization=org, name__iexact=name).exists():
        raise ValidationError({"name": "Type a unique group name."})
    try:
        with transaction.atomic():
            group = Group.objects.create(organization=org, name=name, kind=kind)
    except IntegrityError:  # a concurrent request created the same name first
        raise ValidationError({"name": "Type a unique group name."}) from None
    if kind == GroupKind.CHILD_ORGANIZATION_ACCESS:
        RoleAssignment.objects.create(organization=org, group=group, role=PARTNER_ADMINISTRATOR)
    return group


@transaction.atomic
def rename_group(group: Group, name: str) -> Group:
    name = sanitize_group_name(name)
    if not name:
        raise ValidationError({"name": "Type a group name."})
    if len(name) > 150:
        raise ValidationError({"name": "The group name can have at most 150 characters."})
    if Group.objects.filter(organization_id=group.organization_id, name__iexact=name).exclude(pk=group.pk).exists():
        raise ValidationError({"name": "Type a unique group name."})
    group.name = name
    group.save(update_fields=["name"])
    return group


@transaction.atomic
def delete_groups(org: Organization, group_ids, *, by: User | None = None) -> int:
    """"Deleting a group does not delete the users from the organization." Members lose its roles, so `by`
    may delete only groups whose roles they could give."""
    for group in Group.objects.filter(organization=org, pk__in=list(group_ids)):
        access.check_may_grant(by, org, group_roles(group), field="groups")
    deleted = Group.objects.filter(organization=org, pk__in=list(group_ids)).count()
    Group.objects.filter(organization=org, pk__in=list(group_ids)).delete()
    return deleted


@transaction.atomic
def add_members(group: Group, user_ids, *, by: User | None = None) -> int:
    """Membership gives the group's roles (a Child Organization Access group: Partner Administrator and its
    roles in every child), so `by` may add members only to groups that grant no more than they hold."""
    users = list(User.objects.filter(organization_id=group.organization_id, pk__in=list(user_ids)))
    if len(users) != len(set(user_ids)):
        raise ValidationError({"members": "Members must be users of the group's organization."})
    access.check_may_grant(by, group.organization, group_roles(group), field="members")
    group.members.add(*users)
    for user in users:
        access.forget(user)
    return len(users)


@transaction.atomic
def remove_members(group: Group, user_ids, *, by: User | None = None) -> int:
    users = list(group.members.filter(pk__in=list(user_ids)))
    access.check_may_manage_users(by, group.organization, [u.pk for u in users], field="members")
    group.members.remove(*users)
    for user in users:
        access.forget(user)
    return len(users)


def group_roles(group: Group) -> set[str]:
    roles = set(RoleAssignment.objects.filter(group=group).values_list("role", flat=True))
    return roles | {PARTNER_ADMINISTRATOR} if group.is_child_access else roles


@transaction.atomic
def set_user_groups(user: User, group_ids, *, by: User | None = None) -> tuple[int, int]:
    """**Assigned Groups > Edit** on a user's page: the checked groups become the user's groups, with the
    same authority checks as adding and removing members on the groups' pages."""
    groups = {g.pk: g for g in Group.objects.filter(organization_id=user.organization_id)}
    wanted = {pk for pk in group_ids if pk in groups}
    if len(wanted) != len(set(group_ids)):
        raise ValidationError({"groups": "Groups must belong to the user's organization."})
    current = set(user.member_of.values_list("pk", flat=True))
    for pk in sorted(wanted - current):
        add_members(groups[pk], [user.pk], by=by)
    for pk in sorted(current - wanted):
        remove_members(groups[pk], [user.pk], by=by)
    return len(wanted - current), len(current - wanted)
