"""Secure login codes: a one-time 8-digit code a signed-in user types at a printer instead of a badge or PIN.

A code is valid 15 minutes and works once. Only its keyed digest is stored (HMAC-SHA256 of organization id
and code, key derived from SECRET_KEY), so the clear code is shown once, when it is made: each visit of the
Generate Login Code page (and each **Refresh**) makes a new code and voids the user's previous ones.
Redeeming is one conditional UPDATE (`... WHERE used_at IS NULL AND expires_at > now`), so two printers racing
with the same code get one success between them."""
import secrets
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ..models import LoginCode, Organization, User
from ..models.printer_login import LOGIN_CODE_LIFETIME

CODE_DIGITS = 8
KEY_SALT = "lexcloud.accounts.login-code"
_ATTEMPTS = 5  # a fresh random code collides with another live code of the organization once in 10^8


def code_digest(org_id, code: str) -> str:
    return salted_hmac(KEY_SALT, f"{org_id}:{code}", algorithm="sha256").hexdigest()


def normalize_code(code) -> str | None:
    """The digits of a typed code ("1234 5678" and "1234-5678" are accepted), or None if it cannot be one."""
    if code is None:
        return None
    value = str(code).replace(" ", "").replace("-", "")
    if len(value) != CODE_DIGITS or not value.isascii() or not value.isdigit():
        return None
    return value


def issue_login_code(user: User, *, now: datetime | None = None) -> tuple[str, LoginCode]:
    """A new code for `user` (returned in clear, once) valid 15 minutes; the user's previous codes stop working."""
    now = now or timezone.now()
    org_id = user.organization_id
    for attempt in range(_ATTEMPTS):
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        digest = code_digest(org_id, code)
        try:
            with transaction.atomic():
                # one live code per user: the previous ones (used or not) go
                LoginCode.objects.filter(user=user).delete()
                # an expired, never used code of someone else may still hold this digest in the unique index
                LoginCode.objects.filter(organization_id=org_id, digest=digest, used_at__isnull=True,
                                         expires_at__lte=now).delete()
                row = LoginCode.objects.create(user=user, organization_id=org_id, digest=digest, created_at=now,
                                               expires_at=now + LOGIN_CODE_LIFETIME)
        except IntegrityError:  # a live code of another user has the same digits: draw again
            if attempt == _ATTEMPTS - 1:
                raise
            continue
        return code, row
    raise AssertionError("unreachable")


def redeem_login_code(org: Organization, code, *, now: datetime | None = None) -> User | None:
    """The active user of `org` whose unused, unexpired code this is, marking it used; None otherwise
    (unknown, expired, already used, or another organization's code)."""
    value = normalize_code(code)
    if value is None:
        return None
    now = now or timezone.now()
    live = LoginCode.objects.filter(organization=org, digest=code_digest(org.pk, value), used_at__isnull=True,
                                    expires_at__gt=now)
    found = live.values_list("pk", "user_id").first()
    if found is None:
        return None
    pk, user_id = found
    # the conditional UPDATE decides between concurrent redeemers: only one sees a row change
    if not live.filter(pk=pk).update(used_at=now):
        return None
    return User.objects.filter(pk=user_id, organization=org, is_active=True).first()


def live_code(user: User, *, now: datetime | None = None) -> LoginCode | None:
    """The user's current unused, unexpired code row (its digits cannot be shown again)."""
    now = now or timezone.now()
    return LoginCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).first()
