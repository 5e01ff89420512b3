"""`seed_demo --printers N`: a demo fleet written through the ingest service, idempotent on rerun."""
from io import StringIO

from django.core.management import call_command

from fleet.choices import Activation, AgentType
from fleet.demo import SERIAL_PREFIX
from fleet.models import Agent, Alert, CounterSnapshot, Printer, ProcessedMessage, Supply, SupplyLevel


def test_seed_demo_builds_a_fleet_with_history_and_reruns_without_changes(db):
    out = StringIO()
    call_command("seed_demo", printers=12, days=15, stdout=out)
    text = out.getvalue()
    assert "Demo printers: 12/12 (100%)" in text and 'Demo Fleet Agent: device id "fleet-' in text
    agent = Agent.objects.get(kind=AgentType.FLEET, name="Demo Fleet Agent")
    assert agent.activation == Activation.ACTIVATED and agent.organization.name == "Acme Corporation"
    printers = Printer.objects.filter(organization=agent.organization, agent=agent)
    assert printers.count() == 12 and all(p.serial.startswith(SERIAL_PREFIX) for p in printers)
    assert all(str(p.ip_address).startswith("127.") for p in printers)
    assert printers.filter(printer_model__isnull=False).exists() and printers.filter(printer_model__isnull=True).exists()
    assert len({p.model_name for p in printers}) >= 6
    assert CounterSnapshot.objects.filter(printer__in=printers).count() == 12 * 15
    assert not Supply.objects.filter(printer__in=printers).exclude(type__in=["Toner", "Imaging Unit", "Fuser"]).exists()
    assert SupplyLevel.objects.filter(supply__printer__in=printers).exists()
    assert Alert.objects.filter(printer__in=printers, cleared_at__isnull=True).exists()
    assert all(p.lowest_supply is not None and p.last_data_refresh for p in printers)
    counts = {m: m.objects.count() for m in (Printer, CounterSnapshot, SupplyLevel, Alert, ProcessedMessage)}

    again = StringIO()
    call_command("seed_demo", printers=12, days=15, stdout=again)
    assert "Demo printers: 12 already there" in again.getvalue() and "secret" not in again.getvalue().split("Demo")[-1]
    assert {m: m.objects.count() for m in counts} == counts

    call_command("seed_demo", printers=14, days=15, stdout=StringIO())
    assert Printer.objects.filter(agent=agent).count() == 14


def test_without_printers_seed_demo_creates_no_fleet(db):
    call_command("seed_demo", stdout=StringIO())
    assert not Printer.objects.exists() and not Agent.objects.exists()


def test_the_lab_agent_config_activates_the_lab_fleet_agent_silently(acme, tmp_path):
    """`seed_demo --lab-agent DIR` defines the Lab Fleet Agent (the simulator's range and port) and writes a
    configuration that the agent runtime reads, with a valid activation code; once activated, it is left alone."""
    from agents.core.config import AgentConfig
    from fleet.demo import LAB_AGENT_NAME, lab_agent_config
    from fleet.models import Agent
    from fleet.services import agents as agent_services

    path = lab_agent_config(acme, tmp_path, "http://127.0.0.1:8000")
    config = AgentConfig.load(path, "fleet")
    assert config.server == "http://127.0.0.1:8000" and config.mqtt_url == "-" and config.web.port == 8081
    agent = Agent.objects.get(organization=acme, name=LAB_AGENT_NAME)
    definition = agent_services.definition_document(agent)
    assert definition["criteria"]["include"] == [{"address": "127.0.1.1-127.0.1.10", "profile": "Lab"}]
    assert {p["name"]: p["port"] for p in definition["snmp_profiles"]}["Lab"] == 16161
    activated = agent_services.activate(config.activation_code, kind="fleet")
    config.state_dir.mkdir(parents=True, exist_ok=True)
    (config.state_dir / "credentials.json").write_text("{}")   # as the runtime leaves it after activating
    assert activated.agent == agent and lab_agent_config(acme, tmp_path, "http://127.0.0.1:8000") is None
