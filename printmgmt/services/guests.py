"""Guest printing by e-mail (E §1.12.3; 2025 guide C7; docs/decisions/0018-guest-and-client-submission.md).

When an organization allows guests ("Allow guests to use e-mail submission") and its printers take PINs, a
sender who is not one of its users becomes a guest: a user of the organization (User.is_guest, the guide's
"unique identifier ... for guest print", a synthetic address that cannot receive mail and no password, so it
never signs in to the portal) holding the Print Management Guest User role and a PIN. The guest is found again
by a keyed one-way hash of the sender's address (GuestSender.address_digest), never by the address itself:
"Lexmark ... does not retain any e-mail-related information". A second e-mail while the PIN is valid goes to
the same queue and gets the same PIN (kept sealed, Fernet, to send it again); the account lives 14 days after
its last job, then a later e-mail starts a new guest.

Validity: a guest's PIN expires after the organization's "PIN expires after" or 14 days, whichever is first;
a guest job expires at min(submission + Print Job Retention, PIN expiry) (TC-P7). A guest job whose rendered
document has more pages than the organization's guest page limit "is not processed at all": the conversion
fails it (printmgmt.services.conversion calls page_limit_exceeded) and the confirmation e-mail says so."""
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings as django_settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import Least
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.choices import PinSource
from accounts.models import User, UserPin
from accounts.services import device_auth, printer_login
from accounts.services import roles as role_services
from accounts.services.users import create_user
from lexcloud import crypto

from ..choices import QUEUED_STATES, GuestAssignment, HistoryResult, JobSource, JobState
from ..models import GuestSender, PrintJob
from .formats import SUPPORTED_LIST
from .jobs import remove_jobs
from .org_settings import get_settings

log = logging.getLogger(__name__)

GUEST_ROLE = "print_management_guest_user"     # "Access to print with email submission only."
GUEST_KEEP = timedelta(days=14)                 # account kept after its last job; also the PIN's longest life
DIGEST_SALT = "lexcloud.printmgmt.guest-sender"
_PIN_ATTEMPTS = 50


@dataclass(frozen=True)
class Guest:
    """A guest ready to receive jobs: its user, its current PIN (clear, for the confirmation only) and when the
    PIN expires; `new_pin` is False when the PIN of an earlier e-mail was reused."""

    sender: GuestSender
    user: User
    pin: str
    pin_expires_at: datetime
    new_pin: bool


# --- who is a guest --------------------------------------------------------------------------------------------

def sender_address(envelope_from: str) -> str:
    """The sender's address, lower-cased, or "" for the null sender (<>, bounces) and anything without a
    domain: those never become guests."""
    address = parseaddr(envelope_from or "")[1].strip().lower()
    local, _, domain = address.rpartition("@")
    return address if local and "." in domain else ""


def address_digest(organization, address: str) -> str:
    """HMAC-SHA256 (key from SECRET_KEY) of "<organization>:<address>": the same sender is a different guest in
    each organization, and the table tells nothing about addresses without the key."""
    return salted_hmac(DIGEST_SALT, f"{organization.pk}:{address.strip().lower()}", algorithm="sha256").hexdigest()


def accepts_guests(organization) -> bool:
    """Guests may print when the setting is on and a PIN alone logs in at the printers (Standard authentication
    with PIN): "PIN authentication must be enabled for guest print submission to work"."""
    if not get_settings(organization).guest_email_submission:
        return False
    return "pin" in device_auth.allowed_methods(printer_login.get_configuration(organization))


def may_be_guest(organization, envelope_from: str) -> bool:
    """At RCPT: a sender who is not an active user of the organization is accepted as a guest when guests are
    allowed, the address is usable, and it is not a (disabled) user of the organization."""
    address = sender_address(envelope_from)
    if not address or not accepts_guests(organization):
        return False
    return not User.objects.filter(organization=organization, email__iexact=address).exists()


# --- the guest and its PIN -------------------------------------------------------------------------------------

