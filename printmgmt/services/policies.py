"""Print policies (E §1.5): the organization's policies (the Default Print Policy is created on first use with
nothing forced, editable, never deleted), the days and times they allow, their assignments (a personal one
beats a cost center or department one, which beats the default: printmgmt.services.assignments), and
`decide`, which the release applies to a job at the printer (docs/decisions/0015-print-policies.md)."""
from dataclasses import dataclass
from datetime import datetime, time

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_time

from ..choices import AssignmentType, ColorMode, DuplexBinding, DuplexScope, JobSource, PolicyDays, TwoSided
from ..models import PrintPolicy, PrintPolicyAssignment, PrintPolicyWindow
from . import assignments as assignment_services
from . import rules
from .org_settings import get_settings

DEFAULT_NAME = "Default Print Policy"
MAX_MIN_PAGES = 10_000
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAYS_OF = {PolicyDays.ALL: tuple(range(7)), PolicyDays.WEEKDAYS: tuple(range(5))}
# What a policy says, as create/update take it; `start`/`end` (All days, Monday-Friday) and `windows` (Custom:
# (weekday, start, end) per selected day) become PrintPolicyWindow rows.
FIELDS = ("name", "force_mono", "mono_min_pages", "force_duplex", "duplex_binding", "duplex_scope",
          "duplex_mono_min_pages", "duplex_color_min_pages", "limit_times", "days")
TIME_FIELDS = ("start", "end", "windows")
NOT_ENABLED = "Print policies are not enabled for this organization. Enable them in Organizational Settings."


@dataclass(frozen=True)
class PolicyDecision:
    allowed: bool               # False outside the policy's days/times
    reason: str                 # message for the user when not allowed ("" otherwise)
    color_mode: str             # ColorMode value to print with (forced mono applied)
    two_sided: str              # TwoSided value to print with (forced duplex applied)
    changed: tuple[str, ...]    # names of the settings the policy forced
    policy: PrintPolicy | None


# --- reading -----------------------------------------------------------------------------------------------

def default_policy(organization) -> PrintPolicy:
    """The Default Print Policy, created the first time anyone asks, forcing nothing."""
    row = PrintPolicy.objects.filter(organization=organization, is_default=True).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            row = PrintPolicy.objects.create(organization=organization, is_default=True,
                                             name=_free_name(organization, DEFAULT_NAME))
        rules.forget(organization.pk)
        return row
    except IntegrityError:   # created meanwhile by a concurrent request
        return PrintPolicy.objects.get(organization=organization, is_default=True)


def _free_name(organization, name: str) -> str:
    taken = set(PrintPolicy.objects.filter(organization=organization, name__istartswith=name)
                .values_list("name", flat=True))
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def policies_of(organization):
    """Print Policies: the default first, then by name, with their windows."""
    default_policy(organization)
    return PrintPolicy.objects.filter(organization=organization).prefetch_related("windows")


def policy_for(user, organization) -> PrintPolicy | None:
    """The policy that applies to `user`: theirs, their cost center's or department's, else the default;
    None while print policies are off."""
    settings = get_settings(organization)
    if not settings.policies_enabled:
        return None
    cached = rules.rules_for(organization)
    row = (assignment_services.assignment_for(PrintPolicyAssignment, user, organization, settings.policy_assign_by,
                                              related="policy") if cached.policy_assignments else None)
    return row.policy if row is not None else cached.default_policy


def settings_of(policy: PrintPolicy) -> dict:
    """A policy's values in the shape create/update take (what Duplicate copies, what an update starts from)."""
    values = {name: getattr(policy, name) for name in FIELDS}
    windows = sorted(policy.windows.all(), key=lambda w: w.weekday)
    first = windows[0] if windows else None
    values.update(start=first.start if first else None, end=first.end if first else None,
                  windows=[(w.weekday, w.start, w.end) for w in windows])
    return values


def describe_windows(policy: PrintPolicy) -> str:
    """"Monday-Friday 20:00-02:00 (next day)", for lists and for the refusal message."""
    if not policy.limit_times:
        return "All days, any time"
    windows = sorted(policy.windows.all(), key=lambda w: w.weekday)
    if not windows:
        return "Never"

    def span(w):
        return f"{w.start:%H:%M}-{w.end:%H:%M}{' (next day)' if w.end <= w.start else ''}"

    if policy.days in DAYS_OF and len({(w.start, w.end) for w in windows}) == 1:
        return f"{PolicyDays(policy.days).label} {span(windows[0])}"
    return ", ".join(f"{DAY_NAMES[w.weekday][:3]} {span(w)}" for w in windows)


# --- changing ----------------------------------------------------------------------------------------------

