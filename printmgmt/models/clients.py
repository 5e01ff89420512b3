"""Submissions that do not come from a signed-in portal user:

- PrintToken: a per-user secret for print clients and the IPP print service (/ipp/print), which take it in
  place of the user's password. Only its SHA-256 digest is stored.
- ClientSubmission: a document a print client (the LPMC's role) sent before its user authenticated. "If you
  cannot authenticate within three minutes, then the session expires and the submitted job gets deleted":
  the row waits until `deadline`; authentication turns it into a job through the one submission service.
- GuestSender: a guest of e-mail submission, known only by a keyed one-way hash of its address, with the
  guest user whose queue and PIN its later e-mails reuse (2025 guide: kept 14 days after the last job)."""
import uuid

from django.db import models
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet


class PrintToken(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="print_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)      # sha256 hex of the secret
    prefix = models.CharField(max_length=12)                    # shown to tell tokens apart
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


def _pending_path(instance, filename):
    return f"print/{instance.organization_id}/pending/{uuid.uuid4().hex}"


class ClientSubmission(models.Model):
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey("accounts.Application", null=True, on_delete=models.SET_NULL, related_name="+")
    file = models.FileField(upload_to=_pending_path, max_length=255)
    file_name = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(db_index=True)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return f"{self.file_name} (until {self.deadline:%H:%M:%S})"


class GuestSender(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    address_digest = models.CharField(max_length=64)           # HMAC-SHA256 of the lower-cased address
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="guest_sender")
    pin_sealed = models.TextField(blank=True)                  # the current PIN, encrypted (to send it again)
    created_at = models.DateTimeField(default=timezone.now)
    last_job_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "address_digest"],
                                               name="guest_sender_unique")]

    def __str__(self):
        return f"guest {self.user_id}"
