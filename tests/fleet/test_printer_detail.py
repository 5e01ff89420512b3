"""The printer information (details) page: its sections and values, Edit identification, Refresh Information,
Request Log, Update agent access credentials; a Fleet Management Viewer sees it but cannot act; other
organizations' printers answer 404; the number of queries does not grow with the printer's data."""
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fleet.choices import AgentType, Communication, JobStatus, LogType, TaskType
from fleet.models import Alert, CounterSnapshot, DiagnosticEvent, Job, Printer, Supply, Task
from fleet.services import printers as services
from tests.fleet.detail_support import catalog_printer, fleet_admin, fleet_viewer
from tests.fleet.factories import make_agent, make_tag

# the guide's sample meters (Unit = Sides)
GUIDE_COUNTERS = {"printSideCount": 95340, "monoPrintSideCount": 11983, "colorPrintSideCount": 83357,
                  "duplexSheetCount": 12815, "copySideCount": 6018, "monoCopySideCount": 526,
                  "colorCopySideCount": 5492, "totalScanCount": 9030, "faxSideCount": 144, "lifetimeCount": 101358}


@pytest.fixture
def agent(acme):
    return make_agent(acme, name="Basement Fleet Agent", version="3.4.0")


@pytest.fixture
def printer(acme, agent):
    now = timezone.now()
    printer = catalog_printer(
        acme, agent, ip_address="127.0.7.5", serial="CAH160992EB0", name="Lobby CX725", mac_address="00:21:B7:01:02:03",
        host_name="lobby.printers.test", location="Lobby", contact="Facilities", asset_tag="A-1001",
        firmware="CXTPC.081.215", firmware_update_available=True, last_data_refresh=now, last_restart=now,
        counters=GUIDE_COUNTERS, counters_at=now, apps=[{"name": "Cloud Print Release", "version": "3.2.1",
                                                         "state": "running"}],
        supplies=[{"key": "black", "type": "Toner", "color": "Black", "level": 70, "capacity": 7000,
                   "unit": "Sides", "serial": "CAH160992EB0", "coverage": 4.4, "lifetime_coverage": 4.4,
                   "days_to_replace": 730, "description": "Black Cartridge"},
                  {"key": "cyan", "type": "Toner", "color": "Cyan", "level": None, "level_state": "some",
                   "description": "Cyan Cartridge"},
                  {"key": "fuser", "type": "Fuser", "level": 100, "capacity": 150000, "unit": "Sides",
                   "description": "Fuser"}],
        alerts=[{"severity": "error", "supply": False, "description": "Tray 2 missing", "code": "202.03"},
                {"severity": "warning", "supply": True, "description": "Cyan cartridge low"}])
    return printer


def detail_url(org, printer):
    return reverse("fleet:printer", kwargs={"org_id": org.pk, "printer_id": printer.pk})


@pytest.fixture
def admin_client(client, acme):
    client.force_login(fleet_admin(acme))
    return client


def test_sections_in_the_guides_order(admin_client, acme, printer):
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    positions = [page.index(f'href="#{key}">{label}<') for key, label in [
        ("status", "Status"), ("supplies", "Supplies"), ("identification", "Identification"), ("meters", "Meters"),
        ("firmware", "Firmware"), ("applications", "Installed Applications"), ("agent", "Agent Information"),
        ("logs", "Logs"), ("history", "Task History")]]
    assert positions == sorted(positions)
    assert "Printer information current as of:" in page and "Last restart:" in page


def test_status_lists_open_alerts_and_no_alerts(admin_client, acme, printer, agent):
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    assert "Tray 2 missing" in page and "(202.03)" in page and "Cyan cartridge low" in page
    Alert.objects.filter(printer=printer).update(cleared_at=timezone.now())
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    assert 'data-testid="printer-alerts">No alerts<' in page and 'data-testid="supply-alerts">No alerts<' in page


