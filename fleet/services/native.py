"""Native Agent enrollment: the firmware agent of IoT-capable printers enrolls itself, either with the
organization's enrollment code (after the administrator pre-enrolled its serial number) or with a code the
printer generated and the administrator redeemed in the portal ("Enroll Printer").

Each enrolled printer gets its own Native Agent (one per printer) with its own credentials. Codes are
case-sensitive; "The enrollment code is invalid or expired." is the one answer to any bad code.
"""
import re
import secrets
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.template.loader import render_to_string
from django.utils import timezone

from lexcloud.csvfile import decode_file, read_lines

from ..choices import Activation, AgentType
from ..models import Agent, EnrollmentCode, PreEnrollment, Printer, PrinterEnrollmentCode
from ..models.agents import ENROLLMENT_CODE_LIFETIME, digest, new_device_id
from . import enrollment

INVALID_CODE = "The enrollment code is invalid or expired."
ORG_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"                  # no I, O, 0, 1
ORG_CODE_LENGTH = 6
PRINTER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"   # no I/l/1, O/o/0
PRINTER_CODE_LENGTH = 8
SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SERIAL_HEADER = "serial number"
MAX_SERIALS = 5000                 # per pre-enrollment request or file


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def enrollment_code(organization) -> EnrollmentCode:
    """The organization's code ("One enrollment code per organization is assigned for all supported
    printers"), created the first time it is needed."""
    existing = EnrollmentCode.objects.filter(organization=organization).first()
    if existing is not None:
        return existing
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return EnrollmentCode.objects.create(organization=organization,
                                                     code=_random(ORG_CODE_ALPHABET, ORG_CODE_LENGTH))
        except IntegrityError:  # the code is taken, or a concurrent request created the organization's code
            existing = EnrollmentCode.objects.filter(organization=organization).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not allocate an enrollment code")


# --- pre-enrollment --------------------------------------------------------------------------------------
@dataclass
class PreEnrolled:
    added: list = field(default_factory=list)     # the new PreEnrollment rows
    duplicates: int = 0                           # already pre-enrolled, or repeated in the request


def clean_serial(value: str) -> str:
    serial = (value or "").strip()
    if not SERIAL.match(serial):
        raise ValidationError(f'"{serial}" is not a valid serial number.' if serial
                              else "Type a serial number.")
    return serial


