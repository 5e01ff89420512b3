"""Export to CSV (D §26): "all information present in the current view and current filters", every page of
it, UTF-8 with a BOM, streamed, with cells that a spreadsheet would run as a formula made inert."""
import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from fleet.choices import Communication
from fleet.services import views as view_services
from lexcloud.csvexport import safe_cell
from tests.conftest import make_user
from tests.fleet.factories import make_printer


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


def export(client, user, org, **params):
    client.force_login(user)
    response = client.get(reverse("fleet:printers-export", kwargs={"org_id": org.pk}), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="printers-acme-')
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_export_has_the_current_views_columns_and_every_filtered_printer(client, acme, globex, admin):
    for i in range(60):   # more than a page
        make_printer(acme, ip_address=f"127.0.6.{i + 1}", model_name="CX725", tags=["Café"],
                     communication=Communication.NOT_COMMUNICATING if i % 2 else Communication.COMMUNICATING)
    make_printer(globex, ip_address="127.0.7.1")
    rows = export(client, admin, acme, communication="not_communicating", page=2)
    assert rows[0] == ["IP Address", "Model", "Communication Status", "Tags", "Asset Tag", "Supply Alerts",
                       "Printer Alerts"]
    assert len(rows) == 1 + 30
    assert next(r for r in rows if r[0] == "127.0.6.2") == ["127.0.6.2", "CX725", "Not communicating", "Café", "",
                                                            "0", "0"]
    assert "127.0.7.1" not in {r[0] for r in rows}


def test_export_follows_the_selected_view_and_quick_view(client, acme, admin):
    make_printer(acme, serial="SER-1", host_name="lobby.test", firmware="CXTPC.081.234")
    view = view_services.create_view(acme, name="Firmware", identifier="serial", columns=["firmware", "host_name"],
                                     by=admin)
    assert view_services.current_view(admin, acme) == view
    assert export(client, admin, acme) == [["Serial Number", "Current Firmware Version", "Host Name"],
                                           ["SER-1", "CXTPC.081.234", "lobby.test"]]
    assert export(client, admin, acme, qv=1, identifier="host_name", col="serial") == [
        ["Host Name", "Serial Number"], ["lobby.test", "SER-1"]]


def test_export_sorts_like_the_listing(client, acme, admin):
    for model in ("B2236", "MX622", "CX725"):
        make_printer(acme, model_name=model)
    rows = export(client, admin, acme, sort="-model_name")
    assert [r[1] for r in rows[1:]] == ["MX622", "CX725", "B2236"]


def test_cells_that_start_a_formula_are_made_inert(client, acme, admin):
    make_printer(acme, asset_tag="=HYPERLINK(\"http://127.0.0.1/x\")", model_name="@SUM(A1)")
    rows = export(client, admin, acme)
    assert rows[1][1] == "'@SUM(A1)" and rows[1][4] == "'=HYPERLINK(\"http://127.0.0.1/x\")"
    assert safe_cell(-5) == "-5" and safe_cell("-5+1") == "'-5+1" and safe_cell(None) == ""


def test_a_viewer_can_export_and_a_member_without_a_role_cannot(client, acme):
    make_printer(acme)
    viewer = make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])
    assert len(export(client, viewer, acme)) == 2
    member = make_user(acme, "member2@acme.test")
    client.force_login(member)
    assert client.get(reverse("fleet:printers-export", kwargs={"org_id": acme.pk})).status_code == 403
