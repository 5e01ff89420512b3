"""Sign-in and password-reset forms: sign-in refuses after too many failures (per e-mail and client
address), and password reset also reaches users who never set a password (created with "E-mail a link to
change the password" whose link expired): Django's form skips unusable passwords."""
import hashlib

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache
from django.core.exceptions import ValidationError

from .models import User

TOO_MANY = "Too many failed sign-in attempts. Try again in 15 minutes."


class SignInForm(AuthenticationForm):
    def _key(self) -> str:
        email = (self.data.get("username") or "").strip().lower()
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        return "login-failures:" + hashlib.sha256(f"{email}|{address}".encode()).hexdigest()

    def clean(self):
        key = self._key()
        if cache.get(key, 0) >= settings.LOGIN_FAILURE_LIMIT:
            raise ValidationError(TOO_MANY, code="throttled")
        try:
            return super().clean()
        except ValidationError:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW)
            raise


class ResetForm(PasswordResetForm):
    def get_users(self, email):
        return User.objects.filter(email=email.strip().lower(), is_active=True)
