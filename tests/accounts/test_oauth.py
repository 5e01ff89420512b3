"""POST /oauth/token (spec A §31, issue 3 item 5): client credentials of an organization's application, as the
guide's JSON body or the RFC 6749 form body; 7200-second Bearer tokens; wrong, rotated or revoked secrets get
401 with a JSON error. Also through a real HTTP client against the live server."""
import base64
import json
import urllib.error
import urllib.request

import pytest
from django.urls import reverse
from oauth2_provider.models import AccessToken

from accounts.models import Application
from accounts.services import applications as app_services

TOKEN_URL = "/oauth/token"


@pytest.fixture
def device_app(acme):
    return app_services.create_application(acme, "Lobby printer", kind="device")


def _json(client, body):
    return client.post(TOKEN_URL, json.dumps(body), content_type="application/json")


def test_token_endpoint_url():
    assert reverse("oauth-token") == TOKEN_URL


def test_json_body_gets_a_bearer_token_for_7200_seconds(client, device_app):
    app, secret = device_app
    response = _json(client, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["token_type"] == "Bearer" and data["expires_in"] == 7200 and data["access_token"]
    assert AccessToken.objects.filter(application=app).count() == 1


def test_form_body_gets_a_token(client, device_app):
    app, secret = device_app
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials", "client_id": app.client_id,
                                       "client_secret": secret})
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_http_basic_credentials_get_a_token(client, device_app):
    app, secret = device_app
    basic = base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()
    response = client.post(TOKEN_URL, {"grant_type": "client_credentials"}, HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200


def test_token_endpoint_needs_no_csrf_token(device_app):
    from django.test import Client

    app, secret = device_app
    response = _json(Client(enforce_csrf_checks=True),
                     {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret})
    assert response.status_code == 200


def test_issuing_a_token_sets_last_used(client, device_app):
    app, secret = device_app
    assert app.last_used_at is None
    _json(client, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret})
    app.refresh_from_db()
    assert app.last_used_at is not None


def test_wrong_secret_is_refused_with_401_json(client, device_app):
    app, _secret = device_app
    response = _json(client, {"grant_type": "client_credentials", "client_id": app.client_id,
                              "client_secret": "not-the-secret"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    app.refresh_from_db()
    assert app.last_used_at is None


def test_unknown_client_is_refused(client, device_app):
    response = _json(client, {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"{}"])
def test_malformed_json_bodies_are_refused_with_a_json_error(client, body):
    response = client.post(TOKEN_URL, body, content_type="application/json")
    assert response.status_code in (400, 401)
    assert "error" in response.json()


def test_revoked_application_gets_no_token(client, device_app):
    app, secret = device_app
    app_services.revoke_application(app)
    response = _json(client, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret})
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_rotated_secret_replaces_the_old_one(client, device_app):
    app, old = device_app
    new = app_services.rotate_secret(app)
    assert new != old
    body = {"grant_type": "client_credentials", "client_id": app.client_id}
    assert _json(client, {**body, "client_secret": old}).status_code == 401
    assert _json(client, {**body, "client_secret": new}).status_code == 200


def test_rotating_and_revoking_delete_the_issued_tokens(client, device_app):
    app, secret = device_app
    _json(client, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": secret})
    assert AccessToken.objects.filter(application=app).exists()
    new = app_services.rotate_secret(app)
    assert not AccessToken.objects.filter(application=app).exists()
    _json(client, {"grant_type": "client_credentials", "client_id": app.client_id, "client_secret": new})
    assert AccessToken.objects.filter(application=app).exists()
    app_services.revoke_application(app)
    assert not AccessToken.objects.filter(application=app).exists()


def test_other_grant_types_are_refused(client, device_app):
    app, secret = device_app
    response = _json(client, {"grant_type": "password", "client_id": app.client_id, "client_secret": secret,
                              "username": "a", "password": "b"})
    assert response.status_code in (400, 401)
    assert "error" in response.json()


# ---- a real HTTP client against the running server ----

def _post(url, data: bytes, content_type: str):
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.django_db(transaction=True)
def test_live_server_issues_tokens_for_json_and_form_bodies(live_server):
    from accounts.services.organizations import create_organization

    org = create_organization("Live Org")
    app, secret = app_services.create_application(org, "Live printer")
    url = live_server.url + TOKEN_URL
    status, data = _post(url, json.dumps({"grant_type": "client_credentials", "client_id": app.client_id,
                                          "client_secret": secret}).encode(), "application/json")
    assert status == 200 and data["token_type"] == "Bearer" and data["expires_in"] == 7200
    from urllib.parse import urlencode

    status, data = _post(url, urlencode({"grant_type": "client_credentials", "client_id": app.client_id,
                                         "client_secret": secret}).encode(), "application/x-www-form-urlencoded")
    assert status == 200 and data["access_token"]
    status, data = _post(url, json.dumps({"grant_type": "client_credentials", "client_id": app.client_id,
                                          "client_secret": "wrong"}).encode(), "application/json")
    assert status == 401 and data["error"] == "invalid_client"
    assert Application.objects.get(pk=app.pk).last_used_at is not None
