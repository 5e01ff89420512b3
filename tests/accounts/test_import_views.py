"""Import Users page, its progress page, the user-imports API and `manage.py import_users`."""
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.choices import ImportStatus
from accounts.models import User, UserImport
from accounts.services import imports as svc
from tests.conftest import make_user

DATA = Path(__file__).resolve().parent.parent / "data"


def upload(text, name="users.csv"):
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


def good_file():
    return svc.HEADER_LINE + "\nnew@company.com,CREATE,,New,User,,,Group 1\nbad@company.com,CREATE,weak\n"


@pytest.fixture
def admin_client(client, org_admin):
    client.force_login(org_admin)
    return client


def test_import_page_shows_the_form_labels_and_format(admin_client, acme):
    response = admin_client.get(reverse("accounts:user-import", kwargs={"org_id": acme.pk}))
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("Import Users", "E-mail a link to change the password", "Cancel", svc.HEADER_LINE,
                  "The size of the CSV file must not exceed 1MB.", 'accept=".csv,.txt"'):
        assert label in html


def test_import_page_needs_users_manage(client, member, acme):
    client.force_login(member)
    assert client.get(reverse("accounts:user-import", kwargs={"org_id": acme.pk})).status_code == 403


def test_sample_csv_is_the_guides_sample(admin_client, acme):
    response = admin_client.get(reverse("accounts:user-import-sample", kwargs={"org_id": acme.pk}))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode() == svc.SAMPLE_CSV


def test_upload_runs_the_import_and_shows_progress_and_errors(admin_client, acme, django_capture_on_commit_callbacks):
    url = reverse("accounts:user-import", kwargs={"org_id": acme.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"file": upload(good_file()), "send_password_links": "on"})
    user_import = UserImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:user-import-detail",
                                           kwargs={"org_id": acme.pk, "import_id": user_import.pk})
    assert User.objects.get(email="new@company.com").member_of.get().name == "Group 1"
    page = admin_client.get(response["Location"]).content.decode()
    assert "Done" in page and '<progress max="100" value="100"' in page and 'http-equiv="refresh"' not in page
    assert '<td data-label="Line">3</td><td data-label="E-mail">bad@company.com</td>' in page
    assert {tuple(m.to) for m in mail.outbox} == {("new@company.com",), ("admin@acme.test",)}
    assert "users.csv" in admin_client.get(url).content.decode()  # recent imports


def test_running_import_page_refreshes_every_two_seconds(admin_client, acme, org_admin):
    running = UserImport.objects.create(organization=acme, created_by=org_admin, filename="big.csv",
                                        content="", status=ImportStatus.RUNNING, total_rows=200, processed_rows=50)
    page = admin_client.get(reverse("accounts:user-import-detail",
                                    kwargs={"org_id": acme.pk, "import_id": running.pk})).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page and 'value="25"' in page


def test_bad_file_upload_shows_the_message_and_stores_nothing(admin_client, acme):
    url = reverse("accounts:user-import", kwargs={"org_id": acme.pk})
    response = admin_client.post(url, {"file": upload(svc.HEADER_LINE.lower() + "\n")})
    assert response.status_code == 200 and "case-sensitive" in response.content.decode()
    assert not UserImport.objects.exists()


def test_import_of_another_organization_answers_404(admin_client, acme, globex, globex_admin):
    other = UserImport.objects.create(organization=globex, created_by=globex_admin, filename="x.csv", content="")
    url = reverse("accounts:user-import-detail", kwargs={"org_id": acme.pk, "import_id": other.pk})
    assert admin_client.get(url).status_code == 404


@pytest.fixture
def api(org_admin):
    client = APIClient()
    client.force_authenticate(org_admin)
    return client


def test_api_upload_answers_201_with_the_import(api, acme, django_capture_on_commit_callbacks):
    url = f"/api/v1/organizations/{acme.pk}/user-imports/"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url, {"file": upload(good_file()), "send_password_links": "true"}, format="multipart")
    assert response.status_code == 201, response.content
    assert set(response.data) >= {"id", "status", "percent", "result"}
    detail = api.get(f"{url}{response.data['id']}/")
    assert detail.status_code == 200 and detail.data["status"] == "done" and detail.data["percent"] == 100
    assert detail.data["result"]["created"] == 1 and detail.data["result"]["errors"][0]["line"] == 3
    assert api.get(url).data["results"][0]["id"] == response.data["id"]


def test_api_bad_file_answers_400_with_a_message(api, acme):
    url = f"/api/v1/organizations/{acme.pk}/user-imports/"
    response = api.post(url, {"file": upload(b"x" * (1024 * 1024 + 1))}, format="multipart")
    assert response.status_code == 400 and "must not exceed 1MB" in response.data["detail"]
    assert api.post(url, {}, format="multipart").status_code == 400
    assert not UserImport.objects.exists()


def test_api_import_of_another_organization_answers_404(api, acme, globex, globex_admin):
    other = UserImport.objects.create(organization=globex, created_by=globex_admin, filename="x.csv", content="")
    assert api.get(f"/api/v1/organizations/{acme.pk}/user-imports/{other.pk}/").status_code == 404


def test_api_needs_users_manage(member, acme):
    client = APIClient()
    client.force_authenticate(member)
    assert client.get(f"/api/v1/organizations/{acme.pk}/user-imports/").status_code == 403


def test_command_prints_progress_and_the_log(acme, org_admin, tmp_path, monkeypatch):
    monkeypatch.setattr(svc, "BATCH_SIZE", 2)
    make_user(acme, "llane@company.com")
    make_user(acme, "ckent@company.com")
    out = StringIO()
    call_command("import_users", str(DATA / "guide_users.csv"), "--org", str(acme.pk), "--send-password-links",
                 "--as", "admin@acme.test", stdout=out)
    text = out.getvalue()
    assert "Imported 1/3 rows (33%)" in text and "Imported 3/3 rows (100%)" in text
    assert "Created:    1" in text and "Deleted:    1" in text
    assert "Line 3 (llane@company.com): Password must contain an uppercase character." in text
    assert User.objects.filter(email="jdoe@company.com").exists()


def test_command_exits_with_status_1_for_a_rejected_file(acme, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("email,operation\n")
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_users", str(bad), "--org", acme.name)
