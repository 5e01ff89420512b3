"""Celery tasks of Fleet Management: thin wrappers around fleet.services, idempotent, JSON arguments."""
from celery import shared_task


# --- Tasks (fleet.services.tasks / commands): time-outs, unsent commands, expired files ----------------------
@shared_task
def expire_jobs():
    """Every 5 minutes: pending jobs older than a week and jobs in progress for 24 hours expire."""
    from .services.tasks import expire_jobs as run

    return run()


@shared_task
def send_pending_commands():
    """Every 5 minutes: publish the commands the MQTT broker did not acknowledge when their task was created."""
    from .services.commands import send_unsent

    return send_unsent()


@shared_task
def purge_task_files():
    """Hourly: files agents uploaded for jobs are deleted once expired."""
    from .services.tasks import purge_task_files as run

    return run()


# --- Telemetry (fleet.services.communication) ---------------------------------------------------------------
@shared_task
def update_communication():
    """Every 2 minutes: silent printers become "Not communicating", printers of a silent Fleet or Local Agent
    "Agent not communicating"."""
    from .services.communication import update_communication as run

    return run()


@shared_task
def purge_ingest_records():
    """Daily: applied message ids past their retention and expired diagnostic events."""
    from .services.communication import purge_ingest_records as run

    return run()


# --- Days to Replace (fleet.services.supplies) -------------------------------------------------------------
@shared_task
def predict_days_to_replace():
    """Daily: the Days to Replace prediction of toner, photoconductor and imaging-unit supplies."""
    from .services.supplies import predict_days_to_replace as run

    return run()
