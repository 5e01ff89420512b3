"""Printer login: the organization's configuration, badges, PINs and one-time secure login codes.

PINs and login codes are stored as keyed digests (HMAC-SHA256 with a key derived from SECRET_KEY), never in
clear: a digest can be looked up (a PIN alone identifies its user) and compared in constant time, and the
clear value is shown or e-mailed once, when it is made."""
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..choices import ExpirationUnit, LoginMode, PinGeneration, PinSource
from ..querysets import OrgScopedQuerySet
from .organizations import Organization, User

PIN_LENGTH_MIN, PIN_LENGTH_MAX = 4, 12
EXPIRY_HOURS_MAX, EXPIRY_DAYS_MAX = 48, 180
TEMPORARY_BADGE_LIFETIME = timedelta(hours=24)
LOGIN_CODE_LIFETIME = timedelta(minutes=15)


class PrinterLoginConfiguration(models.Model):
    """"Defines the user authentication modes allowed at printers"; one per organization, polled by the
    printers every 15 minutes."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="printer_login")
    mode = models.CharField(max_length=16, choices=LoginMode.choices, default=LoginMode.STANDARD)
    badge = models.BooleanField(default=True)
    pin = models.BooleanField(default=False)
    secure_login = models.BooleanField(default=False)
    pin_length = models.PositiveSmallIntegerField(default=4)
    pin_generation = models.CharField(max_length=16, choices=PinGeneration.choices, default=PinGeneration.ADMIN_SET)
    pin_expires = models.BooleanField(default=False)  # False: "Never expires" (the default)
    pin_expiration_value = models.PositiveSmallIntegerField(null=True, blank=True)
    pin_expiration_unit = models.CharField(max_length=8, choices=ExpirationUnit.choices, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return f"Printer login of {self.organization}"

    @property
    def pin_lifetime(self) -> timedelta | None:
        if not self.pin_expires or not self.pin_expiration_value:
            return None
        if self.pin_expiration_unit == ExpirationUnit.HOURS:
            return timedelta(hours=self.pin_expiration_value)
        return timedelta(days=self.pin_expiration_value)


class Badge(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="badges")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="badges")
    badge_id = models.CharField(max_length=128)
    description = models.CharField(max_length=255, blank=True)
    temporary = models.BooleanField(default=False)
    registered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)  # temporary badges: registered_at + 24 hours
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-registered_at", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "badge_id"], name="badge_unique_in_org")]

    def __str__(self):
        return f"badge of {self.user_id}"

    def is_valid(self, at=None) -> bool:
        return self.expires_at is None or (at or timezone.now()) < self.expires_at


class UserPin(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="pin")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pins")
    digest = models.CharField(max_length=64)  # HMAC-SHA256(key, organization id + PIN), hex
    source = models.CharField(max_length=8, choices=PinSource.choices, default=PinSource.ADMIN)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        # a PIN alone identifies its user at the printer: one user per PIN in an organization
        constraints = [models.UniqueConstraint(fields=["organization", "digest"], name="pin_unique_in_org")]

    def __str__(self):
        return f"PIN of {self.user_id}"

    def is_valid(self, at=None) -> bool:
        return self.expires_at is None or (at or timezone.now()) < self.expires_at


class LoginCode(models.Model):
    """A one-time secure login code: valid 15 minutes, single use; a new one replaces the user's last."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_codes")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="login_codes")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "digest"], condition=Q(used_at__isnull=True),
                                               name="login_code_unique_unused")]
        indexes = [models.Index(fields=["organization", "digest"], name="login_code_lookup")]

    def __str__(self):
        return f"login code of {self.user_id}"

    def is_valid(self, at=None) -> bool:
        return self.used_at is None and (at or timezone.now()) < self.expires_at


class BadgeRegistration(models.Model):
    """An e-mailed, single-use badge registration link started at a printer ("E-mail Registration")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="badge_registrations")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="badge_registrations")
    badge_id = models.CharField(max_length=128)
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return f"badge registration for {self.user_id}"
