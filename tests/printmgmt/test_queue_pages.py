"""Print Queue pages: the user's jobs with their states and reasons, upload (one or many), per-job settings,
default settings, delete; administrators pick any user; a job of another organization is never shown."""
import pytest
from django.urls import reverse

from printmgmt.choices import JobState
from printmgmt.models import PrintJob, PrintJobHistory
from printmgmt.services.org_settings import update_settings

from .documents import image_bytes, pdf_bytes, upload


@pytest.fixture
def queue_url(acme):
    return reverse("printmgmt:queue", kwargs={"org_id": acme.pk})


def test_the_portal_home_opens_the_queue(client, acme, pam):
    client.force_login(pam)
    response = client.get(reverse("printmgmt:home", kwargs={"org_id": acme.pk}))
    assert response.status_code == 302 and response.url.endswith("/print/queue/")


def test_uploading_several_files_holds_each_and_reports_the_refused(client, acme, pam, queue_url,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(pam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("printmgmt:queue-upload", kwargs={"org_id": acme.pk}), {"files": [
            upload("two.pdf", pdf_bytes(2)), upload("photo.jpg", image_bytes()), upload("fake.pdf", b"hello")]},
            follow=True)
    page = response.content.decode()
    assert "2 files uploaded." in page
    assert "“fake.pdf” is not a PDF document: its content is plain text." in page
    jobs = {job.title: job for job in PrintJob.objects.filter(owner=pam)}
    assert set(jobs) == {"two.pdf", "photo.jpg"} and {j.state for j in jobs.values()} == {JobState.HELD}
    assert page.count('data-state="converting"') == 4 and "data-refresh-url" in page   # refreshes while converting
    page = client.get(queue_url).content.decode()
    assert page.count('data-testid="job-row"') == 2 and "data-refresh-url" not in page
    assert 'data-testid="job-pages">2<' in page


def test_failed_jobs_show_their_reason(client, acme, pam, queue_url, submit):
    submit(acme, pam, upload("broken.pdf", b"%PDF-1.4 not really"))
    client.force_login(pam)
    page = client.get(queue_url).content.decode()
    assert 'data-state="failed"' in page and "The PDF could not be read" in page


def test_the_email_banner_shows_the_submission_address(client, acme, pam, queue_url, settings):
    settings.PRINT_EMAIL_DOMAIN = "example.org"
    client.force_login(pam)
    assert b"email-banner" not in client.get(queue_url).content
    update_settings(acme, email_submission=True, email_username="acme")
    assert "acme@print.example.org" in client.get(queue_url).content.decode()


def test_changing_a_jobs_copies_and_settings(client, acme, pam, submit):
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    client.force_login(pam)
    url = reverse("printmgmt:job", kwargs={"org_id": acme.pk, "print_job_id": job.pk})
    form = {**job.print_settings(), "collate": "on", "copies": "4", "staple": "top_left", "description": "For the board"}
    response = client.post(url, form)
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.copies, job.staple, job.description) == (4, "top_left", "For the board")
    assert client.post(url, {**form, "copies": "0"}).status_code == 400


def test_default_print_settings_apply_to_later_uploads(client, acme, pam, submit):
    client.force_login(pam)
    url = reverse("printmgmt:queue-defaults", kwargs={"org_id": acme.pk})
    defaults = client.get(url).context["form"].initial
    assert client.post(url, {**defaults, "collate": "on", "copies": "2", "color_mode": "mono"}).status_code == 302
    job = submit(acme, pam, upload("a.pdf", pdf_bytes()))
    assert (job.copies, job.color_mode) == (2, "mono")


def test_deleting_jobs_leaves_history_rows_and_removes_the_files(client, acme, pam, submit,
                                                                  django_capture_on_commit_callbacks, settings):
    from pathlib import Path

    job = submit(acme, pam, upload("a.pdf", pdf_bytes(2)))
    files = [Path(settings.MEDIA_ROOT, job.original.name), Path(settings.MEDIA_ROOT, job.document.name)]
    client.force_login(pam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("printmgmt:queue-delete", kwargs={"org_id": acme.pk}), {"job": [job.pk]})
    assert response.status_code == 302
    assert not PrintJob.objects.filter(pk=job.pk).exists()
    row = PrintJobHistory.objects.get(job_id=job.pk)
    assert (row.result, row.pages, row.owner_email, row.cost_center) == ("deleted", 2, "pam@acme.test", "CC-7")
    assert not any(path.exists() for path in files)


def test_users_see_only_their_own_queue_and_administrators_pick_any_user(client, acme, pam, dan, ada, queue_url, submit):
    job = submit(acme, dan, upload("dans.pdf", pdf_bytes()))
    client.force_login(pam)
    assert b"dans.pdf" not in client.get(queue_url).content
    assert client.get(f"{queue_url}?user={dan.pk}").status_code == 403
    assert client.get(reverse("printmgmt:job", kwargs={"org_id": acme.pk, "print_job_id": job.pk})).status_code == 404
    client.post(reverse("printmgmt:queue-delete", kwargs={"org_id": acme.pk}), {"job": [job.pk]})
    assert PrintJob.objects.filter(pk=job.pk).exists()
    client.force_login(ada)
    page = client.get(f"{queue_url}?user=dan@acme.test").content.decode()
    assert "dans.pdf" in page and "dan@acme.test" in page


def test_a_job_of_another_organization_is_never_visible(client, acme, globex, pam, submit):
    from tests.conftest import make_user

    gina = make_user(globex, "gina@globex.test", ["print_release_management_administrator"])
    job = submit(acme, pam, upload("secret.pdf", pdf_bytes()))
    client.force_login(gina)
    assert client.get(reverse("printmgmt:job", kwargs={"org_id": globex.pk, "print_job_id": job.pk})).status_code == 404
    assert b"secret.pdf" not in client.get(reverse("printmgmt:queue", kwargs={"org_id": globex.pk})).content
    assert client.get(reverse("printmgmt:queue", kwargs={"org_id": acme.pk})).status_code == 404
    response = client.get(f"/api/v1/organizations/{globex.pk}/print/jobs/{job.pk}/")
    assert response.status_code == 404


def test_the_queue_lists_oldest_first_when_the_organization_says_so(client, acme, pam, queue_url, submit):
    first = submit(acme, pam, upload("first.pdf", pdf_bytes()))
    submit(acme, pam, upload("second.pdf", pdf_bytes()))
    client.force_login(pam)
    assert client.get(queue_url).context["rows"][0]["job"].title == "second.pdf"
    update_settings(acme, oldest_first=True)
    assert client.get(queue_url).context["rows"][0]["job"].pk == first.pk
