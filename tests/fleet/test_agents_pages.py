"""The Agents pages: the four sections with their columns, filters, empty states and constant queries; the
Create/Edit Fleet Agent form and its round trips (criteria, import, export, SNMP profiles); the agent page and
its actions (activation code, installation package, deactivate, delete, tasks)."""
import html as html_lib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fleet.choices import Activation, AgentType, TaskType
from fleet.models import Agent, Printer, SnmpProfile, Task
from fleet.services import agents as svc
from fleet.services import native
from fleet.services.agents import ProfileSpec
from tests.conftest import make_user


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


@pytest.fixture
def viewer(acme):
    return make_user(acme, "viewer@acme.test", ["fleet_management_viewer"])


@pytest.fixture
def signed_in(client, admin):
    client.force_login(admin)
    return client


def url(org, rest=""):
    return f"/o/{org.pk}/fleet/agents/{rest}"


def fleet_agent(org, name="Fleet Agent 1", **kwargs):
    return svc.save_fleet_agent(org, name=name, **kwargs)


def activated(agent):
    return svc.activate(svc.current_activation_code(agent).code, kind="fleet", host_name="srv.test")


# --- the Agents tab --------------------------------------------------------------------------------------
@pytest.mark.parametrize("section,texts", [
    ("printer", ["There are no printer agents.", "Printer Enrollment Tool"]),
    ("fleet", ["There are no fleet agents.", "Create Fleet Agent"]),
    ("native", ["There are no native agents.", "A native agent is included as part of the firmware for Lexmark printers "
                "that are Internet of Things (IoT) capable.", "Pre-enroll Printers", "Enroll Printer"]),
    ("local", ["There are no local agents.", "A local agent is an application configured and installed on a computer "
               "system that has USB-attached printers.", "Download Local Agent", "Activation Code"]),
])
def test_empty_sections_say_what_the_guide_says(signed_in, acme, section, texts):
    html = signed_in.get(url(acme, f"?section={section}")).content.decode()
    for text in texts:
        assert text in html


def test_sections_show_the_guides_columns(signed_in, acme):
    fleet_agent(acme)
    svc.activate(svc.generate_local_code(acme, 2).code, kind="local", host_name="DESKTOP-BN07DNN")
    printer_agent = Agent.objects.create(organization=acme, kind=AgentType.PRINTER, name="pa", device_id="printer-1",
                                         version="3.0.19", polling_interval=5, activation=Activation.ACTIVATED)
    Printer.objects.create(organization=acme, agent=printer_agent, agent_type="printer", serial="P1",
                           ip_address="127.0.60.1")
    native.pre_enroll(acme, ["50285510100t1"])
    columns = {"printer": ["Printer Agent", "Version", "Update Available", "Polling Interval (minutes)", "Log Level",
                           "127.0.60.1", "3.0.19"],
               "fleet": ["Fleet Agent", "Agent Status", "Activation required", "Enrolled Printers"],
               "native": ["Native Agent", "50285510100t1", "Printer pre-enrolled"],
               "local": ["Local Agent", "Activation Status", "Enrolled Printers", "Version", "Update Available",
                         "DESKTOP-BN07DNN", "Activated"]}
    for section, texts in columns.items():
        html = signed_in.get(url(acme, f"?section={section}")).content.decode()
        for text in texts:
            assert text in html, (section, text)


def test_filters(signed_in, acme):
    old = fleet_agent(acme, "Old one")
    fresh = fleet_agent(acme, "Fresh one")
    activated(fresh)
    Agent.objects.filter(pk=old.pk).update(update_available=True, library_update_available=True)
    silent = fleet_agent(acme, "Silent one")
    activated(silent)
    Agent.objects.filter(pk=silent.pk).update(last_communication=timezone.now() - timedelta(hours=2))

    def names(query):
        response = signed_in.get(url(acme, f"?section=fleet&{query}"))
        return [a.name for a in response.context["page"].object_list]

    assert names("status=communicating") == ["Fresh one"]
    assert names("status=not_communicating") == ["Silent one"]
    assert names("status=required") == ["Old one"]
    assert names("update=yes") == names("library=yes") == ["Old one"]
    assert names("q=fresh") == ["Fresh one"]
    native.pre_enroll(acme, ["PRE1"])
    response = signed_in.get(url(acme, "?section=native&status=pre_enrolled"))
    assert [r.serial for r in response.context["page"].object_list] == ["PRE1"]


