"""Celery tasks of Print Management: thin wrappers around printmgmt.services, idempotent, JSON arguments."""
from celery import shared_task


@shared_task
def convert_job(job_id: int):
    """Render a submitted job to PDF (scheduled by submit_job on commit). A job deleted meanwhile is skipped."""
    from .models import PrintJob
    from .services.conversion import convert

    job = PrintJob.objects.select_related("organization").filter(pk=job_id).first()
    if job is None:
        return None
    return convert(job).state


@shared_task
def purge_print_jobs():
    """Every 5 minutes: expired jobs leave the queues, old history rows and expired delegations go."""
    from .services.retention import purge

    return purge()
