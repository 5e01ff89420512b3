"""E-mail submission (E §1.12.3): a message to an organization's submission address from one of its users puts
each attachment, and the body when the organization enables it, in that user's queue through submit_job.
Unsupported or refused attachments do not stop the others: the sender gets one reply naming them with the
reason and the supported formats. Any other sender is refused, unless the organization allows guests: then the
documents go to the sender's guest queue and a confirmation with the PIN follows (printmgmt.services.guests). Nothing about the e-mail itself is kept, only the jobs (the guide: "does not
retain any e-mail-related information"). The SMTP side is printmgmt/management/commands/smtp_ingest.py."""
import logging
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction

from accounts.choices import OrganizationStatus, Service
from accounts.models import User

from ..choices import JobSource
from ..models import OrganizationPrintSettings, PrintJob
from . import guests
from .formats import SUPPORTED_LIST
from .submission import check_file, submit_job

log = logging.getLogger(__name__)

UNKNOWN_RECIPIENT = "550 5.1.1 Unknown recipient: no organization receives print jobs at this address"
SENDER_NOT_ALLOWED = "550 5.7.1 Sender not allowed: only users of the organization can print by e-mail"
TOO_LARGE = "552 5.3.4 Message too large"


@dataclass
class Outcome:
    """What happened to one message: the SMTP reply to give (`code` and `text`), the jobs created and the
    attachments refused (name, reason)."""

    code: int
    text: str
    jobs: list[PrintJob] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.code < 400

    @property
    def smtp_reply(self) -> str:
        return self.text if self.text[:3].isdigit() else f"{self.code} {self.text}"


def max_bytes() -> int:
    return django_settings.PRINT_EMAIL_MAX_BYTES


def organization_for(address: str):
    """The organization whose submission address `address` is (case-insensitive), or None: e-mail submission
    must be on, the organization active and entitled to Cloud Print Management."""
    local, _, domain = parseaddr(address or "")[1].rpartition("@")
    if not local or domain.lower() != f"print.{django_settings.PRINT_EMAIL_DOMAIN}".lower():
        return None
    row = (OrganizationPrintSettings.objects.select_related("organization")
           .filter(email_username=local.lower(), email_submission=True).first())
    if row is None:
        return None
    organization = row.organization
    if organization.status != OrganizationStatus.ACTIVE or not organization.is_entitled(Service.PRINT):
        return None
    organization.print_settings = row
    return organization


def sender_in(organization, envelope_from: str) -> User | None:
    """The active user of `organization` whose e-mail is the envelope sender (case-insensitive), or None. Guest
    accounts are never senders: their synthetic addresses must not be a way around the guest rules."""
    address = parseaddr(envelope_from or "")[1]
    if not address:
        return None
    return User.objects.filter(organization=organization, email__iexact=address, is_active=True,
                               is_guest=False).first()


def check_recipient(envelope_from: str, address: str) -> str | None:
    """At RCPT time: None when the message may be delivered to `address`, else the SMTP refusal."""
    organization = organization_for(address)
    if organization is None:
        return UNKNOWN_RECIPIENT
    if sender_in(organization, envelope_from) is None and not guests.may_be_guest(organization, envelope_from):
        return SENDER_NOT_ALLOWED
    return None


def accept(envelope_from: str, rcpt_tos: list[str], message_bytes: bytes) -> Outcome:
    """Deliver one message: checks the size, the recipients and the sender, then makes the jobs. Every
    recipient organization the sender belongs to gets the documents (or, as a guest, each that allows guests);
    the reply to the sender lists what was refused. Returns 550 when no recipient accepts the message, 552 when
    it is too large."""
    if len(message_bytes) > max_bytes():
        return Outcome(552, TOO_LARGE)
    organizations, refusal = [], UNKNOWN_RECIPIENT
    for address in rcpt_tos:
        organization = organization_for(address)
        if organization is None or any(o.pk == organization.pk for o, _u in organizations):
            continue
        user = sender_in(organization, envelope_from)
        if user is None and not guests.may_be_guest(organization, envelope_from):
            refusal = SENDER_NOT_ALLOWED
            continue
        organizations.append((organization, user))   # user None: the sender prints there as a guest
    if not organizations:
        return Outcome(int(refusal[:3]), refusal)
    message = message_from_bytes(message_bytes, policy=policy.default)
    outcome, as_member = Outcome(250, ""), Outcome(250, "")
    for organization, user in organizations:
        if user is None:
            _deliver_to_guest(organization, envelope_from, message, outcome)
        else:
            _deliver(organization, user, message, as_member)
    if any(user for _o, user in organizations) and (as_member.refused or not as_member.jobs):
        _reply(parseaddr(envelope_from)[1], message, as_member)
    outcome.jobs += as_member.jobs
    outcome.refused += as_member.refused
    count = len(outcome.jobs)
    outcome.text = f"250 2.0.0 {count} print job{'' if count == 1 else 's'} created"
    return outcome


