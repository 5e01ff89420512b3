"""Badges: register (an administrator for any user of the organization, a user for their own badge), delete,
look up at the printer, and the e-mailed single-use badge registration link (spec A §22-§23, C §19).

Rules: a badge ID is unique in its organization (the message never says whose it is); temporary badges expire
24 hours after registration (models.TEMPORARY_BADGE_LIFETIME) and an expired badge frees its ID; acting
administrators (`by`) may not act on users above them (docs/decisions/0004). The CSV/TXT import lives in
services.badge_import (import_badges is re-exported here, as the contract names it)."""
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .. import access
from ..models import Badge, BadgeRegistration, Organization, User
from ..models.printer_login import TEMPORARY_BADGE_LIFETIME

BADGE_ID_MAX = Badge._meta.get_field("badge_id").max_length
DESCRIPTION_MAX = Badge._meta.get_field("description").max_length
REGISTRATION_LIFETIME = TEMPORARY_BADGE_LIFETIME  # "expires in 24 hours"

ALREADY_REGISTERED = "This badge ID is already registered."
USER_NOT_IN_ORGANIZATION = "The user's email address must already exist in the organization."
LINK_INVALID = "This badge registration link is not valid."
LINK_USED = "This badge registration link was already used."
LINK_EXPIRED = "This badge registration link has expired. Tap your badge at the printer to request a new one."

_TOKEN_SALT = "lexcloud.accounts.badge-registration"


# --- values ---------------------------------------------------------------------------------------------

def clean_badge_id(badge_id) -> str:
    value = str(badge_id or "").strip()
    if not value:
        raise ValidationError({"badge_id": "Type a badge ID."})
    if len(value) > BADGE_ID_MAX:
        raise ValidationError({"badge_id": f"The badge ID can have at most {BADGE_ID_MAX} characters."})
    if any(ord(c) < 32 for c in value):
        raise ValidationError({"badge_id": "The badge ID cannot contain control characters."})
    return value


def mask_badge_id(badge_id: str) -> str:
    """••••1a: the last two characters only (the list hides badge IDs unless "Show badge ID" is ticked)."""
    return "••••" + badge_id[-2:] if len(badge_id) > 2 else "••••"


def user_in_organization(org: Organization, email: str) -> User:
    """The active or inactive user of `org` with this e-mail address, or ValidationError on "email"."""
    email = (email or "").strip().lower()
    user = User.objects.filter(organization=org, email=email).first() if email else None
    if user is None:
        raise ValidationError({"email": USER_NOT_IN_ORGANIZATION})
    return user


def valid_badges():
    """Badges still valid now: permanent ones and temporary ones within their 24 hours."""
    return Badge.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


# --- verbs ----------------------------------------------------------------------------------------------

@transaction.atomic
def register_badge(user: User, badge_id: str, *, description: str = "", temporary: bool = False,
                   by: User | None = None) -> Badge:
    """Register a badge for `user` in the user's organization. `by` is the acting administrator (or the user
    themselves on My Account); None is the operator or the printer's own registration flow."""
    org = user.organization
    badge_id = clean_badge_id(badge_id)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError({"description": f"The badge description can have at most {DESCRIPTION_MAX} characters."})
    if by is not None and by.pk != user.pk:
        access.check_may_manage_users(by, org, [user.pk], field="email")
    now = timezone.now()
    # an expired temporary badge no longer holds its ID
    Badge.objects.filter(organization=org, badge_id=badge_id, expires_at__lte=now).delete()
    if Badge.objects.filter(organization=org, badge_id=badge_id).exists():
        raise ValidationError({"badge_id": ALREADY_REGISTERED})
    try:
        with transaction.atomic():
            return Badge.objects.create(
                organization=org, user=user, badge_id=badge_id, description=description, temporary=bool(temporary),
                registered_at=now, expires_at=now + TEMPORARY_BADGE_LIFETIME if temporary else None)
    except IntegrityError:  # registered by a concurrent request
        raise ValidationError({"badge_id": ALREADY_REGISTERED}) from None


