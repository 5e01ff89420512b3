"""Users authenticating at a printer, through the device API (accounts/api/device.py).

The printer is an Application of an organization; everything is looked up in that organization only. Each
attempt passes the brute-force throttle first (accounts/throttle.py: refused before any credential is
looked at), failures take a token from the printer's and the organization's buckets, and every attempt
(succeeded, failed or throttled) leaves an AuthAttempt audit row (method, outcome, reason, application and
the user when known; never the badge, PIN, code or password itself).

Which methods a configuration allows (docs/device-api.md):
- Standard authentication: "badge" if Badge is on, "pin" if PIN is on, and with Secure Login on both the
  one-time login code ("code") and the user's credentials ("password");
- Badge + PIN as second factor: "badge_pin", and with Secure Login "code" and "password".
"""
import hmac
import logging
from dataclasses import dataclass, field

from django.contrib.auth import authenticate as django_authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from .. import throttle
from ..access import effective_roles
from ..choices import AuthMethod, LoginMode, Service
from ..models import AuthAttempt, Badge, BadgeRegistration, PrinterLoginConfiguration, User, UserPin
from ..roles import BY_CODE
from . import device_sessions
from .badges import lookup_badge

log = logging.getLogger(__name__)

# Solutions used at the printer's control panel: their roles travel with the user's session.
PRINTER_SERVICES = frozenset({Service.PRINT, Service.HYBRID_PRINT, Service.DIRECT_PRINT, Service.SCAN, Service.FLEET,
                              Service.TRANSLATION, Service.REDACTION, Service.SOLUTION_CENTER, Service.OCR})
POLL_INTERVAL_SECONDS = 15 * 60  # "polls the cloud ... every 15 minutes"
CONFIG_CACHE_SECONDS = 60
MAX_OPEN_REGISTRATIONS = 3  # e-mailed badge registration links a user may have open at once


class DeviceAuthError(Exception):
    """A refused attempt: `error` is the machine-readable code the API answers with."""

    def __init__(self, error: str, status: int, *, reason: str = "", user=None, retry_after: int | None = None,
                 consume: bool = True):
        super().__init__(error)
        self.error, self.status, self.reason = error, status, reason or error
        self.user, self.retry_after, self.consume = user, retry_after, consume


@dataclass
class DeviceLogin:
    user: User
    roles: list[str]
    session_token: str
    expires_in: int
    badge: Badge | None = field(default=None)


def _services():
    # imported late: helper modules of the same issue (badges, printer_login, login_codes)
    from . import badges, login_codes, printer_login

    return badges, printer_login, login_codes


def get_configuration(organization):
    return _services()[1].get_configuration(organization)


def _config_key(org_id) -> str:
    return f"device-auth:configuration:{org_id}"


def forget_configuration(org_id) -> None:
    """Drop the cached configuration of an organization (printer_login.update_configuration calls it)."""
    try:
        cache.delete(_config_key(org_id))
    except Exception:  # noqa: BLE001 - the cache is an optimisation here
        log.warning("device configuration cache unavailable", exc_info=True)


