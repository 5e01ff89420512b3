"""Create organizations (with their predefined groups) and child organizations; delete child organizations
(the 2025 flow: mark pending deletion, then a background task removes them with everything they own)."""
import logging
import re

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.template.loader import render_to_string

from ..choices import GroupKind, OrganizationKind, OrganizationStatus, Region, Service
from ..models import Group, Organization, RoleAssignment, User
from ..roles import PREDEFINED_GROUPS

log = logging.getLogger(__name__)

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
    try:
        with transaction.atomic():
            org = Organization.objects.create(
                name=name, kind=kind, parent=parent, region=region or (parent.region if parent else Region.US),
                entitlements=services,
            )
    except IntegrityError:  # a concurrent request took the name first
        raise ValidationError({"name": "Type a unique organization name."}) from None
    for group_name, roles in PREDEFINED_GROUPS.items():
        group = Group.objects.create(organization=org, name=group_name, predefined=True)
        RoleAssignment.objects.bulk_create(RoleAssignment(organization=org, group=group, role=r) for r in roles)
    return org


@transaction.atomic
def set_child_services(child: Organization, services) -> Organization:
    """A partner grants each customer the services it needs, among those the partner has itself ("future
    functionality can be selectively granted to individual customers"). Roles of a withdrawn service stay
    assigned but grant nothing until the service comes back."""
    if child.parent_id is None:
        raise ValidationError({"entitlements": "Only child organizations get their services from a partner."})
    offered = set(child.parent.entitlements) | {Service.ACCOUNT.value}
    beyond = set(services) - offered
    if beyond:
        labels = dict(Service.choices)
        raise ValidationError({"entitlements": "The parent organization is not entitled to: "
                                               + ", ".join(labels.get(s, s) for s in sorted(beyond)) + "."})
    return set_entitlements(child, services)


def set_entitlements(org: Organization, services) -> Organization:
    unknown = set(services) - set(Service.values)
    if unknown:
        raise ValidationError({"entitlements": f"Unknown services: {', '.join(sorted(unknown))}."})
    org.entitlements = [Service.ACCOUNT.value, *sorted(set(services) - {Service.ACCOUNT.value})]
    org.save(update_fields=["entitlements"])
    _trim_descendants(org)
    return org


def _trim_descendants(org: Organization) -> None:
    """A child never keeps a service its parent no longer has."""
    allowed = set(org.entitlements)
    for child in Organization.objects.filter(parent=org):
        kept = [service for service in child.entitlements if service in allowed]
        if kept != child.entitlements:
            child.entitlements = kept
            child.save(update_fields=["entitlements"])
        _trim_descendants(child)


def child_access_groups(org: Organization):
    return Group.objects.filter(organization=org, kind=GroupKind.CHILD_ORGANIZATION_ACCESS)


@transaction.atomic
def create_child_organization(parent: Organization, name: str) -> Organization:
    """**Create Child Organization**: a customer organization under a partner. It inherits the partner's
    region and entitlements (there is no entitlements editor yet)."""
    if not parent.is_partner:
        raise ValidationError({"name": "Only channel partner organizations can have child organizations."})
    if parent.pending_deletion:
        raise ValidationError({"name": "The organization is pending deletion."})
    return create_organization(name, parent=parent, region=parent.region, entitlements=list(parent.entitlements))


MPS_EXPRESS_REASON = "MPS Express is enabled for the organization."
PENDING_REASON = "The organization is pending deletion."
ONE_AT_A_TIME_REASON = "You can delete only one child organization at a time."


def deletion_blocker(child: Organization) -> str:
    """Why **Delete Organization** stays disabled for this child ("" when it may be deleted)."""
    if child.parent_id is None:
        return "Only child organizations can be deleted."
    if child.pending_deletion:
        return PENDING_REASON
    if child.mps_express_enabled:
        return MPS_EXPRESS_REASON
    if Organization.objects.filter(parent_id=child.parent_id, status=OrganizationStatus.PENDING_DELETION) \
            .exclude(pk=child.pk).exists():
        return ONE_AT_A_TIME_REASON
    return ""


@transaction.atomic
def request_child_deletion(child: Organization, *, by, confirm_name: str) -> Organization:
    """**Delete Organization** > **Continue** > type the name > **Delete**: the child becomes pending deletion
    and a background task deletes it with its users, groups, role assignments and everything else it owns.
    `by` is the requesting administrator (the caller checked CHILDREN_MANAGE in the parent)."""
    if child.parent_id is None:
        raise ValidationError({"confirm_name": "Only child organizations can be deleted."})
    # Lock the parent so two concurrent requests cannot both pass the one-at-a-time rule.
    Organization.objects.select_for_update().filter(pk=child.parent_id).first()
    child = Organization.objects.select_for_update().get(pk=child.pk)
    if (confirm_name or "").strip() != child.name:
        raise ValidationError({"confirm_name": "Type the name of the child organization exactly as it is shown."})
    blocker = deletion_blocker(child)
    if blocker:
        raise ValidationError({"confirm_name": blocker})
    child.status = OrganizationStatus.PENDING_DELETION
    child.deletion_requested_by = by if isinstance(by, User) else None
    child.save(update_fields=["status", "deletion_requested_by"])
    log.info("Child organization %s (%s) pending deletion, requested by %s", child.name, child.pk,
             getattr(by, "email", by))
    transaction.on_commit(_schedule_deletions)
    return child


def _schedule_deletions():
    from ..tasks import finish_pending_deletions as task

    task.delay()


def _subtree_bottom_up(org: Organization) -> list[Organization]:
    levels, frontier = [[org]], [org.pk]
    while frontier:
        level = list(Organization.objects.filter(parent_id__in=frontier))
        if level:
            levels.append(level)
        frontier = [o.pk for o in level]
    return [o for level in reversed(levels) for o in level]


def finish_pending_deletions() -> int:
    """Delete every organization pending deletion with all it owns (users, groups, role assignments, imports,
    badges... through the CASCADE of their organization foreign key). Idempotent; returns how many were
    removed. An organization still referenced by a protected row stays pending and is logged."""
    removed = 0
    for org_id in list(Organization.objects.filter(status=OrganizationStatus.PENDING_DELETION)
                       .values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                org = Organization.objects.select_for_update().filter(
                    pk=org_id, status=OrganizationStatus.PENDING_DELETION).first()
                if org is None:
                    continue
                name, requester = org.name, org.deletion_requested_by
                for doomed in _subtree_bottom_up(org):
                    doomed.delete()
                if requester is not None:
                    transaction.on_commit(lambda r=requester, n=name: _send_deleted_notice(r, n))
        except ProtectedError:
            log.exception("Organization %s could not be deleted: protected rows refer to it", org_id)
            continue
        log.info("Deleted organization %s (%s)", name, org_id)
        removed += 1
    return removed


def _send_deleted_notice(requester: User, name: str) -> None:
    send_mail(
        subject=f"Organization {name} deleted",
        message=render_to_string("accounts/email/organization_deleted.txt", {"user": requester, "name": name}),
        from_email=None,
        recipient_list=[requester.email],
    )