@pytest.mark.parametrize("section", ["printer", "fleet", "native", "local"])
def test_sections_use_a_constant_number_of_queries(signed_in, acme, section):
    def populate(n, start):
        for i in range(start, start + n):
            agent = Agent.objects.create(organization=acme, kind=section, name=f"{section}-{i}",
                                         device_id=f"{section}-{i}", activation=Activation.ACTIVATED,
                                         last_communication=timezone.now())
            Printer.objects.create(organization=acme, agent=agent, agent_type=section, serial=f"S{i}",
                                   ip_address=f"127.0.61.{i}")
        if section == "native":
            native.pre_enroll(acme, [f"PRE{i}" for i in range(start, start + n)])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert signed_in.get(url(acme, f"?section={section}")).status_code == 200
        return len(queries)

    populate(2, 0)
    few = count()
    populate(20, 10)
    assert count() == few


def test_a_viewer_sees_no_actions_and_cannot_change(client, acme, viewer):
    agent = fleet_agent(acme)
    client.force_login(viewer)
    html = client.get(url(acme, "?section=fleet")).content.decode()
    assert "Fleet Agent 1" in html and 'data-testid="agent-actions"' not in html
    assert client.get(url(acme, "fleet/create/")).status_code == 403
    assert client.post(url(acme, f"{agent.pk}/deactivate/")).status_code == 403
    assert client.get(url(acme, f"{agent.pk}/")).status_code == 200


# --- Create / Edit Fleet Agent ---------------------------------------------------------------------------
def text(response) -> str:
    return html_lib.unescape(response.content.decode())


def form_state(response):
    return response.context["draft_state"]


def post_form(client, path, state, follow=False, **data):
    return client.post(path, {"state": state, "name": "Site 4", "search_type": "advanced", "discovery_interval": 24,
                              "refresh_interval": 60, "log_level": "summary", "network_delay": 250, **data},
                       follow=follow)


def test_create_a_fleet_agent_through_the_form(signed_in, acme):
    create = url(acme, "fleet/create/")
    response = signed_in.get(create)
    assert [p["name"] for _i, p in response.context["profiles"]] == ["Default"]
    state = form_state(response)
    # Add Discovery Criteria to Include: a bad address first
    response = post_form(signed_in, create, state, action="add:include", **{"include-address": "10.20.*.5",
                                                                            "include-profile": "Default"})
    assert '"10.20.*.5" is not a valid address. Valid formats:' in text(response)
    response = post_form(signed_in, create, state, action="add:include",
                         **{"include-address": "127.0.62.*, printer.acme.test", "include-profile": "Default"})
    assert [c["address"] for _i, c in response.context["include_rows"]] == ["127.0.62.*", "printer.acme.test"]
    state = form_state(response)
    # Create SNMP Profile: v3 with a short key, then right
    profile = {"profile-name": "Site 1", "profile-version": "v3", "profile-security_level": "authPriv",
               "profile-username": "fleet", "profile-auth_protocol": "SHA256", "profile-auth_key": "short",
               "profile-privacy_protocol": "AES", "profile-privacy_key": "priv-secret", "profile-timeout": 15,
               "profile-retries": 3, "profile-port": 161}
    response = post_form(signed_in, create, state, action="save_profile", **profile)
    assert "at least 8 characters" in response.content.decode() and response.context["tab"] == "snmp"
    response = post_form(signed_in, create, state, action="save_profile", **{**profile, "profile-auth_key": "auth-secret"})
    assert [p["name"] for _i, p in response.context["profiles"]] == ["Default", "Site 1"]
    assert "auth-secret" not in response.content.decode()      # the draft is encrypted in the page
    state = form_state(response)
    response = post_form(signed_in, create, state, action="add:include",
                         **{"include-address": "127.0.63.1", "include-profile": "Site 1"})
    response = post_form(signed_in, create, form_state(response), action="save")
    agent = Agent.objects.get(organization=acme, name="Site 4")
    assert response.status_code == 302 and response["Location"] == url(acme, f"{agent.pk}/")
    site = agent.snmp_profiles.get(name="Site 1")
    assert (site.version, site.auth_key, site.privacy_key, site.retries) == ("v3", "auth-secret", "priv-secret", 3)
    assert {(c.address, c.profile.name) for c in agent.criteria.all()} == {
        ("127.0.62.*", "Default"), ("printer.acme.test", "Default"), ("127.0.63.1", "Site 1")}
    page = signed_in.get(response["Location"]).content.decode()
    code = svc.current_activation_code(agent)
    assert code.code in page and "ACTIVATION REQUIRED" in page and "Expires:" in page


