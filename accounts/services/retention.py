"""Housekeeping of printer login records: what has expired or aged out is deleted (run daily by beat)."""
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import AuthAttempt, BadgeRegistration, LoginCode
from . import badges, federation


def purge_printer_login_records(now=None) -> dict[str, int]:
    now = now or timezone.now()
    audit_cutoff = now - timedelta(days=settings.AUTH_AUDIT_RETENTION_DAYS)
    return {
        "badges": badges.purge_expired_badges(),
        "login_codes": LoginCode.objects.filter(Q(used_at__isnull=False) | Q(expires_at__lte=now)).delete()[0],
        "badge_registrations": BadgeRegistration.objects.filter(
            Q(used_at__isnull=False) | Q(expires_at__lte=now)).delete()[0],
        "auth_attempts": AuthAttempt.objects.filter(created_at__lt=audit_cutoff).delete()[0],
        "used_assertions": federation.purge_used_assertions(),
    }
