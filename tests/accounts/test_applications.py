"""Applications (spec A §31, issue 3 items 5 and 8): client credentials per organization, the secret shown
once and stored hashed, rotate, revoke; the Applications tab, its API and `manage.py create_application`."""
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Application
from accounts.services import applications as app_services
from tests.conftest import make_user


def page(name, org, **kwargs):
    return reverse(f"accounts:{name}", kwargs={"org_id": org.pk, **kwargs})


def api(org, suffix=""):
    return f"/api/v1/organizations/{org.pk}/applications/{suffix}"


# ---- service ----

def test_created_application_is_a_confidential_client_credentials_client(acme):
    app, secret = app_services.create_application(acme, "Lobby printer", kind="agent")
    assert app.organization == acme and app.kind == "agent" and app.active
    assert app.client_type == Application.CLIENT_CONFIDENTIAL
    assert app.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    assert app.client_id and len(secret) >= 40


def test_secret_is_not_stored_in_clear(acme):
    app, secret = app_services.create_application(acme, "Lobby printer")
    stored = Application.objects.get(pk=app.pk).client_secret
    assert stored != secret and secret not in stored


def test_rotated_secret_is_new_and_not_stored_in_clear(acme):
    app, secret = app_services.create_application(acme, "Lobby printer")
    new = app_services.rotate_secret(app)
    stored = Application.objects.get(pk=app.pk).client_secret
    assert new != secret and stored != new and new not in stored


@pytest.mark.parametrize("name", ["", "   ", "x" * 256])
def test_application_name_is_required_and_bounded(acme, name):
    with pytest.raises(ValidationError):
        app_services.create_application(acme, name)
    assert not Application.objects.exists()


def test_unknown_kind_is_rejected(acme):
    with pytest.raises(ValidationError):
        app_services.create_application(acme, "X", kind="toaster")


def test_application_names_are_unique_among_active_applications(acme, globex):
    app, _ = app_services.create_application(acme, "Agent")
    with pytest.raises(ValidationError):
        app_services.create_application(acme, "agent")
    app_services.create_application(globex, "Agent")  # another organization may use it
    app_services.revoke_application(app)
    app_services.create_application(acme, "Agent")  # a revoked one no longer holds the name


def test_revoke_sets_revoked_at_and_is_idempotent(acme):
    app, _ = app_services.create_application(acme, "A")
    first = app_services.revoke_application(app).revoked_at
    assert first is not None
    assert app_services.revoke_application(app).revoked_at == first


def test_revoked_application_cannot_be_rotated(acme):
    app, _ = app_services.create_application(acme, "A")
    app_services.revoke_application(app)
    with pytest.raises(ValidationError):
        app_services.rotate_secret(app)


def test_only_application_managers_may_act(acme, member, org_admin):
    with pytest.raises(PermissionDenied):
        app_services.create_application(acme, "A", by=member)
    app, _ = app_services.create_application(acme, "A", by=org_admin)
    with pytest.raises(PermissionDenied):
        app_services.rotate_secret(app, by=member)
    with pytest.raises(PermissionDenied):
        app_services.revoke_application(app, by=member)


# ---- the Applications tab ----

def test_applications_tab_lists_the_organizations_applications(client, acme, globex, org_admin):
    app_services.create_application(acme, "Lobby printer")
    app_services.create_application(globex, "Globex agent")
    client.force_login(org_admin)
    response = client.get(page("applications", acme))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Shows the list of installed applications that provide authentication credentials" in body
    for header in ("Name", "Kind", "Client ID", "Created", "Last used", "Status"):
        assert f"<th>{header}</th>" in body
    assert "Lobby printer" in body and "Globex agent" not in body
    assert "+ Create" in body and "Rotate secret" in body and "Revoke" in body


def test_applications_tab_is_read_only_for_viewers(client, acme):
    app_services.create_application(acme, "Lobby printer")
    viewer = make_user(acme, "hd@acme.test", ["help_desk"])
    client.force_login(viewer)
    body = client.get(page("applications", acme)).content.decode()
    assert "Lobby printer" in body and "+ Create" not in body and "Rotate secret" not in body


def test_create_shows_the_secret_once(client, acme, org_admin):
    client.force_login(org_admin)
    response = client.post(page("application-create", acme), {"name": "Front desk", "kind": "device"})
    assert response.status_code == 200
    app = Application.objects.get(organization=acme, name="Front desk")
    secret = response.context["secret"]
    body = response.content.decode()
    assert app.client_id in body and secret in body
    assert "will not be shown again" in body
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert secret not in client.get(page("applications", acme)).content.decode()
    assert Application.objects.get(pk=app.pk).client_secret != secret


def test_create_form_shows_errors(client, acme, org_admin):
    client.force_login(org_admin)
    response = client.post(page("application-create", acme), {"name": "", "kind": "device"})
    assert response.status_code == 200 and response.context["form"].errors
    assert not Application.objects.exists()


def test_rotate_from_the_tab_shows_a_new_secret(client, acme, org_admin):
    app, old = app_services.create_application(acme, "Front desk")
    client.force_login(org_admin)
    response = client.post(page("application-rotate", acme, application_id=app.pk))
    assert response.status_code == 200
    new = response.context["secret"]
    assert new != old and new in response.content.decode()


def test_revoke_from_the_tab(client, acme, org_admin):
    app, _ = app_services.create_application(acme, "Front desk")
    client.force_login(org_admin)
    response = client.post(page("application-revoke", acme, application_id=app.pk), follow=True)
    app.refresh_from_db()
    assert app.revoked_at is not None
    assert "Revoked" in response.content.decode()