def test_form_errors_land_on_their_tab(signed_in, acme):
    fleet_agent(acme, "Site 4")
    create = url(acme, "fleet/create/")
    state = form_state(signed_in.get(create))
    response = post_form(signed_in, create, state, action="save", name="New one")
    assert 'Enter at least one "Include" address.' in text(response) and response.context["tab"] == "criteria"
    response = post_form(signed_in, create, state, action="save", search_type="local")
    assert "already exists" in response.content.decode()
    response = post_form(signed_in, create, state, action="save", search_type="local", name="Other", network_delay=-1)
    assert response.context["tab"] == "other" and not Agent.objects.filter(name="Other").exists()


def test_a_low_network_delay_saves_with_the_guides_warning(signed_in, acme):
    create = url(acme, "fleet/create/")
    response = post_form(signed_in, create, form_state(signed_in.get(create)), action="save", search_type="local",
                         network_delay=0, follow=True)
    assert Agent.objects.get(name="Site 4").network_delay == 0
    assert svc.NETWORK_DELAY_WARNING in [str(m) for m in response.context["messages"]]


def test_import_export_and_delete_criteria_in_the_form(signed_in, acme):
    create = url(acme, "fleet/create/")
    state = form_state(signed_in.get(create))
    bad = io.BytesIO(b"Address,SNMP Profile\n127.0.64.1,Default\nnot an address,Default\n")
    bad.name = "criteria.csv"
    response = post_form(signed_in, create, state, action="import:include", **{"include-import-file": bad})
    assert 'Line 3: "not an address" is not a valid address.' in text(response)
    assert response.context["include_rows"] == []
    good = io.BytesIO(b"127.0.64.1\n127.0.64.2\n127.0.64.1\n")
    good.name = "criteria.txt"
    response = post_form(signed_in, create, state, action="import:exclude", **{"exclude-import-file": good})
    assert [c["address"] for _i, c in response.context["exclude_rows"]] == ["127.0.64.1", "127.0.64.2"]
    state = form_state(response)
    first = response.context["exclude_rows"][0][0]
    export = post_form(signed_in, create, state, action="export:exclude", selected_exclude=[first])
    assert export["Content-Type"].startswith("text/csv") and export.content.decode() == "Address\r\n127.0.64.1\r\n"
    response = post_form(signed_in, create, state, action="delete:exclude", selected_exclude=[first])
    assert [c["address"] for _i, c in response.context["exclude_rows"]] == ["127.0.64.2"]
    sample = signed_in.get(url(acme, "criteria-sample.csv?kind=include"))
    assert sample.content.decode().startswith("Address,SNMP Profile\r\n10.20.15.27,Default")


def test_an_altered_draft_is_refused(signed_in, acme):
    response = post_form(signed_in, url(acme, "fleet/create/"), "not-a-draft", action="save")
    assert response.status_code == 400


