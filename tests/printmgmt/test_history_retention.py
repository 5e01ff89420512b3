"""Print Job History (record_history, the page's window and filters) and the retention purge by beat."""
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from printmgmt.choices import HistoryResult, JobState
from printmgmt.models import PrintJob, PrintJobHistory
from printmgmt.services.history import ReleaseOutcome, history_for, record_history
from printmgmt.services.org_settings import update_settings
from printmgmt.services.retention import purge

from .documents import pdf_bytes, upload


@pytest.fixture
def printer(acme):
    from fleet.models import Printer

    return Printer.objects.create(organization=acme, serial="HIST-1", ip_address="127.0.1.9")


def test_record_history_keeps_what_analytics_needs(acme, pam, dan, printer, submit):
    update_settings(acme, keep_file_names=True)
    job = submit(acme, pam, upload("budget.pdf", pdf_bytes(3, color=True)))
    job.copies, job.two_sided = 2, "long_edge"
    row = record_history(job, printer, ReleaseOutcome(released_by=dan, paper_size="Letter"))
    assert (row.pages, row.copies, row.impressions, row.sheets, row.color, row.duplex) == (3, 2, 6, 4, True, True)
    assert (row.printer_ip, row.printer_serial, row.source, row.title) == ("127.0.1.9", "HIST-1", "web", "budget.pdf")
    assert (row.cost_center, row.department, row.released_by_email) == ("CC-7", "Sales", "dan@acme.test")


def test_file_names_are_kept_only_when_the_organization_says_so(acme, pam, printer, submit):
    job = submit(acme, pam, upload("salaries.pdf", pdf_bytes()))
    row = record_history(job, printer, ReleaseOutcome(released_by=pam))
    assert row.title == "" and row.released_by_email == ""   # the owner released it: no "Released By"


def test_the_printers_report_wins_over_the_jobs_settings(acme, pam, printer, submit):
    job = submit(acme, pam, upload("a.pdf", pdf_bytes(4)))
    row = record_history(job, printer, ReleaseOutcome(impressions=4, sheets=2, color=False, duplex=True))
    assert (row.impressions, row.sheets, row.duplex) == (4, 2, True)


def test_the_history_page_shows_the_window_and_filters(client, acme, pam, dan, ada, printer, submit):
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    recent = record_history(job, printer, ReleaseOutcome())
    record_history(job, printer, ReleaseOutcome(at=timezone.now() - timedelta(days=8)))   # outside 7 days
    record_history(submit(acme, dan, upload("d.pdf", pdf_bytes())), printer, ReleaseOutcome())
    assert list(history_for(pam, acme)) == [recent]
    url = reverse("printmgmt:history", kwargs={"org_id": acme.pk})
    client.force_login(pam)
    page = client.get(url).content.decode()
    assert page.count('data-testid="history-row"') == 1 and "127.0.1.9" in page
    client.force_login(ada)
    assert client.get(url).content.decode().count('data-testid="history-row"') == 2
    assert client.get(url, {"user": "dan@acme.test"}).content.decode().count('data-testid="history-row"') == 1
    yesterday = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert client.get(url, {"end": yesterday}).content.decode().count('data-testid="history-row"') == 0


def test_the_purge_expires_old_jobs_keeps_young_ones_and_removes_their_files(acme, pam, submit, settings,
                                                                              django_capture_on_commit_callbacks):
    from pathlib import Path

    old = submit(acme, pam, upload("old.pdf", pdf_bytes(2)))
    young = submit(acme, pam, upload("young.pdf", pdf_bytes()))
    PrintJob.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    path = Path(settings.MEDIA_ROOT, old.document.name)
    with django_capture_on_commit_callbacks(execute=True):
        counts = purge()
    assert counts["jobs"] == 1
    assert list(PrintJob.objects.values_list("pk", flat=True)) == [young.pk]
    row = PrintJobHistory.objects.get(job_id=old.pk)
    assert (row.result, row.pages) == (HistoryResult.EXPIRED, 2)
    assert not path.exists()


def test_jobs_being_printed_wait_for_the_next_purge(acme, pam, submit):
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    PrintJob.objects.filter(pk=job.pk).update(state=JobState.RELEASING, expires_at=timezone.now())
    assert purge()["jobs"] == 0


def test_history_is_kept_for_analytics_then_purged(acme, pam, printer, submit, settings):
    settings.PRINT_HISTORY_RETENTION_DAYS = 30
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    record_history(job, printer, ReleaseOutcome(at=timezone.now() - timedelta(days=29)))
    record_history(job, printer, ReleaseOutcome(at=timezone.now() - timedelta(days=31)))
    assert purge()["history"] == 1 and PrintJobHistory.objects.count() == 1


def test_the_beat_schedule_runs_the_purge(settings):
    from printmgmt.tasks import purge_print_jobs

    entry = settings.CELERY_BEAT_SCHEDULE["print-purge-jobs"]
    assert entry["task"] == purge_print_jobs.name


def test_ten_thousand_held_jobs_list_from_an_index(acme, pam):
    """The "my held jobs oldest first" query is answered from the (organization, owner, state, submitted_at) index."""
    from django.db import connection

    from printmgmt.services.jobs import queue_for

    sql, params = queue_for(pam, acme).order_by("submitted_at").query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")   # an empty table: make the planner show its index
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}" if connection.vendor == "sqlite" else f"EXPLAIN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "printjob_queue" in plan
