"""The integration API's access log: one row per call of an integration application (who, when, what, how
it was answered, how many assets), shown to the organization's administrators."""
from django.db import models
from django.utils import timezone

from accounts.models import Application, Organization
from accounts.querysets import OrgScopedQuerySet


class IntegrationAccess(models.Model):
    """A call of the integration API (issue 8). Kept small: the rows of a busy connector add up."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="integration_accesses")
    application = models.ForeignKey(Application, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    path = models.CharField(max_length=255)
    query = models.CharField(max_length=255, blank=True)
    status = models.PositiveSmallIntegerField()
    rows = models.PositiveIntegerField(default=0)          # assets answered
    duration_ms = models.PositiveIntegerField(default=0)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organization", "at"]), models.Index(fields=["application", "at"])]

    def __str__(self):
        return f"{self.path} {self.status}"