def test_edit_keeps_keys_and_a_changed_profile_unenrolls_its_printers(signed_in, acme):
    agent = fleet_agent(acme, profiles=[svc.default_profile_spec(), ProfileSpec(
        name="Site 1", version="v3", security_level="authPriv", username="u", auth_protocol="SHA",
        auth_key="auth-secret", privacy_protocol="AES", privacy_key="priv-secret")])
    activated(agent)
    site = agent.snmp_profiles.get(name="Site 1")
    printer = Printer.objects.create(organization=acme, agent=agent, agent_type="fleet", serial="E1", snmp_profile=site)
    edit = url(acme, f"{agent.pk}/edit/")
    response = signed_in.get(edit)
    assert response.context["form"].initial["name"] == "Fleet Agent 1"
    index = next(i for i, p in response.context["profiles"] if p["name"] == "Site 1")
    response = post_form(signed_in, edit, form_state(response), action=f"edit_profile:{index}", name="Fleet Agent 1",
                         search_type="local")
    assert response.context["profile_form"].initial["username"] == "u"
    response = post_form(signed_in, edit, form_state(response), action="save_profile", name="Fleet Agent 1",
                         search_type="local", **{"profile-name": "Site 1", "profile-version": "v3",
                                                 "profile-security_level": "authPriv", "profile-username": "u",
                                                 "profile-auth_protocol": "SHA", "profile-privacy_protocol": "AES",
                                                 "profile-timeout": 20, "profile-retries": 1, "profile-port": 161})
    response = post_form(signed_in, edit, form_state(response), action="save", name="Fleet Agent 1",
                         search_type="local")
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.timeout, site.auth_key, site.privacy_key) == (20, "auth-secret", "priv-secret")
    assert not Printer.objects.enrolled().filter(pk=printer.pk).exists()
    agent.refresh_from_db()
    assert agent.definition_version == 2
    assert Task.objects.filter(task_type=TaskType.EDIT_AGENT_SETTINGS, jobs__agent=agent).exists()


def test_the_default_profile_cannot_be_deleted_in_the_form(signed_in, acme):
    agent = fleet_agent(acme)
    edit = url(acme, f"{agent.pk}/edit/")
    response = post_form(signed_in, edit, form_state(signed_in.get(edit)), action="delete_profile:0",
                         name="Fleet Agent 1", search_type="local")
    assert "The default profile can be edited but not deleted." in response.content.decode()


# --- the agent's page ------------------------------------------------------------------------------------
def test_agent_page_status_block(signed_in, acme):
    agent = fleet_agent(acme)
    activated(agent)
    html = signed_in.get(url(acme, f"{agent.pk}/")).content.decode()
    for text in ("Agent status", "Communicating", "Last communicated", "Activation", "Activated - ",
                 "Discover &amp; Enroll Printers", "Installation Package", "Refresh all printer information",
                 "Deactivate Agent", "Delete Agent", "MIB Walk", "Request"):
        assert text in html, text


def test_generate_code_and_download_the_package(signed_in, acme):
    agent = fleet_agent(acme)
    first = svc.current_activation_code(agent)
    signed_in.post(url(acme, f"{agent.pk}/activation-code/"))
    code = svc.current_activation_code(agent)
    assert code != first
    response = signed_in.post(url(acme, f"{agent.pk}/package/"), {"package": "linux-x64"})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    config = archive.read("lexcloud-fleet-agent-linux-x64/FleetAgentConfig.ini").decode()
    assert f"CS_ACTIVATION_CODE={code.code}" in config and "URL=http://testserver" in config
    assert "ACTIVATE_URL=http://testserver/api/agents/v1/activate" in config
    assert svc.current_activation_code(agent) == code      # a valid code is reused


def test_package_by_email(signed_in, acme, django_capture_on_commit_callbacks):
    agent = fleet_agent(acme)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(url(acme, f"{agent.pk}/package/email/"), {"email": "ops@acme.test"})
    [message] = mail.outbox
    assert message.to == ["ops@acme.test"] and svc.current_activation_code(agent).code in message.body