def register_badge_for_email(org: Organization, email: str, badge_id: str, *, description: str = "",
                             temporary: bool = False, by: User | None = None) -> Badge:
    """**Register Badge** on Manage Badge/PIN: the user is named by e-mail and must exist in `org`."""
    return register_badge(user_in_organization(org, email), badge_id, description=description,
                          temporary=temporary, by=by)


@transaction.atomic
def delete_badges(org: Organization, badge_pks, *, by: User | None = None, user: User | None = None) -> int:
    """Delete badges of `org` by id (others' ids are ignored); with `user`, only that user's badges (My
    Account). Refused as a whole if one belongs to a user above `by`."""
    badges = Badge.objects.filter(organization=org, pk__in=list(badge_pks))
    if user is not None:
        badges = badges.filter(user=user)
    owners = set(badges.values_list("user_id", flat=True))
    if by is not None and owners - {by.pk}:
        access.check_may_manage_users(by, org, owners - {by.pk}, field="badges")
    deleted, _ = badges.delete()
    return deleted


def find_badge(org: Organization, badge_id: str) -> Badge | None:
    """The valid badge with this ID in `org` (with its user), or None: unknown, expired, or the user is
    deactivated."""
    found = lookup_badge(org, badge_id)
    if found is None or not found[1] or not found[0].user.is_active:
        return None
    return found[0]


def lookup_badge(organization, badge_id) -> tuple[Badge, bool] | None:
    """The badge with this ID in the organization, its user loaded, and whether it is valid now (permanent,
    or temporary within its 24 hours); None if the organization has no such badge.

    It tells an expired badge from an unknown one, which the device API answers differently. It is one plain
    SQL query because badge login is every printer's hot path: the ORM form of the same query cost more to
    build than to run (bench/bench_badge_auth.py, like accounts.access._home_assignments)."""
    value = str(badge_id or "").strip()
    if not value or len(value) > BADGE_ID_MAX:
        return None
    quote = connection.ops.quote_name
    badges_table, users_table = quote(Badge._meta.db_table), quote(User._meta.db_table)
    expires = Badge._meta.get_field("expires_at")
    org_id = Badge._meta.get_field("organization").get_db_prep_value(organization.pk, connection)
    now = expires.get_db_prep_value(timezone.now(), connection)
    rows = list(User.objects.raw(
        f"SELECT u.*, b.id AS device_badge_pk, b.temporary AS device_badge_temporary, "
        f"CASE WHEN b.expires_at IS NULL OR b.expires_at > %s THEN 1 ELSE 0 END AS device_badge_valid "
        f"FROM {badges_table} b INNER JOIN {users_table} u ON u.id = b.user_id "
        f"WHERE b.organization_id = %s AND b.badge_id = %s", [now, org_id, value]))
    if not rows:
        return None
    user = rows[0]
    badge = Badge(pk=user.device_badge_pk, organization=organization, user=user, badge_id=value,
                  temporary=bool(user.device_badge_temporary))
    badge._state.adding, badge._state.db = False, user._state.db
    return badge, bool(user.device_badge_valid)



def touch_badge(badge: Badge) -> None:
    """Record a log-in at a printer ("Last Logged In")."""
    badge.last_used_at = timezone.now()
    Badge.objects.filter(pk=badge.pk).update(last_used_at=badge.last_used_at)


def purge_expired_badges(org: Organization | None = None) -> int:
    """Delete temporary badges past their 24 hours (for a periodic task; lists and look-ups skip them anyway)."""
    expired = Badge.objects.filter(expires_at__lte=timezone.now())
    if org is not None:
        expired = expired.filter(organization=org)
    return expired.delete()[0]


def summary(user: User) -> dict:
    """The Printer Login read-outs of a user: Badges Registered, Temporary, Permanent, Last Used, Last
    Registered (valid badges only), in one query."""
    from django.db.models import Count, Max

    data = valid_badges().filter(user=user).aggregate(
        registered=Count("id"), temporary=Count("id", filter=Q(temporary=True)),
        last_used=Max("last_used_at"), last_registered=Max("registered_at"))
    data["permanent"] = data["registered"] - data["temporary"]
    return data


