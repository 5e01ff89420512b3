"""Printer login: the organization's Printer Login Configuration and its users' PINs.

PINs are stored only as keyed digests (HMAC-SHA256 of "<organization id>:<PIN>" with a key derived from
SECRET_KEY), unique per organization: a PIN alone may identify its user at a printer. The clear PIN exists
only in the request that sets it and in the e-mail that tells the user. Who may do what follows the guide's
matrix (A §24), with the decisions of docs/decisions/0005-printer-login-and-pins.md.
"""
import hmac
import secrets

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .. import access
from ..choices import ExpirationUnit, LoginMode, PinGeneration, PinSource
from ..models import Organization, PrinterLoginConfiguration, User, UserPin
from ..models.printer_login import EXPIRY_DAYS_MAX, EXPIRY_HOURS_MAX, PIN_LENGTH_MAX, PIN_LENGTH_MIN
from ..roles import Perm

KEY_SALT = "lexcloud.accounts.pin"
FEDERATION_RULE = ("If an authentication provider has been configured, the PIN Generation option must be set to "
                   "Administrator manually set and to Never expire.")
PIN_TAKEN = "This PIN cannot be used. Choose another PIN."
# A user choosing their own PIN learns that a refused one belongs to someone else: few tries per hour.
REFUSALS_PER_HOUR = 5  # "This PIN cannot be used" answers per person typing PINs
CONFIG_FIELDS = ("mode", "badge", "pin", "secure_login", "pin_length", "pin_generation", "pin_expires",
                 "pin_expiration_value", "pin_expiration_unit")
_GENERATE_ATTEMPTS = 50


# --- configuration ---------------------------------------------------------------------------------------

def get_configuration(org: Organization) -> PrinterLoginConfiguration:
    """The organization's configuration; the defaults (Standard + Badge, Administrator manually set, Never
    expires, 4 digits) the first time it is asked for."""
    config, _created = PrinterLoginConfiguration.objects.get_or_create(organization=org)
    return config


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def _int(value, field: str, message: str) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: message}) from None


def validate_configuration(org: Organization, values: dict) -> dict:
    """The normalized field values, or a ValidationError naming each field that is wrong."""
    errors = {}
    v = dict(values)
    if v["mode"] not in LoginMode.values:
        errors["mode"] = "Select Standard authentication or Badge + PIN as second factor."
    v["badge"], v["pin"], v["secure_login"] = _bool(v["badge"]), _bool(v["pin"]), _bool(v["secure_login"])
    if v["mode"] == LoginMode.BADGE_PIN:
        v["badge"] = v["pin"] = True  # both, always; Secure Login stays optional
    elif v["mode"] == LoginMode.STANDARD and not (v["badge"] or v["pin"] or v["secure_login"]):
        errors["mode"] = "Select at least one authentication method: Badge, PIN or Secure Login."
    try:
        v["pin_length"] = _int(v["pin_length"], "pin_length", "The PIN length must be a number from 4 to 12.")
        if not PIN_LENGTH_MIN <= v["pin_length"] <= PIN_LENGTH_MAX:
            errors["pin_length"] = "The PIN length must be from 4 to 12 digits."
    except ValidationError as error:
        errors.update(error.message_dict)
    if v["pin_generation"] not in PinGeneration.values:
        errors["pin_generation"] = "Select a PIN generation option."
    v["pin_expires"] = _bool(v["pin_expires"])
    if v["pin_generation"] == PinGeneration.AUTO_EMAIL or not v["pin_expires"]:
        # "Automatically generate and email": "You cannot set an expiration for the PINs."
        v["pin_expires"], v["pin_expiration_value"], v["pin_expiration_unit"] = False, None, ""
    else:
        unit = v["pin_expiration_unit"]
        if unit not in ExpirationUnit.values:
            errors["pin_expiration_unit"] = "Select hour(s) or day(s)."
        else:
            top = EXPIRY_HOURS_MAX if unit == ExpirationUnit.HOURS else EXPIRY_DAYS_MAX
            message = f"Type a number from 1 to {top} {ExpirationUnit(unit).label}."
            try:
                v["pin_expiration_value"] = _int(v["pin_expiration_value"], "pin_expiration_value", message)
                if not 1 <= v["pin_expiration_value"] <= top:
                    errors["pin_expiration_value"] = message
            except ValidationError as error:
                errors.update(error.message_dict)
    if org.federation_enabled and (v["pin_generation"] != PinGeneration.ADMIN_SET or v["pin_expires"]):
        errors.setdefault("pin_generation", FEDERATION_RULE)
    if errors:
        raise ValidationError(errors)
    return v


