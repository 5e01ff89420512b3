"""Tasks: "any printer management activities performed in the Fleet Management web portal". A task holds
one job per printer (or per agent); jobs are sent to agents as commands, which acknowledge and report
progress. A bulk task across organizations has one child task per organization."""
from django.db import models
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet

from ..choices import JobStatus, TaskStatus, TaskType
from .agents import Agent
from .printers import Printer


class Task(models.Model):
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="fleet_tasks")   # null: bulk task over several organizations
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    task_type = models.CharField(max_length=32, choices=TaskType.choices)
    status = models.CharField(max_length=24, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    args = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    job_counts = models.JSONField(default=dict, blank=True)  # jobs per JobStatus, kept by the status rollup

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_task_type_display()} #{self.pk}"

    @property
    def is_bulk(self) -> bool:
        """A partner's task over several organizations ("Multiple"); its jobs are its children's."""
        return self.organization_id is None

    @property
    def jobs_total(self) -> int:
        return sum(self.job_counts.values())

    @property
    def jobs_pending(self) -> int:
        return self.job_counts.get(JobStatus.PENDING, 0)

    @property
    def jobs_done(self) -> int:
        return self.jobs_total - self.jobs_pending - self.job_counts.get(JobStatus.IN_PROGRESS, 0)


class Job(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="jobs")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="fleet_jobs")
    printer = models.ForeignKey(Printer, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    target = models.CharField(max_length=255, blank=True)   # what the job is about, as shown (IP, serial, agent)
    serial = models.CharField(max_length=64, blank=True)    # the printer's serial when the job was made (commands)
    status = models.CharField(max_length=24, choices=JobStatus.choices, default=JobStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["agent", "status"])]

    def __str__(self):
        return f"Job #{self.pk} ({self.status})"


class TaskFile(models.Model):
    """A file an agent uploaded for a job (MIB walk, printer or agent log); downloadable until it expires."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="files")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)
    content = models.FileField(upload_to="fleet/files/%Y/%m/")
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return self.name
