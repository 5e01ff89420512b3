"""Print tokens: a per-user secret that print clients and the IPP print service (/ipp/print) take in place of
the user's password. A computer that prints keeps its secret in its printer settings, so the secret must not
be the user's password (users of an organization signing in through an identity provider have none here),
and one lost computer is dealt with by revoking its token alone.

Only the SHA-256 digest of a token is stored (it is 256 random bits, so a plain digest is enough and a lookup
by digest is one indexed query); the clear secret exists only in the return value of `create_token`."""
import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from ..models import PrintToken
from .rights import may_print

TOKEN_PREFIX = "lxp_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 6            # what the page shows to tell tokens apart
NAME_MAX = PrintToken._meta.get_field("name").max_length
MAX_TOKENS_PER_USER = 20
LAST_USED_PRECISION = timedelta(minutes=1)       # one write per minute at most for a token printing often


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def looks_like_token(secret: str) -> bool:
    return secret.startswith(TOKEN_PREFIX) and len(secret) > PREFIX_LENGTH


def may_hold_tokens(user) -> bool:
    """Active, not a guest, a print user of their own organization (where their IPP jobs go)."""
    return not user.is_guest and may_print(user, user.organization)


def tokens_of(user):
    return PrintToken.objects.filter(user=user, organization_id=user.organization_id).order_by("-created_at")


@transaction.atomic
def create_token(user, name: str) -> tuple[PrintToken, str]:
    """A new token of `user` named `name` (what computer it is for); returns it and the secret in clear."""
    if not may_hold_tokens(user):
        raise PermissionDenied("Print tokens are for active print users of the organization.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Type a name for the token, such as the computer it is for."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"The name can have at most {NAME_MAX} characters."})
    User.objects.select_for_update().filter(pk=user.pk).first()   # one creation at a time per user: the cap holds
    if tokens_of(user).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError({"name": f"You already have {MAX_TOKENS_PER_USER} print tokens: revoke one you no "
                                       "longer use first."})
    if tokens_of(user).filter(name__iexact=name).exists():
        raise ValidationError({"name": "You already have a print token with this name."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PrintToken.objects.create(organization_id=user.organization_id, user=user, name=name,
                                      digest=digest(secret), prefix=secret[:PREFIX_LENGTH])
    return token, secret


def revoke_tokens(user, token_ids) -> int:
    """Revoke (delete) some of `user`'s own tokens; ids of other users' tokens are ignored."""
    deleted, _detail = tokens_of(user).filter(pk__in=list(token_ids)).delete()
    return deleted


def authenticate(secret: str) -> User | None:
    """The user a token belongs to, if the token exists and the user may still print; notes its use."""
    if not secret or not looks_like_token(secret):
        return None
    token = (PrintToken.objects.select_related("user__organization").filter(digest=digest(secret)).first())
    if token is None or token.user.organization_id != token.organization_id or not may_hold_tokens(token.user):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        PrintToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
