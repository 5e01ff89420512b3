"""Sign-in by e-mail address (case-insensitive) and password, or through the organization's identity
provider (accounts/views/federation.py signs the user in with FederatedBackend once the provider's answer
is verified)."""
from django.contrib.auth.backends import ModelBackend

from .models import User


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        email = (email or username or "").strip().lower()
        if not email or password is None:
            return None
        try:
            user = User.objects.select_related("organization__identity_provider").get(email=email)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle for unknown e-mails
            return None
        # users of an organization with an enabled provider sign in there: "User credentials are not stored in
        # Lexmark Cloud Services" (a password set before federation does not work meanwhile)
        if (user.check_password(password) and self.user_can_authenticate(user)
                and not user.organization.federation_enabled):
            return user
        return None

    def user_can_authenticate(self, user):
        """Guests of e-mail printing (User.is_guest) print with a PIN only: never a portal session."""
        return super().user_can_authenticate(user) and not getattr(user, "is_guest", False)

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("organization").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


class FederatedBackend(EmailBackend):
    """Restores sessions of users signed in through a provider; authenticates nothing by itself."""

    def authenticate(self, request, **credentials):
        return None
