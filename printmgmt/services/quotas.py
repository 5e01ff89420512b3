"""Print quotas (E §1.4): quota definitions (the organization's Default Quota among them), their assignments,
what a user may still print this month (checked and counted at release), and the User Quota Status table.

Units are printed pages (impressions = document pages × copies, docs/decisions/0014). Usage is one row per
user per calendar month, so a new month starts at 0 without any reset job."""
import calendar
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F
from django.utils import timezone

from ..choices import AssignmentType, QuotaColor, QuotaStatus, QuotaTotal
from ..models import QuotaAssignment, QuotaDefinition, QuotaMonthLimit, QuotaUsage
from ..models.quotas import EVERY_MONTH
from . import assignments as assignment_services
from . import rules
from .org_settings import get_settings

DEFAULT_NAME = "Default Quota"
WARNING_PERCENT = 10          # "10% or below for either their total quota or color quota"
MAX_LIMIT = 10_000_000        # pages a month; a typo guard, far above any real quota
MONTHS = [(m, calendar.month_name[m]) for m in range(1, 13)]
DEFAULT_KIND = "default"
KIND_LABELS = {**dict(AssignmentType.choices), DEFAULT_KIND: "Default"}
STATUS_HEADER = ["User", "Status", "Total Quota Remaining", "Color Quota Remaining", "Quota Definition", "Type"]


class QuotaRefused(Exception):
    """A release the user's quota does not allow; str() is the message for the user."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Allowance:
    definition: QuotaDefinition | None   # None when quotas are off (everything unlimited)
    kind: str                            # "personal" | "cost_center" | "department" | "default"
    total_limit: int | None              # None = unlimited; 0 = Disable all printing
    color_limit: int | None              # None = no own color limit (the total bounds it); 0 = color disallowed
    total_used: int
    color_used: int

    @property
    def total_remaining(self) -> int | None:
        return None if self.total_limit is None else self.total_limit - self.total_used

    @property
    def color_remaining(self) -> int | None:
        """The color pages left: the color limit's own remainder, never above what the total leaves."""
        total = self.total_remaining
        if self.color_limit is None:
            return total
        own = self.color_limit - self.color_used
        return own if total is None else min(own, total)


@dataclass(frozen=True)
class StatusRow:
    user_id: int
    email: str
    status: str
    total_remaining: int | None
    color_remaining: int | None
    color_allowed: bool
    definition_id: int
    definition: str
    kind: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return QuotaStatus(self.status).label

    def csv_row(self) -> list:
        return [self.email, self.status_label, _remaining_text(self.total_remaining),
                _remaining_text(self.color_remaining) if self.color_allowed else "Not allowed",
                self.definition, self.kind_label]


def _remaining_text(value: int | None):
    return "Unlimited" if value is None else value


# --- months and limits -----------------------------------------------------------------------------------------

def month_start(at=None) -> date:
    """The first day of the month `at` falls in (settings.TIME_ZONE), the key of QuotaUsage."""
    if at is None:
        day = timezone.localdate()
    elif isinstance(at, date) and not hasattr(at, "hour"):
        day = at
    else:
        day = timezone.localtime(at).date() if timezone.is_aware(at) else at.date()
    return day.replace(day=1)


def clean_limits(total: str, total_limit=None, color: str = QuotaColor.ALLOW, color_limit=None) -> dict:
    """The QuotaMonthLimit fields for one month (or every month), or ValidationError naming the field: a custom
    total needs a number of at least 1, a custom color limit a number of at least 1 that does not exceed a
    custom total, and "Disable all printing" leaves nothing to print in color either."""
    errors = {}
    if total not in QuotaTotal.values:
        errors["total"] = "Choose Allow unlimited printing, Set custom quota or Disable all printing."
    if color not in QuotaColor.values:
        errors["color"] = "Choose Allow color printing, Set custom color quota or Disallow color printing."
    total_limit = _count(total_limit, "total_limit", errors) if total == QuotaTotal.CUSTOM else None
    color_limit = _count(color_limit, "color_limit", errors) if color == QuotaColor.CUSTOM else None
    if total == QuotaTotal.DISABLED:
        color, color_limit = QuotaColor.DISALLOW, None
    if total_limit is not None and color_limit is not None and color_limit > total_limit:
        errors["color_limit"] = (f"The color limit is part of the total quota: it cannot be more than "
                                 f"{total_limit} pages.")
    if errors:
        raise ValidationError(errors)
    return {"total": total, "total_limit": total_limit, "color": color, "color_limit": color_limit}


