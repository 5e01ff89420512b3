"""Create organizations (with their predefined groups) and child organizations."""
import re

from django.core.exceptions import ValidationError
from django.db import transaction

from ..choices import GroupKind, OrganizationKind, Region, Service
from ..models import Group, Organization, RoleAssignment
from ..roles import PREDEFINED_GROUPS

# "Special characters are not supported." in organization names: letters, digits, spaces and . - _ & ' ( ) ,
ORG_NAME_RE = re.compile(r"^[\w .,&'()-]+$")


def validate_org_name(name: str, exclude_pk=None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Type an organization name."})
    if len(name) > 100:
        raise ValidationError({"name": "The organization name can have at most 100 characters."})
    if not ORG_NAME_RE.match(name):
        raise ValidationError({"name": "Special characters are not supported."})
    clash = Organization.objects.filter(name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": "Type a unique organization name."})
    return name


@transaction.atomic
def create_organization(name: str, *, kind=OrganizationKind.CUSTOMER, parent: Organization | None = None,
                        region: str | None = None, entitlements=None) -> Organization:
    name = validate_org_name(name)
    services = [Service.ACCOUNT.value, *(s for s in (entitlements or []) if s != Service.ACCOUNT)]
    unknown = set(services) - set(Service.values)
    if unknown:
        raise ValidationError({"entitlements": f"Unknown services: {', '.join(sorted(unknown))}."})
    org = Organization.objects.create(
        name=name, kind=kind, parent=parent, region=region or (parent.region if parent else Region.US),
        entitlements=services,
    )
    for group_name, roles in PREDEFINED_GROUPS.items():
        group = Group.objects.create(organization=org, name=group_name, predefined=True)
        RoleAssignment.objects.bulk_create(RoleAssignment(organization=org, group=group, role=r) for r in roles)
    return org


def set_entitlements(org: Organization, services) -> Organization:
    unknown = set(services) - set(Service.values)
    if unknown:
        raise ValidationError({"entitlements": f"Unknown services: {', '.join(sorted(unknown))}."})
    org.entitlements = [Service.ACCOUNT.value, *sorted(set(services) - {Service.ACCOUNT.value})]
    org.save(update_fields=["entitlements"])
    return org


def child_access_groups(org: Organization):
    return Group.objects.filter(organization=org, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)


def finish_pending_deletions() -> int:
    """Placeholder until the child-organization delete flow lands; returns how many were removed."""
    return 0
