"""Print settings of jobs and users (copies, two-sided, paper, finishing, color mode): checked against the
model's choices and ranges, the same way for the Print Queue page, the API and every submission path."""
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..models import DefaultPrintSettings, PrintJob
from ..models.jobs import SETTING_FIELDS


def clean_print_settings(values: dict | None) -> dict:
    """Only known settings, each valid; errors name the field."""
    values = dict(values or {})
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for name, value in values.items():
        if name not in SETTING_FIELDS:
            errors[name] = ["Unknown print setting."]
            continue
        field = PrintJob._meta.get_field(name)
        try:
            cleaned[name] = field.clean(value, None)
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def default_settings(user) -> dict:
    """The user's Default Print Settings (the model defaults when never set)."""
    row = DefaultPrintSettings.objects.filter(user=user).first()
    if row is None:
        return {name: PrintJob._meta.get_field(name).get_default() for name in SETTING_FIELDS}
    return row.print_settings()


@transaction.atomic
def set_default_settings(user, values: dict, *, by=None) -> DefaultPrintSettings:
    """Set Default Print Settings > Save Changes: applies to jobs submitted from now on."""
    cleaned = clean_print_settings(values)
    row, _created = DefaultPrintSettings.objects.select_for_update().get_or_create(
        user=user, defaults={"organization_id": user.organization_id})
    for name, value in cleaned.items():
        setattr(row, name, value)
    row.updated_at = timezone.now()
    row.save()
    return row
