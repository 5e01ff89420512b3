"""Celery tasks of Account Management: thin wrappers around services, idempotent, JSON arguments."""
from celery import shared_task


@shared_task
def finish_pending_deletions():
    """Delete child organizations marked pending deletion (the 2025 delete flow)."""
    from .services.organizations import finish_pending_deletions as run

    return run()
