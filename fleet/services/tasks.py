"""Tasks and jobs: create them, send their commands to agents, apply agents' events, stop and expire them,
keep the files agents upload for them. The task status rollup and its precedence are in
docs/decisions/0008-fleet-management.md ("Tasks").

Contract other services rely on (keep these signatures):
- create_task(organization, task_type, *, printers=(), agents=(), args=None, user=None,
              unsupported=(), not_communicating=()) -> Task
  one job per printer (sent to the printer's agent) and one per agent given; jobs whose printer or agent cannot
  be reached, or that the caller knows are not supported, are closed at once; commands go out after commit.
- create_bulk_task(organizations_printers, task_type, *, organizations_agents=None, args=None, user=None) -> Task
  a partner's task over several organizations: a parent (organization "Multiple") with one child per organization.
- record_event(agent, event: agents.protocol.Event) -> Job | None   (from fleet.services.ingest)

Concurrency: every change of a job's state happens with the row of its top task locked (the bulk parent, or
the task itself), so the rollup computed in the same transaction always counts every committed job.
"""
import logging
import os
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from accounts.access import effective_permissions, is_descendant, visible_organizations
from agents.protocol import Event, JobState

from ..choices import JOB_OPEN, Activation, Communication, JobStatus, TaskStatus, TaskType
from ..models import Agent, Job, Printer, Task, TaskFile
from . import commands

log = logging.getLogger(__name__)

PRINTER_NOT_COMMUNICATING = "The printer cannot communicate with the Fleet Management web portal."
AGENT_NOT_COMMUNICATING = "The agent is not communicating."
PRINTER_NOT_SUPPORTED = "The printer does not support the task."
AGENT_NOT_SUPPORTED = "The agent does not support the task."
EXPIRED_MESSAGE = "The job exceeded the timeout."
STOP_TASK_RULE = "Only pending tasks for a printer can be stopped."
STOP_JOB_RULE = "Only pending jobs can be stopped."
UNENROLL_RULE = "Unenrolling of printers cannot be stopped."
UNSTOPPABLE = frozenset({TaskType.UNENROLL})
FINAL_STATUSES = frozenset(TaskStatus) - {TaskStatus.PENDING, TaskStatus.IN_PROGRESS}
NOTICE_LEVELS = ("warning", "info")   # an agent's result {"level": ...} on a completed job (decisions 0008)


# ---------------------------------------------------------------------------------------------- status rollup
def rollup(counts: Mapping[str, int], *, warning: bool = False, info: bool = False) -> TaskStatus:
    """The task status from its jobs' statuses, the guide's definitions read with this precedence:
    running while any job is open; a mix of successful (completed or stopped) and unsuccessful jobs is
    "Completed with errors"; only successes are "Completed" (with warning / with info when a completed job
    carries that level); only unsuccessful jobs: "Failed" if any failed or expired, else "Printer is not
    communicating" or "Not supported"."""
    def n(*statuses):
        return sum(counts.get(status, 0) for status in statuses)

    if n(*JOB_OPEN):
        return TaskStatus.IN_PROGRESS if n(JobStatus.IN_PROGRESS, JobStatus.COMPLETED, JobStatus.FAILED) \
            else TaskStatus.PENDING
    good = n(JobStatus.COMPLETED, JobStatus.STOPPED)
    failed = n(JobStatus.FAILED, JobStatus.EXPIRED)
    unreached = n(JobStatus.NOT_COMMUNICATING, JobStatus.NOT_SUPPORTED)
    if good and (failed or unreached):
        return TaskStatus.COMPLETED_ERRORS
    if good or not sum(counts.values()):
        return TaskStatus.COMPLETED_WARNING if warning else TaskStatus.COMPLETED_INFO if info else TaskStatus.COMPLETED
    if failed:
        return TaskStatus.FAILED
    return TaskStatus.NOT_COMMUNICATING if counts.get(JobStatus.NOT_COMMUNICATING) else TaskStatus.NOT_SUPPORTED


def _jobs_of(task):
    """A task's jobs; a bulk task's are its children's."""
    return Job.objects.filter(task__parent=task) if task.organization_id is None else Job.objects.filter(task=task)


def _set_counts(task, counts: dict, now) -> None:
    """Store the task's job counts and the status they give."""
    counts = {status: n for status, n in counts.items() if n}
    levels = set()
    if counts.get(JobStatus.COMPLETED) and not any(counts.get(s) for s in JOB_OPEN):
        levels = set(_jobs_of(task).filter(status=JobStatus.COMPLETED, result__level__in=NOTICE_LEVELS)
                     .order_by().values_list("result__level", flat=True).distinct())
    status = rollup(counts, warning="warning" in levels, info="info" in levels)
    finished_at = (task.finished_at or now) if status in FINAL_STATUSES else None
    Task.objects.filter(pk=task.pk).update(status=status, job_counts=counts, finished_at=finished_at)
    task.status, task.job_counts, task.finished_at = status, counts, finished_at