def _require_enabled(organization):
    if not get_settings(organization).policies_enabled:
        raise ValidationError(NOT_ENABLED, code="disabled")


def create_policy(organization, *, by=None, **values) -> PrintPolicy:
    """Create > settings > Create Policy."""
    _require_enabled(organization)
    default_policy(organization)   # so that its name is taken before anyone else's
    return _save(PrintPolicy(organization=organization), values)


def update_policy(policy: PrintPolicy, *, by=None, **values) -> PrintPolicy:
    """Change some settings of a policy (the Default Print Policy too); the rest stays as it is."""
    _require_enabled(policy.organization)
    policy = PrintPolicy.objects.get(pk=policy.pk)   # what is saved, not what the caller last read
    merged = settings_of(policy)
    if "days" in values and "windows" not in values and values["days"] != PolicyDays.CUSTOM:
        merged["windows"] = []   # a new All days / Monday-Friday schedule replaces the custom days
    merged.update(values)
    return _save(policy, merged)


def duplicate_policy(policy: PrintPolicy, name: str, *, by=None) -> PrintPolicy:
    """Duplicate > type a unique name > Create Policy: a new policy with the same settings and days."""
    return create_policy(policy.organization, by=by, **{**settings_of(policy), "name": name})


def delete_policy(policy: PrintPolicy, *, by=None) -> None:
    """Delete > Delete Print Policy. Its assignees fall back to their group's policy or the default."""
    _require_enabled(policy.organization)
    if policy.is_default:
        raise ValidationError(f"The {DEFAULT_NAME} cannot be deleted; edit it instead.", code="default")
    policy.delete()
    rules.forget(policy.organization_id)


