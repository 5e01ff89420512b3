"""Secrets at rest (identity providers' client secrets, our SAML private keys): Fernet tokens keyed from the
environment.

`FIELD_ENCRYPTION_KEYS` holds one or more Fernet keys (comma-separated, newest first): values are written
with the first and read with any, so a key is rotated by prepending a new one and re-saving
(`manage.py rotate_secrets`). Without it, a key is derived from SECRET_KEY (HKDF), which also comes from the
environment; production sets its own."""
import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"lexcloud-field-encryption", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    try:
        fernets = [Fernet(key.encode()) for key in keys] or [Fernet(_derived_key(secret_key))]
    except ValueError as error:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: not a Fernet key ({error})") from None
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured("a stored secret cannot be decrypted with FIELD_ENCRYPTION_KEYS "
                                   "(was the key changed without keeping the old one?)") from None


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python code sees the clear value. Not searchable."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
