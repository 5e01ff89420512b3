"""The Printers page listing (D §10): columns of the current view, left-pane filters, search, sorting,
pagination, the identifier linking to the details page, and a query count independent of the page size."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.choices import AgentType, Communication, Status
from tests.conftest import make_user
from tests.fleet.factories import make_agent, make_printer, make_tag


@pytest.fixture
def fleet_admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


@pytest.fixture
def viewer(acme):
    return make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])


def listing(client, user, org, **params):
    client.force_login(user)
    return client.get(reverse("fleet:printers", kwargs={"org_id": org.pk}), params)


def shown_ids(response) -> list[int]:
    return [row["id"] for row in response.context["rows"]]


def test_the_listing_shows_enrolled_printers_with_the_standard_view(client, acme, fleet_admin):
    agent = make_agent(acme, AgentType.FLEET)
    printer = make_printer(acme, agent, ip_address="127.0.3.1", model_name="MX622", asset_tag="A-17",
                           tags=["Floor 1"], alerts=[{"severity": "error", "supply": True, "description": "Toner"}])
    response = listing(client, fleet_admin, acme)
    assert response.status_code == 200
    html = response.content.decode()
    assert [h["label"] for h in response.context["headers"]] == [
        "IP Address", "Model", "Communication Status", "Tags", "Asset Tag", "Supply Alerts", "Printer Alerts"]
    assert "127.0.3.1" in html and "MX622" in html and "A-17" in html and "Floor 1" in html
    assert reverse("fleet:printer", kwargs={"org_id": acme.pk, "printer_id": printer.pk}) in html
    assert "1 total item" in html


def test_unenrolled_printers_and_other_organizations_printers_are_not_listed(client, acme, globex, fleet_admin):
    from django.utils import timezone

    mine = make_printer(acme)
    make_printer(acme, unenrolled_at=timezone.now())
    make_printer(globex)
    assert shown_ids(listing(client, fleet_admin, acme)) == [mine.pk]


@pytest.fixture
def fleet(acme):
    """Five printers that differ in every filterable way."""
    fleet_agent, local = make_agent(acme, AgentType.FLEET), make_agent(acme, AgentType.LOCAL)
    native = make_agent(acme, AgentType.NATIVE)
    return {
        "a": make_printer(acme, fleet_agent, ip_address="127.0.4.1", model_name="MX622", serial="AAA111",
                          host_name="front-desk.test", name="Front desk", asset_tag="TAG-001",
                          supplies={"Black": 8}, tags=["Floor 1", "Color"],
                          alerts=[{"severity": "error", "supply": True, "description": "Black toner very low"}]),
        "b": make_printer(acme, fleet_agent, ip_address="127.0.4.2", model_name="CX725", serial="BBB222",
                          communication=Communication.NOT_COMMUNICATING, status=Status.ERROR,
                          supplies={"Black": 60, "Cyan": 45}, tags=["Floor 1"],
                          alerts=[{"severity": "warning", "supply": False, "description": "Tray 1 open"}]),
        "c": make_printer(acme, local, ip_address="127.0.4.3", model_name="CX725", serial="CCC333",
                          firmware_update_available=True, status=Status.WARNING,
                          communication=Communication.NEEDS_CREDENTIALS, supplies={"Black": 30}),
        "d": make_printer(acme, native, ip_address="127.0.4.4", model_name="B2236", serial="DDD444",
                          communication=Communication.AGENT_NOT_COMMUNICATING, status=Status.READY,
                          alerts=[{"severity": "info", "supply": True, "description": "Waste toner nearly full"}]),
        "e": make_printer(acme, None, ip_address="127.0.4.5", model_name="MX622", serial="EEE555",
                          status=Status.READY),
    }


def names(fleet, ids):
    by_id = {p.pk: key for key, p in fleet.items()}
    return sorted(by_id[i] for i in ids)


@pytest.mark.parametrize("params,expected", [
    ({"communication": "not_communicating"}, ["b"]),
    ({"communication": ["needs_credentials", "agent_not_communicating"]}, ["c", "d"]),
    ({"agent_type": "fleet"}, ["a", "b"]),
    ({"agent_type": ["local", "native"]}, ["c", "d"]),
    ({"model": "CX725"}, ["b", "c"]),
    ({"model": ["MX622", "B2236"]}, ["a", "d", "e"]),
    ({"supply_alerts": "yes"}, ["a", "d"]),
    ({"supply_alerts": "no"}, ["b", "c", "e"]),
    ({"supply_alerts": "error"}, ["a"]),
    ({"supply_alerts": "info"}, ["d"]),
    ({"printer_alerts": "yes"}, ["b"]),
    ({"printer_alerts": "warning"}, ["b"]),
    ({"printer_alerts": "error"}, []),
    ({"firmware_update": "yes"}, ["c"]),
    ({"firmware_update": "no"}, ["a", "b", "d", "e"]),
    ({"status": "ready"}, ["d", "e"]),
    ({"status": ["error", "warning"]}, ["b", "c"]),
    ({"supply_below": "31"}, ["a", "c"]),
    ({"supply_below": "10"}, ["a"]),
    ({"model": "CX725", "status": "warning"}, ["c"]),
    ({"agent_type": "fleet", "supply_alerts": "yes"}, ["a"]),
])
def test_left_pane_filters(client, acme, fleet_admin, fleet, params, expected):
    response = listing(client, fleet_admin, acme, **params)
    assert names(fleet, shown_ids(response)) == expected
    assert response.context["total"] == len(expected)


def test_tag_filter_matches_any_of_the_tags_and_counts_each_printer_once(client, acme, fleet_admin, fleet):
    floor, color = (make_tag(acme, "Floor 1"), make_tag(acme, "Color"))
    response = listing(client, fleet_admin, acme, tag=[floor.pk, color.pk])
    assert names(fleet, shown_ids(response)) == ["a", "b"]
    assert response.context["total"] == 2
    assert names(fleet, shown_ids(listing(client, fleet_admin, acme, tag=color.pk))) == ["a"]


def test_the_pane_offers_the_fleet_models_and_the_organization_tags(client, acme, globex, fleet_admin, fleet):
    make_tag(globex, "Globex only")
    make_printer(globex, model_name="C9235")
    pane = {g["name"]: [o["label"] for o in g["options"]] for g in listing(client, fleet_admin, acme).context["pane"]}
    assert pane["model"] == ["B2236", "CX725", "MX622"]
    assert pane["tag"] == ["Color", "Floor 1"]
    assert pane["communication"] == ["Communicating", "Not communicating", "Agent needs credentials",
                                     "Agent not communicating"]
    assert pane["agent_type"] == ["Fleet", "Printer", "Native", "Local"]


@pytest.mark.parametrize("query,expected", [
    ("127.0.4.3", ["c"]), ("bbb2", ["b"]), ("FRONT-DESK", ["a"]), ("front desk", ["a"]),
    ("b2236", ["d"]), ("tag-00", ["a"]), ("nothing-like-this", []),
])
def test_search_looks_at_ip_serial_host_name_name_model_and_asset_tag(client, acme, fleet_admin, fleet, query,
                                                                     expected):
    assert names(fleet, shown_ids(listing(client, fleet_admin, acme, q=query))) == expected


def test_sorting_by_a_column_header_both_ways(client, acme, fleet_admin, fleet):
    by_serial = [fleet[k].pk for k in "abcde"]
    response = listing(client, fleet_admin, acme, sort="-ip_address")
    assert shown_ids(response) == list(reversed(by_serial))
    response = listing(client, fleet_admin, acme, sort="model_name")
    models = [p.model_name for p in sorted(fleet.values(), key=lambda p: (p.model_name, p.pk))]
    assert [fleet_by_id(fleet)[i].model_name for i in shown_ids(response)] == models
    header = next(h for h in response.context["headers"] if h["key"] == "model_name")
    assert header["active"] and not header["descending"] and header["sort"] == "-model_name"


def fleet_by_id(fleet):
    return {p.pk: p for p in fleet.values()}


def test_only_sortable_columns_have_sort_links_and_an_unknown_sort_falls_back_to_the_identifier(
        client, acme, fleet_admin, fleet):
    response = listing(client, fleet_admin, acme, sort="tags")
    assert shown_ids(response) == [fleet[k].pk for k in "abcde"]
    headers = {h["key"]: h for h in response.context["headers"]}
    assert headers["model_name"]["sortable"] and not headers["tags"]["sortable"]
    html = response.content.decode()
    tags_header = re.search(r'<th data-column="tags">(.*?)</th>', html, re.S).group(1)
    model_header = re.search(r'<th data-column="model_name">(.*?)</th>', html, re.S).group(1)
    assert "<a " not in tags_header and "sort=model_name" in model_header


def test_pagination_with_page_sizes_and_total(client, acme, fleet_admin):
    for i in range(30):
        make_printer(acme, ip_address=f"127.0.5.{i + 1}")
    response = listing(client, fleet_admin, acme, page_size=25)
    assert len(response.context["rows"]) == 25
    assert "30 total items" in response.content.decode()
    second = listing(client, fleet_admin, acme, page_size=25, page=2)
    assert len(second.context["rows"]) == 5
    assert set(shown_ids(response)).isdisjoint(shown_ids(second))
    assert listing(client, fleet_admin, acme, page_size=7).context["page_size"] == 50   # not offered: default


def test_invalid_filter_values_are_reported_and_ignored(client, acme, fleet_admin, fleet):
    response = listing(client, fleet_admin, acme, tag="abc", status="melting")
    assert response.status_code == 200
    assert set(response.context["filter_errors"]) == {"tag", "status"}
    assert len(shown_ids(response)) == 5
    # a column that cannot be sorted is simply not sorted: no error for the user
    assert listing(client, fleet_admin, acme, sort="-black_level").context["filter_errors"] == {}


def test_the_page_says_how_many_filters_apply(client, acme, fleet_admin, fleet):
    response = listing(client, fleet_admin, acme, status=["ready", "error"], model="CX725", sort="serial", page=1)
    assert response.context["filter_count"] == 3
    assert "Filters: 3" in response.content.decode()


def test_a_printer_whose_agent_needs_credentials_shows_a_lock_before_its_identifier(client, acme, fleet_admin, fleet):
    response = listing(client, fleet_admin, acme, communication="needs_credentials")
    identifier = response.context["rows"][0]["cells"][0]
    assert identifier.index('aria-label="Agent needs credentials"') < identifier.index("127.0.4.3")
    assert "Agent needs credentials" not in listing(client, fleet_admin, acme, status="ready").context["rows"][0]["cells"][0]


def test_supply_and_counter_columns_come_from_supplies_and_counters(client, acme, fleet_admin):
    from fleet.models import PrinterView, Supply
    from fleet.services import views as view_services

    printer = make_printer(acme, supplies={"Black": 41, "Cyan": 7}, counters={"lifetimeCount": 12345,
                                                                              "copySideCount": 77})
    Supply.objects.filter(printer=printer, color="Black").update(days_to_replace=12, lifetime_coverage=5.25)
    Supply.objects.create(printer=printer, key="pc-black", type="Photoconductor", color="Black", level=3)
    view = PrinterView.objects.get(organization=None, system_key="supplies")
    view_services.select_view(fleet_admin, acme, view)
    row = listing(client, fleet_admin, acme).context["rows"][0]["cells"]
    headers = [h["key"] for h in listing(client, fleet_admin, acme).context["headers"]]
    cells = dict(zip(headers, row, strict=True))
    assert cells["black_level"] == "41" and cells["cyan_level"] == "7" and cells["black_days"] == "12"
    response = listing(client, fleet_admin, acme, qv=1, identifier="serial",
                       col=["lifetime_count", "copy_total", "black_coverage", "scan_total"])
    cells = dict(zip([h["key"] for h in response.context["headers"]], response.context["rows"][0]["cells"],
                     strict=True))
    assert cells["lifetime_count"] == "12345" and cells["copy_total"] == "77" and cells["black_coverage"] == "5.2"
    assert cells["scan_total"] == ""


ALL_COLUMNS_VIEW = ["host_name", "name", "model_name", "manufacturer", "organization", "agent_name",
                    "agent_version", "communication", "status", "last_communication", "firmware",
                    "firmware_update_available", "last_task", "tags", "printer_alerts", "supply_alerts",
                    "diagnostic_events", "lexmark_managed", "black_level", "cyan_days", "magenta_coverage",
                    "lifetime_count", "copy_color"]


def test_query_count_does_not_depend_on_the_page_size(client, acme, fleet_admin):
    from fleet.choices import TaskType
    from fleet.services import tasks as task_services
    from fleet.services import views as view_services

    agent = make_agent(acme, AgentType.FLEET)
    printers = [make_printer(acme, agent, supplies=True, tags=["One", "Two"], counters={"lifetimeCount": i},
                             alerts=[{"severity": "warning", "supply": True}]) for i in range(60)]
    task_services.create_task(acme, TaskType.REFRESH, printers=printers)
    view_services.create_view(acme, name="Everything", columns=ALL_COLUMNS_VIEW, by=fleet_admin)
    client.force_login(fleet_admin)
    url = reverse("fleet:printers", kwargs={"org_id": acme.pk})

    def count(size):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200 and len(response.context["rows"]) == size
        return len(ctx.captured_queries)

    assert count(25) == count(50)
    html = client.get(url).content.decode()
    assert "Refresh printer information (Pending)" in html and "One" in html


def test_the_portal_home_opens_the_printers_page(client, acme, fleet_admin):
    client.force_login(fleet_admin)
    response = client.get(reverse("fleet:home", kwargs={"org_id": acme.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("fleet:printers", kwargs={"org_id": acme.pk})
    analyst = make_user(acme, "analyst@acme.test", ["fleet_management_reporting_analyst"])
    client.force_login(analyst)
    assert client.get(reverse("fleet:home", kwargs={"org_id": acme.pk})).status_code == 200


def test_a_viewer_sees_the_listing_without_actions(client, acme, viewer, fleet):
    html = listing(client, viewer, acme).content.decode()
    assert 'data-testid="printers-table"' in html
    assert 'data-testid="menu-printer"' not in html and 'data-testid="views-create"' not in html
    assert 'data-testid="export-csv"' in html


def test_a_member_without_a_fleet_role_is_refused(client, acme, member):
    assert listing(client, member, acme).status_code == 403


def test_search_can_read_the_trigram_index_on_postgresql(acme):
    """The search filter's expression is exactly the indexed one (migration 0007), or the index is dead weight."""
    from django.db import transaction

    from fleet.filters import PrinterFilterSet
    from fleet.models import Printer

    if connection.vendor != "postgresql":
        pytest.skip("the trigram index exists on PostgreSQL only (set DATABASE_URL to run this)")
    make_printer(acme, serial="TRGM-12345")
    queryset = PrinterFilterSet({"q": "trgm-123"}, queryset=Printer.objects.order_by()).qs
    with transaction.atomic(), connection.cursor() as cursor:   # only a bitmap scan on an index condition is left
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; "
                       "SET LOCAL enable_indexonlyscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "printer_search_trgm" in plan
    assert [p.serial for p in queryset] == ["TRGM-12345"]
