"""The client API for print clients (the LPMC's role, /api/client/v1/): the client sends a document as the
organization's application, its user authenticates within three minutes (TC-P9) and the document enters their
queue; late, wrong, cross-organization and unprivileged attempts are refused, and nothing stays on disk."""
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.choices import ApplicationKind, OrganizationStatus
from accounts.services import applications
from printmgmt.choices import JobSource, JobState
from printmgmt.models import ClientSubmission, PrintJob
from printmgmt.services import retention
from tests.accounts.test_device_api_fixtures import access_token, printer_of
from tests.conftest import PASSWORD, make_user

from .documents import image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def lpmc(acme):
    return printer_of(acme, "Print client")


@pytest.fixture
def auth(lpmc):
    return {"Authorization": f"Bearer {access_token(lpmc)}"}


def submit(client, auth, name="report.pdf", content=None, **fields):
    upload = SimpleUploadedFile(name, pdf_bytes(2) if content is None else content)
    return client.post(reverse("client:submissions"), {"file": upload, **fields}, headers=auth)


def authenticate(client, auth, key, email="pam@acme.test", password=PASSWORD):
    return client.post(reverse("client:submission-authenticate", args=[key]),
                       json.dumps({"email": email, "password": password}), content_type="application/json",
                       headers=auth)


def stored_files(acme) -> list[Path]:
    root = Path(django_settings.MEDIA_ROOT) / "print" / str(acme.pk) / "pending"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_token_from_oauth_then_submit_then_authenticate_puts_the_job_in_the_queue(client, acme, pam,
                                                                                 django_capture_on_commit_callbacks):
    app, secret = applications.create_application(acme, "Workstation client", kind=ApplicationKind.DEVICE)
    token = client.post("/oauth/token", json.dumps({"grant_type": "client_credentials", "client_id": app.client_id,
                                                    "client_secret": secret}), content_type="application/json")
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    response = submit(client, auth, title="Quarterly", copies="2", two_sided="long_edge")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["state"] == "waiting" and body["authenticate_url"].endswith(f"/submissions/{body['key']}/authenticate")
    deadline = ClientSubmission.objects.get(key=body["key"]).deadline
    assert abs(deadline - (timezone.now() + timedelta(minutes=3))) < timedelta(seconds=10)
    assert len(stored_files(acme)) == 1
    status = client.get(reverse("client:submission", args=[body["key"]]), headers=auth)
    assert status.status_code == 200 and status.json()["file_name"] == "report.pdf"

    with django_capture_on_commit_callbacks(execute=True):
        done = authenticate(client, auth, body["key"])
    assert done.status_code == 201, done.content
    job = PrintJob.objects.get(pk=done.json()["job_id"])
    assert (job.owner, job.source, job.title, job.copies, job.two_sided) == (pam, JobSource.CLIENT, "Quarterly", 2,
                                                                            "long_edge")
    assert job.state == JobState.HELD and job.pages == 2
    assert not ClientSubmission.objects.exists() and stored_files(acme) == []
    assert client.get(reverse("client:submission", args=[body["key"]]), headers=auth).status_code == 404


