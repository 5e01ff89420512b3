"""Print policies (E §1.5): force mono, force two-sided (with scope and minimum page counts), printing limited
to days and times in the printer's local time; the organization's Default Print Policy and assignments (a
personal assignment beats a cost center or department one)."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from accounts.querysets import OrgScopedQuerySet

from ..choices import DuplexBinding, DuplexScope, PolicyDays
from .assignments import Assignment


class PrintPolicy(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="print_policies")
    name = models.CharField("Policy name", max_length=100)
    is_default = models.BooleanField(default=False)            # the Default Print Policy

    force_mono = models.BooleanField("Force color jobs to mono", default=False)
    mono_min_pages = models.PositiveIntegerField("Only jobs with at least a specific number of pages", null=True,
                                                 blank=True, validators=[MinValueValidator(1)])

    force_duplex = models.BooleanField("Force jobs to use two-sided printing", default=False)
    duplex_binding = models.CharField("Two-sided printing", max_length=12, choices=DuplexBinding.choices,
                                      default=DuplexBinding.LONG_EDGE)
    duplex_scope = models.CharField(max_length=8, choices=DuplexScope.choices, default=DuplexScope.ALL)
    duplex_mono_min_pages = models.PositiveIntegerField(
        "Only mono jobs with at least a specific number of pages", null=True, blank=True,
        validators=[MinValueValidator(1)])
    duplex_color_min_pages = models.PositiveIntegerField(
        "Only color jobs with at least a specific number of pages", null=True, blank=True,
        validators=[MinValueValidator(1)])

    limit_times = models.BooleanField("Limit printing to specific days and times", default=False)
    days = models.CharField("Select days", max_length=10, choices=PolicyDays.choices, default=PolicyDays.ALL)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name_plural = "print policies"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="print_policy_name_unique"),
            models.UniqueConstraint(fields=["organization"], condition=Q(is_default=True),
                                    name="print_policy_one_default"),
        ]

    def __str__(self):
        return self.name


class PrintPolicyWindow(models.Model):
    """When printing is allowed under "Limit printing to specific days and times": one row per allowed day
    (0 = Monday). An end at or before the start runs past midnight into the next day."""

    policy = models.ForeignKey(PrintPolicy, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start = models.TimeField("Start time")
    end = models.TimeField("End time")

    class Meta:
        ordering = ["weekday"]
        constraints = [models.UniqueConstraint(fields=["policy", "weekday"], name="print_policy_window_day")]

    def __str__(self):
        return f"{self.weekday} {self.start:%H:%M}-{self.end:%H:%M}"


class PrintPolicyAssignment(Assignment):
    policy = models.ForeignKey(PrintPolicy, on_delete=models.CASCADE, related_name="assignments")

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name", "user__email"]
        constraints = Assignment.constraints_for("print_policy_assignment")