def refresh_status(task, *, now=None, cascade=True) -> Task:
    """Recount the task's jobs and set its status (and, with `cascade`, its bulk parent's). Call with the top
    task locked."""
    now = now or timezone.now()
    _set_counts(task, dict(_jobs_of(task).order_by().values_list("status").annotate(n=Count("id"))), now)
    if cascade and task.parent_id:
        refresh_status(Task.objects.get(pk=task.parent_id), now=now)
    return task


def _move_count(task, old: str, new: str, now) -> None:
    """One job of the task went from `old` to `new`: adjust the counts of the task and of its bulk parent
    without recounting (an agent reports on thousands of jobs of one task). Call with the top task locked."""
    for counted in [task] + ([Task.objects.get(pk=task.parent_id)] if task.parent_id else []):
        counts = dict(counted.job_counts)
        counts[old] = counts.get(old, 0) - 1
        counts[new] = counts.get(new, 0) + 1
        _set_counts(counted, counts, now)


def _lock_top(task_id) -> None:
    parent_id = Task.objects.filter(pk=task_id).values_list("parent_id", flat=True).first()
    list(Task.objects.select_for_update().filter(pk=parent_id or task_id).values_list("pk", flat=True))


# ---------------------------------------------------------------------------------------------- creation
def _key(target) -> tuple[str, int]:
    return (type(target).__name__, target.pk)


def _printer_job(task, printer: Printer, closed: dict, now) -> Job:
    job = Job(task=task, organization_id=task.organization_id, printer=printer, agent_id=printer.agent_id,
              target=printer.identifier, serial=printer.serial, created_at=now)
    status = closed.get(_key(printer))
    if status is None and (printer.agent_id is None or printer.communication != Communication.COMMUNICATING):
        status = JobStatus.NOT_COMMUNICATING
    return _close_at_once(job, status, now, printer=True)


def _agent_job(task, agent: Agent, closed: dict, now) -> Job:
    job = Job(task=task, organization_id=task.organization_id, agent=agent, target=agent.name, created_at=now)
    status = closed.get(_key(agent))
    if status is None and not agent.is_active:
        status = JobStatus.NOT_COMMUNICATING
    return _close_at_once(job, status, now, printer=False)


def _close_at_once(job: Job, status, now, *, printer: bool) -> Job:
    if status == JobStatus.NOT_COMMUNICATING:
        job.message = PRINTER_NOT_COMMUNICATING if printer else AGENT_NOT_COMMUNICATING
    elif status == JobStatus.NOT_SUPPORTED:
        job.message = PRINTER_NOT_SUPPORTED if printer else AGENT_NOT_SUPPORTED
    if status is not None:
        job.status, job.finished_at = status, now
    return job


def _targets(listed: Iterable, *extra: Iterable) -> tuple[list[Printer], list[Agent]]:
    """Printers and agents of the task, each once, in the order given (extra: unsupported / unreachable ones)."""
    seen, printers, agents = set(), [], []
    for target in [*listed, *(t for group in extra for t in group)]:
        if _key(target) in seen:
            continue
        seen.add(_key(target))
        (printers if isinstance(target, Printer) else agents).append(target)
    return printers, agents


@transaction.atomic
def create_task(organization, task_type: TaskType, *, printers=(), agents=(), args=None, user=None,
                unsupported=(), not_communicating=(), parent=None) -> Task:
    """A task with one job per printer and per agent. `unsupported` and `not_communicating` (printers or agents,
    listed there or only there) get jobs closed at once as "Not supported" / "Not communicating"; so do printers
    that are not communicating or have no agent, and agents not activated. The other jobs are pending and their
    commands are published after commit."""
    now = timezone.now()
    unsupported, not_communicating = list(unsupported), list(not_communicating)
    task = Task.objects.create(organization=organization, parent=parent, task_type=task_type, args=args or {},
                               created_by=user, created_at=now)
    closed = {_key(t): JobStatus.NOT_SUPPORTED for t in unsupported}
    closed.update({_key(t): JobStatus.NOT_COMMUNICATING for t in not_communicating})
    all_printers, all_agents = _targets([*printers, *agents], unsupported, not_communicating)
    jobs = Job.objects.bulk_create([_printer_job(task, p, closed, now) for p in all_printers]
                                   + [_agent_job(task, a, closed, now) for a in all_agents])
    refresh_status(task, now=now, cascade=False)  # a bulk parent is counted once, at the end
    pending = [job.pk for job in jobs if job.status == JobStatus.PENDING]
    if pending:
        transaction.on_commit(lambda: commands.send(pending), robust=True)
    return task