def test_rotate_and_revoke_answer_405_to_get(client, acme, org_admin):
    app, _ = app_services.create_application(acme, "Front desk")
    client.force_login(org_admin)
    assert client.get(page("application-rotate", acme, application_id=app.pk)).status_code == 405
    assert client.get(page("application-revoke", acme, application_id=app.pk)).status_code == 405


def test_another_organizations_application_answers_404(client, acme, globex, org_admin):
    foreign, _ = app_services.create_application(globex, "Theirs")
    client.force_login(org_admin)
    assert client.post(page("application-rotate", acme, application_id=foreign.pk)).status_code == 404
    assert client.post(page("application-revoke", acme, application_id=foreign.pk)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_members_cannot_create_or_revoke(client, acme, member):
    app, _ = app_services.create_application(acme, "Front desk")
    client.force_login(member)
    assert client.post(page("application-create", acme), {"name": "X", "kind": "device"}).status_code == 403
    assert client.post(page("application-revoke", acme, application_id=app.pk)).status_code == 403


def test_application_list_query_count_does_not_grow(client, acme, org_admin, django_assert_max_num_queries):
    app_services.create_application(acme, "First")
    client.force_login(org_admin)
    client.get(page("applications", acme))
    with django_assert_max_num_queries(20) as few:
        client.get(page("applications", acme))
    for i in range(15):
        app_services.create_application(acme, f"Printer {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(page("applications", acme))
    assert len(response.context["applications"]) == 16


# ---- API ----

def test_api_create_answers_the_secret_once(client, acme, org_admin):
    client.force_login(org_admin)
    response = client.post(api(acme), {"name": "Agent 1", "kind": "agent"}, content_type="application/json")
    assert response.status_code == 201
    data = response.json()
    assert data["client_secret"] and data["client_id"] and data["kind"] == "agent"
    listed = client.get(api(acme)).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["name"] for r in rows] == ["Agent 1"] and "client_secret" not in rows[0]
    detail = client.get(api(acme, f"{data['id']}/")).json()
    assert "client_secret" not in detail
    assert Application.objects.get(pk=data["id"]).client_secret != data["client_secret"]


def test_api_create_rejects_bad_input_with_400(client, acme, org_admin):
    client.force_login(org_admin)
    assert client.post(api(acme), {"name": "", "kind": "agent"}, content_type="application/json").status_code == 400
    assert client.post(api(acme), {"name": "X", "kind": "toaster"}, content_type="application/json").status_code == 400
    app_services.create_application(acme, "Dup")
    response = client.post(api(acme), {"name": "Dup"}, content_type="application/json")
    assert response.status_code == 400 and "unique" in json.dumps(response.json())


def test_api_rotate_and_revoke(client, acme, org_admin):
    app, old = app_services.create_application(acme, "A")
    client.force_login(org_admin)
    response = client.post(api(acme, f"{app.pk}/rotate/"))
    assert response.status_code == 200 and response.json()["client_secret"] not in ("", old)
    assert client.delete(api(acme, f"{app.pk}/")).status_code == 204
    app.refresh_from_db()
    assert app.revoked_at is not None
    assert client.get(api(acme, f"{app.pk}/")).json()["active"] is False
    assert client.post(api(acme, f"{app.pk}/rotate/")).status_code == 400


def test_api_another_organizations_application_answers_404(client, acme, globex, org_admin):
    foreign, _ = app_services.create_application(globex, "Theirs")
    client.force_login(org_admin)
    assert client.get(api(acme, f"{foreign.pk}/")).status_code == 404
    assert client.delete(api(acme, f"{foreign.pk}/")).status_code == 404
    assert client.post(api(acme, f"{foreign.pk}/rotate/")).status_code == 404
    assert client.get(api(globex)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_api_viewers_may_list_but_not_create(client, acme):
    viewer = make_user(acme, "hd@acme.test", ["help_desk"])
    client.force_login(viewer)
    assert client.get(api(acme)).status_code == 200
    assert client.post(api(acme), {"name": "X"}, content_type="application/json").status_code == 403


# ---- manage.py create_application ----

def test_command_prints_one_json_object(acme):
    out = StringIO()
    call_command("create_application", "--org", str(acme.pk), "--name", "Fleet agent", "--kind", "agent", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"client_id", "client_secret", "organization", "kind"}
    assert data["organization"] == str(acme.pk) and data["kind"] == "agent"
    app = Application.objects.get(client_id=data["client_id"])
    assert app.organization == acme and app.client_secret != data["client_secret"]


def test_command_accepts_the_organization_name_and_defaults_to_device(acme, client):
    out = StringIO()
    call_command("create_application", "--org", "Acme", "--name", "Printer", stdout=out)
    data = json.loads(out.getvalue())
    assert data["kind"] == "device"
    response = client.post("/oauth/token", json.dumps({"grant_type": "client_credentials", **{
        k: data[k] for k in ("client_id", "client_secret")}}), content_type="application/json")
    assert response.status_code == 200


def test_command_refuses_an_unknown_organization(db):
    with pytest.raises(CommandError):
        call_command("create_application", "--org", "Nowhere", "--name", "X", stdout=StringIO())


def test_command_refuses_an_empty_name(acme):
    with pytest.raises(CommandError):
        call_command("create_application", "--org", "Acme", "--name", " ", stdout=StringIO())