def test_diagnostic_events_appear_until_they_expire(admin_client, acme, printer):
    now = timezone.now()
    DiagnosticEvent.objects.create(printer=printer, key="d1", alert="Fuser error", error_code="920.01",
                                   created_at=now, expires_at=now + timedelta(days=1))
    DiagnosticEvent.objects.create(printer=printer, key="d0", alert="Old jam", created_at=now - timedelta(days=9),
                                   expires_at=now - timedelta(days=2))
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    assert "Fuser error" in page and "920.01" in page and "Old jam" not in page


def test_supplies_are_level_bars_coloured_by_supply(admin_client, acme, printer):
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    for column in ("Supply", "Type", "Serial Number", "Capacity", "Capacity Unit", "Percentage", "Days to Replace",
                   "Current Coverage", "Lifetime Coverage"):
        assert f">{column}</th>" in page
    assert "--level: 70%; --supply: #1f2328" in page               # black bar at 70 %
    assert 'data-testid="supply-level">Some remaining<' in page     # special level as text
    assert 'data-testid="supply-days">730<' in page and "4.4%" in page
    assert "Days to Replace current as of:" in page


def test_identification_with_ews_link_and_edit(admin_client, acme, printer):
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    assert 'href="http://127.0.7.5/"' in page and "Open the printer's Embedded Web Server (EWS)" in page
    for value in ("CAH160992EB0", "CX725", "Lexmark", "00:21:B7:01:02:03", "lobby.printers.test", "A-1001"):
        assert value in page
    assert reverse("fleet:printer-edit", kwargs={"org_id": acme.pk, "printer_id": printer.pk}) in page


def test_meters_follow_the_guides_sample(admin_client, acme, printer):
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    assert "Unit = Sides" in page
    expected = {"total-print-count": "95340", "two-sided": "12815 Sheets", "total-copy-count": "6018",
                "scan-count-total": "9030", "printed-fax-count-total": "144", "lifetime-page-count": "101358"}
    for key, value in expected.items():
        assert f'data-testid="meter-{key}">{value}<' in page


def test_page_count_chart_has_one_point_per_day_of_the_last_90_days(admin_client, acme, printer):
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    snapshots = [CounterSnapshot(printer=printer, collected_at=midnight - timedelta(days=d) + timedelta(hours=h),
                                 values={"lifetimeCount": 1000 + (100 - d) * 50 + h})
                 for d in range(1, 101) for h in (8, 20)]   # two a day: the chart keeps the day's last
    CounterSnapshot.objects.bulk_create(snapshots)
    response = admin_client.get(detail_url(acme, printer))
    page = response.content.decode()
    data = json.loads(page.split('<script id="page-count-data" type="application/json">')[1].split("</script>")[0])
    assert 89 <= len(data["labels"]) <= 90 and len(data["lifetime"]) == len(data["daily"]) == len(data["labels"])
    assert data["lifetime"][-1] == 1000 + 99 * 50 + 20 and data["daily"][0] is None and set(data["daily"][1:]) == {50}
    assert "vendor/chartjs/chart.umd.js" in page and "fleet/page-count-chart.js" in page


def test_firmware_update_available_only_when_there_is_one(admin_client, acme, printer):
    assert "Update available" in admin_client.get(detail_url(acme, printer)).content.decode()
    Printer.objects.filter(pk=printer.pk).update(firmware_update_available=False)
    assert "Update available" not in admin_client.get(detail_url(acme, printer)).content.decode()


def test_apps_and_agent_information(admin_client, acme, printer, agent):
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    assert "Cloud Print Release" in page and "3.2.1" in page
    assert "Basement Fleet Agent" in page and "3.4.0" in page and "Communicating" in page
    agent_url = reverse("fleet:agent", kwargs={"org_id": acme.pk, "agent_id": agent.pk})
    assert f'href="{agent_url}"' in page


def test_task_history_lists_the_printers_jobs(admin_client, acme, printer):
    task = services.refresh_printers(acme, [printer])
    Job.objects.filter(task=task).update(status=JobStatus.COMPLETED, started_at=task.created_at,
                                         finished_at=task.created_at + timedelta(minutes=3, seconds=5))
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    history = page.split('data-testid="history-table"')[1]
    assert "Refresh printer information" in history and "3 min 5 s" in history and "Completed" in history