def _per_organization(mapping) -> dict:
    items = mapping.items() if isinstance(mapping, Mapping) else (mapping or ())
    return {organization: list(targets) for organization, targets in items}


@transaction.atomic
def create_bulk_task(organizations_printers, task_type: TaskType, *, organizations_agents=None, args=None,
                     user=None, unsupported=(), not_communicating=()) -> Task:
    """A partner's task over several organizations (guide: "bulk action task", Organization "Multiple"): a parent
    task without organization and one child task per organization, each with that organization's jobs."""
    now = timezone.now()
    parent = Task.objects.create(organization=None, task_type=task_type, args=args or {}, created_by=user,
                                 created_at=now)
    printers, agents = _per_organization(organizations_printers), _per_organization(organizations_agents)
    unsupported, not_communicating = list(unsupported), list(not_communicating)
    for organization in list(dict.fromkeys([*printers, *agents])):
        def mine(targets, org=organization):
            return [t for t in targets if t.organization_id == org.pk]

        create_task(organization, task_type, printers=printers.get(organization, ()),
                    agents=agents.get(organization, ()), args=args, user=user, parent=parent,
                    unsupported=mine(unsupported), not_communicating=mine(not_communicating))
    return refresh_status(parent, now=now)


# ---------------------------------------------------------------------------------------------- agents' events
def _apply(job: Job, event: Event, now) -> None:
    job.sent_at = job.sent_at or now
    job.started_at = job.started_at or now
    if event.message:
        job.message = event.message
    if event.result:
        job.result = {**job.result, **event.result}
    if event.progress is not None:
        job.progress = max(job.progress, event.progress)  # a late, lower progress does not go back
    job.status = JobStatus(event.state)
    if event.state != JobState.IN_PROGRESS:
        job.finished_at = now
        if event.state == JobState.COMPLETED:
            job.progress = 100
        elif event.state == JobState.NOT_SUPPORTED and not job.message:
            job.message = PRINTER_NOT_SUPPORTED if job.printer_id else AGENT_NOT_SUPPORTED
    job.save(update_fields=["status", "progress", "message", "result", "sent_at", "started_at", "finished_at"])


def record_event(agent, event: Event) -> Job | None:
    """Apply an agent's report on one of its jobs: in progress (with percent), completed, failed, not supported.
    Only the job's own agent may report (others are ignored and logged); a finished job never reopens, so a
    duplicate or late event changes nothing. Returns the job, or None when the event was ignored."""
    owner = Job.objects.filter(pk=event.job).values_list("agent_id", "task_id").first()
    if owner is None or owner[0] != agent.pk:
        log.warning("agent %s reported on job %s, which is not its own: ignored", agent.device_id, event.job)
        return None
    with transaction.atomic():
        _lock_top(owner[1])
        job = Job.objects.select_for_update().select_related("task").get(pk=event.job)
        if job.status in JOB_OPEN:
            was, now = job.status, timezone.now()
            _apply(job, event, now)
            if job.status != was:
                _move_count(job.task, was, job.status, now)
            if job.task.task_type == TaskType.DEACTIVATE_AGENT and job.status not in JOB_OPEN:
                retire_credentials()
    return job


def retire_credentials() -> int:
    """A deactivated agent keeps its secret only while its Deactivate agent job is open, so that it can fetch
    the command and report that it stopped; once the job is over (completed, failed, stopped or expired) the
    secret is gone. Returns how many agents lost theirs."""
    open_job = Job.objects.filter(agent=OuterRef("pk"), task__task_type=TaskType.DEACTIVATE_AGENT,
                                  status__in=JOB_OPEN)
    return (Agent.objects.filter(activation=Activation.DEACTIVATED).exclude(secret_digest="")
            .exclude(Exists(open_job)).update(secret_digest=""))


# ---------------------------------------------------------------------------------------------- stop, expire
def _refresh_tasks(task_ids, now) -> None:
    for task in Task.objects.filter(pk__in=list(task_ids)):
        with transaction.atomic():
            _lock_top(task.pk)
            refresh_status(task, now=now)


def _stop(jobs, user, now) -> int:
    by = f" by {user.email}" if user is not None else ""
    return jobs.filter(status=JobStatus.PENDING).update(status=JobStatus.STOPPED, finished_at=now,
                                                        message=f"Stopped{by}.")


