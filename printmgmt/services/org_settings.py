"""Organizational Settings of Print Management: read them (created with the defaults on first use), change them
with the guide's dependencies enforced, and the organization's e-mail submission address."""
import re
from datetime import datetime

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.utils import timezone
from django.utils.text import slugify

from ..choices import GuestAssignment, JobSource, PeriodUnit, UpdateMode
from ..models import OrganizationPrintSettings, PrintJob

PERIOD_LIMITS = {PeriodUnit.DAYS: 7, PeriodUnit.HOURS: 168}   # "1-7 days"; hours up to the same week
GUEST_PAGE_LIMIT_MAX = 10_000
USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{1,62}[a-z0-9])$")
EDITABLE = [f.name for f in OrganizationPrintSettings._meta.get_fields()
            if f.concrete and f.name not in ("id", "organization", "email_enabled_at", "updated_at", "updated_by")]
# A setting that only means something while another is on (E §1.2's "Depends on" column).
DEPENDENCIES = {
    "delegate_email_notification": "delegation",
    "email_body_submission": "email_submission",
    "guest_email_submission": "email_submission",
    "guest_page_limit_enabled": "guest_email_submission",
}


def get_settings(organization) -> OrganizationPrintSettings:
    """The organization's settings, created with the defaults the first time anyone asks."""
    try:
        return organization.print_settings
    except OrganizationPrintSettings.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            row = OrganizationPrintSettings.objects.create(organization=organization,
                                                           email_username=_free_username(organization))
    except IntegrityError:  # created meanwhile by a concurrent request
        row = OrganizationPrintSettings.objects.get(organization=organization)
    organization.print_settings = row
    return row


def _free_username(organization) -> str:
    """The organization's name as an address part (acme-corp), made unique with a number when taken."""
    base = (slugify(organization.name) or "org")[:56].strip("-_.") or "org"
    base = base if len(base) >= 3 else f"{base}-print"
    candidate, n = base, 1
    while OrganizationPrintSettings.objects.filter(email_username=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def submission_address(organization_or_settings) -> str:
    """`<username>@print.<PRINT_EMAIL_DOMAIN>`: shown in Organizational Settings and as the Print Queue banner."""
    row = (organization_or_settings if isinstance(organization_or_settings, OrganizationPrintSettings)
           else get_settings(organization_or_settings))
    return f"{row.email_username}@print.{django_settings.PRINT_EMAIL_DOMAIN}"


def update_settings(organization, *, by=None, **values) -> OrganizationPrintSettings:
    """Save Changes: unknown names are refused; dependent settings are cleared when what they depend on is off;
    the rules of the guide are checked together and reported per field. Existing jobs follow a new retention."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: "Unknown setting." for name in sorted(unknown)})
    row = OrganizationPrintSettings.objects.get(pk=get_settings(organization).pk)   # a copy: errors change nothing
    old_retention = row.retention
    for name, value in values.items():
        setattr(row, name, value)
    for dependent, needs in DEPENDENCIES.items():
        if not getattr(row, needs):
            setattr(row, dependent, False)
    _check(row)
    if row.email_submission and row.email_enabled_at is None:
        row.email_enabled_at = timezone.now()   # "can take up to 24 hours to be available" the first time
    row.updated_at, row.updated_by = timezone.now(), by
    try:
        with transaction.atomic():
            row.save()
            if row.retention != old_retention:
                _apply_retention(row)
    except IntegrityError:
        raise ValidationError({"email_username": "This address is already used by another organization."}) from None
    organization.print_settings = row
    return row


def _check(row: OrganizationPrintSettings) -> None:
    errors: dict[str, str] = {}
    row.email_username = (row.email_username or "").strip().lower()
    if row.email_submission or row.email_username:
        if not USERNAME_RE.match(row.email_username):
            errors["email_username"] = ("Type 3 to 64 lower-case letters, digits, dots, hyphens or underscores, "
                                        "starting and ending with a letter or digit.")
        elif OrganizationPrintSettings.objects.filter(email_username=row.email_username).exclude(pk=row.pk).exists():
            errors["email_username"] = "This address is already used by another organization."
    if row.guest_email_submission and not pin_login_enabled(row.organization):
        errors["guest_email_submission"] = ("PIN authentication must be enabled for guest print submission to work. "
                                            "Enable PIN in Account Management > Printer Login Configuration.")
    if row.guest_page_limit_enabled:
        if not row.guest_page_limit or not 1 <= row.guest_page_limit <= GUEST_PAGE_LIMIT_MAX:
            errors["guest_page_limit"] = f"Type a number of pages from 1 to {GUEST_PAGE_LIMIT_MAX}."
    else:
        row.guest_page_limit = row.guest_page_limit or None
    if row.guest_assignment == GuestAssignment.COST_CENTER and not row.guest_cost_center.strip():
        errors["guest_cost_center"] = "Type the cost center name."
    if row.guest_assignment == GuestAssignment.DEPARTMENT and not row.guest_department.strip():
        errors["guest_department"] = "Type the department name."
    if row.client_auto_update and row.client_update_mode == UpdateMode.WINDOW:
        if row.client_update_start is None or row.client_update_end is None:
            errors["client_update_start"] = "Set the start and end of the update period."
    for value_field, unit_field in (("retention_value", "retention_unit"), ("history_value", "history_unit")):
        limit = PERIOD_LIMITS.get(getattr(row, unit_field))
        value = getattr(row, value_field)
        if limit is None:
            errors[unit_field] = "Choose hours or days."
        elif not isinstance(value, int) or not 1 <= value <= limit:
            errors[value_field] = f"Type a number from 1 to {limit} {getattr(row, unit_field)}."
    if row.universal_print:
        if not row.universal_print_printer_name.strip():
            errors["universal_print_printer_name"] = "Type the printer name."
        if not row.universal_print_share_name.strip():
            errors["universal_print_share_name"] = "Type the printer share name."
    if errors:
        raise ValidationError(errors)


def pin_login_enabled(organization) -> bool:
    from accounts.services.printer_login import get_configuration

    return bool(get_configuration(organization).pin)


def _apply_retention(row: OrganizationPrintSettings) -> None:
    """Queued jobs expire per the new retention, counted from their submission (guest jobs keep their own,
    shorter validity, recomputed by the guest service)."""
    expires = ExpressionWrapper(F("submitted_at") + row.retention, output_field=DateTimeField())
    PrintJob.objects.filter(organization=row.organization).exclude(source=JobSource.GUEST).update(expires_at=expires)
    from .guests import refresh_expiry  # guests import this module

    refresh_expiry(row.organization)


def expiry_for(organization, submitted_at) -> datetime:
    return submitted_at + get_settings(organization).retention


def history_since(organization, now=None) -> datetime:
    """The first moment the Print Job History page shows."""
    return (now or timezone.now()) - get_settings(organization).history_window