def _count(value, field: str, errors: dict) -> int | None:
    label = "printing limit" if field == "total_limit" else "color printing limit"
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = f"Specify a {label}."
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not (isinstance(value, int) or text.isdigit()):
        errors[field] = f"The {label} is a whole number of pages."
        return None
    number = int(text)
    if not 1 <= number <= MAX_LIMIT:
        errors[field] = f"The {label} is a number of pages from 1 to {MAX_LIMIT:,}."
        return None
    return number


def limit_for(definition: QuotaDefinition, month: int) -> QuotaMonthLimit | None:
    """The limits of `definition` in `month` (1-12); None means unlimited (a custom month left unset)."""
    wanted = EVERY_MONTH if definition.same_every_month else month
    return next((row for row in definition.limits.all() if row.month == wanted), None)


def describe_total(limit) -> str:
    if limit is None or limit.total == QuotaTotal.UNLIMITED:
        return "Unlimited"
    return "Printing disabled" if limit.total == QuotaTotal.DISABLED else f"{limit.total_limit:,} pages"


def describe_color(limit) -> str:
    if limit is None or limit.color == QuotaColor.ALLOW:
        return "Allowed"
    return "Not allowed" if limit.color == QuotaColor.DISALLOW else f"{limit.color_limit:,} pages"


def _limits_of(row) -> tuple[int | None, int | None]:
    """(total_limit, color_limit) in Allowance terms."""
    if row is None:
        return None, None
    total = {QuotaTotal.UNLIMITED: None, QuotaTotal.DISABLED: 0}.get(row.total, row.total_limit)
    color = {QuotaColor.ALLOW: None, QuotaColor.DISALLOW: 0}.get(row.color, row.color_limit)
    return total, color


# --- definitions -----------------------------------------------------------------------------------------------

def _require_enabled(organization) -> None:
    if not get_settings(organization).quotas_enabled:
        raise ValidationError("Print quotas are not enabled for this organization (Organizational Settings).",
                              code="disabled")


def default_definition(organization) -> QuotaDefinition:
    """The organization's Default Quota, created (unlimited) the first time anyone asks."""
    row = _definitions(organization).filter(is_default=True).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = QuotaDefinition.objects.create(organization=organization, name=DEFAULT_NAME, is_default=True)
            QuotaMonthLimit.objects.create(definition=row, month=EVERY_MONTH)
    except IntegrityError:   # created meanwhile by a concurrent request
        return _definitions(organization).get(is_default=True)
    rules.forget(organization.pk)
    return _definitions(organization).get(pk=row.pk)


def _definitions(organization):
    return QuotaDefinition.objects.filter(organization=organization).prefetch_related("limits")


def definitions(organization):
    """Administration > Quota Definitions: the Default Quota first, then by name, with their assignments."""
    default_definition(organization)
    return _definitions(organization).annotate(assignment_count=Count("assignments")).order_by("-is_default",
                                                                                              "name")


def _clean_definition(organization, name: str, same_every_month: bool, limits: dict, *, instance=None) -> tuple:
    name = (name or "").strip()
    errors = {}
    if instance is not None and instance.is_default:
        name = instance.name   # the Default Quota keeps its name
    elif not name:
        errors["name"] = "Type a unique quota definition name."
    elif len(name) > 100:
        errors["name"] = "The name is at most 100 characters."
    elif name.lower() == DEFAULT_NAME.lower() or (
            _definitions(organization).filter(name__iexact=name).exclude(pk=getattr(instance, "pk", None)).exists()):
        errors["name"] = f"A quota definition named “{name}” already exists: type a unique name."
    months = {EVERY_MONTH} if same_every_month else set(range(1, 13))
    rows = {}
    for month, values in (limits or {}).items():
        try:
            month = int(month)
        except (TypeError, ValueError):
            month = -1
        if month not in months:
            errors["limits"] = ("Same limits for each month take one set of limits (month 0)." if same_every_month
                                else "Custom limits are given per month, 1 (January) to 12 (December).")
            continue
        try:
            rows[month] = clean_limits(**values)
        except ValidationError as error:
            prefix = "Every month" if month == EVERY_MONTH else calendar.month_name[month]
            for field, messages in error.message_dict.items():
                errors.setdefault(field, f"{prefix}: {' '.join(messages)}")
        except TypeError:
            errors["limits"] = "Each month's limits are total, total_limit, color and color_limit."
    if not rows and "limits" not in errors and not any(k in errors for k in ("total", "total_limit", "color",
                                                                               "color_limit")):
        errors["limits"] = ("Specify the quota limits." if same_every_month
                            else "Select one or more months and click Set Quota Limits.")
    if errors:
        raise ValidationError(errors)
    return name, rows