# --------------------------------------------------------------------------------------------- actions
def test_edit_identification(admin_client, acme, printer):
    url = reverse("fleet:printer-edit", kwargs={"org_id": acme.pk, "printer_id": printer.pk})
    assert 'value="A-1001"' in admin_client.get(url).content.decode()
    response = admin_client.post(url, {"asset_tag": "A-2002", "location": "Floor 2", "contact": "Desk",
                                       "name": "Renamed", "description": "By the stairs"})
    assert response.status_code == 302 and response["Location"].endswith("#identification")
    printer.refresh_from_db()
    assert (printer.asset_tag, printer.location, printer.contact, printer.name, printer.description) == (
        "A-2002", "Floor 2", "Desk", "Renamed", "By the stairs")
    too_long = admin_client.post(url, {"asset_tag": "x" * 65, "location": "", "contact": "", "name": "",
                                       "description": ""})
    assert too_long.status_code == 200 and Printer.objects.get(pk=printer.pk).asset_tag == "A-2002"


def test_refresh_information_creates_a_refresh_task(admin_client, acme, printer):
    here = detail_url(acme, printer)
    response = admin_client.post(reverse("fleet:printers-refresh", kwargs={"org_id": acme.pk}),
                                 {"printer": printer.pk, "next": here})
    assert response["Location"] == here
    task = Task.objects.get(task_type=TaskType.REFRESH)
    assert [job.printer_id for job in task.jobs.all()] == [printer.pk]


def test_request_log_and_mib_walk_for_fleet_agent_printers(admin_client, acme, printer):
    url = reverse("fleet:printer-request-log", kwargs={"org_id": acme.pk, "printer_id": printer.pk})
    page = admin_client.get(detail_url(acme, printer)).content.decode()
    for _value, label in LogType.choices:
        assert label in page
    admin_client.post(url, {"log_type": LogType.SECURITY})
    admin_client.post(url, {"log_type": LogType.MIB_WALK})
    tasks = {t.task_type: t.args["log_type"] for t in Task.objects.all()}
    assert tasks == {TaskType.REQUEST_LOG: LogType.SECURITY, TaskType.MIB_WALK: LogType.MIB_WALK}
    logs = admin_client.get(detail_url(acme, printer)).content.decode().split('data-testid="logs-table"')[1]
    assert "Security Log" in logs and "MIB Walk" in logs


def test_mib_walk_only_through_a_fleet_agent_and_no_logs_for_local_agents(admin_client, acme):
    printer_agent = catalog_printer(acme, make_agent(acme, AgentType.PRINTER))
    local = catalog_printer(acme, make_agent(acme, AgentType.LOCAL))
    assert LogType.MIB_WALK not in dict(services.log_types_for(printer_agent))
    assert services.log_types_for(local) == []
    response = admin_client.post(reverse("fleet:printer-request-log",
                                         kwargs={"org_id": acme.pk, "printer_id": printer_agent.pk}),
                                 {"log_type": LogType.MIB_WALK}, follow=True)
    assert "MIB Walk is available only for printers reporting through a Fleet Agent." in response.content.decode()
    page = admin_client.get(detail_url(acme, local)).content.decode()
    assert "Printer logs are not available for printers managed by a Local Agent." in page
    assert not Task.objects.exists()