def test_tc_p9_not_authenticated_within_three_minutes_the_document_is_deleted(client, acme, pam, auth,
                                                                             django_capture_on_commit_callbacks):
    key = submit(client, auth).json()["key"]
    ClientSubmission.objects.filter(key=key).update(deadline=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        late = authenticate(client, auth, key)
    assert late.status_code == 410 and late.json()["error"] == "expired"
    assert not ClientSubmission.objects.exists() and not PrintJob.objects.exists() and stored_files(acme) == []
    assert authenticate(client, auth, key).status_code == 404


def test_a_late_status_call_answers_gone_and_deletes(client, acme, auth, django_capture_on_commit_callbacks):
    key = submit(client, auth).json()["key"]
    ClientSubmission.objects.filter(key=key).update(deadline=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(reverse("client:submission", args=[key]), headers=auth).status_code == 410
    assert stored_files(acme) == []


def test_the_retention_purge_deletes_expired_submissions_and_their_files(client, acme, auth,
                                                                         django_capture_on_commit_callbacks):
    waiting = submit(client, auth).json()["key"]
    expired = submit(client, auth).json()["key"]
    ClientSubmission.objects.filter(key=expired).update(deadline=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.purge()["client_submissions"] == 1
    assert [str(k) for k in ClientSubmission.objects.values_list("key", flat=True)] == [waiting]
    assert len(stored_files(acme)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        retention.purge(now=timezone.now() + timedelta(minutes=4))
    assert not ClientSubmission.objects.exists() and stored_files(acme) == []


@pytest.mark.parametrize("name,content,fields,field", [
    ("empty.pdf", b"", {}, "file"),
    ("photo.pdf", image_bytes("JPEG"), {}, "file"),          # content is not what the name says
    ("archive.zip", b"PK\x03\x04zip", {}, "file"),
    ("report.pdf", None, {"copies": "0"}, "copies"),
    ("report.pdf", None, {"color_mode": "rainbow"}, "color_mode"),
])
def test_a_bad_file_or_setting_is_refused_at_once_and_nothing_is_stored(client, acme, auth, name, content, fields,
                                                                         field):
    response = submit(client, auth, name=name, content=content, **fields)
    assert response.status_code == 400 and field in response.json(), response.content
    assert not ClientSubmission.objects.exists() and stored_files(acme) == []


def test_a_missing_file_is_refused(client, auth):
    response = client.post(reverse("client:submissions"), {"title": "x"}, headers=auth)
    assert response.status_code == 400 and "file" in response.json()


def test_wrong_password_and_another_organizations_user_get_401_and_the_submission_waits(client, acme, pam, globex,
                                                                                       auth):
    make_user(globex, "gus@globex.test", ["print_release_management_user"])
    key = submit(client, auth).json()["key"]
    assert authenticate(client, auth, key, password="wrong").status_code == 401
    refused = authenticate(client, auth, key, email="gus@globex.test")
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_credentials"
    assert authenticate(client, auth, key, email="nobody@acme.test").status_code == 401
    assert authenticate(client, auth, key).status_code == 201


def test_a_user_without_a_print_role_is_refused(client, acme, member, auth):
    key = submit(client, auth).json()["key"]
    response = authenticate(client, auth, key, email=member.email)
    assert response.status_code == 403 and response.json()["error"] == "not_allowed"
    assert ClientSubmission.objects.filter(key=key).exists()


def test_password_guessing_is_throttled_like_printer_logins(client, acme, pam, auth):
    key = submit(client, auth).json()["key"]
    answers = [authenticate(client, auth, key, password=f"guess-{i}").status_code for i in range(11)]
    assert answers[:10] == [401] * 10 and answers[10] == 429
    assert authenticate(client, auth, key).status_code == 429   # even the right password waits


def test_only_printer_device_applications_submit(client, acme):
    agent, _secret = applications.create_application(acme, "Fleet agent", kind=ApplicationKind.AGENT)
    response = submit(client, {"Authorization": f"Bearer {access_token(agent)}"})
    assert response.status_code == 403 and not ClientSubmission.objects.exists()


def test_an_organization_being_deleted_takes_no_submission(client, acme, auth):
    """As for the rest of the device API (accounts.api.device.IsDeviceApplication): nothing is stored for an
    organization pending deletion."""
    acme.status = OrganizationStatus.PENDING_DELETION
    acme.save(update_fields=["status"])
    response = submit(client, auth)
    assert response.status_code == 403 and not ClientSubmission.objects.exists() and not stored_files(acme)


def test_another_client_of_the_same_organization_does_not_see_the_submission(client, acme, pam, auth):
    key = submit(client, auth).json()["key"]
    other = {"Authorization": f"Bearer {access_token(printer_of(acme, 'Other client'))}"}
    assert client.get(reverse("client:submission", args=[key]), headers=other).status_code == 404
    assert authenticate(client, other, key).status_code == 404


def test_a_print_token_authenticates_in_place_of_the_password(client, acme, pam, auth):
    from printmgmt.services import print_tokens

    _token, secret = print_tokens.create_token(pam, "Laptop")
    key = submit(client, auth).json()["key"]
    url = reverse("client:submission-authenticate", args=[key])
    wrong = client.post(url, json.dumps({"token": "lxp_not-a-real-token"}), content_type="application/json",
                        headers=auth)
    assert wrong.status_code == 401
    assert client.post(url, json.dumps({}), content_type="application/json", headers=auth).status_code == 400
    done = client.post(url, json.dumps({"token": secret}), content_type="application/json", headers=auth)
    assert done.status_code == 201 and PrintJob.objects.get(pk=done.json()["job_id"]).owner == pam