def create_definition(organization, name: str, *, same_every_month: bool = True, limits: dict,
                      by=None) -> QuotaDefinition:
    """Create > name > Same limits for each month ({0: limits}) or Custom limits for each month
    ({month: limits}; months left out allow unlimited printing) > Create Quota Definition."""
    _require_enabled(organization)
    name, rows = _clean_definition(organization, name, same_every_month, limits)
    try:
        with transaction.atomic():
            definition = QuotaDefinition.objects.create(organization=organization, name=name,
                                                        same_every_month=same_every_month)
            QuotaMonthLimit.objects.bulk_create(QuotaMonthLimit(definition=definition, month=m, **v)
                                                for m, v in rows.items())
    except IntegrityError as error:   # the same name created meanwhile
        raise ValidationError({"name": f"A quota definition named “{name}” already exists."}) from error
    return _definitions(organization).get(pk=definition.pk)


def update_definition(definition: QuotaDefinition, *, name: str | None = None, same_every_month: bool,
                      limits: dict, by=None) -> QuotaDefinition:
    """Edit a definition (the Default Quota too, which keeps its name): its limits are replaced whole."""
    organization = definition.organization
    _require_enabled(organization)
    name, rows = _clean_definition(organization, definition.name if name is None else name, same_every_month,
                                   limits, instance=definition)
    try:
        with transaction.atomic():
            QuotaDefinition.objects.filter(pk=definition.pk).update(name=name, same_every_month=same_every_month,
                                                                     updated_at=timezone.now())
            definition.limits.all().delete()
            QuotaMonthLimit.objects.bulk_create(QuotaMonthLimit(definition=definition, month=m, **v)
                                                for m, v in rows.items())
    except IntegrityError as error:
        raise ValidationError({"name": f"A quota definition named “{name}” already exists."}) from error
    rules.forget(organization.pk)
    return _definitions(organization).get(pk=definition.pk)


def delete_definition(definition: QuotaDefinition, *, by=None) -> int:
    """Delete a definition and its assignments (their users fall back to the next rule, at worst the Default
    Quota); returns how many assignments went with it. The Default Quota cannot be deleted."""
    _require_enabled(definition.organization)
    if definition.is_default:
        raise ValidationError("The Default Quota cannot be deleted; edit its limits instead.", code="default")
    with transaction.atomic():
        assigned = QuotaAssignment.objects.filter(definition=definition).count()
        definition.delete()
    rules.forget(definition.organization_id)
    return assigned


# --- assignments -----------------------------------------------------------------------------------------------

def assignment_kinds(organization) -> list[str]:
    """The tabs of Quota Assignments under the organization's "Assign quotas by" setting."""
    return assignment_services.allowed_kinds(get_settings(organization).quota_assign_by)


def assign_quota(organization, kind: str, value: str, definition: QuotaDefinition, *, by=None) -> QuotaAssignment:
    """Assign Quota > cost center / department name or user e-mail > quota definition > Assign Quota (assigning
    a target again replaces its definition)."""
    _require_enabled(organization)
    if definition is None or definition.organization_id != organization.pk:
        raise ValidationError({"definition": "Select a quota definition of this organization."})
    settings = get_settings(organization)
    try:
        return assignment_services.assign(QuotaAssignment, organization, kind, value, settings.quota_assign_by,
                                          definition=definition)
    except ValidationError as error:
        if getattr(error, "code", None) in ("required", "unknown_user", "unknown_group"):
            raise ValidationError({"target": error.messages}) from error
        raise


