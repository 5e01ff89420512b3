"""The tenancy matrix of the device API (routes under api/device/, authenticated by an application's token).

For every route (walked from the URL resolver, so a new route fails until it is listed here):
- no token → 401 (JSON, WWW-Authenticate); a revoked application's token → 401; its own organization's
  printer → answered.
For every login method (badge, PIN, badge + PIN, e-mail + password, login code) and the registration calls:
a printer of organization B presenting the credentials of a user of organization A never gets A's user;
a printer of A does.
"""
import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Badge, BadgeRegistration
from tests.accounts.test_device_api_fixtures import ALL_METHODS, Person, access_token, configure, printer_of

PREFIX = "api/device/"


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}:{p.name}".strip(":"), prefix + str(p.pattern)


DEVICE_ROUTES = sorted({name: route for name, route in _walk(get_resolver().url_patterns)
                        if route.startswith(PREFIX)}.items())

# How to call each route: HTTP method and a body (the status a valid printer gets with it).
CALLS = {
    "device:login-configuration": ("get", None, 200),
    "device:authenticate": ("post", {"method": "badge", "badge": "20171a"}, 200),
    "device:badges-register": ("post", {"badge": "fresh", "email": "alice@acme.test", "password": "Test-pass1!"}, 201),
    "device:badges-register-by-email": ("post", {"badge": "fresh", "email": "alice@acme.test"}, 202),
    "device:session": ("get", None, 401),  # without X-Session-Token: the printer is in, the session is not
    # print release (printmgmt/api/release.py): the user's calls need a session; a job the printer is not
    # releasing is 404 (tests/printmgmt/test_release.py: a printer of another organization never sees a job)
    "device-print:jobs": ("get", None, 401),
    "device-print:release": ("post", {"all": True}, 401),
    "device-print:auto-release": ("post", {}, 401),
    "device-print:job-delete": ("post", {}, 401),
    "device-print:job-document": ("get", None, 404),
    "device-print:job-outcome": ("post", {"result": "printed"}, 404),
}
CALL_KWARGS = {name: {"job_id": 2**31 - 1} for name in ("device-print:job-delete", "device-print:job-document",
                                                        "device-print:job-outcome")}


@pytest.fixture
def world(acme, globex):
    configure(acme, **ALL_METHODS)
    configure(globex, **ALL_METHODS)
    acme_app, globex_app = printer_of(acme, "Acme printer"), printer_of(globex, "Globex printer")
    alice = Person(acme, "alice@acme.test", "20171a", "4821", ["print_release_management_user"])
    return {"acme_app": acme_app, "globex_app": globex_app, "alice": alice,
            "acme_token": access_token(acme_app), "globex_token": access_token(globex_app)}


def _call(client, name, token=None, body=None, headers=None):
    method, default_body, _status = CALLS[name]
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = reverse(name, kwargs=CALL_KWARGS.get(name))
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, body if body is not None else default_body, content_type="application/json",
                       headers=headers)


def test_every_device_route_is_in_the_matrix():
    assert DEVICE_ROUTES, "no device routes found"
    missing = [name for name, _route in DEVICE_ROUTES if name not in CALLS]
    assert not missing, f"device routes missing from the matrix (add them to CALLS): {missing}"


@pytest.mark.parametrize("name,route", DEVICE_ROUTES, ids=[n for n, _r in DEVICE_ROUTES])
def test_device_route(name, route, world, client):
    assert name in CALLS, f"{name} is not in the device matrix"
    anonymous = _call(client, name)
    assert anonymous.status_code == 401, f"no token {route}"
    assert anonymous.json()["error"] == "invalid_token"
    assert anonymous["WWW-Authenticate"].startswith("Bearer")

    assert _call(client, name, token="forged-token").status_code == 401, f"unknown token {route}"

    assert _call(client, name, token=world["acme_token"]).status_code == CALLS[name][2], f"own printer {route}"

    revoked_app = printer_of(world["acme_app"].organization, "Revoked printer")
    revoked_token = access_token(revoked_app)
    type(revoked_app).objects.filter(pk=revoked_app.pk).update(revoked_at=timezone.now())
    assert _call(client, name, token=revoked_token).status_code == 401, f"revoked application {route}"


@pytest.mark.parametrize("method", ["badge", "pin", "badge_pin", "password", "code"])
def test_a_printer_of_another_organization_cannot_authenticate_the_user(method, world, client, acme, globex):
    if method == "badge_pin":
        from accounts.choices import LoginMode

        configure(acme, mode=LoginMode.BADGE_PIN, secure_login=True)
        configure(globex, mode=LoginMode.BADGE_PIN, secure_login=True)
    alice = world["alice"]
    foreign = _call(client, "device:authenticate", world["globex_token"], alice.credentials(method))
    assert foreign.status_code in (401, 404), f"{method}: {foreign.status_code} {foreign.content!r}"
    assert "session_token" not in foreign.json()
    own = _call(client, "device:authenticate", world["acme_token"], alice.credentials(method))
    assert own.status_code == 200, own.content
    assert own.json()["user"]["id"] == alice.user.pk


