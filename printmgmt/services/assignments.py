"""Assignments shared by quotas and print policies (printmgmt.models.assignments): which kinds the organization
setting allows, checking a target, creating and removing rows, and resolving the rule that applies to a user
(a personal assignment beats a cost center or department one, which beats the organization's default)."""
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from ..choices import AssignBy, AssignmentType
from . import rules


def allowed_kinds(assign_by: str) -> list[str]:
    """The tabs of the assignments page: "If the setting is only allowing ... Personal only, then no other tabs
    are available"."""
    group = {AssignBy.COST_CENTER: AssignmentType.COST_CENTER,
             AssignBy.DEPARTMENT: AssignmentType.DEPARTMENT}.get(assign_by)
    return [str(k) for k in ((group,) if group else ())] + [str(AssignmentType.PERSONAL)]


def resolve_target(organization, kind: str, value: str, assign_by: str) -> dict:
    """The row fields naming `value` (a cost center or department name, or a user's e-mail), or ValidationError:
    a group name "must match a cost center found in Account Management for the organization", an e-mail must be
    a user of the organization."""
    value = (value or "").strip()
    if kind not in allowed_kinds(assign_by):
        raise ValidationError(f"Assignments by {AssignmentType(kind).label.lower() if kind in AssignmentType.values else kind} "
                              "are not enabled in Organizational Settings.", code="kind")
    if not value:
        raise ValidationError("Type a name or an e-mail address.", code="required")
    users = get_user_model().objects.filter(organization=organization, is_guest=False)
    if kind == AssignmentType.PERSONAL:
        user = users.filter(email__iexact=value).first()
        if user is None:
            raise ValidationError(f"{value} is not a user of this organization.", code="unknown_user")
        return {"kind": kind, "user": user, "name": ""}
    field = "cost_center" if kind == AssignmentType.COST_CENTER else "department"
    found = users.filter(**{f"{field}__iexact": value}).values_list(field, flat=True).first()
    if found is None:
        label = "cost center" if kind == AssignmentType.COST_CENTER else "department"
        raise ValidationError(f"“{value}” must match a {label} found in Account Management for the organization.",
                              code="unknown_group")
    return {"kind": kind, "user": None, "name": found}


def assign(model, organization, kind: str, value: str, assign_by: str, **rule):
    """Create or replace the assignment of `value` (rule: definition=... or policy=...)."""
    target = resolve_target(organization, kind, value, assign_by)
    lookup = ({"user": target["user"]} if kind == AssignmentType.PERSONAL else {"kind": kind, "name": target["name"]})
    try:
        with transaction.atomic():
            row, _created = model.objects.update_or_create(organization=organization, **lookup,
                                                           defaults={**target, **rule})
    except IntegrityError as error:  # a concurrent assignment of the same target
        raise ValidationError(f"{value} was assigned meanwhile; try again.") from error
    rules.forget(organization.pk)
    return row


def _group_match(user, assign_by: str) -> Q | None:
    """The group assignment `user` falls under, as the organization assigns (None: personal only)."""
    if assign_by == AssignBy.COST_CENTER and user.cost_center:
        return Q(kind=AssignmentType.COST_CENTER, name__iexact=user.cost_center)
    if assign_by == AssignBy.DEPARTMENT and user.department:
        return Q(kind=AssignmentType.DEPARTMENT, name__iexact=user.department)
    return None


def assignment_for(model, user, organization, assign_by: str, *, related: str):
    """The assignment that applies to `user` under the organization's "Assign ... by" setting, or None (the
    default applies). `related` is the rule's field name, fetched with the row. One plain query (every release
    runs it twice, for the owner's quota and print policy): the personal row and the group row come together,
    the personal one wins."""
    match = Q(kind=AssignmentType.PERSONAL, user=user)
    group = _group_match(user, assign_by)
    rows = list(model.objects.filter(match | group if group is not None else match, organization=organization)
                .select_related(related)[:2])
    return next((row for row in rows if row.kind == AssignmentType.PERSONAL), rows[0] if rows else None)


def resolver(model, organization, assign_by: str, *, related: str):
    """A function user → assignment or None, for many users at once (User Quota Status): every assignment of
    the organization read in one query, matched in memory as assignment_for matches them."""
    personal, groups = {}, {}
    for row in model.objects.filter(organization=organization).select_related(related):
        if row.kind == AssignmentType.PERSONAL:
            personal[row.user_id] = row
        else:
            groups[(row.kind, row.name.lower())] = row

    def find(user):
        if user.pk in personal:
            return personal[user.pk]
        if assign_by == AssignBy.COST_CENTER and user.cost_center:
            return groups.get((AssignmentType.COST_CENTER, user.cost_center.lower()))
        if assign_by == AssignBy.DEPARTMENT and user.department:
            return groups.get((AssignmentType.DEPARTMENT, user.department.lower()))
        return None

    return find
