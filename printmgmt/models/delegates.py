"""Delegates: "A delegate is a user who is allowed to print jobs by another user" (E §1.8)."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet


class DelegateQuerySet(OrgScopedQuerySet):
    def active(self, at=None):
        """Delegations in force: never expiring, or not yet expired."""
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at or timezone.now()))


class Delegate(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="print_delegates")
    delegator = models.ForeignKey(User, on_delete=models.CASCADE, related_name="print_delegates")
    delegate = models.ForeignKey(User, on_delete=models.CASCADE, related_name="print_delegations")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)   # null: "Never expires"
    expiry_notified = models.BooleanField(default=False)

    objects = DelegateQuerySet.as_manager()

    class Meta:
        ordering = ["delegate__email"]
        constraints = [models.UniqueConstraint(fields=["delegator", "delegate"], name="print_delegate_unique"),
                       models.CheckConstraint(condition=~Q(delegator=models.F("delegate")),
                                              name="print_delegate_not_self")]
        indexes = [models.Index(fields=["delegate", "expires_at"], name="print_delegate_lookup")]

    def __str__(self):
        return f"{self.delegate_id} prints for {self.delegator_id}"

    def is_active(self, at=None) -> bool:
        return self.expires_at is None or self.expires_at > (at or timezone.now())
