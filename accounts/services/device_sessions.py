"""Short-lived user sessions at a printer: after a user authenticates at the device API, the printer holds a
signed session token for the release and scan calls of that user.

The token is signed (django.core.signing, salt "device-session", SECRET_KEY) and binds the user and the
application (printer) it was issued to; it is valid for SESSION_LIFETIME seconds and only presented together
with that application's own access token. Nothing is stored: a token cannot be revoked before it expires,
but a deactivated or moved user, or a revoked application, is refused at once."""
from dataclasses import dataclass

from django.core import signing

from ..models import User

SALT = "device-session"
SESSION_LIFETIME = 15 * 60  # seconds


def issue_session(user, application, method: str = "") -> tuple[str, int]:
    """A session token for `user` at `application`'s printer; `method` (badge, pin, code...) is how the user
    logged in, which some printer apps restrict (Cloud Print Release: PIN or secure login code only)."""
    token = signing.dumps({"u": user.pk, "a": application.pk, "o": str(application.organization_id),
                           "m": str(method)}, salt=SALT)
    return token, SESSION_LIFETIME


@dataclass(frozen=True)
class DeviceSession:
    user: User
    method: str   # how the user logged in at the printer ("" for tokens issued before methods were recorded)


def session_for(token, application) -> DeviceSession | None:
    """The session of a token issued to this application, while it is valid; otherwise None."""
    if not token or not isinstance(token, str):
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=SESSION_LIFETIME)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("a") != application.pk or data.get("o") != str(application.organization_id):
        return None
    if getattr(application, "revoked_at", None) is not None:
        return None
    user = (User.objects.select_related("organization")
            .filter(pk=data.get("u"), organization_id=application.organization_id, is_active=True).first())
    return DeviceSession(user, str(data.get("m", ""))) if user is not None else None


def user_for_session(token, application) -> User | None:
    """The user of a session token issued to this application, while it is valid; otherwise None."""
    session = session_for(token, application)
    return session.user if session is not None else None
