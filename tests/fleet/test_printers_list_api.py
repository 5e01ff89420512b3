"""The printers API (/api/v1/organizations/{org_id}/fleet/printers/...): the listing's filters, search, sort
and pagination with a constant number of queries, the details with supplies, open alerts and counters, and
the views API (CRUD, select, system views immutable, viewer restrictions)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.choices import AgentType, Communication
from fleet.models import PrinterView
from fleet.services import views as view_services
from tests.conftest import make_user
from tests.fleet.factories import make_agent, make_printer


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org_id": org.pk, **kwargs})


def test_list_filters_search_sort_and_paginate(client, acme, globex, admin):
    agent = make_agent(acme, AgentType.LOCAL)
    a = make_printer(acme, agent, ip_address="127.0.9.1", model_name="MX622", serial="ZZ-1", tags=["Lobby"])
    b = make_printer(acme, ip_address="127.0.9.2", model_name="CX725", serial="AA-2",
                     communication=Communication.NOT_COMMUNICATING)
    make_printer(globex, ip_address="127.0.9.3")
    client.force_login(admin)
    base = url("api-fleet-printers", acme)
    body = client.get(base).json()
    assert body["count"] == 2 and [p["id"] for p in body["results"]] == [a.pk, b.pk]
    first = body["results"][0]
    assert first["tags"][0]["name"] == "Lobby" and first["agent_type"] == "local"
    assert first["organization"] == str(acme.pk) and first["ip_address"] == "127.0.9.1"
    assert first["last_communication"].endswith("Z")
    assert [p["id"] for p in client.get(base, {"communication": "not_communicating"}).json()["results"]] == [b.pk]
    assert [p["id"] for p in client.get(base, {"q": "zz-"}).json()["results"]] == [a.pk]
    assert [p["id"] for p in client.get(base, {"sort": "serial"}).json()["results"]] == [b.pk, a.pk]
    page = client.get(base, {"page_size": 1, "page": 2}).json()
    assert page["count"] == 2 and [p["id"] for p in page["results"]] == [b.pk]
    response = client.get(base, {"status": "melting"})
    assert response.status_code == 400 and "status" in response.json()


def test_list_queries_do_not_depend_on_the_page_size(client, acme, admin):
    for _ in range(30):
        make_printer(acme, tags=["A", "B"], supplies=True)
    client.force_login(admin)
    base = url("api-fleet-printers", acme)

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            assert len(client.get(base, {"page_size": size, "supply_alerts": "no"}).json()["results"]) == size
        return len(ctx.captured_queries)

    assert count(10) == count(30)


def test_detail_has_supplies_open_alerts_and_counters(client, acme, globex, admin):
    from django.utils import timezone

    from fleet.models import Alert

    printer = make_printer(acme, supplies={"Black": 40}, counters={"lifetimeCount": 1234},
                           alerts=[{"severity": "error", "supply": True, "description": "Black toner low"}])
    Alert.objects.create(printer=printer, key="old", severity="warning", opened_at=timezone.now(),
                         cleared_at=timezone.now())
    client.force_login(admin)
    body = client.get(url("api-fleet-printer", acme, printer_id=printer.pk)).json()
    assert body["supplies"][0]["color"] == "Black" and body["supplies"][0]["level"] == 40
    assert [a["description"] for a in body["alerts"]] == ["Black toner low"]
    assert body["counters"] == {"lifetimeCount": 1234}
    theirs = make_printer(globex)
    assert client.get(url("api-fleet-printer", acme, printer_id=theirs.pk)).status_code == 404


def test_views_api_create_select_edit_delete(client, acme, admin):
    client.force_login(admin)
    base = url("api-fleet-printer-views", acme)
    names = [v["name"] for v in client.get(base).json()]
    assert names[0] == "Standard" and len(names) == 7
    response = client.post(base, {"name": "API view", "identifier": "serial", "columns": ["model_name", "firmware"]},
                           content_type="application/json")
    assert response.status_code == 201, response.content
    view = response.json()
    assert view["is_default"] and view["organization"] == str(acme.pk) and not view["is_system"]
    assert client.post(base, {"name": "api VIEW", "columns": ["serial"]},
                       content_type="application/json").status_code == 400
    assert client.post(base, {"name": "Bad", "columns": ["nope"]}, content_type="application/json").status_code == 400
    detail = url("api-fleet-printer-view", acme, view_id=view["id"])
    response = client.patch(detail, {"columns": ["firmware"]}, content_type="application/json")
    assert response.status_code == 200 and response.json()["columns"] == ["firmware"]
    standard = PrinterView.objects.get(organization=None, system_key="standard")
    response = client.post(url("api-fleet-printer-view-select", acme, view_id=standard.pk))
    assert response.status_code == 200 and response.json()["is_default"]
    assert view_services.current_view(admin, acme) == standard
    system_detail = url("api-fleet-printer-view", acme, view_id=standard.pk)
    response = client.patch(system_detail, {"name": "Mine"}, content_type="application/json")
    assert response.status_code == 400 and "You cannot edit system-generated views." in str(response.json())
    assert client.delete(system_detail).status_code == 400
    assert client.delete(detail).status_code == 204
    assert not PrinterView.objects.filter(pk=view["id"]).exists()


def test_views_api_for_a_viewer_and_across_organizations(client, acme, globex, admin):
    custom = view_services.create_view(acme, name="Custom", columns=["serial"], by=admin)
    globex_view = view_services.create_view(globex, name="Globex view", columns=["serial"])
    viewer = make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])
    client.force_login(viewer)
    assert [v["name"] for v in client.get(url("api-fleet-printer-views", acme)).json()] == ["Standard"]
    assert client.post(url("api-fleet-printer-views", acme), {"name": "V", "columns": ["serial"]},
                       content_type="application/json").status_code == 403
    assert client.post(url("api-fleet-printer-view-select", acme, view_id=custom.pk)).status_code == 404
    client.force_login(admin)
    assert client.get(url("api-fleet-printer-view", acme, view_id=globex_view.pk)).status_code == 404
    assert client.get(url("api-fleet-printer-view-select", acme, view_id=globex_view.pk)).status_code == 404