@transaction.atomic
def update_configuration(org: Organization, *, by: User | None = None, **fields) -> PrinterLoginConfiguration:
    """Change the configuration (fields not given keep their value); refuses anything invalid as a whole and
    bumps updated_at (the printers' ETag)."""
    unknown = set(fields) - set(CONFIG_FIELDS)
    if unknown:
        raise TypeError(f"unknown printer login fields: {sorted(unknown)}")
    if by is not None and Perm.ORG_MANAGE not in access.effective_permissions(by, org):
        raise PermissionDenied("You do not have the role this operation needs.")
    get_configuration(org)
    config = PrinterLoginConfiguration.objects.select_for_update().get(organization=org)
    values = {name: getattr(config, name) for name in CONFIG_FIELDS}
    values.update(fields)
    for name, value in validate_configuration(org, values).items():
        setattr(config, name, value)
    config.updated_at = timezone.now()
    config.save()
    from .device_auth import forget_configuration  # device logins cache the configuration for a minute

    forget_configuration(org.pk)
    transaction.on_commit(lambda: forget_configuration(org.pk))  # again, in case a login re-cached it meanwhile
    return config


def login_method(config: PrinterLoginConfiguration) -> str:
    """The user page's "Login Method": "Badge + PIN as a second factor", or e.g. "PIN, Badges or Manual"."""
    if config.mode == LoginMode.BADGE_PIN:
        text = "Badge + PIN as a second factor"
        return text + (" or Manual" if config.secure_login else "")
    names = [name for name, on in (("PIN", config.pin), ("Badges", config.badge), ("Manual", config.secure_login))
             if on]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else (names[0] if names else "None")


# --- PINs ------------------------------------------------------------------------------------------------

def pin_digest(org: Organization, pin: str) -> str:
    org_id = org.pk if isinstance(org, Organization) else org
    return salted_hmac(KEY_SALT, f"{org_id}:{pin}", algorithm="sha256").hexdigest()


def pin_rule(config: PrinterLoginConfiguration) -> str:
    return f"PIN must be of {config.pin_length} characters long numeric"


def validate_pin(config: PrinterLoginConfiguration, pin) -> str:
    pin = "" if pin is None else str(pin)
    if not (pin.isascii() and pin.isdigit() and len(pin) == config.pin_length):
        raise ValidationError({"pin": f"{pin_rule(config)}."})
    return pin


def _check_authority(by: User | None, user: User) -> None:
    """An administrator acting on someone else needs PINs management and no less authority than them."""
    if by is None or by.pk == user.pk:
        return
    if Perm.PINS_MANAGE not in access.effective_permissions(by, user.organization):
        raise PermissionDenied("You do not have the role this operation needs.")
    access.check_may_manage_users(by, user.organization, [user.pk])


def _count_refusal(actor: User) -> None:
    key = f"pin-refusals:{actor.pk}"
    try:
        if not cache.add(key, 1, 3600):
            cache.incr(key)
    except Exception:  # noqa: BLE001 - a cache outage only loses the counter
        pass


def _too_many_refusals(actor: User) -> bool:
    """"This PIN cannot be used" tells that some user has that PIN: whoever types PINs (a user for
    themselves, an administrator on a page, an API or an import) gets that answer a few times an hour, then
    the same refusal for every PIN, free or taken, so PINs cannot be mapped out."""
    try:
        return (cache.get(f"pin-refusals:{actor.pk}") or 0) >= REFUSALS_PER_HOUR
    except Exception:  # noqa: BLE001
        return False


def _store(user: User, digest: str, source: str, config: PrinterLoginConfiguration) -> UserPin | None:
    """Save the user's PIN digest; None when another user of the organization holds that digest."""
    org_id = user.organization_id
    if UserPin.objects.filter(organization_id=org_id, digest=digest).exclude(user=user).exists():
        return None
    now = timezone.now()
    lifetime = config.pin_lifetime
    values = {"organization_id": org_id, "digest": digest, "source": source, "created_at": now,
              "expires_at": now + lifetime if lifetime else None}
    try:
        with transaction.atomic():
            pin, _created = UserPin.objects.update_or_create(user=user, defaults=values)
    except IntegrityError:  # a concurrent request took the same PIN first
        return None
    return pin


def _mail(user: User, template: str, context: dict) -> None:
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}.txt", {"user": user, **context})
    transaction.on_commit(lambda: EmailMessage(subject=subject, body=body, to=[user.email]).send())


