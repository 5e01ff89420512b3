"""The IPP operations of the print service: Print-Job and Validate-Job (into the user's cloud queue through
the one submission service), Get-Jobs, Get-Job-Attributes and Cancel-Job (the user's own queued jobs only),
Get-Printer-Attributes. Each handler returns the response's status, attribute groups and status message, or
raises IppRefusal; the view does HTTP."""
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError

from agents.ipp import IppMessage, Op, Status, Tag, operation_attributes

from ..choices import QUEUED_STATES, JobSource, JobState
from ..models import PrintJob
from ..services import print_tokens
from ..services.jobs import delete_jobs
from ..services.submission import megabytes, submit_job
from . import attributes as ipp_attributes
from .body import Body

SUPPORTED_CHARSETS = ("utf-8", "us-ascii")
SUBMISSION_ERRORS = {"unsupported": Status.DOCUMENT_FORMAT_NOT_SUPPORTED,
                     "mismatch": Status.DOCUMENT_FORMAT_NOT_SUPPORTED,
                     "too_large": Status.REQUEST_ENTITY_TOO_LARGE}


class IppRefusal(Exception):
    def __init__(self, status: int, message: str, unsupported: list | None = None):
        super().__init__(message)
        self.status, self.message, self.unsupported = status, message, unsupported or []


class AuthenticationRequired(Exception):
    """The operation needs a user and the request named none: the view answers HTTP 401."""


@dataclass
class Call:
    message: IppMessage
    body: Body
    user: object | None
    printer_uri: str
    secure: bool
    host: str
    info_uri: str

    def operation(self, name: str, default=None):
        return self.message.get(name, Tag.OPERATION, default)

    def require_user(self):
        if self.user is None:
            raise AuthenticationRequired
        if not print_tokens.may_hold_tokens(self.user):
            raise IppRefusal(Status.NOT_AUTHORIZED, "You need the Print Release Management User role in your "
                                                    "organization to print.")
        return self.user


@dataclass
class Answer:
    status: int = Status.OK
    groups: list = field(default_factory=list)
    message: str = ""


def response_groups(answer: Answer) -> list:
    """The response's attribute groups: operation attributes first (with status-message), then the rest."""
    operation = operation_attributes()
    if answer.message:
        operation.append((Tag.TEXT, "status-message", answer.message[:255]))
    return [(Tag.OPERATION, operation), *answer.groups]


def refusal_answer(refusal: IppRefusal) -> Answer:
    groups = [(Tag.UNSUPPORTED_GROUP, refusal.unsupported)] if refusal.unsupported else []
    return Answer(refusal.status, groups, refusal.message)


def dispatch(call: Call) -> Answer:
    message = call.message
    if message.version[0] not in (1, 2):
        raise IppRefusal(Status.VERSION_NOT_SUPPORTED, "Only IPP/1.1 and IPP/2.0 are supported.")
    if message.request_id <= 0:
        raise IppRefusal(Status.BAD_REQUEST, "The request-id must be 1 or more.")
    _check_operation_group(message)
    if call.operation("printer-uri") is None and call.operation("job-uri") is None:
        raise IppRefusal(Status.BAD_REQUEST, "The request must name its target: printer-uri or job-uri.")
    handler = HANDLERS.get(message.code)
    if handler is None:
        raise IppRefusal(Status.OPERATION_NOT_SUPPORTED, f"Operation 0x{message.code:04x} is not supported.")
    return handler(call)


def _check_operation_group(message: IppMessage) -> None:
    """RFC 8011 §4.1.4: attributes-charset then attributes-natural-language open the operation group."""
    first = message.groups[0] if message.groups else None
    names = [a.name for a in first.attributes[:2]] if first else []
    if first is None or first.tag != Tag.OPERATION or names != ["attributes-charset",
                                                                 "attributes-natural-language"]:
        raise IppRefusal(Status.BAD_REQUEST, "The request must start with attributes-charset and "
                                             "attributes-natural-language.")
    charset = str(first.attributes[0].value or "").lower()
    if charset not in SUPPORTED_CHARSETS:
        raise IppRefusal(Status.CHARSET_NOT_SUPPORTED, f"Charset {charset} is not supported.",
                         [(Tag.CHARSET, "attributes-charset", charset)])


# ---------------------------------------------------------------------------------------------- jobs in
def _job_request(call: Call) -> tuple[str, dict, list]:
    """document-format, print settings and unsupported attributes of Print-Job / Validate-Job; refuses what
    cannot be printed before any document byte is read."""
    fmt = ipp_attributes.mime_type(call.operation("document-format")) or ipp_attributes.OCTET_STREAM
    if fmt not in ipp_attributes.MIME_EXTENSIONS and fmt != ipp_attributes.OCTET_STREAM:
        raise IppRefusal(Status.DOCUMENT_FORMAT_NOT_SUPPORTED,
                         f"Documents of type {fmt} cannot be printed. Send PDF, an Office or OpenDocument file, "
                         "a JPG, GIF or TIFF image, HTML or plain text.",
                         [(Tag.MIME_MEDIA_TYPE, "document-format", fmt)])
    compression = call.operation("compression")
    if compression not in (None, "none"):
        raise IppRefusal(Status.COMPRESSION_NOT_SUPPORTED, "Compressed documents are not supported.",
                         [(Tag.KEYWORD, "compression", compression)])
    template = {a.name: a for g in call.message.groups_of(Tag.JOB) for a in g.attributes}
    values, unsupported = ipp_attributes.template_settings(template)
    if unsupported and call.operation("ipp-attribute-fidelity") is True:
        raise IppRefusal(Status.ATTRIBUTES_OR_VALUES_NOT_SUPPORTED,
                         "Some job attributes are not supported: " + ", ".join(n for _t, n, _v in unsupported),
                         unsupported)
    return fmt, values, unsupported