def _deliver(organization, user: User, message: EmailMessage, outcome: Outcome) -> None:
    """Each document of `message` in `user`'s queue; a refused one is noted and the others still go."""
    _submit(organization, user, documents(message, body=organization.print_settings.email_body_submission),
            outcome, JobSource.EMAIL)


def _submit(organization, user: User, found, outcome: Outcome, source: str) -> None:
    for name, title, content in found:
        try:
            outcome.jobs.append(submit_job(organization, user, ContentFile(content, name=name),
                                           source=source, title=title))
        except ValidationError as error:
            outcome.refused.append((name, " ".join(error.messages)))


def _deliver_to_guest(organization, envelope_from: str, message: EmailMessage, outcome: Outcome) -> None:
    """A guest's documents: when none can be printed, only the reply listing the formats (no guest is made);
    else the guest's queue (reused, with its PIN, while valid), then the confirmation with the PIN and every
    job, sent by a task once the documents are converted (the page limit is known only then)."""
    address = guests.sender_address(envelope_from)
    printable, refused = [], []
    for name, title, content in documents(message, body=organization.print_settings.email_body_submission):
        try:
            check_file(ContentFile(content, name=name), name)
            printable.append((name, title, content))
        except ValidationError as error:
            refused.append((name, " ".join(error.messages)))
    if not printable:
        _reply(address, message, Outcome(250, "", refused=refused))
        outcome.refused += refused
        return
    guest = guests.guest_for(organization, address)
    delivered = Outcome(250, "", refused=refused)
    _submit(organization, guest.user, printable, delivered, JobSource.GUEST)
    guests.record_jobs(guest, delivered.jobs)
    outcome.jobs += delivered.jobs
    outcome.refused += delivered.refused
    sealed, job_ids = guests.seal_address(address), [job.pk for job in delivered.jobs]
    transaction.on_commit(lambda: _confirm(sealed, guest.user.pk, job_ids, delivered.refused))


def _confirm(sealed: str, user_id: int, job_ids: list[int], refused: list) -> None:
    from ..tasks import send_guest_confirmation

    send_guest_confirmation.delay(sealed, user_id, job_ids, [list(item) for item in refused])


def documents(message: EmailMessage, *, body: bool) -> list[tuple[str, str, bytes]]:
    """(file name, title, content) of every attachment, and of the body first when `body`: the HTML part if
    there is one (it keeps the layout), else the plain text part; an empty body is no document."""
    found = []
    body_part = message.get_body(preferencelist=("html", "plain"))
    if body and body_part is not None:
        text = _text_of(body_part)
        if text.strip():
            html = body_part.get_content_subtype() == "html"
            subject = str(message.get("subject") or "").strip() or "E-mail message"
            found.append((f"message.{'html' if html else 'txt'}", subject, text.encode("utf-8")))
    for part in message.walk():
        if part.is_multipart() or part is body_part:
            continue
        name = part.get_filename()
        if not name and part.get_content_disposition() != "attachment":
            continue   # the other alternative of the body, or an unnamed inline part
        name = (name or "attachment").replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
        content = part.get_payload(decode=True) or b""
        found.append((name, name, content))
    return found


def _text_of(part: EmailMessage) -> str:
    """The part's text; an unknown or lying charset is read as UTF-8 with replacement characters rather than
    losing the message."""
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        text = None
    if isinstance(text, str):
        return text
    return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _reply(to: str, message: EmailMessage, outcome: Outcome) -> None:
    """Tell the sender what was not printed and why, and which formats are supported."""
    if not to:
        return
    subject = str(message.get("subject") or "").strip()
    lines = [f"Your e-mail{f' “{subject}”' if subject else ''} was received by the cloud print queue."]
    if outcome.jobs:
        lines.append(f"{len(outcome.jobs)} document(s) are in your print queue: "
                     + ", ".join(job.title for job in outcome.jobs) + ".")
    if outcome.refused:
        lines.append("These documents were not printed:")
        lines += [f"- {name}: {reason}" for name, reason in outcome.refused]
    else:
        lines.append("It contained no document to print (attach the documents to the e-mail).")
    lines.append(f"The supported file formats are {SUPPORTED_LIST}.")
    try:
        send_mail("Some documents were not printed" if outcome.refused else "Nothing to print",
                  "\n".join(lines) + "\n", django_settings.DEFAULT_FROM_EMAIL, [to])
    except Exception:   # the jobs are made; a reply that cannot be sent must not make the sender resend them
        log.exception("e-mail submission: the reply to %s could not be sent", to)
