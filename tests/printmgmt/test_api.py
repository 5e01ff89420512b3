"""The Print Management API: the same services behind the gate (upload, list, settings, delete, delegates,
organization settings, history)."""
import pytest

from printmgmt.models import Delegate, PrintJob
from printmgmt.services.org_settings import update_settings

from .documents import image_bytes, pdf_bytes, upload


@pytest.fixture
def api(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def base(org):
    return f"/api/v1/organizations/{org.pk}/print"


def test_upload_list_change_and_delete_a_job(api, acme, pam, django_capture_on_commit_callbacks):
    client = api(pam)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{base(acme)}/jobs/", {"file": upload("two.pdf", pdf_bytes(2)), "copies": 3,
                                                       "title": "Quarterly"})
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    listing = client.get(f"{base(acme)}/jobs/").json()
    job = listing["results"][0]
    assert (job["title"], job["state"], job["pages"], job["copies"], job["owner"]) == (
        "Quarterly", "held", 2, 3, "pam@acme.test")
    response = client.patch(f"{base(acme)}/jobs/{job_id}/", {"copies": 5, "two_sided": "short_edge"},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["copies"] == 5
    assert client.patch(f"{base(acme)}/jobs/{job_id}/", {"copies": 0},
                        content_type="application/json").status_code == 400
    assert client.delete(f"{base(acme)}/jobs/{job_id}/").status_code == 204
    assert not PrintJob.objects.exists()


def test_an_upload_whose_content_lies_is_a_400_with_the_reason(api, acme, pam):
    response = api(pam).post(f"{base(acme)}/jobs/", {"file": upload("photo.pdf", image_bytes())})
    assert response.status_code == 400
    assert "is not a PDF document: its content is a JPG image" in str(response.json())


def test_default_settings(api, acme, pam):
    client = api(pam)
    assert client.get(f"{base(acme)}/default-settings/").json()["copies"] == 1
    response = client.patch(f"{base(acme)}/default-settings/", {"copies": 2}, content_type="application/json")
    assert response.status_code == 200 and response.json()["copies"] == 2


def test_delegates(api, acme, pam, dan):
    client = api(pam)
    assert client.post(f"{base(acme)}/delegates/", {"delegate": "dan@acme.test"},
                       content_type="application/json").status_code == 400   # delegation is off
    update_settings(acme, delegation=True)
    response = client.post(f"{base(acme)}/delegates/", {"delegate": "dan@acme.test", "expires_after_days": 2},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["delegate"] == "dan@acme.test" and response.json()["expires_at"]
    delegate_id = response.json()["id"]
    assert [d["delegate"] for d in client.get(f"{base(acme)}/delegates/").json()["results"]] == ["dan@acme.test"]
    assert api(dan).delete(f"{base(acme)}/delegates/{delegate_id}/").status_code == 404   # not dan's
    assert api(pam).delete(f"{base(acme)}/delegates/{delegate_id}/").status_code == 204
    assert not Delegate.objects.exists()


def test_organization_settings_for_administrators(api, acme, pam, ada, settings):
    settings.PRINT_EMAIL_DOMAIN = "example.org"
    assert api(pam).get(f"{base(acme)}/settings/").status_code == 403
    client = api(ada)
    body = client.get(f"{base(acme)}/settings/").json()
    assert body["email_address"] == "acme@print.example.org" and body["retention_value"] == 1
    response = client.patch(f"{base(acme)}/settings/", {"delegation": True, "retention_value": 8},
                            content_type="application/json")
    assert response.status_code == 400 and "retention_value" in response.json()
    response = client.patch(f"{base(acme)}/settings/", {"delegation": True, "history_value": 3},
                            content_type="application/json")
    assert response.status_code == 200 and response.json()["delegation"] is True


def test_history_is_the_callers_own(api, acme, pam, dan, submit):
    from printmgmt.services.history import ReleaseOutcome, record_history

    record_history(submit(acme, pam, upload("a.pdf", pdf_bytes())), None, ReleaseOutcome())
    record_history(submit(acme, dan, upload("b.pdf", pdf_bytes())), None, ReleaseOutcome())
    rows = api(pam).get(f"{base(acme)}/history/").json()["results"]
    assert [r["owner_email"] for r in rows] == ["pam@acme.test"]
    assert api(pam).get(f"{base(acme)}/history/", {"start": "yesterday"}).status_code == 400
