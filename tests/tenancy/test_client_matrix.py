"""The tenancy matrix of the client API (routes under api/client/, authenticated by an application's token).

For every route (walked from the URL resolver, so a new route fails until it is listed here): no token → 401
(JSON, WWW-Authenticate), a forged token → 401, a revoked application's token → 401; the print client of
organization B never sees, authenticates or learns anything about a submission of organization A (404, the
same answer as for a key that does not exist), even with the credentials of A's user; A's own client is answered."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from accounts.services import applications
from printmgmt.models import ClientSubmission, PrintJob
from tests.accounts.test_device_api_fixtures import access_token, printer_of
from tests.conftest import PASSWORD, make_user
from tests.printmgmt.documents import pdf_bytes
from tests.tenancy.test_device_matrix import _walk

PREFIX = "api/client/"


CLIENT_ROUTES = sorted({name: route for name, route in _walk(get_resolver().url_patterns)
                        if route.startswith(PREFIX)}.items())
# How each route is called: method, whether it names a submission, and the status the owning client gets.
CALLS = {
    "client:submissions": ("post", False, 202),
    "client:submission": ("get", True, 200),
    "client:submission-authenticate": ("post", True, 201),
}


@pytest.fixture
def world(acme, globex):
    acme_app, globex_app = printer_of(acme, "Acme client"), printer_of(globex, "Globex client")
    make_user(acme, "alice@acme.test", ["print_release_management_user"])
    return {"acme_app": acme_app, "acme": access_token(acme_app), "globex": access_token(globex_app)}


def _call(client, name, token=None, key=None):
    method, keyed, _status = CALLS[name]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = reverse(name, args=[key] if keyed else [])
    if name == "client:submissions":
        return client.post(url, {"file": SimpleUploadedFile("a.pdf", pdf_bytes())}, headers=headers)
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, json.dumps({"email": "alice@acme.test", "password": PASSWORD}),
                       content_type="application/json", headers=headers)


def _submission(client, world) -> str:
    response = _call(client, "client:submissions", world["acme"])
    assert response.status_code == 202
    return response.json()["key"]


def test_every_client_route_is_in_the_matrix():
    assert CLIENT_ROUTES, "no client routes found"
    missing = [name for name, _route in CLIENT_ROUTES if name not in CALLS]
    assert not missing, f"client routes missing from the matrix (add them to CALLS): {missing}"


@pytest.mark.django_db
@pytest.mark.parametrize("name,route", CLIENT_ROUTES, ids=[n for n, _r in CLIENT_ROUTES])
def test_client_route(name, route, world, client):
    key = _submission(client, world)
    anonymous = _call(client, name, key=key)
    assert anonymous.status_code == 401, f"no token {route}"
    assert anonymous.json()["error"] == "invalid_token" and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert _call(client, name, token="forged-token", key=key).status_code == 401

    if CALLS[name][1]:   # organization B's client: A's submission does not exist for it
        other = _call(client, name, world["globex"], key=key)
        assert other.status_code == 404, f"{route} answered another organization's client"
        assert "alice" not in other.content.decode() and key not in other.content.decode()
        assert ClientSubmission.objects.filter(key=key).exists() and not PrintJob.objects.exists()

    own = _call(client, name, world["acme"], key=key)
    assert own.status_code == CALLS[name][2], own.content

    applications.revoke_application(world["acme_app"])
    assert _call(client, name, world["acme"], key=key).status_code == 401, f"revoked application {route}"