def _save(policy: PrintPolicy, values: dict) -> PrintPolicy:
    """Check everything, report every mistake per field, then write the policy and its windows together."""
    unknown = set(values) - set(FIELDS) - set(TIME_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown setting." for name in sorted(unknown)})
    clean, windows = _clean(policy, values)
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.updated_at = timezone.now()
    try:
        with transaction.atomic():
            policy.save()
            PrintPolicyWindow.objects.filter(policy=policy).delete()
            PrintPolicyWindow.objects.bulk_create(
                [PrintPolicyWindow(policy=policy, weekday=d, start=s, end=e) for d, s, e in windows])
    except IntegrityError as error:   # the same name saved meanwhile
        raise ValidationError({"name": _name_taken(clean["name"])}) from error
    rules.forget(policy.organization_id)
    return policy


def _name_taken(name: str) -> str:
    return f"A print policy named “{name}” already exists. Type a unique name."


def _clean(policy: PrintPolicy, values: dict) -> tuple[dict, list]:
    errors: dict[str, list[str]] = {}

    def error(field, message):
        errors.setdefault(field, []).append(message)

    name = str(values.get("name") or "").strip()
    if not name:
        error("name", "Type a policy name.")
    elif len(name) > 100:
        error("name", "Use at most 100 characters.")
    elif (PrintPolicy.objects.filter(organization=policy.organization, name__iexact=name)
          .exclude(pk=policy.pk).exists()):
        error("name", _name_taken(name))

    clean = {"name": name}
    for flag in ("force_mono", "force_duplex", "limit_times"):
        value = values.get(flag, False)
        if not isinstance(value, bool):
            error(flag, "Use true or false.")
        clean[flag] = value is True
    clean["duplex_binding"] = _choice(values.get("duplex_binding") or DuplexBinding.LONG_EDGE, DuplexBinding,
                                      "duplex_binding", error)
    clean["duplex_scope"] = _choice(values.get("duplex_scope") or DuplexScope.ALL, DuplexScope, "duplex_scope",
                                    error)
    clean["days"] = _choice(values.get("days") or PolicyDays.ALL, PolicyDays, "days", error)
    for field in ("mono_min_pages", "duplex_mono_min_pages", "duplex_color_min_pages"):
        clean[field] = _pages(values.get(field), field, error)

    # Values that only mean something while what they depend on is on are cleared, not kept hidden.
    if not clean["force_mono"]:
        clean["mono_min_pages"] = None
    if not clean["force_duplex"]:
        clean.update(duplex_binding=DuplexBinding.LONG_EDGE, duplex_scope=DuplexScope.ALL,
                     duplex_mono_min_pages=None, duplex_color_min_pages=None)
    elif clean["duplex_scope"] == DuplexScope.MONO:
        clean["duplex_color_min_pages"] = None
    elif clean["duplex_scope"] == DuplexScope.COLOR:
        clean["duplex_mono_min_pages"] = None

    windows = []
    if not clean["limit_times"]:
        clean["days"] = PolicyDays.ALL
    elif clean["days"] in DAYS_OF:
        start, end = _time(values.get("start"), "start", error), _time(values.get("end"), "end", error)
        if start is not None and end is not None:
            windows = [(day, start, end) for day in DAYS_OF[clean["days"]]]
    elif clean["days"] == PolicyDays.CUSTOM:
        windows = _custom_windows(values.get("windows"), error)
    if errors:
        raise ValidationError(errors)
    return clean, windows


def _custom_windows(raw, error) -> list:
    """Custom: a start and end for each selected day, each day once."""
    rows, seen = [], set()
    for item in raw or ():
        if isinstance(item, dict):
            item = (item.get("weekday"), item.get("start"), item.get("end"))
        try:
            weekday, start, end = item
        except (TypeError, ValueError):
            error("windows", "Give each day as a weekday (0 = Monday) with a start and an end time.")
            continue
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            error("windows", "A weekday is a number from 0 (Monday) to 6 (Sunday).")
            continue
        if weekday in seen:
            error("windows", f"{DAY_NAMES[weekday]} is given twice.")
            continue
        seen.add(weekday)
        day = DAY_NAMES[weekday]
        start = _time(start, "windows", error, f"Set the Start time for {day}.")
        end = _time(end, "windows", error, f"Set the End time for {day}.")
        if start is not None and end is not None:
            rows.append((weekday, start, end))
    if not raw:
        error("windows", "Select at least one day on which printing is allowed.")
    return sorted(rows)


def _choice(value, choices, field, error):
    if value not in choices.values:
        error(field, f"Select one of: {', '.join(str(c.label) for c in choices)}.")
    return value


def _pages(value, field, error):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            error(field, "Type a whole number of pages.")
            return None
    if not 1 <= value <= MAX_MIN_PAGES:
        error(field, f"Type a number of pages from 1 to {MAX_MIN_PAGES}.")
        return None
    return value


def _time(value, field, error, missing=None):
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    parsed = None
    if isinstance(value, str) and value.strip():
        try:
            parsed = parse_time(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            error(field, "Type a time as HH:MM.")
            return None
        return parsed.replace(second=0, microsecond=0, tzinfo=None)
    error(field, missing or f"Set the {'Start' if field == 'start' else 'End'} time.")
    return None


# --- assignments -------------------------------------------------------------------------------------------

def assign_policy(organization, policy: PrintPolicy, kind: str, targets, *, by=None) -> list[PrintPolicyAssignment]:
    """Assign Policy > Select print policy > Assign Print Policy, for each selected or typed cost center,
    department or e-mail. Every target is checked first: one unknown name assigns nothing."""
    settings = get_settings(organization)
    if not settings.policies_enabled:
        raise ValidationError(NOT_ENABLED, code="disabled")
    if policy.organization_id != organization.pk:
        raise ValidationError({"policy": "Select a print policy of this organization."})
    targets = list(dict.fromkeys(str(t).strip() for t in targets if str(t or "").strip()))
    if not targets:
        raise ValidationError({"target": "Select or type at least one cost center, department or e-mail address."})
    problems = []
    for target in targets:
        try:
            assignment_services.resolve_target(organization, kind, target, settings.policy_assign_by)
        except ValidationError as error:
            problems.extend(error.messages)
    if problems:
        raise ValidationError({"target": problems})
    with transaction.atomic():
        return [assignment_services.assign(PrintPolicyAssignment, organization, kind, target,
                                           settings.policy_assign_by, policy=policy) for target in targets]


def remove_assignments(organization, kind: str, targets, *, by=None) -> int:
    """Remove Policy > Remove Print Policy: the selected cost centers, departments or users (by e-mail) fall
    back to the next rule (their group's policy, then the default)."""
    _require_enabled(organization)
    targets = [str(t).strip() for t in targets if str(t or "").strip()]
    rows = PrintPolicyAssignment.objects.filter(organization=organization, kind=kind)
    if kind == AssignmentType.PERSONAL:
        rows = rows.filter(user__email__in=targets)
    else:
        rows = rows.filter(name__in=targets)
    deleted, _ = rows.delete()
    rules.forget(organization.pk)
    return deleted


@dataclass(frozen=True)
class AssignmentRow:
    """One line of a Print Policy Assignments tab: a cost center, department or user and its assignment."""
    target: str                                   # the name, or the user's e-mail
    detail: str                                   # the user's name ("" for groups)
    assignment: PrintPolicyAssignment | None


def assignment_rows(organization, kind: str, *, policy: PrintPolicy | None = None, query: str = "") -> list:
    """The cost centers or departments found in Account Management (and any still assigned), or the users,
    each with the policy assigned to it; `policy` keeps those it is assigned to (the Default Print Policy: also
    those with none), `query` those whose name or e-mail contains it."""
    from django.contrib.auth import get_user_model

    assigned = PrintPolicyAssignment.objects.filter(organization=organization, kind=kind).select_related("policy")
    users = get_user_model().objects.filter(organization=organization, is_guest=False)
    if kind == AssignmentType.PERSONAL:
        by_user = {row.user_id: row for row in assigned}
        rows = [AssignmentRow(u.email, u.name, by_user.get(u.pk)) for u in users.order_by("email")]
    else:
        field = "cost_center" if kind == AssignmentType.COST_CENTER else "department"
        by_name = {row.name.lower(): row for row in assigned}
        names = {n.lower(): n for n in users.exclude(**{field: ""}).values_list(field, flat=True)}
        names.update({row.name.lower(): row.name for row in assigned})
        rows = [AssignmentRow(names[key], "", by_name.get(key)) for key in sorted(names)]
    if query:
        needle = query.strip().lower()
        rows = [r for r in rows if needle in r.target.lower() or needle in r.detail.lower()]
    if policy is not None:
        rows = [r for r in rows if (r.assignment.policy_id == policy.pk if r.assignment
                                    else policy.is_default)]
    return rows


def remove_assignment(row: PrintPolicyAssignment, *, by=None) -> None:
    _require_enabled(row.organization)
    row.delete()
    rules.forget(row.organization_id)


# --- the decision at release -------------------------------------------------------------------------------

def decide(user, organization, job, *, local_time: datetime | None = None) -> PolicyDecision:
    """What the printer is told for `job` under the user's policy: refused outside the policy's days and times
    (printer's local time), color forced to mono and one-sided forced to two-sided as the policy says. Page
    counts are the document's (job.pages), never multiplied by copies (TC-P3). Jobs uploaded in the portal
    count as color and one-sided (TC-P4)."""
    policy = policy_for(user, organization)
    color_mode, two_sided = job.color_mode, job.two_sided
    if job.source == JobSource.WEB:
        is_color, one_sided = True, True
    else:
        is_color = job.color_mode == ColorMode.COLOR and job.color is not False   # no color pixel: prints mono
        one_sided = job.two_sided in (TwoSided.OFF, TwoSided.PRINTER)
    if policy is None:
        return PolicyDecision(True, "", color_mode, two_sided, (), None)

    when = local_time if local_time is not None else timezone.localtime()
    if policy.limit_times and not allowed_at(policy, when):
        reason = (f"Printing is not allowed at this time ({when:%A %H:%M}) by the print policy “{policy.name}”. "
                  f"Allowed: {describe_windows(policy)}.")
        return PolicyDecision(False, reason, color_mode, two_sided, (), policy)

    pages = job.pages or 0
    forced = []
    if policy.force_mono and is_color and pages >= (policy.mono_min_pages or 1):
        is_color, color_mode = False, ColorMode.MONO
        forced.append("color_mode")
    if policy.force_duplex and one_sided and _duplex_applies(policy, is_color, pages):
        two_sided = (TwoSided.SHORT_EDGE if policy.duplex_binding == DuplexBinding.SHORT_EDGE
                     else TwoSided.LONG_EDGE)
        forced.append("two_sided")
    changed = tuple(name for name, value in (("color_mode", color_mode), ("two_sided", two_sided))
                    if name in forced and value != getattr(job, name))
    return PolicyDecision(True, "", color_mode, two_sided, changed, policy)


def _duplex_applies(policy: PrintPolicy, is_color: bool, pages: int) -> bool:
    """Two-sided scope: all jobs, mono jobs only or color jobs only, each kind from its minimum page count.
    A job forced to mono counts as mono here: that is how it prints."""
    if policy.duplex_scope == DuplexScope.MONO and is_color:
        return False
    if policy.duplex_scope == DuplexScope.COLOR and not is_color:
        return False
    minimum = policy.duplex_color_min_pages if is_color else policy.duplex_mono_min_pages
    return pages >= (minimum or 1)


def allowed_at(policy: PrintPolicy, when: datetime) -> bool:
    """Whether `when` (the printer's wall clock: its weekday and time, whatever its tzinfo says) falls in one
    of the policy's windows. A window whose end is at or before its start runs past midnight: Friday 20:00-02:00
    allows Saturday 01:30. Starts are included, ends are not."""
    if not policy.limit_times:
        return True
    day, now = when.weekday(), when.time().replace(tzinfo=None)
    yesterday = (day - 1) % 7
    for window in policy.windows.all():
        overnight = window.end <= window.start
        if window.weekday == day and window.start <= now and (overnight or now < window.end):
            return True
        if window.weekday == yesterday and overnight and now < window.end:
            return True
    return False

