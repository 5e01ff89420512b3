"""Printer changes made by administrators: edit identification, unenroll, refresh, control-panel notifications,
printer logs and agent access credentials. Each action that reaches the printer is a task (fleet.services.tasks)
with one job per printer; printers that cannot do it get a "Not supported" job instead of a command.

Contract other services rely on (keep this signature):
- unenroll_printers(organization, printers, *, user=None, task_type=TaskType.UNENROLL) -> Task | None
  removes the printers from the organization's listing (their agent stops managing them) and records an
  Unenroll task; used by the Printers page and by Fleet Agent deactivation/deletion.
"""
import json
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..choices import AgentType, LogType, PanelMessage, TaskType
from ..models import Printer
from . import tasks

PANEL_MESSAGE_LIFETIME = timedelta(hours=48)   # "appears on the printer control panel for 48 hours"
IDENTIFICATION_FIELDS = ("name", "asset_tag", "location", "contact", "description")


class AccessAuthType:
    """Authentication types of the printer administrator account ("Update agent access credentials")."""

    USER_PASSWORD = "user_password"
    PASSWORD = "password"
    PIN = "pin"
    CHOICES = ((USER_PASSWORD, "User name and password"), (PASSWORD, "Password"), (PIN, "PIN"))
    FIELDS = {USER_PASSWORD: ("username", "password"), PASSWORD: ("password",), PIN: ("pin",)}


def panel_notifications_supported(printer: Printer) -> bool:
    """Only catalog models get control-panel notifications (third-party and unknown models: data collection
    only), and not footnote-3 models under the Fleet Agent."""
    model = printer.printer_model
    return model is not None and model.panel_notifications(printer.agent_type)


def _locked(organization, printers):
    """The given printers, re-read and locked, that are still enrolled in the organization."""
    ids = [p.pk for p in printers]
    return list(Printer.objects.select_for_update(of=("self",)).select_related("agent", "printer_model")
                .filter(organization=organization, pk__in=ids, unenrolled_at__isnull=True).order_by("pk"))


def _task(organization, task_type, printers, *, unsupported=(), args=None, user=None):
    """A task over `printers`; the `unsupported` ones get a job closed at once as "Not supported" (no command)."""
    return tasks.create_task(organization, task_type, printers=printers, unsupported=unsupported, args=args,
                             user=user)


@transaction.atomic
def unenroll_printers(organization, printers, *, user=None, task_type=TaskType.UNENROLL):
    """"Unenrolled printers are removed from the Fleet Management web portal printer listing": the printer is
    marked unenrolled and detached from its agent (which receives an unenroll command through the task); its
    data stays, and the next enrollment by an agent brings it back (fleet.services.enrollment.enroll).
    "Unenrolling of printers cannot be stopped." Returns the task, or None when nothing was enrolled."""
    printers = _locked(organization, printers)
    if not printers:
        return None
    task = _task(organization, task_type, printers, user=user)
    now = timezone.now()
    Printer.objects.filter(pk__in=[p.pk for p in printers]).update(unenrolled_at=now, agent=None, modified_at=now)
    for printer in printers:
        printer.unenrolled_at, printer.agent, printer.modified_at = now, None, now
    return task


@transaction.atomic
def refresh_printers(organization, printers, *, user=None):
    """Refresh printer information: the agents collect and report the printers' data now."""
    printers = _locked(organization, printers)
    return _task(organization, TaskType.REFRESH, printers, user=user) if printers else None


@transaction.atomic
def send_panel_notification(organization, printers, message, *, user=None):
    """Show one of the fixed messages on the printers' control panels for 48 hours ("or until the user clears
    it or another notification is sent"); printers whose model cannot do it get a "Not supported" job."""
    if message not in PanelMessage.values:
        raise ValidationError("Select a notification.", code="message")
    printers = _locked(organization, printers)
    if not printers:
        return None
    supported = [p for p in printers if panel_notifications_supported(p)]
    unsupported = [p for p in printers if not panel_notifications_supported(p)]
    task = _task(organization, TaskType.PANEL_NOTIFICATION, supported, unsupported=unsupported, user=user,
                 args={"message": message, "text": PanelMessage(message).label})
    now = timezone.now()
    Printer.objects.filter(pk__in=[p.pk for p in supported]).update(
        panel_message=message, panel_message_until=now + PANEL_MESSAGE_LIFETIME, modified_at=now)
    return task


@transaction.atomic
def clear_panel_notification(organization, printers, *, user=None):
    """Clear the notification sent from the portal ("only clears the messages sent from Cloud Fleet
    Management")."""
    printers = _locked(organization, printers)
    if not printers:
        return None
    supported = [p for p in printers if panel_notifications_supported(p)]
    unsupported = [p for p in printers if not panel_notifications_supported(p)]
    task = _task(organization, TaskType.CLEAR_NOTIFICATION, supported, unsupported=unsupported, user=user)
    Printer.objects.filter(pk__in=[p.pk for p in supported]).update(
        panel_message="", panel_message_until=None, modified_at=timezone.now())
    return task


