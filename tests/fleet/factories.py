"""Small builders of fleet test data, written straight through the ORM (no ingest): agents, printers with
their supplies and open alerts, tags. The printer's listing summaries (supply_alerts, printer_alerts,
worst_severity, lowest_supply) are kept consistent with the rows created, as the ingest service keeps them.

    agent = make_agent(acme, AgentType.FLEET)
    printer = make_printer(acme, agent, ip_address="127.0.2.1", supplies={"Black": 40, "Cyan": 12},
                           alerts=[{"severity": "error", "supply": True, "description": "Cyan toner low"}],
                           tags=["Floor 1"])
"""
import itertools

from django.utils import timezone

from fleet.choices import Activation, AgentType, AlertSeverity
from fleet.models import Agent, Alert, Printer, Supply, Tag

_sequence = itertools.count(1)
SEVERITY_RANK = {AlertSeverity.ERROR: 3, AlertSeverity.WARNING: 2, AlertSeverity.INFO: 1}
CMYK = ("Black", "Cyan", "Magenta", "Yellow")


def make_agent(org, kind=AgentType.FLEET, **fields) -> Agent:
    n = next(_sequence)
    fields.setdefault("name", f"{AgentType(kind).label} Agent {n}")
    fields.setdefault("device_id", f"{kind}-test-{n}")
    fields.setdefault("activation", Activation.ACTIVATED)
    fields.setdefault("version", "2.1.0")
    return Agent.objects.create(organization=org, kind=kind, **fields)


def make_tag(org, name) -> Tag:
    return Tag.objects.get_or_create(organization=org, name=name)[0]


def _supply_rows(supplies) -> list[dict]:
    """`True`: a full CMYK toner set; {color: level}: toners of those colors; a list of dicts: as given."""
    if supplies is True:
        supplies = {color: 80 - 15 * i for i, color in enumerate(CMYK)}
    if isinstance(supplies, dict):
        return [{"key": f"toner-{color.lower()}", "type": "Toner", "color": color, "level": level,
                 "description": f"{color} Cartridge", "capacity": 8500, "unit": "Sides"}
                for color, level in supplies.items()]
    return [dict(row) for row in supplies or ()]


def make_printer(org, agent=None, *, supplies=None, alerts=(), tags=(), **fields) -> Printer:
    """A printer enrolled in `org` (through `agent` if given); `alerts` are dicts of Alert fields (open)."""
    n = next(_sequence)
    fields.setdefault("serial", f"SN{n:07d}")
    fields.setdefault("ip_address", f"127.0.{(n // 250) % 250}.{n % 250 + 1}")
    fields.setdefault("model_name", "CX725")
    fields.setdefault("manufacturer", "Lexmark")
    fields.setdefault("last_communication", timezone.now())
    if agent is not None:
        fields.setdefault("agent_type", agent.kind)
    printer = Printer.objects.create(organization=org, agent=agent, **fields)
    rows = _supply_rows(supplies)
    Supply.objects.bulk_create([Supply(printer=printer, **row) for row in rows])
    now = timezone.now()
    alert_rows = [Alert(printer=printer, key=row.pop("key", f"alert-{i}"), opened_at=row.pop("opened_at", now), **row)
                  for i, row in enumerate(dict(a) for a in alerts)]
    Alert.objects.bulk_create(alert_rows)
    toner_levels = [r["level"] for r in rows if r.get("type") == "Toner" and r.get("level") is not None]
    worst = max((a.severity for a in alert_rows), key=lambda s: SEVERITY_RANK.get(s, 0), default="")
    Printer.objects.filter(pk=printer.pk).update(
        supply_alerts=sum(1 for a in alert_rows if a.supply),
        printer_alerts=sum(1 for a in alert_rows if not a.supply),
        worst_severity=worst, lowest_supply=min(toner_levels) if toner_levels else None)
    if tags:
        printer.tags.set([make_tag(org, name) if isinstance(name, str) else name for name in tags])
    printer.refresh_from_db()
    return printer
