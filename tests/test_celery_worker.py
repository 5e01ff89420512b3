"""A task travels through the real Redis broker to a real Celery worker and changes the database."""
import os
import time

import pytest
from celery.contrib.testing.worker import start_worker

from accounts.choices import OrganizationStatus
from accounts.models import Organization
from lexcloud.celery import app
from tests.services import require


@pytest.mark.django_db(transaction=True)
def test_pending_child_organization_is_deleted_by_a_worker_over_redis(partner, acme, settings):
    require("127.0.0.1", 6379, "redis-server")
    old = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager,
           "broker_transport_options": app.conf.broker_transport_options}
    _reset_pool()
    app.conf.broker_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    app.conf.broker_transport_options = {}
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    app.conf.task_default_queue = queue
    try:
        Organization.objects.filter(pk=acme.pk).update(status=OrganizationStatus.PENDING_DELETION)
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
            app.send_task("accounts.tasks.finish_pending_deletions", queue=queue)
            deadline = time.monotonic() + 20
            while Organization.objects.filter(pk=acme.pk).exists() and time.monotonic() < deadline:
                time.sleep(0.2)
        assert not Organization.objects.filter(pk=acme.pk).exists()
    finally:
        _reset_pool()
        app.conf.update(old)
        app.conf.task_default_queue = "celery"


def _reset_pool():
    """The app caches its broker connection pool: drop it so the next connection uses the current URL."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