def test_update_agent_access_credentials_fleet_agent_only(admin_client, acme, printer):
    other = catalog_printer(acme, make_agent(acme, AgentType.PRINTER))
    response = admin_client.post(reverse("fleet:printers-credentials", kwargs={"org_id": acme.pk}),
                                 {"printer": [printer.pk, other.pk], "auth_type": "user_password",
                                  "username": "admin", "password": "S3cret-pass", "next": detail_url(acme, printer)})
    assert response.status_code == 302
    task = Task.objects.get(task_type=TaskType.UPDATE_CREDENTIALS)
    assert {j.printer_id: j.status for j in task.jobs.all()} == {printer.pk: JobStatus.PENDING,
                                                                 other.pk: JobStatus.NOT_SUPPORTED}
    assert "S3cret" not in json.dumps(task.args)
    stored = Printer.objects.get(pk=printer.pk)
    assert stored.access_auth_type == "user_password"
    assert json.loads(stored.access_credentials) == {"username": "admin", "password": "S3cret-pass"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_credentials FROM fleet_printer WHERE id = %s", [printer.pk])
        assert "S3cret" not in cursor.fetchone()[0]             # encrypted at rest
    assert Printer.objects.get(pk=other.pk).access_credentials == ""


def test_credentials_are_checked(admin_client, acme, printer):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="User name required"):
        services.update_access_credentials(acme, [printer], "user_password", {"password": "x"})
    with pytest.raises(ValidationError, match="digits only"):
        services.update_access_credentials(acme, [printer], "pin", {"pin": "12ab"})
    with pytest.raises(ValidationError, match="authentication type"):
        services.update_access_credentials(acme, [printer], "kerberos", {})
    assert not Task.objects.exists()


# --------------------------------------------------------------------------------------------- access
def test_viewer_sees_the_page_without_actions(client, acme, printer):
    client.force_login(fleet_viewer(acme))
    response = client.get(detail_url(acme, printer))
    page = response.content.decode()
    assert response.status_code == 200 and "Lobby CX725" in page
    for testid in ("printer-refresh", "printer-notifications", "printer-unenroll", "printer-edit", "request-log"):
        assert f'data-testid="{testid}"' not in page
    edit = reverse("fleet:printer-edit", kwargs={"org_id": acme.pk, "printer_id": printer.pk})
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"asset_tag": "X"}).status_code == 403
    log = reverse("fleet:printer-request-log", kwargs={"org_id": acme.pk, "printer_id": printer.pk})
    assert client.post(log, {"log_type": LogType.HISTORY}).status_code == 403
    for name in ("fleet:printers-refresh", "fleet:printers-credentials"):
        assert client.post(reverse(name, kwargs={"org_id": acme.pk}), {"printer": printer.pk}).status_code == 403
    assert not Task.objects.exists() and Printer.objects.get(pk=printer.pk).asset_tag == "A-1001"


def test_other_organizations_printer_answers_404(admin_client, acme, globex):
    foreign = catalog_printer(globex)
    for name in ("fleet:printer", "fleet:printer-edit", "fleet:printer-request-log"):
        url = reverse(name, kwargs={"org_id": acme.pk, "printer_id": foreign.pk})
        assert admin_client.get(url).status_code == 404
        assert admin_client.post(url, {"log_type": LogType.HISTORY, "asset_tag": "X"}).status_code == 404
    assert not Task.objects.exists()


def test_unenrolled_printer_answers_404(admin_client, acme, printer):
    services.unenroll_printers(acme, [printer])
    assert admin_client.get(detail_url(acme, printer)).status_code == 404


def test_query_count_does_not_grow_with_the_printers_data(admin_client, acme, printer):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get(detail_url(acme, printer)).status_code == 200
        return len(queries.captured_queries)

    services.refresh_printers(acme, [printer])
    services.request_log(printer, LogType.HISTORY)
    printer.tags.add(make_tag(acme, "One"))
    few = count()
    now = timezone.now()
    for n in range(5):
        services.refresh_printers(acme, [printer])
        services.request_log(printer, LogType.FAX)
        printer.tags.add(make_tag(acme, f"Tag {n}"))
        Supply.objects.create(printer=printer, key=f"extra-{n}", type="Other", level=50)
        Alert.objects.create(printer=printer, key=f"extra-{n}", description="x", opened_at=now)
        CounterSnapshot.objects.create(printer=printer, collected_at=now - timedelta(days=n),
                                       values={"lifetimeCount": n})
    assert count() == few


def test_communication_status_of_a_silent_printer(admin_client, acme, printer):
    Printer.objects.filter(pk=printer.pk).update(communication=Communication.NOT_COMMUNICATING)
    assert "Not communicating" in admin_client.get(detail_url(acme, printer)).content.decode()
