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


@shared_task(bind=True, max_retries=60)
def send_guest_confirmation(self, sealed_address: str, user_id: int, job_ids: list, refused: list):
    """After a guest's e-mail: the PIN and the queue, once its documents are converted (looked at every 5 seconds,
    sent as it is after 5 minutes). The address arrives sealed and is stored nowhere."""
    from .services.guests import send_confirmation

    final = self.request.retries >= self.max_retries
    if not send_confirmation(sealed_address, user_id, job_ids, refused, final=final):
        raise self.retry(countdown=5)
    return True


@shared_task
def purge_print_jobs():
    """Every 5 minutes: expired jobs leave the queues, old history rows and expired delegations go."""
    from .services.retention import purge

    return purge()
