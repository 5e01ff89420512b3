"""The Fleet integration API (issue 8, guide appendix): token, the five v1.0 endpoints and the deprecated
counters endpoint, at the root and under /cfm/fleetmgmt-integration-service/; the guide's samples (repaired)
reproduced exactly from equivalent rows; paging; sub-resources; tenancy; queries per page; rate limit and
access log."""
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import ApplicationKind, OrganizationStatus
from accounts.services.organizations import create_organization
from fleet.models import IntegrationAccess, Printer
from tests.conftest import make_user
from tests.fleet.test_integration_api_fixtures import (
    ENDPOINTS,
    LEGACY,
    PREFIX,
    full_printer,
    integration_app,
    load_assets,
    load_legacy,
    sample,
    sample_organization,
    token_for,
    validate,
)

pytestmark = pytest.mark.django_db


def get(client, path, token, **params):
    return client.get(path, params, headers={"Authorization": f"Bearer {token}"} if token else {})


@pytest.fixture
def acme_token(acme):
    app, _secret = integration_app(acme)
    return token_for(app)


# --- Retrieve Token ---------------------------------------------------------------------------------------------

def test_token_with_the_guides_json_body_answers_the_guides_schema(client, acme):
    app, secret = integration_app(acme)
    before = int(timezone.now().timestamp())
    response = client.post("/oauth/token", json.dumps({"grant_type": "client_credentials", "client_id": app.client_id,
                                                       "client_secret": secret}), content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    validate("token", body)
    assert body["token_type"] == "bearer" and body["expires_in"] == 7200
    assert before - 1 <= body["created_at"] <= int(timezone.now().timestamp()) + 1  # Unix seconds
    assert get(client, "/v1.0/assets", body["access_token"]).status_code == 200


def test_token_form_body_still_works_and_bad_credentials_answer_401_json(client, acme):
    app, secret = integration_app(acme)
    form = client.post("/oauth/token", {"grant_type": "client_credentials", "client_id": app.client_id,
                                        "client_secret": secret})
    assert form.status_code == 200 and isinstance(form.json()["created_at"], int)
    wrong = client.post("/oauth/token", json.dumps({"grant_type": "client_credentials", "client_id": app.client_id,
                                                    "client_secret": "wrong"}), content_type="application/json")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_printer_applications_keep_their_bearer_token_type(client, acme):
    app, secret = integration_app(acme, "Lobby printer", kind=ApplicationKind.DEVICE)
    body = client.post("/oauth/token", json.dumps({"grant_type": "client_credentials", "client_id": app.client_id,
                                                   "client_secret": secret}), content_type="application/json").json()
    assert body["token_type"] == "Bearer" and "created_at" in body


# --- the guide's samples, reproduced --------------------------------------------------------------------------

@pytest.mark.parametrize("path,name", sorted(ENDPOINTS.items()))
@pytest.mark.parametrize("prefix", ["", PREFIX])
def test_the_guides_sample_is_reproduced_exactly_from_equivalent_rows(client, path, name, prefix):
    expected = sample(name)
    org = sample_organization(expected["content"][0]["accountId"])
    load_assets(expected["content"])
    app, _secret = integration_app(org)
    response = get(client, prefix + path, token_for(app))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json() == expected
    validate(name, response.json())


@pytest.mark.parametrize("prefix", ["", PREFIX])
def test_the_deprecated_counters_sample_is_reproduced(client, prefix):
    org = create_organization("Legacy Org")
    expected = sample("inventory-counters")
    load_legacy(expected, org)
    app, _secret = integration_app(org)
    response = get(client, prefix + LEGACY, token_for(app))
    assert response.status_code == 200
    assert response.json() == expected
    validate("inventory-counters", response.json())


def test_the_deprecated_endpoint_leaves_out_counters_it_does_not_know(client, acme, acme_token):
    Printer.objects.create(organization=acme, serial="S1", counters_at=timezone.now(),
                           counters={"printSideCount": 5, "totalScanCount": 7, "colorLargeSideCount": 1})
    [item] = get(client, LEGACY, acme_token).json()
    assert item["counters"] == {"printSideCount": 5}


# --- paging ---------------------------------------------------------------------------------------------------

def test_paging_defaults_and_right_page_metadata(client, acme, acme_token):
    for i in range(3):
        full_printer(acme, f"P{i}")
    body = get(client, "/v1.0/assets", acme_token).json()
    assert body["size"] == body["pageable"]["pageSize"] == 50
    assert body["number"] == body["pageable"]["pageNumber"] == body["pageable"]["offset"] == 0
    assert (body["totalElements"], body["totalPages"], body["numberOfElements"]) == (3, 1, 3)
    assert body["first"] is True and body["last"] is True and body["empty"] is False
    assert body["sort"] == body["pageable"]["sort"] == {"sorted": False, "unsorted": True, "empty": True}


def test_pages_split_the_fleet_in_a_stable_order(client, acme, acme_token):
    serials = [f"P{i:02d}" for i in range(7)]
    for serial in serials:
        full_printer(acme, serial)
    pages = [get(client, "/v1.0/assets/alerts", acme_token, page=n, size=3).json() for n in range(4)]
    assert [[a["serialNumber"] for a in p["content"]] for p in pages] == [serials[:3], serials[3:6], serials[6:], []]
    assert [(p["first"], p["last"], p["numberOfElements"], p["empty"]) for p in pages] == [
        (True, False, 3, False), (False, False, 3, False), (False, True, 1, False), (False, True, 0, True)]
    assert {p["totalPages"] for p in pages} == {3} and pages[2]["pageable"]["offset"] == 6
    for page in pages:
        validate("alerts", page)


@pytest.mark.parametrize("params,message", [
    ({"size": 201}, "size must be at most 200"), ({"size": 0}, "size must be at least 1"),
    ({"page": -1}, "page must be between"), ({"page": "abc"}, "page must be an integer"),
    ({"size": "1.5"}, "size must be an integer"),
])
def test_bad_paging_parameters_answer_400_json(client, acme_token, params, message):
    response = get(client, "/v1.0/assets/supplies", acme_token, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["error"] == "Bad Request" and message in body["message"]
    assert body["path"] == "/v1.0/assets/supplies"


def test_size_200_is_served(client, acme, acme_token):
    full_printer(acme, "ONE")
    body = get(client, "/v1.0/assets", acme_token, size=200).json()
    assert body["size"] == 200 and body["numberOfElements"] == 1


def test_serial_number_filter_returns_one_asset(client, acme, acme_token):
    full_printer(acme, "WANTED")
    full_printer(acme, "OTHER")
    body = get(client, "/v1.0/assets", acme_token, serialNumber="WANTED").json()
    assert [a["serialNumber"] for a in body["content"]] == ["WANTED"] and body["totalElements"] == 1
    assert get(client, "/v1.0/assets", acme_token, serialNumber="NOPE").json()["totalElements"] == 0


# --- what each endpoint fills ---------------------------------------------------------------------------------

def test_each_endpoint_fills_only_its_sub_resource(client, acme, acme_token):
    full_printer(acme, "FULL")
    seen = {}
    for path, name in ENDPOINTS.items():
        body = get(client, path, acme_token).json()
        validate(name, body)
        [asset] = body["content"]
        seen[name] = {key: bool(asset[key]) for key in ("counters", "diagnosticEvents", "supplies", "alerts")}
    assert seen == {
        "assets": {"counters": True, "diagnosticEvents": True, "supplies": True, "alerts": True},
        "supplies": {"counters": False, "diagnosticEvents": False, "supplies": True, "alerts": False},
        "diagnostics": {"counters": False, "diagnosticEvents": True, "supplies": False, "alerts": False},
        "alerts": {"counters": False, "diagnosticEvents": False, "supplies": False, "alerts": True},
        "counters": {"counters": True, "diagnosticEvents": False, "supplies": False, "alerts": False},
    }


def test_values_not_reported_are_null_and_cleared_alerts_are_left_out(client, acme, acme_token):
    full_printer(acme, "FULL")
    Printer.objects.create(organization=acme, serial="BARE")
    full, bare = get(client, "/v1.0/assets", acme_token).json()["content"]
    assert [a["issue"] for a in full["alerts"]] == ["Tray 1 Low"]
    counters = full["counters"]
    assert counters["lifetimeCount"] == 100 and counters["lifetimeCountUnit"] == "Sides"
    assert counters["copySideCount"] is None and len(counters) == 51
    assert counters["paperCounts"][0]["paperSheetSafeCount"] == 90 and counters["paperCounts"][0]["paperType"] == "Plain"
    assert bare["counters"] is None and bare["lastCommunication"] is None and bare["name"] is None
    assert bare["lastDataRefresh"] == bare["dateCreated"]
    assert bare["supplies"] == bare["alerts"] == bare["diagnosticEvents"] == []


def test_unenrolled_printers_are_not_assets(client, acme, acme_token):
    full_printer(acme, "GONE").__class__.objects.filter(serial="GONE").update(unenrolled_at=timezone.now())
    assert get(client, "/v1.0/assets", acme_token).json()["totalElements"] == 0
    assert get(client, LEGACY, acme_token).json() == []


# --- queries ----------------------------------------------------------------------------------------------------

def _queries(client, path, token, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert get(client, path, token, **params).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_a_page_takes_the_same_number_of_queries_whatever_its_size(client, acme, acme_token, path):
    for i in range(12):
        full_printer(acme, f"Q{i:02d}", ip=f"127.0.3.{i + 1}")
    small, large = _queries(client, path, acme_token, size=2), _queries(client, path, acme_token, size=12)
    assert small == large
    assert _queries(client, path, acme_token, size=5, page=1) == small
    assert large <= 12


# --- who may call ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [*ENDPOINTS, LEGACY])
def test_without_a_valid_token_the_answer_is_401_json(client, path):
    for token in (None, "forged"):
        response = get(client, PREFIX + path, token)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401


def test_printer_and_agent_applications_cannot_read_the_fleet(client, acme):
    for kind in (ApplicationKind.DEVICE, ApplicationKind.AGENT):
        app, _secret = integration_app(acme, f"{kind} app", kind=kind)
        response = get(client, "/v1.0/assets", token_for(app))
        assert response.status_code == 403 and response.json()["status"] == 403


def test_a_revoked_application_or_an_organization_being_deleted_is_refused(client, acme):
    app, _secret = integration_app(acme)
    token = token_for(app)
    type(acme).objects.filter(pk=acme.pk).update(status=OrganizationStatus.PENDING_DELETION)
    assert get(client, "/v1.0/assets", token).status_code == 403
    type(app).objects.filter(pk=app.pk).update(revoked_at=timezone.now())
    assert get(client, "/v1.0/assets", token).status_code == 401


def test_organization_sees_its_own_and_partner_sees_its_children(client, partner, acme, globex):
    full_printer(acme, "ACME-1")
    full_printer(globex, "GLOBEX-1")
    grandchild = create_organization("Acme Branch", parent=acme)
    full_printer(grandchild, "BRANCH-1")
    deleted = create_organization("Leaving", parent=partner)
    full_printer(deleted, "LEAVING-1")
    type(deleted).objects.filter(pk=deleted.pk).update(status=OrganizationStatus.PENDING_DELETION)

    def serials(org):
        app, _secret = integration_app(org, f"Connector {org.name}")
        token = token_for(app)
        found = {path: sorted(a["serialNumber"] for a in get(client, path, token).json()["content"])
                 for path in ENDPOINTS}
        found[LEGACY] = sorted(a["serialNumber"] for a in get(client, LEGACY, token).json())
        assert len({tuple(v) for v in found.values()}) == 1, found
        return found[LEGACY]

    assert serials(acme) == ["ACME-1", "BRANCH-1"]
    assert serials(globex) == ["GLOBEX-1"]
    assert serials(partner) == ["ACME-1", "BRANCH-1", "GLOBEX-1"]


# --- rate limit and access log ----------------------------------------------------------------------------------

def test_an_application_over_its_rate_gets_429_with_retry_after(client, acme, settings):
    settings.INTEGRATION_API_BURST = 2
    settings.INTEGRATION_API_REFILL_SECONDS = 30
    app, _secret = integration_app(acme, "Greedy")
    other, _secret = integration_app(acme, "Patient")
    token = token_for(app)
    assert [get(client, "/v1.0/assets", token).status_code for _ in range(2)] == [200, 200]
    refused = get(client, "/v1.0/assets", token)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 30
    assert refused.json()["status"] == 429
    assert get(client, "/v1.0/assets", token_for(other)).status_code == 200  # per application


def test_every_call_is_in_the_access_log_and_administrators_can_read_it(client, acme, globex):
    full_printer(acme, "LOG-1")
    app, _secret = integration_app(acme)
    token = token_for(app)
    get(client, "/v1.0/assets", token, size=10)
    get(client, PREFIX + "/v1.0/assets/supplies", token, size=500)
    get(client, LEGACY, token)
    rows = list(IntegrationAccess.objects.order_by("id").values_list("application_id", "path", "query", "status", "rows"))
    assert rows == [(app.pk, "/v1.0/assets", "size=10", 200, 1),
                    (app.pk, PREFIX + "/v1.0/assets/supplies", "size=500", 400, 0),
                    (app.pk, LEGACY, "", 200, 1)]
    admin = make_user(acme, "admin@acme.test", ["organization_administrator"])
    client.force_login(admin)
    listing = client.get(f"/api/v1/organizations/{acme.pk}/integration-access/", {"application": app.pk}).json()
    assert [(r["path"], r["status"], r["rows"], r["application_name"]) for r in listing["results"]][0] == (
        LEGACY, 200, 1, "Billing connector")
    client.force_login(make_user(globex, "admin@globex.test", ["organization_administrator"]))
    assert client.get(f"/api/v1/organizations/{acme.pk}/integration-access/").status_code == 404


def test_pages_read_in_order_hold_every_printer_once_even_when_one_leaves(client, acme, acme_token):
    serials = [f"C{i:02d}" for i in range(9)]
    for serial in serials:
        full_printer(acme, serial)
    seen = [a["serialNumber"] for a in get(client, "/v1.0/assets/alerts", acme_token, page=0, size=3).json()["content"]]
    Printer.objects.filter(serial="C01").update(unenrolled_at=timezone.now())   # on the page already read
    for number in (1, 2):
        body = get(client, "/v1.0/assets/alerts", acme_token, page=number, size=3).json()
        seen += [a["serialNumber"] for a in body["content"]]
    assert seen == serials   # page 1 starts after the last printer of page 0: nothing skipped, nothing twice
    # a page asked for out of order is found by its offset
    assert [a["serialNumber"] for a in get(client, "/v1.0/assets/alerts", acme_token, page=1, size=4).json()
            ["content"]] == ["C05", "C06", "C07", "C08"]
