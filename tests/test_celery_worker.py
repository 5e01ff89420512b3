"""A task travels through the real Redis broker to a real Celery worker and changes the database."""
import os
import time

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker

import accounts.tasks  # noqa: F401  (registers the shared tasks on every app, this one included)
from accounts.choices import OrganizationStatus
from accounts.models import Organization
from tests.services import require


@pytest.mark.django_db(transaction=True)
def test_pending_child_organization_is_deleted_by_a_worker_over_redis(partner, acme):
    require("127.0.0.1", 6379, "redis-server")
    # A dedicated app: the project's app may hold pools of other brokers from earlier tests.
    app = Celery("lexcloud-worker-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    queue = f"test-{os.getpid()}-{time.monotonic_ns()}"
    app.conf.update(broker_url=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
                    broker_transport_options={}, task_always_eager=False, task_default_queue=queue)
    Organization.objects.filter(pk=acme.pk).update(status=OrganizationStatus.PENDING_DELETION)
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        app.send_task("accounts.tasks.finish_pending_deletions", queue=queue)
        deadline = time.monotonic() + 20
        while Organization.objects.filter(pk=acme.pk).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    assert not Organization.objects.filter(pk=acme.pk).exists()
