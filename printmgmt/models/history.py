"""Print Job History: one row per release outcome or removal of a job, with what the Print Job History page
(E §1.9) and Analytics (E §3: source, printer, pages, sheets, color, duplex, paper, cost center, department,
released by) need. Rows outlive the job and the user (names are copied); the page shows the organization's
history window, Analytics reads further back (PRINT_HISTORY_RETENTION_DAYS)."""
from django.db import models
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet

from ..choices import DocumentFormat, HistoryResult, JobSource


class PrintJobHistory(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="print_history")
    job_id = models.PositiveBigIntegerField(null=True, blank=True)   # the PrintJob it was (the row may be gone)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="print_history")
    owner_email = models.CharField(max_length=254)
    title = models.CharField("Job name", max_length=255, blank=True)  # kept only with "Keep print job file names"
    source = models.CharField(max_length=16, choices=JobSource.choices)
    format = models.CharField(max_length=8, choices=DocumentFormat.choices, blank=True)
    result = models.CharField(max_length=12, choices=HistoryResult.choices)
    submitted_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)         # "Released" for printed rows
    printer = models.ForeignKey("fleet.Printer", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="print_history")
    printer_ip = models.CharField("Released From", max_length=64, blank=True)
    printer_serial = models.CharField(max_length=64, blank=True)
    printer_model = models.CharField(max_length=128, blank=True)
    pages = models.PositiveIntegerField(default=0)         # pages of the document
    copies = models.PositiveSmallIntegerField(default=1)
    impressions = models.PositiveIntegerField(default=0)   # "A side of a sheet of paper that contains toner"
    sheets = models.PositiveIntegerField(default=0)
    color = models.BooleanField(default=False)
    duplex = models.BooleanField(default=False)
    paper_size = models.CharField(max_length=32, blank=True)
    paper_type = models.CharField(max_length=32, blank=True)
    cost_center = models.CharField(max_length=150, blank=True)
    department = models.CharField(max_length=150, blank=True)
    released_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    released_by_email = models.CharField("Released By", max_length=254, blank=True)  # only when a delegate did

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name_plural = "print job history"
        indexes = [models.Index(fields=["organization", "recorded_at"], name="printhistory_org_time"),
                   models.Index(fields=["owner", "recorded_at"], name="printhistory_owner_time")]

    def __str__(self):
        return f"{self.title or self.job_id} {self.result}"
