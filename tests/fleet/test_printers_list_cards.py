"""The Fleet Management dashboard cards: Printer Communication Status (D §13.4: links to printers not
communicating, agents not communicating, agents that need credentials) and Fleet status."""
import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import dashboards as dashboard_services
from fleet.choices import Communication, Status
from tests.conftest import make_user
from tests.fleet.factories import make_printer


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


@pytest.fixture
def fleet(acme, globex):
    make_printer(acme, communication=Communication.NOT_COMMUNICATING, status=Status.ERROR,
                 alerts=[{"severity": "error", "supply": True}])
    make_printer(acme, communication=Communication.NOT_COMMUNICATING, status=Status.READY)
    make_printer(acme, communication=Communication.NEEDS_CREDENTIALS, status=Status.READY,
                 alerts=[{"severity": "warning", "supply": False}])
    make_printer(acme, communication=Communication.AGENT_NOT_COMMUNICATING, status=Status.WARNING)
    make_printer(acme, status=Status.READY)
    make_printer(acme, status=Status.READY, unenrolled_at=timezone.now())
    make_printer(globex, communication=Communication.NOT_COMMUNICATING)


def test_the_cards_render_on_a_dashboard_with_counts_and_filtered_links(client, acme, admin, fleet):
    dashboard = dashboard_services.ensure_default_dashboard(admin)
    dashboard_services.add_card(dashboard, "fleet.communication_status", "")
    dashboard_services.add_card(dashboard, "fleet.status", "")
    client.force_login(admin)
    response = client.get(reverse("dashboard-detail", kwargs={"dashboard_id": dashboard.pk}))
    html = response.content.decode()
    printers = reverse("fleet:printers", kwargs={"org_id": acme.pk})
    assert "Printer Communication Status" in html and "Fleet status" in html
    assert f'href="{printers}?communication=not_communicating"' in html
    assert f'href="{printers}?communication=agent_not_communicating"' in html
    assert f'href="{printers}?communication=needs_credentials"' in html
    items = {item.card.card_type: item.context for item in response.context["items"]}
    communication = {row["key"]: row["count"] for row in items["fleet.communication_status"]["rows"]}
    assert communication == {"not_communicating": 2, "needs_credentials": 1, "agent_not_communicating": 1}
    assert items["fleet.communication_status"]["total"] == 5
    status = items["fleet.status"]
    assert {row["key"]: row["count"] for row in status["statuses"]}["ready"] == 3
    assert (status["supply_alerts"], status["printer_alerts"], status["total"]) == (1, 1, 5)
    # each link lists exactly the printers counted
    listing = client.get(f"{printers}?communication=not_communicating")
    assert listing.context["total"] == 2


def test_the_cards_need_the_fleet_management_role(acme, member):
    types = [card_type.key for card_type, _orgs in dashboard_services.available_card_types(member)]
    assert "fleet.communication_status" not in types and "fleet.status" not in types
    viewer = make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])
    types = [card_type.key for card_type, _orgs in dashboard_services.available_card_types(viewer)]
    assert "fleet.communication_status" in types and "fleet.status" in types
