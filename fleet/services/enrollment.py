"""Enrollment: a printer comes under an agent of an organization. One agent manages a printer at a time.

`enroll(agent, identity)` is the one path: Fleet Agent discovery (`enroll` messages), Native-Agent
enrollment (pre-enrollment or printer-generated code), Printer and Local Agents. Rules (guide, Fleet Agent
"Transfer management of discovered printers that are already enrolled through another agent"):
- a printer not in the organization is created under the agent;
- an unenrolled printer of the organization is enrolled again, its data kept;
- a printer managed by another active agent stays with it, unless the discovering Fleet Agent has
  "transfer management" on, or the enrollment is explicit (`takeover=True`: an administrator redeemed a code
  or ran an enrollment tool for this printer);
- a printer whose agent is gone or deactivated is taken over.
"""
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from agents.protocol import IDENTITY_FIELDS, PrinterIdentity

from ..choices import AgentType
from ..models import Agent, Printer, PrinterModel, SnmpProfile

# protocol identity field → Printer field
IDENTITY_COLUMNS = {"model": "model_name", "manufacturer": "manufacturer", "mac": "mac_address", "ip": "ip_address",
                    "hostname": "host_name", "name": "name", "location": "location", "contact": "contact",
                    "firmware": "firmware", "esf_version": "esf_version"}


class Outcome:
    CREATED = "created"
    RE_ENROLLED = "re_enrolled"
    UPDATED = "updated"
    TRANSFERRED = "transferred"
    KEPT = "kept_by_other_agent"


@dataclass
class Enrolled:
    printer: Printer
    outcome: str


def catalog_model(model_name: str) -> PrinterModel | None:
    """The catalog entry of a reported model ("Lexmark CX725de" or "CX725de"), or None (data collection only)."""
    name = (model_name or "").strip()
    for prefix in ("Lexmark ", "LEXMARK "):
        name = name.removeprefix(prefix)
    return PrinterModel.objects.filter(name__iexact=name).first() if name else None


def identity_values(identity: PrinterIdentity) -> dict:
    """Printer fields from a reported identity, leaving out what the agent did not report."""
    values = {}
    for field_name, column in IDENTITY_COLUMNS.items():
        value = getattr(identity, field_name, "")
        if value:
            values[column] = value
    return values


@transaction.atomic
def enroll(agent: Agent, identity: PrinterIdentity | dict, *, takeover: bool = False, now=None) -> Enrolled:
    if isinstance(identity, dict):
        identity = PrinterIdentity(**{k: v for k, v in identity.items() if k in IDENTITY_FIELDS})
    now = now or timezone.now()
    values = identity_values(identity)
    if agent.kind == AgentType.FLEET and identity.profile:
        values["snmp_profile"] = SnmpProfile.objects.filter(agent=agent, name=identity.profile).first()
    printer = (Printer.objects.select_for_update().select_related("agent")
               .filter(organization_id=agent.organization_id, serial=identity.serial).first())
    if printer is None:
        printer = Printer.objects.create(
            organization_id=agent.organization_id, agent=agent, agent_type=agent.kind, serial=identity.serial,
            printer_model=catalog_model(identity.model), manufacturer=values.pop("manufacturer", "") or (
                "Lexmark" if catalog_model(identity.model) else ""),
            enrolled_at=now, created_at=now, modified_at=now, **values)
        return Enrolled(printer, Outcome.CREATED)

    outcome = Outcome.UPDATED
    if printer.unenrolled_at is not None:
        outcome = Outcome.RE_ENROLLED
    elif printer.agent_id != agent.pk:
        current = printer.agent
        held = current is not None and current.is_active
        if held and not (takeover or (agent.kind == AgentType.FLEET and agent.transfer_management)):
            return Enrolled(printer, Outcome.KEPT)
        outcome = Outcome.TRANSFERRED
    if outcome != Outcome.UPDATED:
        printer.enrolled_at = now
    for column, value in values.items():
        setattr(printer, column, value)
    if "model_name" in values:
        printer.printer_model = catalog_model(values["model_name"])
    printer.agent, printer.agent_type, printer.unenrolled_at, printer.modified_at = agent, agent.kind, None, now
    printer.save()
    return Enrolled(printer, outcome)
