"""Files agents upload for their jobs (printer logs, MIB walks: spec B §5.10, D §13.3): only the job's agent may
upload, within the size limit; users download them with the File Service Administrator role until they expire."""
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fleet.choices import TaskType
from fleet.models import TaskFile
from fleet.services import tasks as task_services
from tests.conftest import make_user
from tests.fleet.tasks_support import agent_of, basic, printer_of

WALK = b"1.3.6.1.2.1.1.1.0 = STRING: Lexmark CX725de\n" * 20


@pytest.fixture(autouse=True)
def _no_broker(settings):
    settings.MQTT_URL = ""


@pytest.fixture
def agent(acme):
    return agent_of(acme)


@pytest.fixture
def job(acme, agent):
    return task_services.create_task(acme, TaskType.MIB_WALK, printers=[printer_of(agent)]).jobs.get()


def upload(client, agent, job_id, content=WALK, name="walk.txt"):
    return client.post(reverse("agents-api:job-files", kwargs={"job_id": job_id}),
                       {"file": SimpleUploadedFile(name, content, content_type="text/plain")}, **basic(agent))


def test_the_jobs_agent_uploads_a_file_kept_seven_days(client, agent, job):
    response = upload(client, agent, job.pk, name="../../mib walk.txt")
    assert response.status_code == 201, response.content
    body = response.json()
    stored = TaskFile.objects.get(pk=body["id"])
    assert (stored.job, stored.organization_id, stored.size) == (job, job.organization_id, len(WALK))
    assert stored.name == body["name"] == "mib_walk.txt"
    assert timedelta(days=6, hours=23) < stored.expires_at - timezone.now() <= timedelta(days=7)
    with stored.content.open("rb") as handle:
        assert handle.read() == WALK


def test_another_agent_cannot_upload_for_the_job(client, acme, globex, job):
    for stranger in (agent_of(acme), agent_of(globex)):
        assert upload(client, stranger, job.pk).status_code == 404
    assert client.post(reverse("agents-api:job-files", kwargs={"job_id": job.pk}),
                       {"file": SimpleUploadedFile("x.txt", b"x")}).status_code == 401
    assert not TaskFile.objects.exists()


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(client, settings, agent, job):
    settings.FLEET_TASK_FILE_MAX_BYTES = len(WALK) - 1
    response = upload(client, agent, job.pk)  # within the multipart allowance: refused by the size check
    assert response.status_code == 413 and "must not exceed" in response.json()["detail"]
    settings.FLEET_TASK_FILE_MAX_BYTES = 10
    assert upload(client, agent, job.pk, content=b"x" * 100_000).status_code == 413  # refused unread
    assert not TaskFile.objects.exists()


def test_upload_needs_the_file_part_and_an_open_job(client, agent, job):
    response = client.post(reverse("agents-api:job-files", kwargs={"job_id": job.pk}), {"other": "x"},
                           **basic(agent))
    assert response.status_code == 400 and "file" in response.json()
    task_services.stop_job(job)
    assert upload(client, agent, job.pk).status_code == 409


# ---------------------------------------------------------------------------------------------- download
@pytest.fixture
def stored(job):
    return task_services.attach_file(job, SimpleUploadedFile("walk.txt", WALK))


def file_url(org, task_file):
    return reverse("fleet:task-file", kwargs={"org_id": org.pk, "file_id": task_file.pk})


def test_file_service_administrators_download_it(client, acme, stored):
    client.force_login(make_user(acme, "files@acme.test", ["file_service_administrator",
                                                            "fleet_management_administrator"]))
    response = client.get(file_url(acme, stored))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == WALK
    assert response["Content-Disposition"] == 'attachment; filename="walk.txt"'
    page = client.get(reverse("fleet:task", kwargs={"org_id": acme.pk, "task_id": stored.job.task_id}))
    assert file_url(acme, stored).encode() in page.content and b"Expiration: " in page.content


def test_fleet_administrators_without_the_file_role_cannot_download(client, acme, stored):
    client.force_login(make_user(acme, "fleet@acme.test", ["fleet_management_administrator"]))
    assert client.get(file_url(acme, stored)).status_code == 403
    page = client.get(reverse("fleet:task", kwargs={"org_id": acme.pk, "task_id": stored.job.task_id}))
    assert b"walk.txt" in page.content and file_url(acme, stored).encode() not in page.content


def test_another_organizations_file_answers_404(client, acme, globex, stored):
    client.force_login(make_user(globex, "files@globex.test", ["file_service_administrator"]))
    assert client.get(file_url(globex, stored)).status_code == 404
    assert client.get(file_url(acme, stored)).status_code == 404


def test_expired_files_answer_404_and_are_purged(client, acme, stored):
    client.force_login(make_user(acme, "files@acme.test", ["file_service_administrator"]))
    path = stored.content.name
    assert default_storage.exists(path)
    TaskFile.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(file_url(acme, stored)).status_code == 404
    from fleet.tasks import purge_task_files

    assert purge_task_files.delay().get() == 1
    assert not TaskFile.objects.exists() and not default_storage.exists(path)
