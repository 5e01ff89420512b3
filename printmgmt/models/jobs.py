"""Print jobs in the cloud queue and each user's default print settings. Both carry the Print Queue's print
settings (E §1.7: layout, paper and finishing, color mode) through one abstract model."""
import uuid
from pathlib import PurePosixPath

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet

from ..choices import (
    ColorMode,
    DocumentFormat,
    Fold,
    HolePunch,
    JobSource,
    JobState,
    Orientation,
    OutputBin,
    PagesPerSide,
    PagesPerSideOrientation,
    PaperSize,
    PaperSource,
    PaperType,
    Staple,
    TwoSided,
)

MAX_COPIES = 999
SETTING_FIELDS = ("copies", "collate", "two_sided", "pages_per_side", "pages_per_side_orientation", "orientation",
                  "paper_size", "paper_source", "paper_type", "output_bin", "staple", "hole_punch", "fold",
                  "color_mode")


def _stored_name(instance, kind: str, filename: str) -> str:
    """Per-organization folders, names we make (never the uploader's): print/<org>/<yyyy>/<mm>/<uuid>.<ext>."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    now = timezone.now()
    return f"print/{instance.organization_id}/{now:%Y/%m}/{uuid.uuid4().hex}-{kind}{suffix}"


def original_path(instance, filename):
    return _stored_name(instance, "original", filename)


def document_path(instance, filename):
    return _stored_name(instance, "document", "document.pdf")


class PrintSettingsFields(models.Model):
    """The print settings of the Print Queue page (per job, and the user's defaults)."""

    copies = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1),
                                                                     MaxValueValidator(MAX_COPIES)])
    collate = models.BooleanField(default=True)
    two_sided = models.CharField("Two-sided printing", max_length=16, choices=TwoSided.choices,
                                 default=TwoSided.PRINTER)
    pages_per_side = models.PositiveSmallIntegerField(choices=PagesPerSide.choices, default=PagesPerSide.ONE)
    pages_per_side_orientation = models.CharField("Orientation - Pages per side", max_length=20,
                                                  choices=PagesPerSideOrientation.choices,
                                                  default=PagesPerSideOrientation.HORIZONTAL)
    orientation = models.CharField(max_length=12, choices=Orientation.choices, default=Orientation.AUTO)
    paper_size = models.CharField(max_length=16, choices=PaperSize.choices, default=PaperSize.PRINTER)
    paper_source = models.CharField(max_length=16, choices=PaperSource.choices, default=PaperSource.PRINTER)
    paper_type = models.CharField(max_length=16, choices=PaperType.choices, default=PaperType.PRINTER)
    output_bin = models.CharField(max_length=16, choices=OutputBin.choices, default=OutputBin.PRINTER)
    staple = models.CharField(max_length=16, choices=Staple.choices, default=Staple.OFF)
    hole_punch = models.CharField(max_length=8, choices=HolePunch.choices, default=HolePunch.OFF)
    fold = models.CharField(max_length=8, choices=Fold.choices, default=Fold.OFF)
    color_mode = models.CharField(max_length=8, choices=ColorMode.choices, default=ColorMode.COLOR)

    class Meta:
        abstract = True

    def print_settings(self) -> dict:
        return {name: getattr(self, name) for name in SETTING_FIELDS}


class PrintJob(PrintSettingsFields):
    """A document in a user's cloud queue. Rows leave the table when the job is printed (unless kept),
    deleted or expired; PrintJobHistory keeps what Analytics needs."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="print_jobs")
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="print_jobs")
    source = models.CharField(max_length=16, choices=JobSource.choices, default=JobSource.WEB)
    title = models.CharField("Job name", max_length=255)
    description = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=255)                       # as submitted
    format = models.CharField(max_length=8, choices=DocumentFormat.choices)
    size = models.PositiveBigIntegerField(default=0)                   # bytes of the original
    original = models.FileField(upload_to=original_path, max_length=255)
    document = models.FileField(upload_to=document_path, max_length=255, blank=True)  # the rendered PDF
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.RECEIVED)
    failure_reason = models.CharField(max_length=500, blank=True)      # shown to the user
    pages = models.PositiveIntegerField(null=True, blank=True)         # of the rendered document
    color = models.BooleanField(null=True, blank=True)                 # any non-gray pixel
    document_paper_size = models.CharField(max_length=32, blank=True)  # of the first page, e.g. "Letter"
    submitted_at = models.DateTimeField(default=timezone.now)
    converted_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()                                # submitted + retention (guests: shorter)
    release_count = models.PositiveIntegerField(default=0)            # print and keep: released, still queued
    # the release in progress (state releasing): who, where, since when, and the settings the printer was given
    # after policies and quotas; a release not reported within the release timeout returns the job to held
    release_started_at = models.DateTimeField(null=True, blank=True)
    release_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    release_printer = models.ForeignKey("fleet.Printer", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    release_settings = models.JSONField(default=dict, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            # a user's queue (own jobs, delegators' jobs) in the organization, oldest first or newest first
            models.Index(fields=["organization", "owner", "state", "submitted_at"], name="printjob_queue"),
            # the retention purge
            models.Index(fields=["expires_at"], name="printjob_expires"),
        ]

    def __str__(self):
        return f"{self.title} ({self.get_state_display()})"

    @property
    def is_printable(self) -> bool:
        return self.state == JobState.HELD


class DefaultPrintSettings(PrintSettingsFields):
    """Print Queue > Set Default Print Settings: applied to every incoming job of the user."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="default_print_settings")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return f"Default print settings of {self.user_id}"