def current_panel_message(printer: Printer, now=None) -> str:
    """The label of the notification on the printer's panel now, or "" (48 hours after it was sent it is gone)."""
    now = now or timezone.now()
    if printer.panel_message and printer.panel_message_until and printer.panel_message_until > now:
        return PanelMessage(printer.panel_message).label
    return ""


def log_types_for(printer: Printer) -> list[tuple[str, str]]:
    """The logs that can be requested: none for Local Agent printers; MIB Walk only through a Fleet Agent."""
    if printer.agent_type == AgentType.LOCAL:
        return []
    return [(value, label) for value, label in LogType.choices
            if value != LogType.MIB_WALK or printer.agent_type == AgentType.FLEET]


@transaction.atomic
def request_log(printer: Printer, log_type: str, *, user=None):
    """Request > Request Log: a Request printer log task (a MIB Walk task for MIB Walk); the agent uploads the
    file, downloadable from the task."""
    if printer.agent_type == AgentType.LOCAL:
        raise ValidationError("Printer logs are not available for printers managed by a Local Agent.", code="local")
    if log_type not in LogType.values:
        raise ValidationError("Select a log type.", code="log_type")
    if log_type == LogType.MIB_WALK and printer.agent_type != AgentType.FLEET:
        raise ValidationError("MIB Walk is available only for printers reporting through a Fleet Agent.",
                              code="mib_walk")
    printers = _locked(printer.organization, [printer])
    if not printers:
        raise ValidationError("The printer is no longer enrolled.", code="unenrolled")
    if log_type == LogType.MIB_WALK:
        return _task(printer.organization, TaskType.MIB_WALK, printers, user=user, args={"log_type": log_type})
    return _task(printer.organization, TaskType.REQUEST_LOG, printers, user=user, args={"log_type": log_type})


def check_access_credentials(auth_type: str, values: dict) -> dict:
    if auth_type not in AccessAuthType.FIELDS:
        raise ValidationError("Select the authentication type.", code="auth_type")
    credentials = {name: (values.get(name) or "") for name in AccessAuthType.FIELDS[auth_type]}
    labels = {"username": "User name", "password": "Password", "pin": "PIN"}
    missing = [labels[name] for name, value in credentials.items() if not value.strip()]
    if missing:
        raise ValidationError(f"{' and '.join(missing)} required.", code="required")
    if auth_type == AccessAuthType.PIN and not credentials["pin"].isdigit():
        raise ValidationError("The PIN must contain digits only.", code="pin")
    if any(len(value) > 255 for value in credentials.values()):
        raise ValidationError("Credentials must not exceed 255 characters.", code="length")
    return credentials


def store_access_credentials(printers, auth_type: str, credentials: dict) -> None:
    """Keep checked credentials (from check_access_credentials) encrypted on each printer; agents read them
    from their definition (GET /api/agents/v1/definition) when an Update credentials command tells them to."""
    now = timezone.now()
    for printer in printers:
        printer.access_auth_type, printer.access_credentials = auth_type, json.dumps(credentials)
        printer.modified_at = now
    Printer.objects.bulk_update(printers, ["access_auth_type", "access_credentials", "modified_at"])


@transaction.atomic
def update_access_credentials(organization, printers, auth_type: str, values: dict, *, user=None):
    """Update agent access credentials ("only applicable for Fleet Agent"): kept encrypted on the printer
    (the agent receives them with the command); printers of other agents get a "Not supported" job."""
    credentials = check_access_credentials(auth_type, values)
    printers = _locked(organization, printers)
    if not printers:
        return None
    fleet = [p for p in printers if p.agent_type == AgentType.FLEET]
    others = [p for p in printers if p.agent_type != AgentType.FLEET]
    store_access_credentials(fleet, auth_type, credentials)
    return _task(organization, TaskType.UPDATE_CREDENTIALS, fleet, unsupported=others, user=user,
                 args={"auth_type": auth_type})


def update_identification(printer: Printer, *, user=None, **values) -> Printer:
    """Edit the asset tag, location, contact information, printer name and description. Edited fields are
    remembered (Printer.edited_fields) so that telemetry and re-enrollment keep the administrator's values."""
    unknown = set(values) - set(IDENTIFICATION_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    errors = {}
    for name, value in values.items():
        value = (value or "").strip()
        limit = Printer._meta.get_field(name).max_length
        if limit and len(value) > limit:
            errors[name] = f"Must not exceed {limit} characters."
        values[name] = value
    if errors:
        raise ValidationError(errors)
    changed = {name for name, value in values.items() if getattr(printer, name) != value}
    for name, value in values.items():
        setattr(printer, name, value)
    # what the administrator changed stays: the agent's next report does not overwrite it
    printer.edited_fields = sorted(set(printer.edited_fields) | changed)
    printer.modified_at = timezone.now()
    printer.save(update_fields=[*values, "edited_fields", "modified_at"])
    return printer
