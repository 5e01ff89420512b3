"""The Printers page in a real browser: create a view and see its columns, save a filter group and apply it
again, export the current view to CSV."""
import csv
import io

import pytest

from fleet.choices import AgentType, Communication
from fleet.models import FilterGroup, PrinterView
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import sign_in
from tests.fleet.factories import make_agent, make_printer

pytestmark = pytest.mark.e2e


@pytest.fixture
def fleet(acme):
    agent = make_agent(acme, AgentType.FLEET)
    return [make_printer(acme, agent, ip_address="127.0.10.1", serial="E2E-0001", model_name="CX725",
                         firmware="CXTPC.081.234", tags=["Lobby"]),
            make_printer(acme, agent, ip_address="127.0.10.2", serial="E2E-0002", model_name="MX622",
                         firmware="MXTGM.081.200", communication=Communication.NOT_COMMUNICATING),
            make_printer(acme, agent, ip_address="127.0.10.3", serial="E2E-0003", model_name="MX622",
                         firmware="MXTGM.081.200")]


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


def headers(page) -> list[str]:
    return [h.strip().rstrip("▲▼ ").strip() for h in page.locator("[data-testid=printers-table] thead th[data-column]")
            .all_text_contents()]


def test_create_a_view_through_the_ui_and_see_its_columns(page, acme, admin, fleet):
    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/printers/")
    assert headers(page)[:2] == ["IP Address", "Model"]
    page.click("[data-testid=menu-views] summary")
    page.click("[data-testid=views-create]")
    page.fill("[data-testid=view-name]", "Firmware check")
    page.select_option("[data-testid=view-identifier]", "serial")
    page.select_option("[data-testid=available-columns]", ["model_name", "firmware"])
    page.click("[data-testid=column-add]")
    page.select_option("[data-testid=selected-columns]", ["firmware"])
    page.click("[data-testid=column-up]")
    assert page.locator("[data-testid=selected-columns] option").all_inner_texts() == [
        "Current Firmware Version", "Model"]
    page.click("[data-testid=view-save]")
    page.wait_for_selector("[data-testid=printers-table]")
    assert headers(page) == ["Serial Number", "Current Firmware Version", "Model"]
    assert "CXTPC.081.234" in page.inner_text("[data-testid=printers-table]")
    view = PrinterView.objects.get(organization=acme, name="Firmware check")
    assert (view.identifier, view.columns) == ("serial", ["firmware", "model_name"])


def test_save_a_filter_group_and_apply_it_again(page, acme, admin, fleet):
    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/printers/")
    page.check("[data-filter=communication] input[value=not_communicating]")
    page.click("[data-testid=filters-apply]")
    page.wait_for_selector("[data-testid=printer-total] >> text=1 total item")
    page.click("[data-testid=filter-group-save]")
    page.fill("[data-testid=filter-group-name]", "Silent printers")
    page.click("[data-testid=filter-group-save-confirm]")
    page.wait_for_selector("text=Filter group “Silent printers” saved.")
    assert FilterGroup.objects.get(organization=acme).filters == {"communication": ["not_communicating"]}
    page.click("[data-testid=filters-clear]")
    page.wait_for_selector("[data-testid=printer-total] >> text=3 total items")
    page.click("[data-testid=filter-group-menu] summary")
    page.click("[data-testid=filter-group-option] >> text=Silent printers")
    page.wait_for_selector("[data-testid=printer-total] >> text=1 total item")
    assert page.is_checked("[data-filter=communication] input[value=not_communicating]")
    assert "127.0.10.2" in page.inner_text("[data-testid=printers-table]")


def test_export_the_current_view_to_csv(page, acme, admin, fleet):
    sign_in(page, "fleet@acme.test", PASSWORD)
    page.goto(f"/o/{acme.pk}/fleet/printers/?model=MX622")
    with page.expect_download() as download_info:
        page.click("[data-testid=export-csv]")
    download = download_info.value
    assert download.suggested_filename.startswith("printers-acme-") and download.suggested_filename.endswith(".csv")
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["IP Address", "Model", "Communication Status", "Tags", "Asset Tag", "Supply Alerts",
                       "Printer Alerts"]
    assert sorted(r[0] for r in rows[1:]) == ["127.0.10.2", "127.0.10.3"]
    assert {r[1] for r in rows[1:]} == {"MX622"}
