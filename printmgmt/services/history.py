"""Print Job History rows: written when a release ends (record_history, called by the release API with the
printer's report) and when a job leaves the queue unprinted (deleted, expired). What they copy from the job
and the user (names, cost center, department) stays right after the job and the user are gone."""
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from accounts.access import effective_permissions
from accounts.roles import Perm

from ..choices import HistoryResult, TwoSided
from ..models import PrintJob, PrintJobHistory
from .org_settings import get_settings, history_since


@dataclass(frozen=True)
class ReleaseOutcome:
    """What the printer reported for one release. Unset numbers are derived from the job (document pages ×
    copies; sheets halved when duplex)."""

    result: str = HistoryResult.PRINTED
    pages: int | None = None          # pages of the document
    copies: int | None = None
    impressions: int | None = None
    sheets: int | None = None
    color: bool | None = None
    duplex: bool | None = None
    paper_size: str = ""
    paper_type: str = ""
    released_by: object = None        # the User who released it (a delegate, when not the owner)
    at: datetime | None = None


def record_history(job: PrintJob, printer, result: ReleaseOutcome) -> PrintJobHistory:
    """One history row for `job` released at `printer` (a fleet Printer or None). The job itself is not changed:
    closing it (or keeping it, print and keep) is the release service's part."""
    pages = result.pages if result.pages is not None else (job.pages or 0)
    copies = result.copies if result.copies is not None else job.copies
    duplex = result.duplex if result.duplex is not None else job.two_sided in (TwoSided.LONG_EDGE, TwoSided.SHORT_EDGE)
    impressions = result.impressions if result.impressions is not None else pages * copies
    sheets = result.sheets if result.sheets is not None else sheets_for(impressions, copies, duplex)
    color = result.color if result.color is not None else bool(job.color) and job.color_mode == "color"
    by = result.released_by
    return PrintJobHistory.objects.create(
        **_job_facts(job), result=result.result, recorded_at=result.at or timezone.now(),
        printer=printer, printer_ip=getattr(printer, "ip_address", "") or "",
        printer_serial=getattr(printer, "serial", "") or "",
        printer_model=str(getattr(printer, "model_name", "") or ""),
        pages=pages, copies=copies, impressions=impressions, sheets=sheets, color=color, duplex=duplex,
        paper_size=result.paper_size or job.document_paper_size, paper_type=result.paper_type,
        released_by=by if by is not None and by.pk != job.owner_id else None,
        released_by_email=by.email if by is not None and by.pk != job.owner_id else "")


def sheets_for(impressions: int, copies: int, duplex: bool) -> int:
    """Sheets of paper for `impressions` printed sides over `copies` copies (each copy starts a sheet)."""
    if not duplex:
        return impressions
    copies = max(copies, 1)
    return -(-(impressions // copies) // 2) * copies


def removal_row(job: PrintJob, result: str, at: datetime) -> PrintJobHistory:
    """An unsaved row for a job deleted or expired unprinted (bulk-created by the callers)."""
    return PrintJobHistory(**_job_facts(job), result=result, recorded_at=at, pages=job.pages or 0,
                           copies=job.copies, impressions=0, sheets=0, color=bool(job.color),
                           duplex=job.two_sided in (TwoSided.LONG_EDGE, TwoSided.SHORT_EDGE),
                           paper_size=job.document_paper_size)


def _job_facts(job: PrintJob) -> dict:
    owner = job.owner
    keep_names = get_settings(job.organization).keep_file_names
    return {"organization_id": job.organization_id, "job_id": job.pk, "owner": owner, "owner_email": owner.email,
            "title": job.title if keep_names else "", "source": job.source, "format": job.format,
            "submitted_at": job.submitted_at, "cost_center": owner.cost_center, "department": owner.department}


def history_for(viewer, organization, *, user=None, start=None, end=None, results=(HistoryResult.PRINTED,)
                ) -> QuerySet:
    """The Print Job History page's rows: the viewer's own, or (administrators and reporting analysts) any
    user's or everyone's; inside the organization's history window, narrowed to [start, end] dates."""
    rows = PrintJobHistory.objects.for_user(viewer, (Perm.PRINT_USE, Perm.PRINT_ADMIN, Perm.PRINT_REPORTS),
                                            organization=organization)
    if not can_see_everyone(viewer, organization):
        user = viewer
    if user is not None:
        rows = rows.filter(owner=user)
    rows = rows.filter(recorded_at__gte=history_since(organization))
    if start is not None:
        rows = rows.filter(recorded_at__date__gte=start)
    if end is not None:
        rows = rows.filter(recorded_at__date__lte=end)
    if results:
        rows = rows.filter(result__in=results)
    return rows.select_related("released_by").order_by("-recorded_at", "-id")


def can_see_everyone(viewer, organization) -> bool:
    return bool({Perm.PRINT_ADMIN, Perm.PRINT_REPORTS} & effective_permissions(viewer, organization))
