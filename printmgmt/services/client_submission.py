"""Submission by a print client (the LPMC's role, E §1.11; TC-P9; docs/decisions/0018-guest-and-client-submission.md).

The client is an Application of the organization (kind "Printer / device", client-credentials token). It sends
the document first; the file passes the size and content checks at once and waits as a ClientSubmission. The
user then authenticates (e-mail and password) within three minutes: "If you cannot authenticate within three
minutes, then the session expires and the submitted job gets deleted". Authentication puts the document in the
user's queue through the one submission service (source "LPMC Driver"); a late one finds it deleted (410). The
retention purge deletes what nobody authenticated, row and file.

Password attempts draw on the same brute-force buckets as logins at the organization's printers
(accounts/throttle.py: per application and per organization), and a wrong password, an unknown user and a user
of another organization get the same answer."""
from datetime import timedelta
from functools import partial
from pathlib import PurePosixPath

from django.contrib.auth import authenticate as django_authenticate
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from accounts import throttle
from accounts.choices import ApplicationKind

from ..choices import JobSource
from ..models import ClientSubmission, PrintJob
from ..models.jobs import SETTING_FIELDS
from . import print_tokens
from .print_settings import clean_print_settings
from .rights import may_print
from .submission import MAX_TITLE, check_file, submit_job

AUTHENTICATION_WINDOW = timedelta(minutes=3)
# Print clients authenticate as the organization's printer/device applications; agents' and integrations'
# credentials serve other purposes and cannot submit (decision 0018).
SUBMITTING_KINDS = (ApplicationKind.DEVICE,)


class ClientSubmissionError(Exception):
    """Refused: `error` (machine-readable), `status` (HTTP), `detail` (for the user)."""

    DETAILS = {
        "not_found": (404, "No such submission: it was printed, deleted, or never existed."),
        "expired": (410, "The submission expired: nobody authenticated within three minutes, so the document was "
                         "deleted. Print it again."),
        "invalid_credentials": (401, "The e-mail address or password is not valid."),
        "not_allowed": (403, "You do not have a Print Release Management role."),
        "too_many_attempts": (429, "Too many failed attempts. Try again later."),
    }

    def __init__(self, error: str, *, retry_after: int | None = None):
        self.error, self.retry_after = error, retry_after
        self.status, self.detail = self.DETAILS[error]
        super().__init__(self.detail)


def may_submit(application) -> bool:
    return application.kind in SUBMITTING_KINDS and application.revoked_at is None


def create_submission(application, file: File, *, title: str = "", settings: dict | None = None,
                      now=None) -> ClientSubmission:
    """Check the document (size, content against its name) and the print settings, store it, and start the
    three minutes. Raises ValidationError before anything is stored."""
    now = now or timezone.now()
    name = PurePosixPath((file.name or "").replace("\\", "/")).name[:255] or "document"
    check_file(file, name)
    cleaned = clean_print_settings({k: v for k, v in (settings or {}).items() if k in SETTING_FIELDS})
    submission = ClientSubmission(organization_id=application.organization_id, application=application,
                                  file_name=name, title=(title or "").strip()[:MAX_TITLE], settings=cleaned,
                                  created_at=now, deadline=now + AUTHENTICATION_WINDOW)
    file.seek(0)
    submission.file.save(name, file, save=False)
    try:
        with transaction.atomic():
            submission.save()
    except Exception:
        submission.file.delete(save=False)
        raise
    return submission


def submission_of(application, key) -> ClientSubmission:
    """The application's own submission (never another organization's, nor another client's), or not_found;
    one past its deadline is deleted on the spot and answers expired."""
    submission = ClientSubmission.objects.filter(key=key, organization_id=application.organization_id,
                                                 application=application).first()
    if submission is None:
        raise ClientSubmissionError("not_found")
    if submission.deadline <= timezone.now():
        discard([submission])
        raise ClientSubmissionError("expired")
    return submission


def authenticate(application, key, *, email: str = "", password: str = "", token: str = "", request=None,
                 now=None) -> PrintJob:
    """The user's e-mail and password, or one of their print tokens (printmgmt.services.print_tokens: users of an
    organization with an identity provider have no password here), within the deadline turn the submission
    into a held job in their queue. Wrong credentials (or a user of another organization) leave the submission
    waiting until its deadline."""
    now = now or timezone.now()
    buckets = throttle.device_buckets(application)
    wait = throttle.acquire(buckets)   # before the password is looked at; given back on success
    if wait:
        raise ClientSubmissionError("too_many_attempts", retry_after=wait)
    with transaction.atomic():
        submission = (ClientSubmission.objects.select_for_update()
                      .filter(key=key, organization_id=application.organization_id, application=application).first())
        if submission is None:
            throttle.release(buckets)
            raise ClientSubmissionError("not_found")
        expired = submission.deadline <= now
        if expired:
            discard([submission])   # committed below, then answered 410
        else:
            job = _into_queue(application, submission, _user(email, password, token, request), buckets)
    if expired:
        throttle.release(buckets)
        raise ClientSubmissionError("expired")
    job.refresh_from_db(fields=["state"])   # converting, or held already when the conversion ran at once
    return job


def _user(email: str, password: str, token: str, request):
    if token:
        return print_tokens.authenticate(token)
    if email and password:
        return django_authenticate(request, email=email.strip().lower(), password=password)
    return None


def _into_queue(application, submission, user, buckets) -> PrintJob:
    if user is None or user.organization_id != application.organization_id or user.is_guest:
        raise ClientSubmissionError("invalid_credentials")   # the throttle token stays taken
    throttle.release(buckets)
    if not may_print(user, application.organization):
        raise ClientSubmissionError("not_allowed")
    with submission.file.open("rb") as handle:
        job = submit_job(application.organization, user, File(handle, name=submission.file_name),
                         source=JobSource.CLIENT, title=submission.title, settings=submission.settings)
    discard([submission])
    return job


def discard(submissions: list[ClientSubmission]) -> None:
    """Rows out now, their files once the transaction commits."""
    if not submissions:
        return
    ClientSubmission.objects.filter(pk__in=[s.pk for s in submissions]).delete()
    for submission in submissions:
        if submission.file:
            transaction.on_commit(partial(submission.file.delete, save=False))


def purge_expired(now=None) -> int:
    """Retention: submissions nobody authenticated within three minutes, with their files."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(ClientSubmission.objects.select_for_update(skip_locked=True).filter(deadline__lte=now))
        discard(expired)
    return len(expired)
