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
from django.db.models.functions import Lower
from django.utils import timezone

from agents.protocol import IDENTITY_FIELDS, PrinterIdentity

from ..choices import AgentType
from ..models import Agent, Printer, PrinterModel, SnmpProfile
from .bulk import update_rows

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


def _catalog_key(model_name: str) -> str:
    name = (model_name or "").strip()
    for prefix in ("Lexmark ", "LEXMARK "):
        name = name.removeprefix(prefix)
    return name.lower()


def catalog_model(model_name: str) -> PrinterModel | None:
    """The catalog entry of a reported model ("Lexmark CX725de" or "CX725de"), or None (data collection only)."""
    return catalog_models([model_name]).get(model_name)


def catalog_models(model_names) -> dict[str, PrinterModel]:
    """Catalog entries of several reported model names in one query: {reported name: PrinterModel}."""
    keys = {name: _catalog_key(name) for name in set(model_names) if _catalog_key(name)}
    if not keys:
        return {}
    found = {m.key: m for m in PrinterModel.objects.annotate(key=Lower("name")).filter(key__in=set(keys.values()))}
    return {name: found[key] for name, key in keys.items() if key in found}


def identity_values(identity: PrinterIdentity) -> dict:
    """Printer fields from a reported identity, leaving out what the agent did not report."""
    values = {}
    for field_name, column in IDENTITY_COLUMNS.items():
        value = getattr(identity, field_name, "")
        if value:
            values[column] = value
    return values


def enroll(agent: Agent, identity: PrinterIdentity | dict, *, takeover: bool = False, now=None) -> Enrolled:
    return enroll_many(agent, [identity], takeover=takeover, now=now)[0]


@transaction.atomic
def enroll_many(agent: Agent, identities, *, takeover: bool = False, now=None) -> list[Enrolled]:
    """`enroll` for many printers at once (discovery answers, demo fleets): the same rules, with a number of
    queries that does not grow with the number of printers. One result per identity, in order."""
    identities = [PrinterIdentity(**{k: v for k, v in i.items() if k in IDENTITY_FIELDS}) if isinstance(i, dict)
                  else i for i in identities]
    if not identities:
        return []
    now = now or timezone.now()
    serials = {i.serial for i in identities}
    existing = {p.serial: p for p in Printer.objects.select_for_update(of=("self",)).select_related("agent")
                .filter(organization_id=agent.organization_id, serial__in=serials)}
    models = catalog_models(i.model for i in identities if i.model)
    profiles = {}
    if agent.kind == AgentType.FLEET and any(i.profile for i in identities):
        profiles = {p.name: p for p in SnmpProfile.objects.filter(agent=agent, name__in={i.profile for i in identities})}
    results, created, updated = [], {}, {}
    for identity in identities:
        values = identity_values(identity)
        if agent.kind == AgentType.FLEET and identity.profile:
            values["snmp_profile"] = profiles.get(identity.profile)
        model = models.get(identity.model) if identity.model else None
        printer = existing.get(identity.serial) or created.get(identity.serial)
        if printer is None:
            manufacturer = values.pop("manufacturer", "") or ("Lexmark" if model else "")
            printer = created[identity.serial] = Printer(
                organization_id=agent.organization_id, agent=agent, agent_type=agent.kind, serial=identity.serial,
                printer_model=model, manufacturer=manufacturer, enrolled_at=now, created_at=now, modified_at=now,
                **values)
            results.append(Enrolled(printer, Outcome.CREATED))
            continue
        outcome = _outcome(printer, agent, takeover)
        if outcome == Outcome.KEPT:
            results.append(Enrolled(printer, outcome))
            continue
        _take(printer, agent, values, model, outcome, now)
        if printer.pk is not None:
            updated[printer.pk] = printer
        results.append(Enrolled(printer, outcome))
    Printer.objects.bulk_create(created.values(), batch_size=500)
    update_rows(Printer, updated.values(), ENROLL_FIELDS)
    return results


# what enrolling an existing printer writes
ENROLL_FIELDS = [*IDENTITY_COLUMNS.values(), "printer_model", "snmp_profile", "agent", "agent_type", "unenrolled_at",
                 "enrolled_at", "modified_at"]


def _outcome(printer: Printer, agent: Agent, takeover: bool) -> str:
    if printer.unenrolled_at is not None:
        return Outcome.RE_ENROLLED
    if printer.agent_id == agent.pk:
        return Outcome.UPDATED
    current = printer.agent
    held = current is not None and current.is_active
    if held and not (takeover or (agent.kind == AgentType.FLEET and agent.transfer_management)):
        return Outcome.KEPT
    return Outcome.TRANSFERRED


def _take(printer: Printer, agent: Agent, values: dict, model, outcome: str, now) -> None:
    """The printer comes (or stays) under `agent`, with the identity it reported."""
    if outcome != Outcome.UPDATED:
        printer.enrolled_at = now
    for column, value in values.items():
        if column not in printer.edited_fields:   # an administrator's edit in the portal stays
            setattr(printer, column, value)
    if "model_name" in values:
        printer.printer_model = model
    printer.agent, printer.agent_type, printer.unenrolled_at, printer.modified_at = agent, agent.kind, None, now
