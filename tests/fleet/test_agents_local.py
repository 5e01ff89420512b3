"""Local and Printer Agents: settings (single and bulk, communicating only), updates, access credentials,
the Local Agent activation code menu and the Download Local Agent package."""
import html
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fleet.choices import Activation, AgentType, JobStatus, TaskType
from fleet.models import Agent, Printer, Task
from fleet.services import agents as svc
from tests.conftest import make_user


@pytest.fixture
def admin(acme):
    return make_user(acme, "fleet@acme.test", ["fleet_management_administrator"])


@pytest.fixture
def signed_in(client, admin):
    client.force_login(admin)
    return client


def url(org, rest=""):
    return f"/o/{org.pk}/fleet/agents/{rest}"


def local_agents(org, n, *, silent=()):
    code = svc.generate_local_code(org, max(n, 1))
    agents = [svc.activate(code.code, kind="local", host_name=f"PC-{i}").agent for i in range(n)]
    for i in silent:
        Agent.objects.filter(pk=agents[i].pk).update(last_communication=timezone.now() - timedelta(hours=3))
        agents[i].refresh_from_db()
    return agents


def printer_agent(org, serial, ip):
    agent = Agent.objects.create(organization=org, kind=AgentType.PRINTER, name=f"PA {serial}",
                                 device_id=f"printer-{serial}", activation=Activation.ACTIVATED, polling_interval=5,
                                 last_communication=timezone.now())
    Printer.objects.create(organization=org, agent=agent, agent_type="printer", serial=serial, ip_address=ip)
    return agent


# --- services --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("interval", [14, 1441])
def test_local_polling_interval_range(acme, interval):
    [agent] = local_agents(acme, 1)
    with pytest.raises(ValidationError) as error:
        svc.edit_agent_settings(acme, [agent], log_level="detailed", polling_interval=interval)
    assert error.value.message_dict == {"polling_interval": ["Range: 15 to 1440 minutes"]}


def test_bulk_edit_applies_to_communicating_agents_only(acme):
    agents = local_agents(acme, 3, silent=[2])
    task = svc.edit_agent_settings(acme, agents, log_level="detailed", polling_interval=300, communicating_only=True)
    values = {a.name: (a.log_level, a.polling_interval) for a in Agent.objects.filter(kind="local")}
    assert values == {"PC-0": ("detailed", 300), "PC-1": ("detailed", 300), "PC-2": ("summary", 180)}
    statuses = dict(task.jobs.values_list("agent__name", "status"))
    assert statuses["PC-2"] == JobStatus.NOT_COMMUNICATING
    assert statuses["PC-0"] == statuses["PC-1"] == JobStatus.PENDING
    assert task.args == {"log_level": "detailed", "polling_interval": 300}


def test_settings_of_one_type_at_a_time(acme):
    [local] = local_agents(acme, 1)
    other = printer_agent(acme, "P1", "127.0.70.1")
    with pytest.raises(ValidationError, match="one type"):
        svc.edit_agent_settings(acme, [local, other], log_level="summary", polling_interval=60)
    with pytest.raises(ValidationError, match="Local or Printer Agents only|Local Agents or Printer Agents only"):
        svc.edit_agent_settings(acme, [svc.save_fleet_agent(acme, name="F")], log_level="summary", polling_interval=60)


def test_printer_agent_polling_range_and_update(acme):
    agent = printer_agent(acme, "P2", "127.0.70.2")
    with pytest.raises(ValidationError, match="Range: 1 to 1440 minutes"):
        svc.edit_agent_settings(acme, [agent], log_level="summary", polling_interval=0)
    svc.edit_agent_settings(acme, [agent], log_level="detailed", polling_interval=10)
    agent.refresh_from_db()
    assert (agent.log_level, agent.polling_interval) == ("detailed", 10)
    assert svc.update_agents(acme, [agent]).task_type == TaskType.UPDATE_AGENT


def test_update_access_credentials_stores_them_encrypted(acme):
    agent = printer_agent(acme, "P3", "127.0.70.3")
    task = svc.update_access_credentials(acme, [agent], auth_type="user_password",
                                         credentials={"username": "admin", "password": "s3cret!"})
    printer = Printer.objects.get(serial="P3")
    assert printer.access_auth_type == "user_password"
    assert json.loads(printer.access_credentials) == {"username": "admin", "password": "s3cret!"}
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT access_credentials FROM fleet_printer WHERE id = %s", [printer.pk])
        assert "s3cret" not in cursor.fetchone()[0]
    assert task.task_type == TaskType.UPDATE_CREDENTIALS and task.args == {"auth_type": "user_password"}
    assert svc.definition_document(agent)["printer_credentials"] == [
        {"serial": "P3", "auth_type": "user_password", "username": "admin", "password": "s3cret!"}]
    with pytest.raises(ValidationError):
        svc.update_access_credentials(acme, [agent], auth_type="pin", credentials={"pin": ""})


