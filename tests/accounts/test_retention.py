"""Daily housekeeping of printer login records (and of used SAML assertion IDs past their expiry)."""
from datetime import timedelta

from django.utils import timezone

from accounts.choices import AuthMethod
from accounts.models import AuthAttempt, Badge, LoginCode, UsedAssertion
from accounts.services import badges, login_codes
from accounts.tasks import purge_printer_login_records


def test_expired_and_aged_records_are_purged_and_live_ones_kept(acme, member, settings):
    kept_badge = badges.register_badge(member, "permanent")
    old_badge = badges.register_badge(member, "temp", temporary=True)
    Badge.objects.filter(pk=old_badge.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    _code, live_code = login_codes.issue_login_code(member)
    LoginCode.objects.create(user=member, organization=acme, digest="x" * 64,
                             expires_at=timezone.now() - timedelta(minutes=1))
    recent = AuthAttempt.objects.create(organization=acme, method=AuthMethod.BADGE, succeeded=True)
    old = AuthAttempt.objects.create(organization=acme, method=AuthMethod.BADGE, succeeded=False)
    AuthAttempt.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=settings.AUTH_AUDIT_RETENTION_DAYS + 1))

    live_assertion = UsedAssertion.objects.create(organization=acme, assertion_id="_live",
                                                  expires_at=timezone.now() + timedelta(minutes=5))
    UsedAssertion.objects.create(organization=acme, assertion_id="_old", expires_at=timezone.now() - timedelta(seconds=1))

    counts = purge_printer_login_records()

    assert counts == {"badges": 1, "login_codes": 1, "badge_registrations": 0, "auth_attempts": 1,
                      "used_assertions": 1}
    assert list(UsedAssertion.objects.values_list("pk", flat=True)) == [live_assertion.pk]
    assert list(Badge.objects.values_list("pk", flat=True)) == [kept_badge.pk]
    assert list(LoginCode.objects.values_list("pk", flat=True)) == [live_code.pk]
    assert list(AuthAttempt.objects.values_list("pk", flat=True)) == [recent.pk]