def _accepted(unsupported: list, groups: list) -> Answer:
    if unsupported:
        return Answer(Status.OK_IGNORED_OR_SUBSTITUTED, [(Tag.UNSUPPORTED_GROUP, unsupported), *groups],
                      "Some job attributes were ignored.")
    return Answer(Status.OK, groups)


def validate_job(call: Call) -> Answer:
    call.require_user()
    _fmt, _values, unsupported = _job_request(call)
    return _accepted(unsupported, [])


def print_job(call: Call) -> Answer:
    user = call.require_user()
    fmt, values, unsupported = _job_request(call)
    document, fits = call.body.spool()
    limit = django_settings.PRINT_MAX_UPLOAD_BYTES
    if not fits:
        raise IppRefusal(Status.REQUEST_ENTITY_TOO_LARGE,
                         f"Documents larger than {megabytes(limit)} cannot be printed.")
    given = call.operation("document-name") or call.operation("job-name") or ""
    title = call.operation("job-name") or call.operation("document-name") or ""
    document.name = ipp_attributes.document_name(given, fmt)
    try:
        job = submit_job(user.organization, user, document, source=JobSource.IPP, title=title, settings=values)
    except ValidationError as error:
        status = SUBMISSION_ERRORS.get(getattr(error, "code", None), Status.BAD_REQUEST)
        raise IppRefusal(status, " ".join(error.messages)) from None
    finally:
        document.close()
    job.refresh_from_db()
    described = ipp_attributes.job_attributes(job, call.printer_uri)
    wanted = ("job-id", "job-uri", "job-state", "job-state-reasons", "job-state-message")
    return _accepted(unsupported, [(Tag.JOB, [(described[n][0], n, described[n][1]) for n in wanted])])


# ---------------------------------------------------------------------------------------------- jobs out
def _own_jobs(user):
    return (PrintJob.objects.filter(organization_id=user.organization_id, owner=user, state__in=QUEUED_STATES)
            .select_related("owner"))


def _job_of(call: Call, user) -> PrintJob:
    job_id = call.operation("job-id")
    if job_id is None:
        uri = call.operation("job-uri") or ""
        tail = uri.rstrip("/").rsplit("/", 1)[-1]
        job_id = int(tail) if tail.isdigit() else None
    if not isinstance(job_id, int):
        raise IppRefusal(Status.BAD_REQUEST, "Name the job with job-id (and printer-uri) or job-uri.")
    job = _own_jobs(user).filter(pk=job_id).first()
    if job is None:
        raise IppRefusal(Status.NOT_FOUND, f"Job {job_id} is not in your print queue.")
    return job


def get_jobs(call: Call) -> Answer:
    user = call.require_user()
    which = call.operation("which-jobs") or "not-completed"
    if which not in ("completed", "not-completed", "all"):
        raise IppRefusal(Status.ATTRIBUTES_OR_VALUES_NOT_SUPPORTED, f"which-jobs {which} is not supported.",
                         [(Tag.KEYWORD, "which-jobs", which)])
    limit = call.operation("limit")
    # newest first, as the Print Queue lists them (the order of release is the user's, at the printer)
    jobs = [] if which == "completed" else list(_own_jobs(user).order_by("-submitted_at", "-pk"))
    if isinstance(limit, int) and limit > 0:
        jobs = jobs[:limit]
    requested = call.message.values("requested-attributes", Tag.OPERATION)
    groups = [(Tag.JOB, ipp_attributes.select(ipp_attributes.job_attributes(job, call.printer_uri), requested,
                                              default=ipp_attributes.JOB_DESCRIPTION_DEFAULT)) for job in jobs]
    return Answer(Status.OK, groups)


def get_job_attributes(call: Call) -> Answer:
    user = call.require_user()
    job = _job_of(call, user)
    requested = call.message.values("requested-attributes", Tag.OPERATION)
    return Answer(Status.OK, [(Tag.JOB, ipp_attributes.select(
        ipp_attributes.job_attributes(job, call.printer_uri), requested))])


def cancel_job(call: Call) -> Answer:
    user = call.require_user()
    job = _job_of(call, user)
    if job.state == JobState.RELEASING or not delete_jobs(job.organization, [job], by=user):
        raise IppRefusal(Status.NOT_POSSIBLE, f"Job {job.pk} is being printed and can no longer be canceled.")
    return Answer(Status.OK)


# ---------------------------------------------------------------------------------------------- printer
def get_printer_attributes(call: Call) -> Answer:
    """Answered without credentials too (capabilities only, the same for everybody): clients adding the
    printer ask before they have the user's credentials. queued-job-count is the user's own."""
    queued = 0
    if call.user is not None and print_tokens.may_hold_tokens(call.user):
        queued = _own_jobs(call.user).count()
    described = ipp_attributes.printer_attributes(printer_uri=call.printer_uri, secure=call.secure,
                                                  host=call.host, queued=queued, info_uri=call.info_uri)
    requested = call.message.values("requested-attributes", Tag.OPERATION)
    return Answer(Status.OK, [(Tag.PRINTER, ipp_attributes.select(described, requested))])


HANDLERS = {Op.PRINT_JOB: print_job, Op.VALIDATE_JOB: validate_job, Op.GET_JOBS: get_jobs,
            Op.GET_JOB_ATTRIBUTES: get_job_attributes, Op.CANCEL_JOB: cancel_job,
            Op.GET_PRINTER_ATTRIBUTES: get_printer_attributes}