def serials_from_text(text: str) -> list[str]:
    """Serial numbers typed in the dialog: one per line (or separated by commas or spaces)."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


def serials_from_file(content) -> list[str]:
    """A CSV or TXT file: one serial number per line (first column), an optional "Serial Number" header.
    Every bad line is reported with its number; nothing is kept from a file with an error."""
    header, lines, errors = read_lines(decode_file(content), skipinitialspace=True)
    if header is None:
        raise ValidationError("The file is empty.")
    messages = [f"Line {e['line']}: {e['reason']}" for e in errors]
    if header and header[0].strip().lower() != SERIAL_HEADER:
        lines = [(1, header), *lines]
    serials = []
    for number, cells in lines:
        try:
            serials.append(clean_serial(cells[0] if cells else ""))
        except ValidationError as error:
            messages.append(f"Line {number}: {' '.join(error.messages)}")
    if messages:
        raise ValidationError(messages)
    if not serials:
        raise ValidationError("The file has no serial number.")
    return serials


@transaction.atomic
def pre_enroll(organization, serials, *, email: str = "", user=None,
               request_base_url: str = "") -> PreEnrolled:
    """Pre-enroll serial numbers (duplicates ignored and counted); optionally e-mail the enrollment code and
    the instructions to `email` once the transaction commits."""
    cleaned = []
    errors = []
    for serial in serials:
        try:
            cleaned.append(clean_serial(serial))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError({"serials": errors})
    if not cleaned:
        raise ValidationError({"serials": "Type a serial number."})
    if len(cleaned) > MAX_SERIALS:
        raise ValidationError({"serials": f"Pre-enroll at most {MAX_SERIALS} serial numbers at a time."})
    email = (email or "").strip()
    if email:
        from django.core.validators import validate_email

        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": "Type a valid e-mail address."}) from None
    unique = {}
    for serial in cleaned:
        unique.setdefault(serial.upper(), serial)
    taken = set(PreEnrollment.objects.filter(organization=organization).annotate(u=Upper("serial"))
                .filter(u__in=list(unique)).values_list("u", flat=True))
    now = timezone.now()
    added = PreEnrollment.objects.bulk_create(
        [PreEnrollment(organization=organization, serial=serial, notify_email=email, created_by=user,
                       created_at=now)
         for key, serial in unique.items() if key not in taken])
    code = enrollment_code(organization)
    if email and added:
        _mail_instructions(email, organization, code.code, [p.serial for p in added], request_base_url)
    return PreEnrolled(added=added, duplicates=len(cleaned) - len(added))


def _mail_instructions(email, organization, code, serials, base_url):
    context = {"organization": organization, "code": code, "serials": serials, "base_url": base_url}
    subject = render_to_string("fleet/agents/email_pre_enroll_subject.txt", context).strip()
    body = render_to_string("fleet/agents/email_pre_enroll.txt", context)
    transaction.on_commit(lambda: EmailMessage(subject=subject, body=body, to=[email]).send())


@transaction.atomic
def remove_pre_enrollments(organization, ids) -> int:
    """**Remove pre-enrolled printers** (enrolled printers are unenrolled from the Printers page instead)."""
    deleted, _ = PreEnrollment.objects.filter(organization=organization, pk__in=list(ids)).delete()
    return deleted


# --- enrollment (printer side) ---------------------------------------------------------------------------
@dataclass
class NativeEnrolled:
    agent: Agent
    printer: Printer
    secret: str


def _native_agent(organization, serial: str, identity: dict) -> NativeEnrolled:
    """The printer's own Native Agent in the organization (reused when it re-enrolls), activated with new
    credentials, and the printer enrolled under it (taken over from any other agent: this is explicit)."""
    agent = (Agent.objects.select_for_update(of=("self",))
             .filter(organization=organization, kind=AgentType.NATIVE, printers__serial__iexact=serial)
             .first())
    now = timezone.now()
    if agent is None:
        agent = Agent(organization=organization, kind=AgentType.NATIVE, name=serial[:100],
                      device_id=new_device_id("native"), created_at=now)
    agent.activation, agent.activated_at, agent.last_communication = Activation.ACTIVATED, now, now
    agent.version = str(identity.get("firmware") or agent.version)[:32]
    secret = agent.issue_secret()
    agent.save()
    result = enrollment.enroll(agent, {**identity, "serial": serial}, takeover=True, now=now)
    return NativeEnrolled(agent, result.printer, secret)


def _identity(identity: dict | None) -> dict:
    from agents.protocol import IDENTITY_FIELDS

    return {k: str(v)[:255] for k, v in (identity or {}).items()
            if k in IDENTITY_FIELDS and v not in (None, "")}


@transaction.atomic
def enroll_pre_enrolled(*, serial: str, code: str, identity: dict | None = None) -> NativeEnrolled:
    """A printer presents the organization's enrollment code (exact, case-sensitive) and its serial number,
    which must be pre-enrolled in that organization."""
    row = EnrollmentCode.objects.select_related("organization").filter(code=(code or "").strip()).first()
    serial = (serial or "").strip()
    if row is None or not serial or row.code != (code or "").strip():
        raise ValidationError(INVALID_CODE)
    pre = (PreEnrollment.objects.select_for_update()
           .filter(organization=row.organization, serial__iexact=serial).first())
    if pre is None:
        raise ValidationError(INVALID_CODE)
    enrolled = _native_agent(row.organization, pre.serial, _identity(identity))
    pre.delete()
    return enrolled


@transaction.atomic
def request_printer_code(serial: str, identity: dict | None = None, *,
                         now=None) -> tuple[PrinterEnrollmentCode, str]:
    """**Get Enrollment Code** at the printer: a short case-sensitive code for the administrator to type in
    the portal, and a claim secret the printer keeps to collect its credentials (valid 24 hours)."""
    serial = clean_serial(serial)
    now = now or timezone.now()
    claim = secrets.token_urlsafe(32)
    for _attempt in range(10):
        try:
            with transaction.atomic():
                row = PrinterEnrollmentCode.objects.create(
                    code=_random(PRINTER_CODE_ALPHABET, PRINTER_CODE_LENGTH), claim_digest=digest(claim),
                    serial=serial, identity=_identity(identity), created_at=now,
                    expires_at=now + ENROLLMENT_CODE_LIFETIME)
            return row, claim
        except IntegrityError:
            continue
    raise RuntimeError("could not allocate a printer enrollment code")


@transaction.atomic
def redeem_printer_code(organization, code: str, *, user=None, now=None) -> Printer:
    """**Enroll Printer** in the portal: the printer that generated this code joins the organization."""
    now = now or timezone.now()
    code = (code or "").strip()
    row = PrinterEnrollmentCode.objects.select_for_update().filter(code=code).first()
    if row is None or row.code != code or row.redeemed_at is not None or now >= row.expires_at:
        raise ValidationError({"code": INVALID_CODE})
    enrolled = _native_agent(organization, row.serial, row.identity)
    row.organization, row.agent, row.redeemed_by, row.redeemed_at = organization, enrolled.agent, user, now
    row.pending_secret = enrolled.secret
    row.save()
    return enrolled.printer


@dataclass
class Claim:
    pending: bool = False
    agent: Agent | None = None
    secret: str = ""


@transaction.atomic
def claim_credentials(claim: str, *, now=None) -> Claim:
    """The printer asks for its credentials: pending until an administrator redeems its code, then handed
    out once. Unknown, expired or already collected: ValidationError."""
    now = now or timezone.now()
    row = (PrinterEnrollmentCode.objects.select_for_update(of=("self",)).select_related("agent__organization")
           .filter(claim_digest=digest(claim or "")).first())
    if row is None:
        raise ValidationError(INVALID_CODE)
    if row.redeemed_at is None:
        if now >= row.expires_at:
            raise ValidationError(INVALID_CODE)
        return Claim(pending=True)
    if not row.pending_secret or row.agent is None:
        raise ValidationError(INVALID_CODE)
    secret = row.pending_secret
    row.pending_secret = ""
    row.save(update_fields=["pending_secret"])
    return Claim(agent=row.agent, secret=secret)
