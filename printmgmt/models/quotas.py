"""Print quotas (E §1.4): definitions with a total and a color limit per month (the same every month, or one
per month), the organization's Default Quota, assignments, and what each user has used in each month.

Units: a quota counts printed pages (impressions: a side of a sheet that has toner, so document pages ×
copies), decided in docs/decisions/0014. The color limit is part of the total: a color page uses both, a mono
page the total only. Usage is kept per calendar month, so quotas start afresh on the 1st (monthly reset)."""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet

from ..choices import QuotaColor, QuotaTotal
from .assignments import Assignment

EVERY_MONTH = 0


class QuotaDefinition(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="quota_definitions")
    name = models.CharField("Quota definition name", max_length=100)
    is_default = models.BooleanField(default=False)            # the organization's Default Quota
    same_every_month = models.BooleanField("Same limits for each month", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="quota_definition_name_unique"),
            models.UniqueConstraint(fields=["organization"], condition=Q(is_default=True),
                                    name="quota_definition_one_default"),
        ]

    def __str__(self):
        return self.name


class QuotaMonthLimit(models.Model):
    """The limits of a definition: month 0 for "Same limits for each month", else 1-12 (a month without a row
    allows unlimited printing)."""

    definition = models.ForeignKey(QuotaDefinition, on_delete=models.CASCADE, related_name="limits")
    month = models.PositiveSmallIntegerField(validators=[MaxValueValidator(12)])
    total = models.CharField("Total limit", max_length=12, choices=QuotaTotal.choices, default=QuotaTotal.UNLIMITED)
    total_limit = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    color = models.CharField("Color limit", max_length=12, choices=QuotaColor.choices, default=QuotaColor.ALLOW)
    color_limit = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["month"]
        constraints = [models.UniqueConstraint(fields=["definition", "month"], name="quota_limit_month_unique")]

    def __str__(self):
        return f"{self.definition_id} month {self.month}"


class QuotaAssignment(Assignment):
    definition = models.ForeignKey(QuotaDefinition, on_delete=models.CASCADE, related_name="assignments")

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "name", "user__email"]
        constraints = Assignment.constraints_for("quota_assignment")


class QuotaUsage(models.Model):
    """Pages a user printed in a month (month = its first day), total and color."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="quota_usage")
    month = models.DateField()
    total_used = models.PositiveIntegerField(default=0)
    color_used = models.PositiveIntegerField(default=0)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "month"], name="quota_usage_user_month")]
        indexes = [models.Index(fields=["organization", "month"], name="quota_usage_org_month")]

    def __str__(self):
        return f"{self.user_id} {self.month:%Y-%m}: {self.total_used}/{self.color_used}"