def test_deactivate_and_delete_a_local_agent(acme):
    [agent] = local_agents(acme, 1)
    printer = Printer.objects.create(organization=acme, agent=agent, agent_type="local", serial="USB1")
    svc.deactivate_agent(agent)
    assert not Printer.objects.enrolled().filter(pk=printer.pk).exists()
    svc.delete_agent(agent)
    assert not Agent.objects.filter(pk=agent.pk).exists() and not Printer.objects.filter(pk=printer.pk).exists()


# --- pages -----------------------------------------------------------------------------------------------
def test_bulk_edit_page_defaults_and_warning(signed_in, acme):
    agents = local_agents(acme, 2, silent=[1])
    response = signed_in.post(url(acme, "settings/"), {"ids": [a.pk for a in agents]})
    page = " ".join(html.unescape(response.content.decode()).split())
    assert response.context["form"].initial == {"log_level": "detailed", "polling_interval": 180}
    assert "1 of the selected local agents is not communicating: PC-1. Click Continue" in page
    response = signed_in.post(url(acme, "settings/"), {"ids": [a.pk for a in agents], "save": "1",
                                                       "log_level": "summary", "polling_interval": 1441})
    assert "Range: 15 to 1440 minutes" in response.content.decode()
    response = signed_in.post(url(acme, "settings/"), {"ids": [a.pk for a in agents], "save": "1",
                                                       "log_level": "summary", "polling_interval": 240})
    assert response.status_code == 302
    assert Task.objects.get(task_type=TaskType.EDIT_AGENT_SETTINGS).jobs.count() == 2


def test_single_local_agent_edit(signed_in, acme):
    [agent] = local_agents(acme, 1)
    response = signed_in.get(url(acme, f"{agent.pk}/edit/"))
    assert "Edit Local Agent" in response.content.decode()
    assert response.context["form"].initial == {"log_level": "summary", "polling_interval": 180}
    response = signed_in.post(url(acme, "settings/"), {"ids": [agent.pk], "save": "1", "from": "detail",
                                                       "log_level": "detailed", "polling_interval": 60})
    assert response["Location"] == url(acme, f"{agent.pk}/")
    agent.refresh_from_db()
    assert agent.polling_interval == 60


def test_credentials_page(signed_in, acme):
    agent = printer_agent(acme, "P4", "127.0.70.4")
    response = signed_in.post(url(acme, "credentials/"), {"ids": [agent.pk], "save": "1", "auth_type": "pin",
                                                          "pin": "12ab"})
    assert "The PIN must contain digits only." in response.content.decode()
    signed_in.post(url(acme, "credentials/"), {"ids": [agent.pk], "save": "1", "auth_type": "pin", "pin": "1234"})
    assert Printer.objects.get(serial="P4").access_auth_type == "pin"


def test_local_code_menu_pages(signed_in, acme):
    response = signed_in.post(url(acme, "local/activation-code/"), {"activations": 3001})
    assert "Range: 1 to 3000 activations" in response.content.decode()
    signed_in.post(url(acme, "local/activation-code/"), {"activations": 25})
    code = svc.current_local_code(acme)
    assert code.max_activations == 25
    menu = signed_in.get(url(acme, "?section=local")).content.decode()
    assert code.code in menu and "25/25 activations remaining" in menu and "Expires: 2 days 23 hours" in menu
    response = signed_in.post(url(acme, "local/activation-code/update/"), {"activations": 5})
    assert "Range: 10 to 3000 activations" in response.content.decode()
    signed_in.post(url(acme, "local/activation-code/update/"), {"activations": 40})
    code.refresh_from_db()
    assert code.max_activations == 40
    signed_in.post(url(acme, "local/activation-code/expire/"))
    assert svc.current_local_code(acme) is None
    response = signed_in.post(url(acme, "local/activation-code/update/"), {"activations": 50})
    assert "You cannot increase the activations allowed for an expired activation code." in response.content.decode()


def test_download_local_agent_generates_the_code_into_the_ini(signed_in, acme):
    response = signed_in.post(url(acme, "local/download/"), {"package": "windows-x86", "generate": "on",
                                                             "activations": 7})
    code = svc.current_local_code(acme)
    assert code.max_activations == 7
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    ini = archive.read("lexcloud-local-agent-windows-x86/LocalAgentConfig.ini").decode()
    assert "[IOT_HUB]" in ini and f"CS_ACTIVATION_CODE={code.code}" in ini
    signed_in.post(url(acme, "local/download/"), {"package": "windows-x64", "generate": "on", "activations": 9})
    assert svc.current_local_code(acme) == code      # "If ... downloaded while a valid activation code exists"
