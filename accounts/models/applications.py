"""Applications: OAuth2 client credentials of an organization for its printers, agents and integrations
(django-oauth-toolkit's application model, swapped in with an organization), and the audit of device
authentication attempts."""
from django.db import models
from django.utils import timezone
from oauth2_provider.models import AbstractApplication

from ..choices import ApplicationKind, AuthMethod
from ..querysets import OrgScopedQuerySet
from .organizations import Organization, User


class Application(AbstractApplication):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="applications")
    kind = models.CharField(max_length=16, choices=ApplicationKind.choices, default=ApplicationKind.DEVICE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        ordering = ["name", "id"]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class AuthAttempt(models.Model):
    """One authentication attempt at the device API: the audit trail of brute-force protection."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="auth_attempts")
    application = models.ForeignKey(Application, null=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=16, choices=AuthMethod.choices)
    succeeded = models.BooleanField()
    throttled = models.BooleanField(default=False)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.method} {'ok' if self.succeeded else 'failed'}"
