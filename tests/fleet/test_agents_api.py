"""The agents REST API under /api/v1/organizations/{org_id}/fleet/: agents with profiles and criteria (secrets
write-only), activation codes, tasks, Local Agent codes, pre-enrollments and the enrollment code."""
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleet.choices import Activation, TaskType
from fleet.models import Agent, PreEnrollment, Printer, SnmpProfile, Task
from fleet.services import agents as svc
from fleet.services import native
from tests.conftest import make_user


@pytest.fixture
def api(client, acme):
    client.force_login(make_user(acme, "fleet@acme.test", ["fleet_management_administrator"]))
    return client


def base(org):
    return f"/api/v1/organizations/{org.pk}/fleet/"


V3 = {"name": "Site 1", "version": "v3", "security_level": "authPriv", "username": "fleet", "auth_protocol": "SHA256",
      "auth_key": "auth-secret", "privacy_protocol": "AES", "privacy_key": "priv-secret", "retries": 3}


def test_create_a_fleet_agent_with_profiles_and_criteria(api, acme):
    response = api.post(base(acme) + "agents/", {
        "name": "Site 4", "search_type": "advanced", "network_delay": 300, "profiles": [V3],
        "criteria": [{"kind": "include", "address": "127.0.90.*", "profile": "Site 1"},
                     {"kind": "exclude", "address": "127.0.90.9"}]}, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "fleet" and body["status"] == "required" and body["network_delay"] == 300
    assert [p["name"] for p in body["profiles"]] == ["Default", "Site 1"]
    assert all(k not in p for p in body["profiles"] for k in ("community", "auth_key", "privacy_key"))
    assert body["criteria"] == [{"id": body["criteria"][0]["id"], "kind": "include", "address": "127.0.90.*",
                                 "profile": "Site 1"},
                                {"id": body["criteria"][1]["id"], "kind": "exclude", "address": "127.0.90.9",
                                 "profile": ""}]
    assert SnmpProfile.objects.get(name="Site 1").privacy_key == "priv-secret"


@pytest.mark.parametrize("payload,field", [
    ({"name": "X", "search_type": "advanced"}, "criteria"),
    ({"name": "X", "profiles": [{**V3, "auth_key": "short"}]}, "auth_key"),
    ({"name": "X", "network_delay": 10001}, "network_delay"),
    ({"name": "X", "criteria": [{"kind": "include", "address": "300.0.0.1"}]}, "criteria"),
    ({"search_type": "local"}, "name"),
])
def test_create_errors_are_400_with_the_field(api, acme, payload, field):
    response = api.post(base(acme) + "agents/", payload, content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Agent.objects.exists()


def test_list_filters_and_constant_queries(api, acme):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get(base(acme) + "agents/").status_code == 200
        return len(queries)

    for i in range(2):
        svc.save_fleet_agent(acme, name=f"A{i}")
    few = count()
    for i in range(2, 12):
        agent = svc.save_fleet_agent(acme, name=f"A{i}")
        Printer.objects.create(organization=acme, agent=agent, agent_type="fleet", serial=f"S{i}")
    assert count() == few
    svc.activate(svc.generate_local_code(acme, 1).code, kind="local", host_name="PC")
    assert [a["name"] for a in api.get(base(acme) + "agents/?kind=local").json()["results"]] == ["PC"]
    assert api.get(base(acme) + "agents/?status=required").json()["count"] == 12


def test_patch_settings_and_delete(api, acme):
    agent = svc.save_fleet_agent(acme, name="Site")
    response = api.patch(base(acme) + f"agents/{agent.pk}/", {"refresh_interval": 120, "log_level": "detailed"},
                         content_type="application/json")
    assert response.status_code == 200 and response.json()["refresh_interval"] == 120
    assert response.json()["definition_version"] == 2
    bad = api.patch(base(acme) + f"agents/{agent.pk}/", {"polling_interval": 60}, content_type="application/json")
    assert bad.status_code == 400
    assert api.delete(base(acme) + f"agents/{agent.pk}/").status_code == 204
    assert not Agent.objects.filter(pk=agent.pk).exists()


def test_local_agent_patch_makes_a_task(api, acme):
    local = svc.activate(svc.generate_local_code(acme, 1).code, kind="local", host_name="PC").agent
    response = api.patch(base(acme) + f"agents/{local.pk}/", {"polling_interval": 90},
                         content_type="application/json")
    assert response.status_code == 200 and response.json()["polling_interval"] == 90
    assert Task.objects.get(task_type=TaskType.EDIT_AGENT_SETTINGS).jobs.get().agent == local


def test_profiles_api(api, acme):
    agent = svc.save_fleet_agent(acme, name="Site")
    profiles = base(acme) + f"agents/{agent.pk}/profiles/"
    created = api.post(profiles, V3, content_type="application/json")
    assert created.status_code == 201 and "auth_key" not in created.json()
    profile_id = created.json()["id"]
    assert api.post(profiles, V3, content_type="application/json").status_code == 400   # same name
    patched = api.patch(profiles + f"{profile_id}/", {"timeout": 30}, content_type="application/json")
    assert patched.json()["timeout"] == 30
    assert SnmpProfile.objects.get(pk=profile_id).auth_key == "auth-secret"    # kept
    default = agent.snmp_profiles.get(is_default=True)
    response = api.delete(profiles + f"{default.pk}/")
    assert response.status_code == 400 and "can be edited but not deleted" in str(response.json())
    assert api.delete(profiles + f"{profile_id}/").status_code == 204


def test_criteria_api(api, acme):
    agent = svc.save_fleet_agent(acme, name="Site")
    criteria = base(acme) + f"agents/{agent.pk}/criteria/"
    response = api.post(criteria, {"kind": "include", "addresses": ["127.0.91.1", "127.0.91.2"]},
                        content_type="application/json")
    assert response.status_code == 201 and [c["profile"] for c in response.json()] == ["Default", "Default"]
    bad = api.post(criteria, {"kind": "include", "addresses": ["10.20.*.5"]}, content_type="application/json")
    assert bad.status_code == 400 and "Valid formats" in str(bad.json())
    upload = io.BytesIO(b"Address\n127.0.91.3\nbad address\n")
    upload.name = "x.csv"
    response = api.post(criteria + "import/", {"kind": "exclude", "file": upload})
    assert response.status_code == 400 and response.json()["file"] == [
        'Line 3: "bad address" is not a valid address. '
        "Valid formats: 10.20.15.27, 10.20.15.*, 10.20.*.*, 10.20.15.3-10.20.15.34, myprinter.domain.com"]
    upload = io.BytesIO(b"127.0.91.3\n")
    upload.name = "x.txt"
    assert api.post(criteria + "import/", {"kind": "exclude", "file": upload}).json() == {
        "added": 1, "skipped": 0, "removed": 0}
    export = api.get(criteria + "export/?kind=exclude")
    assert export.content.decode() == "Address\r\n127.0.91.3\r\n"
    first = api.get(criteria + "?kind=include").json()[0]["id"]
    assert api.delete(criteria + f"{first}/").status_code == 204
    assert agent.criteria.count() == 2


def test_activation_code_and_tasks(api, acme):
    agent = svc.save_fleet_agent(acme, name="Site")
    code_url = base(acme) + f"agents/{agent.pk}/activation-code/"
    first = api.get(code_url).json()["current"]["code"]
    second = api.post(code_url).json()
    assert second["code"] != first and second["max_activations"] == 1
    tasks = base(acme) + f"agents/{agent.pk}/tasks/"
    assert api.post(tasks, {"action": "discover"}, content_type="application/json").status_code == 400
    svc.activate(second["code"], kind="fleet")
    response = api.post(tasks, {"action": "mib_walk", "address": "127.0.92.5", "profile": "default"},
                        content_type="application/json")
    assert response.status_code == 202
    assert Task.objects.get(pk=response.json()["task_id"]).args == {"address": "127.0.92.5", "profile": "Default"}
    assert api.post(tasks, {"action": "update_library"}, content_type="application/json").json()["task_type"] == \
        TaskType.UPDATE_LIBRARY
    assert api.post(base(acme) + f"agents/{agent.pk}/deactivate/").json()["activation"] == Activation.DEACTIVATED
    assert api.get(code_url).json() == {"current": None}


def test_local_code_api(api, acme):
    url = base(acme) + "local-activation-code/"
    assert api.get(url).json() == {"current": None}
    assert api.post(url, {"activations": 0}, content_type="application/json").status_code == 400
    created = api.post(url, {"activations": 10}, content_type="application/json").json()
    assert (created["max_activations"], created["remaining"]) == (10, 10)
    assert api.patch(url, {"activations": 9}, content_type="application/json").status_code == 400
    assert api.patch(url, {"activations": 100}, content_type="application/json").json()["max_activations"] == 100
    assert api.delete(url).status_code == 204 and api.get(url).json() == {"current": None}
    refused = api.patch(url, {"activations": 200}, content_type="application/json")
    assert "You cannot increase the activations allowed for an expired activation code." in str(refused.json())


def test_pre_enrollments_and_enrollment_code(api, acme, globex):
    url = base(acme) + "pre-enrollments/"
    response = api.post(url, {"serials": ["ABC1", "ABC2", "abc1"]}, content_type="application/json")
    body = response.json()
    assert response.status_code == 201 and body["duplicates"] == 1
    assert body["enrollment_code"] == api.get(base(acme) + "enrollment-code/").json()["code"]
    assert api.get(url).json()["count"] == 2
    theirs = native.pre_enroll(globex, ["G1"]).added[0]
    assert api.delete(url + f"{theirs.pk}/").status_code == 404
    assert api.delete(url + f"{body['added'][0]['id']}/").status_code == 204
    assert list(PreEnrollment.objects.filter(organization=acme).values_list("serial", flat=True)) == ["ABC2"]


def test_redeem_a_printer_code(api, acme):
    redeem = base(acme) + "printer-enrollment-codes/redeem/"
    assert api.post(redeem, {"code": "nothing1"}, content_type="application/json").json() == {
        "code": ["The enrollment code is invalid or expired."]}
    row, _claim = native.request_printer_code("RX1")
    body = api.post(redeem, {"code": row.code}, content_type="application/json").json()
    assert body["serial"] == "RX1" and Agent.objects.get(pk=body["agent_id"]).kind == "native"


def test_viewers_read_but_cannot_write(client, acme):
    client.force_login(make_user(acme, "viewer@acme.test", ["fleet_management_viewer"]))
    agent = svc.save_fleet_agent(acme, name="Site")
    assert client.get(base(acme) + f"agents/{agent.pk}/").status_code == 200
    assert client.patch(base(acme) + f"agents/{agent.pk}/", {}, content_type="application/json").status_code == 403
    assert client.post(base(acme) + "agents/", {"name": "x"}, content_type="application/json").status_code == 403


def test_bulk_update_settings_and_credentials(api, acme, globex):
    fleet = [svc.save_fleet_agent(acme, name=f"F{i}") for i in range(2)]
    theirs = svc.save_fleet_agent(globex, name="Theirs")
    response = api.post(base(acme) + "agents/update/", {"ids": [a.pk for a in fleet] + [theirs.pk], "library": True},
                        content_type="application/json")
    task = Task.objects.get(pk=response.json()["task_id"])
    assert task.task_type == TaskType.UPDATE_LIBRARY and task.jobs.count() == 2     # the other org's id ignored
    local = svc.activate(svc.generate_local_code(acme, 1).code, kind="local", host_name="PC").agent
    response = api.post(base(acme) + "agents/settings/", {"ids": [local.pk], "log_level": "detailed",
                                                          "polling_interval": 10}, content_type="application/json")
    assert response.status_code == 400 and response.json() == {"polling_interval": ["Range: 15 to 1440 minutes"]}
    printer_agent = Agent.objects.create(organization=acme, kind="printer", name="PA", device_id="printer-api",
                                         activation=Activation.ACTIVATED)
    Printer.objects.create(organization=acme, agent=printer_agent, agent_type="printer", serial="PX")
    response = api.post(base(acme) + "agents/credentials/", {"ids": [printer_agent.pk], "auth_type": "password",
                                                             "password": "pw"}, content_type="application/json")
    assert response.status_code == 202 and Printer.objects.get(serial="PX").access_auth_type == "password"