@transaction.atomic
def set_pin(user: User, pin, *, by: User | None = None, source: str = PinSource.ADMIN,
            notify: bool = True) -> UserPin:
    """Set (or reset) the user's PIN to a typed value.

    - source USER: the user's own PIN, only under "User set" (`by` is the user or None); e-mails a notice
      without the PIN.
    - source ADMIN / IMPORT: an administrator (`by`, authority checked) under "Administrator manually set" or
      "User set" (decision 0005); the PIN is e-mailed to the user.
    - source IDP: a PIN from the identity provider's claims (no e-mail).
    Under "Automatically generate and email" typed PINs are refused: use generate_pin."""
    config = get_configuration(user.organization)
    if source == PinSource.USER:
        if by is not None and by.pk != user.pk:
            raise PermissionDenied("Only the user sets their own PIN.")
        if config.pin_generation != PinGeneration.USER_SET:
            raise ValidationError({"pin": "Check e-mail or contact admin for your PIN."
                                   if config.pin_generation == PinGeneration.ADMIN_SET
                                   else "Your PIN is generated and e-mailed to you: use Set PIN or Reset PIN."})
    elif source in (PinSource.ADMIN, PinSource.IMPORT):
        _check_authority(by, user)
        if config.pin_generation == PinGeneration.AUTO_EMAIL:
            raise ValidationError({"pin": "PINs are generated automatically and e-mailed to the users "
                                          "(Automatically generate and email)."})
    elif source != PinSource.IDP:
        raise ValueError(f"set_pin does not take source {source!r}; use generate_pin")
    actor = (by or user) if source == PinSource.USER else by
    if actor is not None and _too_many_refusals(actor):
        raise ValidationError({"pin": "Too many refused PINs. Try again in an hour."})
    pin = validate_pin(config, pin)
    stored = _store(user, pin_digest(user.organization, pin), source, config)
    if stored is None:
        if actor is not None:
            _count_refusal(actor)
        raise ValidationError({"pin": PIN_TAKEN})
    if notify and source == PinSource.USER:
        _mail(user, "pin_changed", {"pin_record": stored})
    elif notify and source in (PinSource.ADMIN, PinSource.IMPORT):
        _mail(user, "pin_new", {"pin": pin, "pin_record": stored})
    return stored


@transaction.atomic
def generate_pin(user: User, *, by: User | None = None) -> UserPin:
    """A random PIN of the configured length, e-mailed to the user and never shown.

    The user for themselves (`by` = the user) only under "Automatically generate and email"; an
    administrator (authority checked) or the operator (`by` None) under any option."""
    config = get_configuration(user.organization)
    if by is not None and by.pk == user.pk:
        if config.pin_generation != PinGeneration.AUTO_EMAIL:
            raise ValidationError({"pin": "Check e-mail or contact admin for your PIN."
                                   if config.pin_generation == PinGeneration.ADMIN_SET
                                   else "Type the PIN you want, then click Generate PIN."})
    else:
        _check_authority(by, user)
    for _attempt in range(_GENERATE_ATTEMPTS):
        pin = "".join(secrets.choice("0123456789") for _ in range(config.pin_length))
        stored = _store(user, pin_digest(user.organization, pin), PinSource.SYSTEM, config)
        if stored is not None:
            _mail(user, "pin_new", {"pin": pin, "pin_record": stored})
            return stored
    raise ValidationError({"pin": "No free PIN of this length is left: ask an Organization Administrator to "
                                  "make PINs longer."})


@transaction.atomic
def delete_pins(org: Organization, user_ids, *, by: User | None = None) -> int:
    ids = set(user_ids)
    if by is not None and ids - {by.pk}:
        if Perm.PINS_MANAGE not in access.effective_permissions(by, org):
            raise PermissionDenied("You do not have the role this operation needs.")
        access.check_may_manage_users(by, org, ids - {by.pk})
    deleted, _detail = UserPin.objects.filter(organization=org, user_id__in=ids).delete()
    return deleted


_DUMMY = "0" * 64


def find_user_by_pin(org: Organization, pin) -> User | None:
    """The active user whose valid (unexpired) PIN this is, or None. The lookup is by keyed digest (the
    index reveals nothing about the PIN) and the final comparison is constant time."""
    pin = "" if pin is None else str(pin)
    digest = pin_digest(org, pin)
    well_formed = pin.isascii() and pin.isdigit() and PIN_LENGTH_MIN <= len(pin) <= PIN_LENGTH_MAX
    record = None
    if well_formed:
        record = (UserPin.objects.filter(organization=org, digest=digest, user__is_active=True,
                                         user__organization=org)
                  .select_related("user", "user__organization").first())
    matches = hmac.compare_digest(record.digest if record else _DUMMY, digest)
    if record is None or not matches or not record.is_valid():
        return None
    return record.user


def check_user_pin(user: User, pin) -> bool:
    """Badge + PIN: is this the user's valid PIN? Constant-time comparison."""
    pin = "" if pin is None else str(pin)
    digest = pin_digest(user.organization_id, pin)
    record = UserPin.objects.filter(user=user, organization_id=user.organization_id).first()
    matches = hmac.compare_digest(record.digest if record else _DUMMY, digest)
    return bool(record is not None and matches and record.is_valid() and user.is_active)


# --- what the pages show -----------------------------------------------------------------------------------

def pin_actions(config: PrinterLoginConfiguration, *, has_pin: bool, self_service: bool) -> dict:
    """What a page offers: `set` ("Set PIN"/"Reset PIN" label or ""), `typed` (a PIN is typed, not generated)
    and `notice` (text instead of the button)."""
    label = "Reset PIN" if has_pin else "Set PIN"
    generation = config.pin_generation
    if self_service:
        if generation == PinGeneration.ADMIN_SET:
            return {"set": "", "typed": False, "notice": "Check e-mail or contact admin for your PIN"}
        return {"set": label, "typed": generation == PinGeneration.USER_SET, "notice": ""}
    return {"set": label, "typed": generation != PinGeneration.AUTO_EMAIL, "notice": ""}