# --- e-mail registration ("E-mail Registration" at the printer) -----------------------------------------

def _token_digest(token: str) -> str:
    return salted_hmac(_TOKEN_SALT, token, algorithm="sha256").hexdigest()


def registration_link(token: str) -> str:
    return settings.BASE_URL.rstrip("/") + reverse("badge-registration", kwargs={"token": token})


@transaction.atomic
def start_email_registration(org: Organization, email: str, badge_id: str) -> BadgeRegistration:
    """Send "Send the registration link to" (e-mail): a single-use link valid 24 hours that registers the
    badge (permanent) for the user of `org` with this address. The clear token exists only in the e-mail
    (and, for the caller's tests, on the returned object as `.token`); the database keeps its digest."""
    user = user_in_organization(org, email)
    if not user.is_active:
        raise ValidationError({"email": USER_NOT_IN_ORGANIZATION})
    badge_id = clean_badge_id(badge_id)
    if valid_badges().filter(organization=org, badge_id=badge_id).exists():
        raise ValidationError({"badge_id": ALREADY_REGISTERED})
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    registration = BadgeRegistration.objects.create(
        organization=org, user=user, badge_id=badge_id, token_digest=_token_digest(token), created_at=now,
        expires_at=now + REGISTRATION_LIFETIME)
    registration.token = token
    link, address = registration_link(token), user.email
    transaction.on_commit(lambda: send_registration_email(address, link))
    return registration


def send_registration_email(email: str, link: str) -> None:
    context = {"email": email, "link": link}
    EmailMessage(subject=render_to_string("accounts/email/badge_registration_subject.txt", context).strip(),
                 body=render_to_string("accounts/email/badge_registration.txt", context), to=[email]).send()


@transaction.atomic
def pending_registration(token: str, *, for_update: bool = False) -> BadgeRegistration:
    """The open registration behind an e-mailed link, or ValidationError with code "invalid", "used" or
    "expired"."""
    token = str(token or "")
    if not token or len(token) > 200:
        raise ValidationError(LINK_INVALID, code="invalid")
    digest = _token_digest(token)
    registrations = BadgeRegistration.objects.select_related("user__organization").filter(token_digest=digest)
    registration = (registrations.select_for_update() if for_update else registrations).first()
    if registration is None or not constant_time_compare(registration.token_digest, digest):
        raise ValidationError(LINK_INVALID, code="invalid")
    if registration.used_at is not None:
        raise ValidationError(LINK_USED, code="used")
    if timezone.now() >= registration.expires_at:
        raise ValidationError(LINK_EXPIRED, code="expired")
    user = registration.user
    if not user.is_active or user.organization_id != registration.organization_id:
        raise ValidationError(LINK_INVALID, code="invalid")
    return registration


@transaction.atomic
def complete_email_registration(token: str, *, user: User | None = None) -> Badge:
    """The user confirmed the link: register the badge (permanent) and mark the link used. With `user` (the
    signed-in person confirming), the link must be theirs: a badge tapped at a printer by someone else must
    not become a way into their account (code "wrong_user"). ValidationError with code "invalid", "used",
    "expired", "wrong_user", or "taken" when the badge ID was registered meanwhile."""
    registration = pending_registration(token, for_update=True)
    if user is not None and user.pk != registration.user_id:
        raise ValidationError("This registration link was sent to another account.", code="wrong_user")
    try:
        badge = register_badge(registration.user, registration.badge_id, temporary=False)
    except ValidationError:
        raise ValidationError(ALREADY_REGISTERED, code="taken") from None
    registration.used_at = timezone.now()
    registration.save(update_fields=["used_at"])
    return badge


def import_badges(org: Organization, content, *, by: User | None = None):
    """The contract's name for services.badge_import.import_badges."""
    from .badge_import import import_badges as run

    return run(org, content, by=by)
