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