def test_deactivate_and_delete_with_the_guides_confirmations(signed_in, acme):
    agent = fleet_agent(acme)
    activated(agent)
    Printer.objects.create(organization=acme, agent=agent, agent_type="fleet", serial="D1")
    page = text(signed_in.get(url(acme, f"{agent.pk}/deactivate/")))
    assert "Deactivating the fleet agent suspends its printer management capabilities and removes associated " \
           "printers from the Printers page." in page
    assert 'Do you want to deactivate "Fleet Agent 1"?' in page
    signed_in.post(url(acme, f"{agent.pk}/deactivate/"))
    agent.refresh_from_db()
    assert agent.activation == Activation.DEACTIVATED
    assert "unenrolls any printers associated with it" in signed_in.get(url(acme, f"{agent.pk}/delete/")).content.decode()
    response = signed_in.post(url(acme, f"{agent.pk}/delete/"))
    assert response["Location"] == url(acme, "?section=fleet")
    assert not Agent.objects.filter(pk=agent.pk).exists() and not Printer.objects.filter(serial="D1").exists()


def test_agent_buttons_create_tasks(signed_in, acme):
    agent = fleet_agent(acme)
    response = signed_in.post(url(acme, f"{agent.pk}/discover/"), follow=True)
    assert "Activate the agent first." in response.content.decode()
    activated(agent)
    signed_in.post(url(acme, f"{agent.pk}/discover/"))
    signed_in.post(url(acme, f"{agent.pk}/refresh/"))
    signed_in.post(url(acme, f"{agent.pk}/log/"))
    profile = agent.snmp_profiles.get()
    signed_in.post(url(acme, f"{agent.pk}/mib-walk/"), {"address": "127.0.65.9", "profile": profile.pk})
    types = set(Task.objects.filter(organization=acme).values_list("task_type", flat=True))
    assert types == {TaskType.DISCOVER, TaskType.REFRESH_ALL, TaskType.AGENT_LOG, TaskType.MIB_WALK}
    html = signed_in.get(url(acme, f"{agent.pk}/")).content.decode()
    assert "Last request:" in html


def test_fleet_agent_update_menu(signed_in, acme):
    agents = [fleet_agent(acme, f"F{i}") for i in range(2)]
    signed_in.post(url(acme, "update/"), {"ids": [a.pk for a in agents], "what": "library", "section": "fleet"})
    task = Task.objects.get(task_type=TaskType.UPDATE_LIBRARY)
    assert task.jobs.count() == 2


def test_criteria_export_of_a_saved_agent(signed_in, acme):
    agent = fleet_agent(acme)
    svc.add_criteria(agent, "include", ["127.0.66.1"])
    response = signed_in.get(url(acme, f"{agent.pk}/criteria.csv?kind=include"))
    assert response.content.decode() == "Address,SNMP Profile\r\n127.0.66.1,Default\r\n"


def test_another_organizations_agent_is_not_found(signed_in, globex, acme):
    theirs = fleet_agent(globex, "Theirs")
    assert signed_in.get(url(acme, f"{theirs.pk}/")).status_code == 404
    assert signed_in.post(url(acme, f"{theirs.pk}/deactivate/")).status_code == 404
    assert SnmpProfile.objects.filter(agent=theirs).exists()


def test_fleet_agent_status_card(signed_in, acme, admin):
    fleet_agent(acme, "Waiting")
    activated(fleet_agent(acme, "Running"))
    from lexcloud.registry import registry

    card = registry.cards["fleet.agent_status"]

    class Request:
        user = admin

    data = card.render(Request, acme)
    counts = {row["key"]: row["count"] for row in data["rows"]}
    assert counts == {"communicating": 1, "not_communicating": 0, "required": 1, "deactivated": 0}
    assert data["rows"][2]["url"].endswith("?section=fleet&status=required")
