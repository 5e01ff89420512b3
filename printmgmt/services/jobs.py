"""Jobs in the Print Queue: who sees which queue (own, delegators', any user's for administrators), changing a
job's print settings, deleting jobs. Deleted jobs leave a history row (Analytics counts deleted pages)."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import effective_permissions
from accounts.roles import Perm

from ..choices import QUEUED_STATES, HistoryResult, JobState
from ..models import PrintJob, PrintJobHistory
from .delegates import delegator_ids
from .history import removal_row
from .print_settings import clean_print_settings

EDITABLE_STATES = (JobState.RECEIVED, JobState.CONVERTING, JobState.HELD, JobState.FAILED)


def is_print_admin(user, organization) -> bool:
    return Perm.PRINT_ADMIN in effective_permissions(user, organization)


def queue_for(viewer, organization, *, owner=None) -> QuerySet:
    """The jobs the Print Queue page lists. Without `owner`: the viewer's own jobs and those of the users who made
    the viewer their delegate. With `owner` (another user): administrators only, that user's jobs."""
    jobs = PrintJob.objects.for_user(viewer, (Perm.PRINT_USE, Perm.PRINT_ADMIN), organization=organization)
    jobs = jobs.filter(state__in=QUEUED_STATES).select_related("owner")
    if owner is not None and owner.pk != viewer.pk:
        if not is_print_admin(viewer, organization):
            raise PermissionDenied("Only Print Release Management Administrators see other users' queues.")
        return jobs.filter(owner=owner)
    owners = [viewer.pk, *delegator_ids(viewer, organization)]
    return jobs.filter(owner_id__in=owners)


def visible_job(viewer, organization, job_id) -> PrintJob:
    """One job the viewer may see (own, a delegator's, anyone's for administrators), else PrintJob.DoesNotExist."""
    jobs = PrintJob.objects.for_user(viewer, (Perm.PRINT_USE, Perm.PRINT_ADMIN), organization=organization)
    job = jobs.select_related("owner").get(pk=job_id, state__in=QUEUED_STATES)
    if job.owner_id == viewer.pk or is_print_admin(viewer, organization):
        return job
    if job.owner_id in delegator_ids(viewer, organization):
        return job
    raise PrintJob.DoesNotExist


def can_change(viewer, job: PrintJob) -> bool:
    """Owners and administrators change and delete jobs; delegates see (and, at the printer, release) them."""
    return job.owner_id == viewer.pk or is_print_admin(viewer, job.organization)


@transaction.atomic
def update_job(job: PrintJob, values: dict, *, by) -> PrintJob:
    """Per-job print settings and description (Print Queue > click a job > Save Changes)."""
    if not can_change(by, job):
        raise PermissionDenied("Only the owner of a job or an administrator can change it.")
    values = dict(values)
    description = values.pop("description", None)
    cleaned = clean_print_settings(values)
    job = PrintJob.objects.select_for_update().get(pk=job.pk)
    if job.state not in EDITABLE_STATES:
        raise ValidationError("The job is being printed; its settings can no longer change.")
    for name, value in cleaned.items():
        setattr(job, name, value)
    fields = list(cleaned)
    if description is not None:
        job.description = str(description).strip()[:PrintJob._meta.get_field("description").max_length]
        fields.append("description")
    if fields:
        job.save(update_fields=fields)
    return job


def delete_jobs(organization, jobs, *, by, result: str = HistoryResult.DELETED) -> int:
    """Delete > Delete Print Jobs: the jobs leave the queue, a history row each, files removed after commit.
    Jobs being printed stay. Returns how many were deleted."""
    ids = [job.pk for job in jobs if by is None or can_change(by, job)]
    if len(ids) != len(jobs):
        raise PermissionDenied("Only the owner of a job or an administrator can delete it.")
    with transaction.atomic():
        doomed = list(PrintJob.objects.select_for_update().select_related("owner", "organization")
                      .filter(organization=organization, pk__in=ids).exclude(state=JobState.RELEASING))
        remove_jobs(doomed, result)
    return len(doomed)


def remove_jobs(jobs: list[PrintJob], result: str) -> None:
    """Rows out, history in, stored files deleted once the transaction commits (inside the caller's)."""
    if not jobs:
        return
    now = timezone.now()
    PrintJobHistory.objects.bulk_create([removal_row(job, result, now) for job in jobs])
    files = [f.name for job in jobs for f in (job.original, job.document) if f]
    PrintJob.objects.filter(pk__in=[job.pk for job in jobs]).delete()
    transaction.on_commit(lambda: delete_files(files))


def delete_files(names: list[str]) -> None:
    """Stored files of jobs that left the queue (after the commit that removed their rows)."""
    from django.core.files.storage import default_storage

    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass
