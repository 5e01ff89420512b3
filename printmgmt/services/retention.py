"""Retention by Celery beat: queued jobs past their expiry leave the queue (history row "expired", files
deleted), history rows older than PRINT_HISTORY_RETENTION_DAYS go, delegations past their expiry end, print-client
submissions nobody authenticated within three minutes and e-mail guests idle for 14 days are deleted."""
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from ..choices import HistoryResult, JobState
from ..models import PrintJob, PrintJobHistory
from .client_submission import purge_expired as purge_client_submissions
from .delegates import expire_delegates
from .guests import purge_idle_guests
from .jobs import remove_jobs
from .release import expire_releases

BATCH = 500


def purge(now=None) -> dict[str, int]:
    """One pass; idempotent, safe to run concurrently (rows are locked and re-read per batch)."""
    now = now or timezone.now()
    # releases never reported go back to held first, so that an expired one can then leave the queue
    releases = expire_releases(now)
    return {"releases": releases, "jobs": expire_jobs(now), "history": purge_history(now),
            "delegates": expire_delegates(now), "client_submissions": purge_client_submissions(now),
            "guests": purge_idle_guests(now)}


def expire_jobs(now) -> int:
    """Jobs older than the retention ("released and unreleased jobs"), in batches; jobs being printed wait."""
    total = 0
    while True:
        with transaction.atomic():
            ids = list(PrintJob.objects.filter(expires_at__lte=now).exclude(state=JobState.RELEASING)
                       .order_by("expires_at").values_list("pk", flat=True)[:BATCH])
            if not ids:
                return total
            jobs = list(PrintJob.objects.select_for_update().select_related("owner", "organization")
                        .filter(pk__in=ids, expires_at__lte=now).exclude(state=JobState.RELEASING))
            remove_jobs(jobs, HistoryResult.EXPIRED)
            total += len(jobs)
        if len(ids) < BATCH:
            return total


def purge_history(now) -> int:
    cutoff = now - timedelta(days=django_settings.PRINT_HISTORY_RETENTION_DAYS)
    deleted, _ = PrintJobHistory.objects.filter(recorded_at__lt=cutoff).delete()
    return deleted