def guest_for(organization, address: str, *, now=None) -> Guest:
    """The guest of `address` in `organization` (its queue and valid PIN reused), or a new one. Concurrent
    e-mails of a new sender end with one guest (the unique digest decides)."""
    now = now or timezone.now()
    digest = address_digest(organization, address)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                sender = (GuestSender.objects.select_for_update().select_related("user")
                          .filter(organization=organization, address_digest=digest).first())
                if sender is not None and sender.last_job_at + GUEST_KEEP <= now:
                    _retire([sender])          # idle 14 days: the purge had not come by yet
                    sender = None
                if sender is None:
                    sender = GuestSender.objects.create(organization=organization, address_digest=digest,
                                                        user=_new_guest_user(organization), created_at=now,
                                                        last_job_at=now)
                _assign(sender.user, organization)
                pin, expires_at, new_pin = _ensure_pin(sender, now)
                return Guest(sender, sender.user, pin, expires_at, new_pin)
        except IntegrityError:   # a concurrent first e-mail of the same sender created the guest
            continue
    raise RuntimeError("guest_for: the guest could not be created")


def _new_guest_user(organization) -> User:
    tag = secrets.token_hex(6)
    user = create_user(organization, f"guest-{tag}@guest.{organization.pk}.invalid", password=None,
                       send_password_link=False, display_name=f"Guest {tag}", first_name="Guest")
    User.objects.filter(pk=user.pk).update(is_guest=True)
    user.is_guest = True
    role_services.assign_user_roles(user, [GUEST_ROLE])
    return user


def _assign(user: User, organization) -> None:
    """Cost center or department of the organization's guest setting (followed when it changes)."""
    row = get_settings(organization)
    cost_center = row.guest_cost_center.strip() if row.guest_assignment == GuestAssignment.COST_CENTER else ""
    department = row.guest_department.strip() if row.guest_assignment == GuestAssignment.DEPARTMENT else ""
    if (user.cost_center, user.department) != (cost_center, department):
        user.cost_center, user.department = cost_center, department
        user.save(update_fields=["cost_center", "department"])


def pin_lifetime(organization) -> timedelta:
    """The organization's "PIN expires after", or 14 days, whichever is shorter."""
    lifetime = printer_login.get_configuration(organization).pin_lifetime
    return min(lifetime, GUEST_KEEP) if lifetime else GUEST_KEEP


def _ensure_pin(sender: GuestSender, now) -> tuple[str, datetime, bool]:
    """(PIN, expiry, issued now?): the sealed PIN while its UserPin is valid, else a new random PIN of the
    organization's length, unique in the organization like every PIN."""
    user, organization = sender.user, sender.organization
    record = UserPin.objects.filter(user=user).first()
    if record is not None and record.is_valid(now) and sender.pin_sealed:
        try:
            return crypto.decrypt(sender.pin_sealed), record.expires_at, False
        except Exception:   # noqa: BLE001 - sealed with a key no longer configured: issue a new PIN
            log.warning("guest %s: the sealed PIN cannot be read; issuing a new one", user.pk)
    config = printer_login.get_configuration(organization)
    expires_at = now + pin_lifetime(organization)
    for _attempt in range(_PIN_ATTEMPTS):
        pin = "".join(secrets.choice("0123456789") for _ in range(config.pin_length))
        digest = printer_login.pin_digest(organization, pin)
        if UserPin.objects.filter(organization=organization, digest=digest).exclude(user=user).exists():
            continue
        try:
            with transaction.atomic():
                UserPin.objects.update_or_create(user=user, defaults={
                    "organization": organization, "digest": digest, "source": PinSource.SYSTEM,
                    "created_at": now, "expires_at": expires_at})
        except IntegrityError:   # taken meanwhile by someone else
            continue
        sender.pin_sealed = crypto.encrypt(pin)
        sender.save(update_fields=["pin_sealed"])
        return pin, expires_at, True
    raise RuntimeError("no free PIN of the organization's length is left for a guest")


# --- guest jobs ------------------------------------------------------------------------------------------------

def record_jobs(guest: Guest, jobs: list[PrintJob], *, now=None) -> None:
    """After submit_job: each job valid until min(retention, PIN expiry), and the guest's last job now."""
    now = now or timezone.now()
    for job in jobs:
        job.expires_at = min(job.expires_at, guest.pin_expires_at)
        PrintJob.objects.filter(pk=job.pk).update(expires_at=job.expires_at)
    if jobs:
        GuestSender.objects.filter(pk=guest.sender.pk).update(last_job_at=now)