def test_the_same_badge_and_pin_in_another_organization_belong_to_its_own_user(world, client, globex):
    namesake = Person(globex, "alice@globex.test", "20171a", "4821")
    for method in ("badge", "pin"):
        response = _call(client, "device:authenticate", world["globex_token"], world["alice"].credentials(method))
        assert response.json()["user"]["id"] == namesake.user.pk


def test_a_session_token_of_one_organization_is_refused_by_another(world, client):
    token = _call(client, "device:authenticate", world["acme_token"]).json()["session_token"]
    assert _call(client, "device:session", world["acme_token"], headers={"X-Session-Token": token}).status_code == 200
    assert _call(client, "device:session", world["globex_token"], headers={"X-Session-Token": token}).status_code == 401


def test_a_printer_of_another_organization_cannot_register_a_badge_for_the_user(world, client,
                                                                                 django_capture_on_commit_callbacks):
    alice = world["alice"]
    manual = _call(client, "device:badges-register", world["globex_token"],
                   {"badge": "fresh", "email": alice.email, "password": alice.password})
    assert manual.status_code == 401
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        by_email = _call(client, "device:badges-register-by-email", world["globex_token"],
                         {"badge": "fresh", "email": alice.email})
    assert by_email.status_code == 202
    assert mail.outbox == []
    assert not Badge.objects.filter(badge_id="fresh").exists()
    assert not BadgeRegistration.objects.exists()


# --- the Fleet integration API (issue 8): routes authenticated by an integration application's token ---------

INTEGRATION_PREFIXES = ("v1.0/", "assets/", "cfm/fleetmgmt-integration-service/")
INTEGRATION_ROUTES = sorted({name: route for name, route in _walk(get_resolver().url_patterns)
                             if route.startswith(INTEGRATION_PREFIXES)}.items())
# Every integration route and how to read the serial numbers out of its answer.
INTEGRATION_CALLS = {
    **{f"{ns}:{name}": "page" for ns in ("integration", "integration-cfm")
       for name in ("assets", "supplies", "diagnostics", "alerts", "counters")},
    "integration:inventory-counters": "list",
    "integration-cfm:inventory-counters": "list",
}


@pytest.fixture
def fleets(partner, acme, globex):
    """A printer in each organization and an integration application (with a token) in each."""
    from accounts.choices import ApplicationKind
    from tests.fleet.test_integration_api_fixtures import full_printer, integration_app, token_for

    tokens = {}
    for org in (partner, acme, globex):
        full_printer(org, f"{org.name.upper().replace(' ', '-')}-1")
        tokens[org.name] = token_for(integration_app(org)[0])
    tokens["device"] = token_for(integration_app(acme, "Lobby printer", kind=ApplicationKind.DEVICE)[0])
    revoked = integration_app(acme, "Revoked connector")[0]
    tokens["revoked"] = token_for(revoked)
    type(revoked).objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    return tokens


def _serials(client, name, token):
    response = client.get(reverse(name), headers={"Authorization": f"Bearer {token}"} if token else {})
    if response.status_code != 200:
        return response.status_code
    body = response.json()
    items = body["content"] if INTEGRATION_CALLS[name] == "page" else body
    return sorted(item["serialNumber"] for item in items)


def test_every_integration_route_is_in_the_matrix():
    assert len(INTEGRATION_ROUTES) == 12, INTEGRATION_ROUTES
    missing = [name for name, _route in INTEGRATION_ROUTES if name not in INTEGRATION_CALLS]
    assert not missing, f"integration routes missing from the matrix (add them to INTEGRATION_CALLS): {missing}"


@pytest.mark.parametrize("name,route", INTEGRATION_ROUTES, ids=[n for n, _r in INTEGRATION_ROUTES])
def test_integration_route(name, route, fleets, client):
    assert name in INTEGRATION_CALLS, f"{name} is not in the integration matrix"
    assert _serials(client, name, None) == 401, f"no token {route}"
    assert _serials(client, name, "forged-token") == 401, f"unknown token {route}"
    assert _serials(client, name, fleets["revoked"]) == 401, f"revoked application {route}"
    assert _serials(client, name, fleets["device"]) == 403, f"a printer's token {route}"
    # an organization's token: its own assets only, never a sibling's
    assert _serials(client, name, fleets["Acme"]) == ["ACME-1"], route
    assert _serials(client, name, fleets["Globex"]) == ["GLOBEX-1"], route
    # a partner's token: its own and its children's
    assert _serials(client, name, fleets["Demo Partner"]) == ["ACME-1", "DEMO-PARTNER-1", "GLOBEX-1"], route
