"""Who sends an IPP request: HTTP Basic (the user's e-mail and password, or any user name and a print token as
the password) or `Authorization: Bearer <print token>`. Print clients (CUPS, macOS, Windows) know HTTP Basic
and keep the credentials with the printer; a token spares them the user's password and works for users whose
organization signs in through an identity provider (they have no password here).

Passwords go through the sign-in form, so failures count against the same per-address and per-account
limits as the sign-in page."""
import base64
import binascii
from dataclasses import dataclass

from accounts.forms_auth import SignInForm

from ..services import print_tokens

REALM = 'Basic realm="lexcloud print"'


@dataclass(frozen=True)
class Credentials:
    scheme: str          # "basic" | "bearer"
    username: str
    secret: str


def credentials_of(request) -> Credentials | None:
    """The credentials in the Authorization header, None without one; ValueError when it is malformed."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    if not header:
        return None
    scheme, _space, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer" and value:
        return Credentials("bearer", "", value)
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("malformed Basic credentials") from None
        username, colon, secret = decoded.partition(":")
        if colon:
            return Credentials("basic", username.strip(), secret)
    raise ValueError("unsupported Authorization header")


def authenticate(request, credentials: Credentials):
    """The user the credentials name, else None. A token names only users who may print; a password names
    any active user (the caller answers not-authorized to those who may not print)."""
    user = print_tokens.authenticate(credentials.secret)
    if user is not None:
        return user
    if credentials.scheme != "basic" or not credentials.username or print_tokens.looks_like_token(credentials.secret):
        return None
    form = SignInForm(request, data={"username": credentials.username, "password": credentials.secret})
    if not form.is_valid():
        return None
    return form.get_user()
