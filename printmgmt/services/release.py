"""Release at the printer (E §1.12, §1.7.2): what the printer's Print Release app lists, what happens when the
user releases jobs, and how the printer's report closes a release.

    held ──start_release──► releasing ──report_outcome(printed)──► gone (history "printed", quota consumed)
                                      ├─ printed, print and keep ──► held again (release_count + 1)
                                      ├─ cancelled / failed ──────► held again (history row with that result)
                                      └─ no report within RELEASE_TIMEOUT ──► held again (retention purge)

Rules decided here (docs/decisions/0017-print-release.md):
- Policies and quotas are those of the job's OWNER, also when a delegate releases it: the owner's pages are
  printed, and the owner's cost center and department are what history and Analytics charge.
- The quota is checked at release with the pages the printer will print (document pages x copies) counting
  the owner's releases still in flight, and consumed when the printer reports the pages it did print.
- While a job is releasing only the application (printer) that started the release may download its
  document and report its outcome; the user's session is not needed for either (printing may outlast it).
"""
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from fleet.models import Printer

from ..choices import QUEUED_STATES, ColorMode, HistoryResult, JobState, TwoSided
from ..models import PrintJob
from . import policies, quotas
from .delegates import delegator_ids
from .history import ReleaseOutcome, record_history
from .jobs import delete_files
from .org_settings import get_settings
from .rights import may_print

RELEASE_TIMEOUT = timedelta(minutes=15)
OUTCOMES = (HistoryResult.PRINTED, HistoryResult.CANCELLED, HistoryResult.FAILED)

NOT_HELD = {
    JobState.RELEASING: ("releasing", "The job is already being printed."),
    JobState.RECEIVED: ("not_ready", "The job is still being prepared for printing."),
    JobState.CONVERTING: ("not_ready", "The job is still being prepared for printing."),
    JobState.FAILED: ("failed", "The document could not be converted for printing."),
}


class ReleaseError(Exception):
    """The whole request is refused (an option the organization does not allow, a job not releasing...)."""

    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Refusal:
    job_id: int
    code: str      # not_found, releasing, not_ready, failed, policy, printing_disabled, quota_exceeded, ...
    message: str


@dataclass
class ReleaseResult:
    released: list[PrintJob] = field(default_factory=list)   # in state releasing, release_settings set
    refused: list[Refusal] = field(default_factory=list)


def release_queue(user, organization, *, include_delegated: bool = True) -> QuerySet:
    """The held jobs the user may release at a printer: their own, and (delegation on, `include_delegated`) those
    of the users who made them a delegate. Oldest first when "List and auto-release oldest print jobs first"
    is on, newest first otherwise (the Print Queue page's order)."""
    if not may_print(user, organization):
        return PrintJob.objects.none()
    owners = [user.pk, *(delegator_ids(user, organization) if include_delegated else [])]
    jobs = (PrintJob.objects.filter(organization=organization, owner_id__in=owners, state=JobState.HELD)
            .select_related("owner"))
    if get_settings(organization).oldest_first:
        return jobs.order_by("submitted_at", "id")
    return jobs.order_by("-submitted_at", "-id")


def printer_for(organization, serial: str) -> Printer | None:
    """The fleet printer releasing (by serial number, in the application's organization); None when unknown:
    an unenrolled printer still prints, history then lacks its address and model."""
    serial = (serial or "").strip()
    if not serial:
        return None
    return Printer.objects.filter(organization=organization, serial=serial).order_by("pk").first()


def start_release(user, organization, job_ids, *, application, printer_serial: str = "", copies: int | None = None,
                  keep: bool = False, local_time=None, include_delegated: bool = True, color_mode: str | None = None,
                  two_sided: str | None = None) -> ReleaseResult:
    """Release `job_ids` (or "all": the user's release queue, in its order) at the application's printer.
    Each job is checked and moved to releasing on its own; what cannot be released is refused with a code and
    a message, and stays held. `copies`, `color_mode` and `two_sided` are the Print Release app's Change Print
    Settings for this release (the job keeps its own); the print policy applies after them. Raises
    ReleaseError for an option the organization does not allow."""
    org_settings = get_settings(organization)
    if copies is not None and not org_settings.change_copies_before_release:
        raise ReleaseError("copies_not_allowed", "Changing the number of copies at the printer is not enabled "
                                                 "for this organization.")
    if keep and not org_settings.print_and_keep:
        raise ReleaseError("keep_not_allowed", "Print and keep is not enabled for this organization.")
    if not may_print(user, organization):
        raise ReleaseError("not_allowed", "You do not have permission to release print jobs.")
    printer = printer_for(organization, printer_serial)
    owners = {user.pk, *(delegator_ids(user, organization) if include_delegated else [])}
    if job_ids == "all":
        ids = list(release_queue(user, organization, include_delegated=include_delegated)
                   .values_list("pk", flat=True))
    else:
        ids = list(dict.fromkeys(int(pk) for pk in job_ids))
    result = ReleaseResult()
    for pk in ids:
        with transaction.atomic():
            outcome = _release_one(pk, user, organization, owners, application=application, printer=printer,
                                   copies=copies, keep=keep, local_time=local_time,
                                   changes={"color_mode": color_mode, "two_sided": two_sided})
        (result.released if isinstance(outcome, PrintJob) else result.refused).append(outcome)
    return result