def remove_assignments(organization, ids, *, by=None) -> int:
    """Select assignments > Remove: their users fall back to the next rule."""
    _require_enabled(organization)
    with transaction.atomic():
        deleted, _ = QuotaAssignment.objects.filter(organization=organization, pk__in=list(ids)).delete()
    rules.forget(organization.pk)
    return deleted


def assignments(organization, *, kind: str | None = None, search: str = "", definition=None):
    rows = QuotaAssignment.objects.filter(organization=organization).select_related("definition", "user")
    if kind:
        rows = rows.filter(kind=kind)
    if definition:
        rows = rows.filter(definition_id=definition)
    search = (search or "").strip()
    if search:
        rows = rows.filter(name__icontains=search) | rows.filter(user__email__icontains=search)
    return rows.order_by("kind", "name", "user__email")


# --- what a user may print -------------------------------------------------------------------------------------

def _usage(user, organization, month: date, *, lock: bool = False) -> tuple[int, int]:
    rows = QuotaUsage.objects.filter(organization=organization, user=user, month=month)
    if lock and connection.in_atomic_block:
        # Serialize releases of the same user: the caller's check_release and consume share this lock.
        row = rows.select_for_update().values_list("total_used", "color_used").first()
        if row is None:   # the month's first release: the row to lock (a concurrent release may insert it too)
            QuotaUsage.objects.bulk_create([QuotaUsage(organization=organization, user=user, month=month)],
                                           ignore_conflicts=True)
            row = rows.select_for_update().values_list("total_used", "color_used").get()
        return row
    row = rows.values_list("total_used", "color_used").first()
    return row or (0, 0)


def _allowance(definition, kind, used, month: date) -> Allowance:
    total_limit, color_limit = _limits_of(limit_for(definition, month.month))
    return Allowance(definition=definition, kind=kind, total_limit=total_limit, color_limit=color_limit,
                     total_used=used[0], color_used=used[1])


def _resolve(user, organization, settings) -> tuple:
    """(definition, assignment type) for `user`: the assigned definition, else the Default Quota."""
    cached = rules.rules_for(organization)
    row = (assignment_services.assignment_for(QuotaAssignment, user, organization, settings.quota_assign_by,
                                              related="definition") if cached.quota_assignments else None)
    if row is not None:
        return row.definition, str(row.kind)
    return cached.default_quota, DEFAULT_KIND


def allowance(user, organization, at=None, *, lock: bool = False) -> Allowance:
    """What `user` may still print in the month of `at` (now): the personal assignment, else the cost center's
    or department's (as the organization assigns quotas), else the Default Quota. Unlimited while quotas are
    off; the pages used are counted either way."""
    month = month_start(at)
    used = _usage(user, organization, month, lock=lock)
    settings = get_settings(organization)
    if not settings.quotas_enabled:
        return Allowance(definition=None, kind=DEFAULT_KIND, total_limit=None, color_limit=None,
                         total_used=used[0], color_used=used[1])
    definition, kind = _resolve(user, organization, settings)
    return _allowance(definition, kind, used, month)


def check_release(user, organization, *, pages: int, color: bool, at=None) -> None:
    """Raise QuotaRefused when releasing `pages` printed pages (color or mono) would go past the quota. A color
    job needs the pages within the color and the total remainder, a mono job within the total. Inside a
    transaction the user's usage row stays locked until it ends, so a consume() after it cannot race."""
    if pages < 0:
        raise ValueError("pages cannot be negative")
    check_allowance(allowance(user, organization, at, lock=True), pages=pages, color=color)


def check_allowance(quota: Allowance, *, pages: int, color: bool) -> None:
    """check_release against an Allowance already read (and locked) by the caller."""
    if quota.definition is None:
        return
    if quota.total_limit == 0:
        raise QuotaRefused("printing_disabled", "Printing is disabled by your print quota.")
    total = quota.total_remaining
    if total is not None and pages > total:
        raise QuotaRefused("quota_exceeded", f"This job needs {_pages(pages)}; your print quota has "
                                             f"{_pages(max(total, 0))} left this month.")
    if color and quota.color_limit == 0:
        raise QuotaRefused("color_quota_exceeded", "Color printing is not allowed by your print quota; "
                                                   "print the job in black and white.")
    left = quota.color_remaining
    if color and left is not None and pages > left:
        raise QuotaRefused("color_quota_exceeded", f"This color job needs {_pages(pages)}; your color quota has "
                                                   f"{_pages(max(left, 0))} left this month. You can still "
                                                   "print in black and white.")


