"""Celery tasks of Account Management: thin wrappers around services, idempotent, JSON arguments."""
from celery import shared_task


@shared_task
def finish_pending_deletions():
    """Delete child organizations marked pending deletion (the 2025 delete flow)."""
    from .services.organizations import finish_pending_deletions as run

    return run()


@shared_task
def run_user_import(import_id: int):
    """Run a stored user import (accounts.services.imports.run_import); gone or finished imports are skipped."""
    from .models import UserImport
    from .services.imports import run_import

    user_import = UserImport.objects.select_related("organization", "created_by").filter(pk=import_id).first()
    if user_import is None:
        return None
    return run_import(user_import).status


@shared_task
def purge_printer_login_records():
    """Daily: temporary badges past their 24 hours, used or expired login codes and badge registration links,
    and authentication audit rows older than the retention (accounts.services.retention)."""
    from .services.retention import purge_printer_login_records as run

    return run()


@shared_task
def refresh_saml_metadata():
    """Daily: SAML providers configured by metadata URL pick up a rotated certificate (identity_providers)."""
    from .services.identity_providers import refresh_saml_metadata as run

    return run()