def configuration_for(application, *, cached=False):
    """The Printer Login Configuration of the application's organization, fetched with the organization in
    one query (every device call needs both); created with its defaults the first time.

    cached=True (the login calls, a printer's hot path) keeps the pair in the Django cache for
    CONFIG_CACHE_SECONDS. Saving the configuration through its service drops it at once; other changes to the
    organization reach logins within that minute. The configuration endpoint always reads the database (ETag)."""
    key = _config_key(application.organization_id)
    if cached:
        try:
            config = cache.get(key)
        except Exception:  # noqa: BLE001 - the cache is an optimisation here
            log.warning("device configuration cache unavailable", exc_info=True)
            config, cached = None, False
        if config is not None:
            application.organization = config.organization
            return config
    config = (PrinterLoginConfiguration.objects.select_related("organization")
              .filter(organization_id=application.organization_id).first())
    if config is None:
        config = get_configuration(application.organization)
    application.organization = config.organization
    if cached:
        try:
            cache.set(key, config, CONFIG_CACHE_SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("device configuration cache unavailable", exc_info=True)
    return config


def allowed_methods(config) -> list[str]:
    if config.mode == LoginMode.BADGE_PIN:
        methods = [AuthMethod.BADGE_PIN]
    else:
        methods = [m for m, on in ((AuthMethod.BADGE, config.badge), (AuthMethod.PIN, config.pin)) if on]
    if config.secure_login:
        methods += [AuthMethod.PASSWORD, AuthMethod.CODE]
    return [str(m) for m in methods]


def badge_allowed(config) -> bool:
    return config.mode == LoginMode.BADGE_PIN or config.badge


def printer_roles(user, organization) -> list[str]:
    entitled = set(organization.entitlements)
    return sorted(code for code in effective_roles(user, organization).all
                  if code in BY_CODE and BY_CODE[code].service in PRINTER_SERVICES and BY_CODE[code].service in entitled)


def audit(application, method, *, succeeded=False, throttled=False, reason="", user=None) -> AuthAttempt:
    return AuthAttempt.objects.create(organization_id=application.organization_id, application=application,
                                      method=method, succeeded=succeeded, throttled=throttled, reason=reason[:64],
                                      user=user if user is not None and user.organization_id == application.organization_id
                                      else None)


def _member(user, organization, reason="invalid_credentials"):
    """A user found by a service must be an active user of the device's organization."""
    if user is None or user.organization_id != organization.pk:
        raise DeviceAuthError("invalid_credentials", 401, reason=reason)
    if not user.is_active:
        raise DeviceAuthError("invalid_credentials", 401, reason="inactive_user", user=user)
    return user


def _badge(organization, badge_id):
    found = lookup_badge(organization, badge_id)
    if found is None:
        raise DeviceAuthError("registration_required", 404, reason="unknown_badge")
    badge, valid = found
    if not valid:
        raise DeviceAuthError("expired", 401, reason="expired_badge", user=badge.user)
    _member(badge.user, organization)
    return badge


def _expired_pin(organization, pin, user=None):
    """The PIN matches a PIN that has expired (of this user, or of anyone in the organization)."""
    printer_login = _services()[1]
    digest = printer_login.pin_digest(organization, pin)
    rows = UserPin.objects.filter(organization=organization, expires_at__lte=timezone.now())
    rows = rows.filter(user=user) if user is not None else rows.filter(digest=digest)
    row = rows.select_related("user").first()
    if row is not None and hmac.compare_digest(row.digest, digest):
        return row.user
    return None


def _verify(application, organization, method, *, badge, pin, email, password, code, request):
    """The user these credentials identify, or DeviceAuthError. Returns (user, badge or None)."""
    badges, printer_login, login_codes = _services()
    if method == AuthMethod.BADGE:
        found = _badge(organization, badge)
        return found.user, found
    if method == AuthMethod.PIN:
        user = printer_login.find_user_by_pin(organization, pin) if pin else None
        if user is None:
            expired = _expired_pin(organization, pin) if pin else None
            if expired is not None:
                raise DeviceAuthError("expired", 401, reason="expired_pin", user=expired)
            raise DeviceAuthError("invalid_credentials", 401, reason="wrong_pin")
        return _member(user, organization), None
    if method == AuthMethod.BADGE_PIN:
        found = _badge(organization, badge)
        if not (pin and printer_login.check_user_pin(found.user, pin)):
            if pin and _expired_pin(organization, pin, user=found.user) is not None:
                raise DeviceAuthError("expired", 401, reason="expired_pin", user=found.user)
            raise DeviceAuthError("invalid_credentials", 401, reason="wrong_pin", user=found.user)
        return found.user, found
    if method == AuthMethod.PASSWORD:
        user = django_authenticate(request, email=(email or "").strip().lower(), password=password or "") \
            if email and password else None
        return _member(user, organization, reason="wrong_password"), None
    if method == AuthMethod.CODE:
        user = login_codes.redeem_login_code(organization, code) if code else None
        return _member(user, organization, reason="wrong_code"), None
    raise DeviceAuthError("method_not_allowed", 403, consume=False)


def _attempt(application, method, verify, *, charge_success=False):
    """Throttle, verify, count the failure, audit: the frame of every credential check. charge_success: the
    attempt costs a token even when it succeeds (requests that send e-mail)."""
    buckets = throttle.device_buckets(application)
    wait = throttle.acquire(buckets)  # taken before the check, given back on success
    if wait:
        audit(application, method, throttled=True, reason="too_many_attempts")
        raise DeviceAuthError("too_many_attempts", 429, retry_after=wait, consume=False)
    try:
        result = verify()
    except DeviceAuthError as exc:
        if not exc.consume:
            throttle.release(buckets)
        audit(application, method, reason=exc.reason, user=exc.user)
        raise
    except Exception:
        throttle.release(buckets)
        raise
    if not charge_success:
        throttle.release(buckets)
    return result


def _login(application, user, method, badge=None, reason="ok") -> DeviceLogin:
    organization = application.organization
    if badge is not None:
        _services()[0].touch_badge(badge)
    audit(application, method, succeeded=True, reason=reason, user=user)
    token, expires_in = device_sessions.issue_session(user, application, method)
    return DeviceLogin(user, printer_roles(user, organization), token, expires_in, badge)


def _relax_commit() -> None:
    """On PostgreSQL, let this transaction's commit return before its WAL reaches the disk: a login's "last
    used" time and audit row may be lost in a crash of the database server within its last fraction of a
    second (never corrupted), and every printer login stops waiting for a disk flush (bench_badge_auth)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def authenticate(application, method, *, badge="", pin="", email="", password="", code="", request=None,
                 config=None) -> DeviceLogin:
    """Authenticate a user at the application's printer by one of the configuration's methods."""
    config = config or configuration_for(application, cached=True)
    organization = application.organization
    if method not in allowed_methods(config):
        if method in AuthMethod.values:
            audit(application, method, reason="method_not_allowed")
        raise DeviceAuthError("method_not_allowed", 403, consume=False)

    def verify():
        # one transaction: a redeemed login code, the badge's last use and the audit row, all or nothing
        with transaction.atomic():
            _relax_commit()
            user, found = _verify(application, organization, method, badge=badge, pin=pin, email=email,
                                  password=password, code=code, request=request)
            return _login(application, user, method, found)

    return _attempt(application, method, verify)


def register_badge_with_credentials(application, badge_id, email, password, *, pin="", request=None,
                                    config=None) -> DeviceLogin:
    """Manual Registration at the printer: the user's e-mail and password register the tapped badge as
    theirs (permanent) and log them in. Under Badge + PIN as second factor the PIN is asked too: the
    registration logs the user in, so it must not be a way around the second factor."""
    config = config or configuration_for(application, cached=True)
    organization = application.organization
    if not badge_allowed(config):
        audit(application, AuthMethod.PASSWORD, reason="method_not_allowed")
        raise DeviceAuthError("method_not_allowed", 403, consume=False)
    badges = _services()[0]

    def verify():
        user, _none = _verify(application, organization, AuthMethod.PASSWORD, badge="", pin="", email=email,
                              password=password, code="", request=request)
        if config.mode == LoginMode.BADGE_PIN and not _services()[1].check_user_pin(user, pin):
            raise DeviceAuthError("invalid_credentials", 401, reason="bad_pin")
        try:
            with transaction.atomic():
                badge = badges.register_badge(user, badge_id)
        except ValidationError:
            audit(application, AuthMethod.PASSWORD, reason="badge_rejected", user=user)
            raise
        return _login(application, user, AuthMethod.PASSWORD, badge, reason="badge_registered")

    return _attempt(application, AuthMethod.PASSWORD, verify)


def request_email_registration(application, badge_id, email, *, config=None) -> None:
    """E-mail Registration at the printer: a single-use link goes to the e-mail address if it belongs to a
    user of the organization. The caller answers the same either way, and every request costs a throttle
    token whether or not the address exists (no probing of addresses, no flood of e-mails); a user has at
    most MAX_OPEN_REGISTRATIONS links open at once."""
    config = config or configuration_for(application, cached=True)
    organization = application.organization
    if not badge_allowed(config):
        audit(application, AuthMethod.BADGE, reason="method_not_allowed")
        raise DeviceAuthError("method_not_allowed", 403, consume=False)
    badges = _services()[0]

    def verify():
        user = User.objects.filter(organization=organization, email=(email or "").strip().lower(),
                                   is_active=True).first()
        if user is None:
            raise DeviceAuthError("accepted", 202, reason="registration_unknown_email")
        open_links = BadgeRegistration.objects.filter(user=user, used_at__isnull=True,
                                                      expires_at__gt=timezone.now()).count()
        if open_links >= MAX_OPEN_REGISTRATIONS:
            audit(application, AuthMethod.BADGE, reason="registration_limit", user=user)
            return
        try:
            badges.start_email_registration(organization, user.email, badge_id)
        except ValidationError as exc:
            log.info("badge e-mail registration refused for user %s: %s", user.pk, exc.messages)
            audit(application, AuthMethod.BADGE, reason="registration_refused", user=user)
            return
        audit(application, AuthMethod.BADGE, succeeded=True, reason="registration_link_sent", user=user)

    _attempt(application, AuthMethod.BADGE, verify, charge_success=True)