def _pages(count: int) -> str:
    return f"{count} page{'' if count == 1 else 's'}"


def consume(user, organization, *, pages: int, color: bool, at=None) -> None:
    """Count `pages` printed pages (color ones in the color usage too) in the month of `at`, inside the
    caller's transaction; counted while quotas are off too, so turning them on mid-month is fair."""
    if pages < 0:
        raise ValueError("pages cannot be negative")
    if not pages:
        return
    month = month_start(at)
    row, _ = QuotaUsage.objects.get_or_create(organization=organization, user=user, month=month)
    QuotaUsage.objects.filter(pk=row.pk).update(total_used=F("total_used") + pages,
                                                color_used=F("color_used") + (pages if color else 0))


# --- User Quota Status -----------------------------------------------------------------------------------------

def quota_status(quota: Allowance) -> str:
    """Exceeded when the total or the color remainder is 0 or below; Warning when either is 10% or below of
    its limit (exact: remaining × 100 <= limit × 10, no rounding, so 10.5% is OK); OK otherwise. Unlimited
    quotas are OK; "Disallow color printing" is a rule, not an allowance being used up, so it does not count."""
    if quota.definition is None:
        return QuotaStatus.OK
    checks = []
    if quota.total_limit is not None:
        checks.append((quota.total_remaining, quota.total_limit))
    if quota.color_limit:   # an own color limit (None = bounded by the total, 0 = color disallowed)
        checks.append((quota.color_remaining, quota.color_limit))
    if any(left <= 0 for left, _limit in checks):
        return QuotaStatus.EXCEEDED
    if any(left * 100 <= limit * WARNING_PERCENT for left, limit in checks):
        return QuotaStatus.WARNING
    return QuotaStatus.OK


def user_quota_status(organization, *, status: str = "", definition=None, kind: str = "", at=None) -> list:
    """Administration > User Quota Status: one row per active user of the organization (guests excluded) for
    the month of `at`, filtered by Quota Status, Quota Definition (id) and Assignment Type."""
    month = month_start(at)
    settings = get_settings(organization)
    users = (get_user_model().objects.filter(organization=organization, is_active=True, is_guest=False)
             .order_by("email"))
    used = {u: (t, c) for u, t, c in QuotaUsage.objects.filter(organization=organization, month=month)
            .values_list("user_id", "total_used", "color_used")}
    limits = {d.pk: d for d in _definitions(organization)}   # one query for every definition's limits
    default = default_definition(organization)
    assigned = assignment_services.resolver(QuotaAssignment, organization, settings.quota_assign_by,
                                            related="definition")
    rows = []
    for user in users:
        spent = used.get(user.pk, (0, 0))
        if settings.quotas_enabled:
            row = assigned(user)
            found, found_kind = (row.definition, str(row.kind)) if row is not None else (default, DEFAULT_KIND)
            definition_row = limits.get(found.pk, found)
            quota = _allowance(definition_row, found_kind, spent, month)
        else:   # everything unlimited: the rows show the Default Quota, OK
            definition_row, found_kind = default, DEFAULT_KIND
            quota = Allowance(None, DEFAULT_KIND, None, None, *spent)
        row = StatusRow(user_id=user.pk, email=user.email, status=str(quota_status(quota)),
                        total_remaining=quota.total_remaining, color_remaining=quota.color_remaining,
                        color_allowed=quota.color_limit != 0, definition_id=definition_row.pk,
                        definition=definition_row.name, kind=found_kind)
        if status and row.status != status:
            continue
        if definition and str(row.definition_id) != str(definition):
            continue
        if kind and row.kind != kind:
            continue
        rows.append(row)
    return rows


def status_csv(rows, at=None) -> tuple:
    """(file name, header, rows) of the User Quota Status CSV export (TC-P1's header) for lexcloud.csvexport."""
    return (f"user-quota-status-{month_start(at):%Y-%m}.csv", STATUS_HEADER, (row.csv_row() for row in rows))