@transaction.atomic
def stop_task(task, *, user=None, organization_ids=None) -> int:
    """**Stop** beside a task's status: its pending jobs are stopped (in-progress ones run on). For a bulk task,
    only the jobs of `organization_ids` (where the user may manage the fleet). Returns how many were stopped."""
    if task.task_type in UNSTOPPABLE:
        raise ValidationError(UNENROLL_RULE)
    now = timezone.now()
    _lock_top(task.pk)
    jobs = _jobs_of(task).filter(status=JobStatus.PENDING)
    if organization_ids is not None:
        jobs = jobs.filter(organization_id__in=list(organization_ids))
    task_ids = set(jobs.order_by().values_list("task_id", flat=True).distinct())
    stopped = _stop(jobs, user, now)
    if not stopped:
        raise ValidationError(STOP_TASK_RULE)
    for child in Task.objects.filter(pk__in=task_ids).exclude(pk=task.pk):
        refresh_status(child, now=now, cascade=False)
    refresh_status(task, now=now)
    retire_credentials()
    return stopped


@transaction.atomic
def stop_job(job, *, user=None) -> Job:
    """**Stop** beside a job's status: only a pending job, and never one unenrolling a printer."""
    if job.task.task_type in UNSTOPPABLE:
        raise ValidationError(UNENROLL_RULE)
    now = timezone.now()
    _lock_top(job.task_id)
    if not _stop(Job.objects.filter(pk=job.pk), user, now):
        raise ValidationError(STOP_JOB_RULE)
    job.refresh_from_db()
    refresh_status(job.task, now=now)
    return job


def expire_jobs(*, now=None) -> int:
    """Beat task: pending jobs older than settings.FLEET_JOB_PENDING_TIMEOUT (one week) and jobs in progress
    for longer than FLEET_JOB_IN_PROGRESS_TIMEOUT (24 hours) expire; their tasks roll up."""
    now = now or timezone.now()
    stale = Job.objects.filter(
        Q(status=JobStatus.PENDING, created_at__lt=now - settings.FLEET_JOB_PENDING_TIMEOUT)
        | Q(status=JobStatus.IN_PROGRESS, started_at__lt=now - settings.FLEET_JOB_IN_PROGRESS_TIMEOUT))
    task_ids = set(stale.order_by().values_list("task_id", flat=True).distinct())
    if not task_ids:
        return 0
    expired = stale.update(status=JobStatus.EXPIRED, finished_at=now, message=EXPIRED_MESSAGE)
    _refresh_tasks(task_ids, now)
    retire_credentials()
    return expired


# ---------------------------------------------------------------------------------------------- files
def attach_file(job: Job, uploaded, *, now=None) -> TaskFile:
    """Keep a file an agent uploaded for its job (a log, a MIB walk) until settings.FLEET_TASK_FILE_LIFETIME."""
    limit = settings.FLEET_TASK_FILE_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(f"The file must not exceed {limit // (1024 * 1024)} MB.", code="too_large")
    if job.status in (JobStatus.STOPPED, JobStatus.EXPIRED, JobStatus.NOT_COMMUNICATING):
        raise ValidationError("This job no longer accepts files.", code="closed")
    now = now or timezone.now()
    name = get_valid_filename(os.path.basename(uploaded.name or "")) or "file"
    uploaded.name = name[-200:]
    return TaskFile.objects.create(job=job, organization_id=job.organization_id, name=name[-200:],
                                   content=uploaded, size=uploaded.size, created_at=now,
                                   expires_at=now + settings.FLEET_TASK_FILE_LIFETIME)


def purge_task_files(*, now=None) -> int:
    """Beat task: delete expired files, from storage and from the database."""
    now = now or timezone.now()
    purged = 0
    for task_file in TaskFile.objects.filter(expires_at__lte=now).iterator():
        task_file.content.delete(save=False)
        task_file.delete()
        purged += 1
    return purged


# ---------------------------------------------------------------------------------------------- read side
def scope_ids(user, organization, permission) -> set:
    """The organization and its descendants where the user holds `permission`: whose tasks a bulk task's
    parent may span to be listed on this organization's Tasks page."""
    return {org.pk for org in visible_organizations(user)
            if (org.pk == organization.pk or is_descendant(org, organization.pk))
            and permission in effective_permissions(user, org)}


def visible_tasks(user, organization, permission):
    """The tasks of an organization's Tasks page: its own (single-organization and bulk children), and the bulk
    tasks whose every child belongs to it or to a descendant where the user holds `permission` (a partner's)."""
    scope = scope_ids(user, organization, permission)
    if organization.pk not in scope:
        return Task.objects.none()
    shown = Q(organization=organization)
    if len(scope) > 1:
        children = Task.objects.filter(parent__isnull=False)
        shown |= (Q(organization__isnull=True, pk__in=children.filter(organization__in=scope).values("parent_id"))
                  & ~Q(pk__in=children.exclude(organization__in=scope).values("parent_id")))
    return Task.objects.filter(shown)


def task_jobs(user, task, organization, permission):
    """The jobs a task page lists: the task's own, or for a bulk task its children's in the user's scope."""
    if task.organization_id is None:
        return Job.objects.filter(task__parent=task, organization__in=scope_ids(user, organization, permission))
    return Job.objects.filter(task=task)