def _release_one(pk, user, organization, owners, *, application, printer, copies, keep, local_time, changes):
    job = (PrintJob.objects.select_for_update(of=("self",)).select_related("owner")
           .filter(pk=pk, organization=organization).first())
    if job is None or job.owner_id not in owners:
        return Refusal(pk, "not_found", "There is no such print job in your queue.")
    if job.state != JobState.HELD:
        code, message = NOT_HELD.get(job.state, ("not_found", "There is no such print job in your queue."))
        return Refusal(pk, code, message)
    if not job.document:
        return Refusal(pk, "not_ready", "The job is still being prepared for printing.")
    if changes.get("color_mode") == ColorMode.COLOR and job.color_mode == ColorMode.MONO:
        return Refusal(pk, "color_change", "A black-and-white job cannot be changed to color at the printer.")
    for name, value in changes.items():
        if value is not None:
            setattr(job, name, value)   # this release only: the save below writes the release fields alone
    owner = job.owner
    decision = policies.decide(owner, organization, job, local_time=local_time)
    if not decision.allowed:
        return Refusal(pk, "policy", decision.reason or "Your print policy does not allow printing now.")
    copies = copies if copies is not None else job.copies
    impressions = (job.pages or 0) * copies
    color = decision.color_mode == ColorMode.COLOR and job.color is not False
    try:
        _check_quota(owner, organization, impressions, color)
    except quotas.QuotaRefused as exc:
        return Refusal(pk, exc.code, str(exc))
    job.state = JobState.RELEASING
    job.release_started_at = timezone.now()
    job.release_by = user
    job.release_printer = printer
    job.release_settings = {
        **job.print_settings(), "copies": copies, "color_mode": decision.color_mode,
        "two_sided": decision.two_sided, "policy_changed": list(decision.changed),
        "pages": job.pages or 0, "impressions": impressions, "color": color, "keep": bool(keep),
        "application": application.pk,
    }
    job.save(update_fields=["state", "release_started_at", "release_by", "release_printer", "release_settings"])
    return job


def _check_quota(owner, organization, impressions: int, color: bool) -> None:
    """quotas.check_release for this job on top of the owner's releases not yet reported (their pages are not
    consumed yet): color pages against the color and total limits, all pages against the total. Reading the
    allowance locks the owner's usage row first: one release at a time per owner counts the others in flight."""
    quota = quotas.allowance(owner, organization, lock=True)
    in_flight = PrintJob.objects.filter(organization=organization, owner=owner, state=JobState.RELEASING)
    reserved = {True: 0, False: 0}
    for charged_color, pages in in_flight.values_list("release_settings__color", "release_settings__impressions"):
        reserved[bool(charged_color)] += int(pages or 0)
    total = reserved[True] + reserved[False]
    quotas.check_allowance(quota, pages=impressions, color=color)
    if not total:
        return
    try:
        if color:
            quotas.check_allowance(quota, pages=impressions + reserved[True], color=True)
        quotas.check_allowance(quota, pages=impressions + total, color=False)
    except quotas.QuotaRefused as exc:
        raise quotas.QuotaRefused(exc.code, f"{exc} This counts the {total} pages of your jobs being printed "
                                            "right now.") from exc


def auto_release(user, organization, *, application, printer_serial: str = "", local_time=None) -> ReleaseResult:
    """Automatic print release at login: every job of the authenticated user's own queue ("Only the print jobs
    of the authenticated user are released"), in the queue's order. Refused while the setting is off."""
    if not get_settings(organization).automatic_release:
        raise ReleaseError("automatic_release_off", "Automatic print release is not enabled for this organization.")
    return start_release(user, organization, "all", application=application, printer_serial=printer_serial,
                         local_time=local_time, include_delegated=False)


