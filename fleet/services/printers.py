"""Printer changes made by administrators: edit identification, tags, unenroll, control-panel notifications.

Contract other services rely on (keep this signature):
- unenroll_printers(organization, printers, *, user=None, task_type=TaskType.UNENROLL) -> Task | None
  removes the printers from the organization's listing (their agent stops managing them) and records an
  Unenroll task; used by the Printers page and by Fleet Agent deactivation/deletion.
"""
from django.db import transaction

from ..choices import TaskType
from . import tasks


@transaction.atomic
def unenroll_printers(organization, printers, *, user=None, task_type=TaskType.UNENROLL):
    printers = list(printers)
    if not printers:
        return None
    task = tasks.create_task(organization, task_type, printers=printers, user=user)
    for printer in printers:
        printer.delete()
    return task
