"""The one way a document enters a cloud queue, whatever the path (portal upload, e-mail, print client, IPP,
guest): size and content checks, the stored original, a job in state converting, and the conversion to PDF
scheduled once the transaction commits (printmgmt.tasks.convert_job → printmgmt.services.conversion)."""
from pathlib import PurePosixPath

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from ..choices import JobSource, JobState
from ..models import PrintJob
from .formats import detect_format
from .org_settings import get_settings
from .print_settings import clean_print_settings, default_settings

MAX_TITLE = PrintJob._meta.get_field("title").max_length


def megabytes(size: int) -> str:
    """A size as the refusal messages of every submission path (portal, e-mail, client API, IPP) give it."""
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def check_file(file: File, name: str) -> str:
    """Size, then content against name: returns the DocumentFormat or raises ValidationError."""
    size = file.size
    limit = django_settings.PRINT_MAX_UPLOAD_BYTES
    if not size:
        raise ValidationError(f"“{name}” is empty.", code="empty")
    if size > limit:
        raise ValidationError(f"“{name}” is {megabytes(size)}: documents larger than {megabytes(limit)} "
                              "cannot be printed.", code="too_large")
    return detect_format(file, name)


def submit_job(organization, user, file: File, *, source: str = JobSource.WEB, title: str = "",
               settings: dict | None = None) -> PrintJob:
    """Put `file` in `user`'s queue of `organization`. `settings` overrides the user's Default Print Settings
    for this job. Raises ValidationError (a message for the sender) before anything is stored."""
    if user.organization_id != organization.pk or not user.is_active:
        raise ValidationError("The owner of a print job must be an active user of the organization.")
    if source not in JobSource.values:
        raise ValidationError(f"Unknown submission source “{source}”.")
    name = PurePosixPath((file.name or "").replace("\\", "/")).name[:255]
    fmt = check_file(file, name)
    values = {**default_settings(user), **clean_print_settings(settings)}
    now = timezone.now()
    job = PrintJob(organization=organization, owner=user, source=source, file_name=name or "document",
                   title=(title or name or "Untitled document").strip()[:MAX_TITLE], format=fmt, size=file.size,
                   state=JobState.CONVERTING, submitted_at=now,
                   expires_at=now + get_settings(organization).retention, **values)
    file.seek(0)
    job.original.save(name or f"document.{fmt}", file, save=False)
    try:
        with transaction.atomic():
            job.save()
            transaction.on_commit(lambda: _schedule_conversion(job.pk))
    except Exception:
        job.original.delete(save=False)
        raise
    return job


def _schedule_conversion(job_id: int) -> None:
    from ..tasks import convert_job

    convert_job.delay(job_id)
