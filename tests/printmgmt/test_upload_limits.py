"""Uploads are bounded while they arrive (printmgmt/uploads.py): past PRINT_MAX_UPLOAD_BYTES a file is no longer
written, and it is refused with the size message, on the Print Queue page (where the CSRF check still holds),
the print API and the print-client API."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from printmgmt.models import ClientSubmission, PrintJob
from printmgmt.uploads import BoundedUploadHandler
from tests.accounts.test_device_api_fixtures import access_token, printer_of

from .documents import pdf_bytes

pytestmark = pytest.mark.django_db
LIMIT = 4096


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.PRINT_MAX_UPLOAD_BYTES = LIMIT


def big():
    return SimpleUploadedFile("big.pdf", pdf_bytes(1) + b"%" * (200 * 1024))


def test_the_handler_keeps_at_most_the_limit_and_one_byte(rf):
    handler = BoundedUploadHandler(rf.post("/"))
    handler.new_file("file", "big.pdf", "application/pdf", 300_000)
    for start in range(0, 300_000, 65_536):
        handler.receive_data_chunk(b"x" * 65_536, start)
    stored = handler.file_complete(300_000)
    stored.seek(0)
    assert stored.size == 300_000 and len(stored.read()) == LIMIT + 1   # the size told, the bytes kept


def test_print_queue_upload_refuses_a_large_file_and_still_checks_csrf(acme, pam):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pam)
    url = reverse("printmgmt:queue-upload", kwargs={"org_id": acme.pk})
    assert browser.post(url, {"files": [big()]}).status_code == 403          # no CSRF token
    page = browser.get(reverse("printmgmt:queue", kwargs={"org_id": acme.pk}))
    token = page.cookies["csrftoken"].value
    response = browser.post(url, {"files": [big()], "csrfmiddlewaretoken": token}, follow=True)
    assert "documents larger than 4 KB cannot be printed" in response.content.decode()
    assert not PrintJob.objects.exists()


def test_print_api_and_client_api_refuse_a_large_file(client, acme, pam):
    client.force_login(pam)
    response = client.post(reverse("api-print-jobs", kwargs={"org_id": acme.pk}), {"file": big()})
    assert response.status_code == 400 and "cannot be printed" in response.content.decode()
    auth = {"Authorization": f"Bearer {access_token(printer_of(acme, 'Print client'))}"}
    response = client.post(reverse("client:submissions"), {"file": big()}, headers=auth)
    assert response.status_code == 400 and "cannot be printed" in response.content.decode()
    assert not PrintJob.objects.exists() and not ClientSubmission.objects.exists()
