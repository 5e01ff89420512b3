"""Sign-in and password-reset forms: sign-in refuses after too many failures (per e-mail and client
address), and password reset also reaches users who never set a password (created with "E-mail a link to
change the password" whose link expired): Django's form skips unusable passwords."""
import hashlib
import logging

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

from .models import User

log = logging.getLogger(__name__)
TOO_MANY = "Too many failed sign-in attempts. Try again in 15 minutes."
ACCOUNT_FACTOR = 5  # an account accepts five times the per-address limit from all addresses together


def _key(*parts: str) -> str:
    return "login-failures:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


class SignInForm(AuthenticationForm):
    """Failures are counted per e-mail and client address (guessing from one place) and per e-mail alone
    (guessing from many places, with a higher limit). The cache being down does not stop sign-in."""

    def _limits(self) -> list[tuple[str, int]]:
        email = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        limit = settings.LOGIN_FAILURE_LIMIT
        return [(_key(email, address), limit), (_key(email), limit * ACCOUNT_FACTOR)]

    def clean(self):
        limits = self._limits()
        try:
            counts = cache.get_many([key for key, _limit in limits])
        except Exception:  # noqa: BLE001 - a cache outage must not lock everyone out
            log.warning("sign-in throttle: cache unavailable", exc_info=True)
            counts = None
        if counts and any(counts.get(key, 0) >= limit for key, limit in limits):
            raise ValidationError(TOO_MANY, code="throttled")
        try:
            return super().clean()
        except ValidationError:
            if counts is not None:
                self._count_failure([key for key, _limit in limits])
            raise

    @staticmethod
    def _count_failure(keys) -> None:
        try:
            for key in keys:
                if not cache.add(key, 1, settings.LOGIN_FAILURE_WINDOW):
                    cache.incr(key)
        except Exception:  # noqa: BLE001
            log.warning("sign-in throttle: cache unavailable", exc_info=True)


class ResetForm(PasswordResetForm):
    def get_users(self, email):
        return User.objects.filter(email=email.strip().lower(), is_active=True)