def refresh_expiry(organization) -> int:
    """Print Job Retention changed: queued guest jobs expire at min(submission + retention, their owner's PIN
    expiry) again (org_settings leaves them to this service)."""
    retention = get_settings(organization).retention
    by_retention = ExpressionWrapper(F("submitted_at") + retention, output_field=DateTimeField())
    pin_expiry = Subquery(UserPin.objects.filter(user_id=OuterRef("owner_id")).values("expires_at")[:1])
    return (PrintJob.objects.filter(organization=organization, source=JobSource.GUEST, owner__pin__isnull=False)
            .update(expires_at=Least(by_retention, pin_expiry)))


def page_limit_exceeded(job: PrintJob, pages: int) -> str:
    """The conversion's question for a rendered job: "" when it may be held, else why it is not processed
    (a guest job over the organization's guest page limit)."""
    if job.source != JobSource.GUEST:
        return ""
    row = get_settings(job.organization)
    if row.guest_page_limit_enabled and row.guest_page_limit and pages > row.guest_page_limit:
        return (f"The document has {pages} pages: guests may print documents of at most {row.guest_page_limit} "
                "pages, so it was not processed.")
    return ""


# --- the confirmation e-mail -----------------------------------------------------------------------------------

def seal_address(address: str) -> str:
    """The reply address travels to the confirmation task sealed, and is stored nowhere."""
    return crypto.encrypt(address)


def send_confirmation(sealed_address: str, user_id: int, job_ids: list[int], refused: list, *,
                      final: bool = False) -> bool:
    """E-mail the guest their PIN and every job in their queue, with what was refused and why. Waits (returns
    False) while a job of this e-mail is still being converted, unless `final`. True once sent or pointless."""
    sender = GuestSender.objects.select_related("user", "organization").filter(user_id=user_id).first()
    if sender is None:
        return True
    if not final and PrintJob.objects.filter(pk__in=job_ids, state=JobState.CONVERTING).exists():
        return False
    record = UserPin.objects.filter(user_id=user_id).first()
    try:
        pin = crypto.decrypt(sender.pin_sealed)
        address = crypto.decrypt(sealed_address)
    except Exception:   # noqa: BLE001
        log.exception("guest confirmation for user %s: a sealed value cannot be read", user_id)
        return True
    jobs = list(PrintJob.objects.filter(owner_id=user_id, state__in=QUEUED_STATES).order_by("submitted_at", "id"))
    failed = [job for job in jobs if job.pk in job_ids and job.state == JobState.FAILED]
    context = {"organization": sender.organization, "pin": pin,
               "pin_expires_at": record.expires_at if record else None,
               "jobs": [job for job in jobs if job.state != JobState.FAILED], "failed": failed,
               "refused": refused, "supported": SUPPORTED_LIST}
    body = render_to_string("printmgmt/email/guest_confirmation.txt", context)
    subject = f"Your PIN to print at {sender.organization.name}"
    try:
        EmailMessage(subject, body, django_settings.DEFAULT_FROM_EMAIL, [address]).send()
    except Exception:   # noqa: BLE001 - the jobs exist; resending them would not help
        log.exception("guest confirmation for user %s could not be sent", user_id)
    return True


# --- retention ----------------------------------------------------------------------------------------------

def purge_idle_guests(now=None) -> int:
    """Guests whose last job is 14 days old leave: their account, PIN and sender hash (history rows keep the
    guest's identifier); a later e-mail of the same sender starts a new queue."""
    now = now or timezone.now()
    with transaction.atomic():
        idle = list(GuestSender.objects.select_for_update(skip_locked=True).select_related("user")
                    .filter(last_job_at__lte=now - GUEST_KEEP))
        _retire(idle)
    return len(idle)


def _retire(senders: list[GuestSender]) -> None:
    """Remove guests: any job left (being printed ones too: their guest is gone) with its history row and files,
    then the user (its GuestSender, PIN and roles follow)."""
    if not senders:
        return
    user_ids = [sender.user_id for sender in senders]
    jobs = list(PrintJob.objects.select_for_update().select_related("owner", "organization")
                .filter(owner_id__in=user_ids))
    remove_jobs(jobs, HistoryResult.EXPIRED)
    User.objects.filter(pk__in=user_ids, is_guest=True).delete()