def listed_job(user, organization, job_id) -> PrintJob | None:
    """A job of the user's printer list (own or a delegator's) in any queued state, else None: what the
    printer may act on besides releasing (delete)."""
    if not may_print(user, organization):
        return None
    job = (PrintJob.objects.select_related("owner", "organization")
           .filter(pk=job_id, organization=organization, state__in=QUEUED_STATES).first())
    if job is None or job.owner_id not in {user.pk, *delegator_ids(user, organization)}:
        return None
    return job


def releasing_job(organization, application, job_id) -> PrintJob:
    """The job `application` is printing right now (for its document and its outcome), else DoesNotExist."""
    job = PrintJob.objects.select_related("owner").get(pk=job_id, organization=organization,
                                                       state=JobState.RELEASING)
    if job.release_settings.get("application") != application.pk:
        raise PrintJob.DoesNotExist
    return job


@dataclass(frozen=True)
class PrinterReport:
    """What the printer reports for one release. `pages` are the pages it printed (impressions, every copy);
    unset values are those of the release."""

    result: str
    pages: int | None = None
    sheets: int | None = None
    color: bool | None = None
    duplex: bool | None = None
    paper_size: str = ""


@transaction.atomic
def report_outcome(organization, application, job_id, report: PrinterReport) -> PrintJob | None:
    """Close the release of `job_id`. Printed: history "printed", the owner's quota consumed, and the job leaves
    the queue (None returned), or with print and keep goes back to held. Cancelled or failed: the job goes back
    to held ("Jobs that are canceled or not successfully printed are not deleted from the print queue") with a
    history row of that result. Raises PrintJob.DoesNotExist, ReleaseError for a bad result."""
    if report.result not in OUTCOMES:
        raise ReleaseError("invalid_result", f"result must be one of {', '.join(OUTCOMES)}.", status=400)
    job = PrintJob.objects.select_for_update(of=("self",)).select_related("owner", "organization").get(
        pk=job_id, organization=organization, state=JobState.RELEASING)
    if job.release_settings.get("application") != application.pk:
        raise PrintJob.DoesNotExist
    done = job.release_settings
    printed = report.result == HistoryResult.PRINTED
    duplex = report.duplex if report.duplex is not None else done.get("two_sided") in (TwoSided.LONG_EDGE,
                                                                                       TwoSided.SHORT_EDGE)
    impressions = report.pages if report.pages is not None else (done.get("impressions", 0) if printed else 0)
    color = report.color if report.color is not None else bool(done.get("color"))
    copies = done.get("copies", job.copies)
    record_history(job, job.release_printer, ReleaseOutcome(
        result=report.result, pages=job.pages or 0, copies=copies, impressions=impressions, sheets=report.sheets,
        color=color and impressions > 0, duplex=duplex, paper_size=report.paper_size[:32],
        paper_type=str(done.get("paper_type", ""))[:32] if done.get("paper_type") != "printer" else "",
        released_by=job.release_by))
    if printed and impressions:
        quotas.consume(job.owner, organization, pages=impressions, color=color)
    if printed and not done.get("keep"):
        files = [f.name for f in (job.original, job.document) if f]
        job.delete()
        transaction.on_commit(lambda: delete_files(files))
        return None
    if printed:
        job.release_count += 1
    _back_to_held(job)
    return job


def _back_to_held(job: PrintJob) -> None:
    job.state = JobState.HELD
    job.release_started_at = None
    job.release_by = None
    job.release_printer = None
    job.release_settings = {}
    job.save(update_fields=["state", "release_count", "release_started_at", "release_by", "release_printer",
                            "release_settings"])


def expire_releases(now=None) -> int:
    """Retention purge: releases the printer never reported within RELEASE_TIMEOUT go back to held (the printer
    crashed or lost the network; the job must not stay stuck in "Printing"), each with a "failed" history row
    that charges nothing: the attempt shows in the history, and a report arriving later is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(PrintJob.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("owner", "organization", "release_by", "release_printer")
                     .filter(state=JobState.RELEASING, release_started_at__lt=now - RELEASE_TIMEOUT)[:1000])
        for job in stale:
            record_history(job, job.release_printer, ReleaseOutcome(
                result=HistoryResult.FAILED, copies=job.release_settings.get("copies", job.copies), impressions=0,
                sheets=0, color=False, released_by=job.release_by, at=now))
            _back_to_held(job)
    return len(stale)

