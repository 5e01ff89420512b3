"""Telemetry ingest: the one entry for agents' messages (agents/protocol.py), whether they come over MQTT
(`manage.py mqtt_ingest`) or REST (`POST /api/agents/v1/messages`).

`ingest(messages, device_id=...)` applies a batch in one transaction with a number of queries that does not
grow with the batch (bulk lookups, bulk inserts, one UPDATE per table). Rules (docs/decisions/0008):
- a message counts only when its envelope names the authenticated device and that agent is activated;
- a message id is applied once (ProcessedMessage); a replay changes nothing;
- a printer report counts only for a printer the agent manages in its own organization (else refused);
- a report older than the printer's last data refresh changes no current state; its counters are still kept
  as history when that snapshot is missing;
- counters are stored as snapshots of effective values (fleet.services.counters: wraps and resets);
  supply levels are stored when they change; a given alert list is the complete open set.
"""
import ipaddress
import logging
import operator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from agents.protocol import Message, MessageType, ProtocolError, decode

from ..choices import Activation, AgentType, Communication
from ..models import (
    Agent,
    Alert,
    CounterSnapshot,
    DiagnosticEvent,
    FailedMessage,
    Printer,
    ProcessedMessage,
    Supply,
    SupplyLevel,
)
from . import communication, counters, enrollment
from . import tasks as task_services
from .bulk import insert_values, update_rows, update_values

log = logging.getLogger(__name__)

DIAGNOSTIC_LIFETIME = timedelta(days=30)       # a diagnostic event is kept this long after it happened
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
ENROLLING_AGENTS = {AgentType.FLEET, AgentType.LOCAL}   # Printer and Native Agents enroll through their endpoints
MAX_PROBLEMS = 20
SUPPLY_FIELDS = ("description", "type", "color", "level", "level_state", "capacity", "unit", "status", "serial",
                 "coverage", "lifetime_coverage", "sides", "genuine")


@dataclass
class IngestResult:
    """What a batch did, for the logs and the REST answer. Message counts first, then printer reports."""

    applied: int = 0            # messages applied
    duplicates: int = 0         # messages already applied before (same message id)
    refused: int = 0            # messages not from the authenticated, activated agent
    errors: int = 0             # messages that could not be decoded or applied
    reports: int = 0            # printer reports applied to the current state
    stale: int = 0              # printer reports older than the printer's state (history only)
    refused_reports: int = 0    # printer reports for printers the agent does not manage
    problems: list[str] = field(default_factory=list)

    @property
    def messages(self) -> int:
        return self.applied + self.duplicates + self.refused + self.errors

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)

    def merge(self, other: "IngestResult") -> "IngestResult":
        for name in ("applied", "duplicates", "refused", "errors", "reports", "stale", "refused_reports"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for text in other.problems:
            self.problem(text)
        return self

    def as_dict(self) -> dict:
        return asdict(self)


def decode_payloads(items) -> tuple[list[tuple[str | None, Message]], IngestResult]:
    """Raw payloads as `(device id, bytes)` pairs, decoded. A payload that is not a protocol message counts as
    an error, with the reason the protocol gives."""
    decoded, result = [], IngestResult()
    for device_id, payload in items:
        try:
            decoded.append((device_id, decode(payload)))
        except ProtocolError as exc:
            result.errors += 1
            result.problem(f"{device_id or 'unknown device'}: {exc}")
            log.warning("ingest: bad message from %s: %s", device_id, exc)
    return decoded, result


def ingest(messages, *, device_id: str | None = None, now: datetime | None = None,
           keep_failed: bool = True) -> IngestResult:
    """Apply decoded messages. `messages` are Message objects sent by `device_id` (the authenticated agent:
    REST caller, or the device id of the MQTT topic), or `(device_id, Message)` pairs for a batch that mixes
    devices. A batch that fails as a whole is applied again message by message, so that one bad message
    costs only itself, and is kept (FailedMessage, unless `keep_failed` is off) for a replay; a lost database
    connection is raised for the caller to retry."""
    received = [m if isinstance(m, tuple) else (device_id, m) for m in messages]
    if not received:
        return IngestResult()
    now = now or timezone.now()
    result = IngestResult()
    try:
        with transaction.atomic():
            _Batch(received, now, result).apply()
    except (OperationalError, InterfaceError):
        raise
    except Exception as error:
        if len(received) == 1:
            device, message = received[0]
            log.exception("ingest: message %s from %s could not be applied", message.id, device)
            if keep_failed:
                _keep_failed(device, message, error)
            result = IngestResult(errors=1)
            result.problem(f"message {message.id}: could not be applied ({type(error).__name__}: {error})"[:300])
            return result
        log.warning("ingest: a batch of %d messages failed; applying them one by one", len(received))
        result = IngestResult()
        for pair in received:
            result.merge(ingest([pair], now=now, keep_failed=keep_failed))
    return result


def _retiring(agent: Agent, message) -> bool:
    """A deactivated agent that still holds its secret (its Deactivate agent job is open) may report on its
    jobs, and nothing else."""
    return (agent.activation == Activation.DEACTIVATED and bool(agent.secret_digest)
            and message.type == MessageType.EVENT)


def _keep_failed(device: str | None, message: Message, error: Exception) -> None:
    """The agent has been (or will be) told "accepted" and forgets the message: keep it for a replay."""
    FailedMessage.objects.create(message_id=message.id, device_id=device or message.agent,
                                 message_type=message.type, payload=message.to_dict(),
                                 error=f"{type(error).__name__}: {error}"[:2000])


def replay_failed(*, limit: int | None = None) -> IngestResult:
    """Apply the kept failed messages again, oldest first; those that apply (or turn out to be duplicates or
    refused) are removed, those that fail again stay with their new error."""
    total = IngestResult()
    kept = FailedMessage.objects.order_by("failed_at", "pk")
    for failed in (kept[:limit] if limit else kept):
        try:
            message = decode(failed.payload)
        except ProtocolError as exc:
            failed.error = f"ProtocolError: {exc}"
            failed.save(update_fields=["error"])
            total.errors += 1
            continue
        result = ingest([message], device_id=failed.device_id, keep_failed=False)
        total.merge(result)
        if result.errors:
            failed.error = "; ".join(result.problems) or "failed again"
            failed.save(update_fields=["error"])
        else:
            failed.delete()
    return total


class _Batch:
    """One batch in one transaction: checks, then each kind of message in bulk."""

    def __init__(self, received, now, result: IngestResult):
        self.received, self.now, self.result = received, now, result

    def apply(self) -> None:
        agents = {a.device_id: a for a in Agent.objects.filter(device_id__in={m.agent for _, m in self.received})}
        accepted, seen, alive = [], set(), {}
        for device, message in self.received:
            agent = agents.get(message.agent)
            if device is None or message.agent != device:
                self._refuse(f"message {message.id} names agent {message.agent!r} but came from {device!r}")
            elif agent is None or not (agent.is_active or _retiring(agent, message)):
                self._refuse(f"message {message.id}: agent {message.agent!r} is unknown or not activated")
            elif message.id in seen:
                self.result.duplicates += 1
            else:
                seen.add(message.id)
                accepted.append((agent, message))
                alive[agent.pk] = agent
        new_ids = _claim(accepted, self.now)
        fresh = [(agent, message) for agent, message in accepted if message.id in new_ids]
        self.result.duplicates += len(accepted) - len(fresh)
        self.result.applied += len(fresh)
        by_type = {kind: [(a, m) for a, m in fresh if m.type == kind] for kind in MessageType.UPSTREAM}
        self._enroll(by_type[MessageType.ENROLL])
        if by_type[MessageType.TELEMETRY]:
            _Reports(self.now, self.result).apply(
                [(agent, report) for agent, message in by_type[MessageType.TELEMETRY] for report in message.body.printers])
        self._agents_seen(alive.values(), by_type[MessageType.HEARTBEAT])
        for agent, message in by_type[MessageType.EVENT]:
            task_services.record_event(agent, message.body)

    def _refuse(self, text: str) -> None:
        self.result.refused += 1
        self.result.problem(text)
        log.warning("ingest: refused %s", text)

    def _enroll(self, items) -> None:
        for agent, message in items:
            if agent.kind not in ENROLLING_AGENTS:
                self.result.problem(f"message {message.id}: a {agent.kind} agent does not enroll printers")
                log.warning("ingest: %s agent %s sent an enroll message", agent.kind, agent.device_id)
                continue
            enrollment.enroll_many(agent, message.body.printers, now=self.now)

    def _agents_seen(self, agents, heartbeats) -> None:
        """Every agent that spoke is communicating; heartbeats carry its version. Printers that showed "Agent
        not communicating" come back (their own silence is checked again by the next communication run)."""
        versions = {agent.pk: message.body.version for agent, message in heartbeats if message.body.version}
        silent_since = self.now - communication.agent_silence()
        returning = [a.pk for a in agents if a.last_communication is None or a.last_communication < silent_since]
        fields = {"last_communication"}
        for agent in agents:
            agent.last_communication = self.now
            if agent.pk in versions and agent.version != versions[agent.pk]:
                agent.version = versions[agent.pk]
                fields.add("version")
        update_rows(Agent, list(agents), sorted(fields))
        if returning:
            Printer.objects.filter(agent_id__in=returning, communication=Communication.AGENT_NOT_COMMUNICATING).update(
                communication=Case(When(authenticated=False, then=Value(Communication.NEEDS_CREDENTIALS)),
                                   default=Value(Communication.COMMUNICATING)))


def _claim(accepted, now) -> set[str]:
    """Record the message ids not seen before and return them. INSERT ... ON CONFLICT DO NOTHING RETURNING:
    a concurrent ingest process claiming the same id waits for this transaction, then gets nothing back."""
    if not accepted:
        return set()
    table = connection.ops.quote_name(ProcessedMessage._meta.db_table)
    claimed = set()
    with connection.cursor() as cursor:
        for start in range(0, len(accepted), 5000):
            chunk = accepted[start:start + 5000]
            at = ProcessedMessage._meta.get_field("received_at").get_db_prep_save(now, connection)
            params = [v for agent, message in chunk for v in (message.id, agent.pk, at)]
            cursor.execute(f"INSERT INTO {table} (message_id, agent_id, received_at) VALUES "
                           + ", ".join(["(%s, %s, %s)"] * len(chunk))
                           + " ON CONFLICT (message_id) DO NOTHING RETURNING message_id", params)
            claimed.update(row[0] for row in cursor.fetchall())
    return claimed


class _Reports:
    """Printer reports of a batch: loaded in bulk, applied in time order per printer in memory, written back
    with one statement per table. Supplies and alerts are handled as plain rows (dicts keyed by column
    attname), not model instances: a batch holds thousands of them."""

    def __init__(self, now, result: IngestResult):
        self.now, self.result = now, result
        self.printer_fields: set[str] = set()
        self.dirty: dict[int, Printer] = {}
        self.models: dict[int, str] = {}                 # printer pk → reported model name to look up
        self.supplies: dict[int, dict[str, dict]] = {}
        self.supply_fields: set[str] = set()
        self.changed_supplies: dict[int, dict] = {}
        self.new_supplies: list[dict] = []
        self.gone_supplies: list[dict] = []
        self.levels: list[tuple[dict, int, datetime]] = []
        self.alerts: dict[int, dict[str, dict]] = {}
        self.new_alerts: list[dict] = []
        self.cleared_alerts: list[dict] = []
        self.diagnostics: dict[tuple[int, str], DiagnosticEvent] = {}
        self.snapshots: list[tuple] = []

    def apply(self, items) -> None:
        managed = self._managed(items)
        self._load_children(managed)
        for printer, report, collected in managed:
            self._report(printer, report, collected)
        self._write()

    def _managed(self, items):
        """The reports of printers their agent manages, sorted by printer and time; others are refused. The
        printer rows are locked (in id order, so two batches never wait on each other in a cycle): a concurrent
        batch with reports of the same printers waits, then reads the state this one leaves."""
        orgs = {agent.organization_id for agent, _ in items}
        serials = {report.serial for _, report in items}
        printers = {(p.organization_id, p.serial): p for p in Printer.objects.filter(
            organization_id__in=orgs, serial__in=serials).only(*PRINTER_LOAD).order_by("pk")
            .select_for_update(of=("self",))}
        managed = []
        for agent, report in items:
            printer = printers.get((agent.organization_id, report.serial))
            if printer is None or printer.agent_id != agent.pk or printer.unenrolled_at is not None:
                self.result.refused_reports += 1
                self.result.problem(f"printer {report.serial}: not managed by agent {agent.device_id}")
                log.warning("ingest: refused a report for printer %s from agent %s (not managed by it)",
                            report.serial, agent.device_id)
                continue
            managed.append((printer, report, report.collected))
        managed.sort(key=lambda item: (item[0].pk, item[2]))
        return managed

    def _load_children(self, managed) -> None:
        """Current supplies and open alerts of the printers that have a newer report listing them."""
        def newer(printer, collected):
            return printer.last_data_refresh is None or collected > printer.last_data_refresh

        supply_ids = {p.pk for p, r, at in managed if r.supplies is not None and newer(p, at)}
        alert_ids = {p.pk for p, r, at in managed if r.alerts is not None and newer(p, at)}
        self.supplies = {pk: {} for pk in supply_ids}
        self.alerts = {pk: {} for pk in alert_ids}
        if supply_ids:
            for row in Supply.objects.filter(printer_id__in=supply_ids).order_by().values(*SUPPLY_COLUMNS):
                self.supplies[row["printer_id"]][row["key"]] = row
        if alert_ids:
            for row in (Alert.objects.filter(printer_id__in=alert_ids, cleared_at__isnull=True).order_by()
                        .values(*ALERT_COLUMNS)):
                self.alerts[row["printer_id"]][row["key"]] = row

    # ------------------------------------------------------------------------------------------ one report
    def _report(self, printer: Printer, report, collected: datetime) -> None:
        fresh = printer.last_data_refresh is None or collected > printer.last_data_refresh
        if not fresh:
            self.result.stale += 1
            if report.counters:
                values = counters.place_stale(printer.counter_state, printer.counters, report.counters, collected)
                if values:
                    self.snapshots.append((printer.pk, collected, values))
            return
        self.result.reports += 1
        boot = counters.boot_time(collected, report.uptime)
        if report.counters:
            self._counters(printer, report.counters, collected, counters.restarted(printer.last_restart, boot))
        self._state(printer, report, collected, boot)
        if report.supplies is not None:
            self._supplies(printer, report.supplies, collected)
        if report.alerts is not None:
            self._alerts(printer, report.alerts, collected)
        for event in report.diagnostics or ():
            at = _time(event.at) or collected
            self.diagnostics[(printer.pk, event.key)] = DiagnosticEvent(
                printer_id=printer.pk, key=event.key, alert=event.alert, alert_type=event.alert_type,
                error_code=event.error_code, error_reason=event.error_reason, error_type=event.error_type,
                page_count=event.page_count, created_at=at, expires_at=at + DIAGNOSTIC_LIFETIME)

    def _set(self, printer: Printer, name: str, value) -> None:
        if getattr(printer, name) != value:
            setattr(printer, name, value)
            self.printer_fields.add(name)

    def _counters(self, printer: Printer, raw: dict, collected: datetime, restart: bool) -> None:
        advanced = counters.advance(printer.counter_state, printer.counters, raw, collected, restart=restart)
        if advanced.wrapped or advanced.reset:
            log.info("ingest: printer %s counters wrapped %s, reset %s", printer.serial, advanced.wrapped,
                     advanced.reset)
        self._set(printer, "counter_state", advanced.state)
        self._set(printer, "counters", {**printer.counters, **advanced.values})
        self._set(printer, "counters_at", collected)
        self.snapshots.append((printer.pk, collected, advanced.values))

    def _state(self, printer: Printer, report, collected: datetime, boot) -> None:
        self.dirty[printer.pk] = printer
        reported, stored = _reported_identity(report), _stored_identity(printer)
        for column, value, current in zip(IDENTITY_COLUMNS, reported, stored, strict=True):
            if not value or value == current or (column == "ip_address" and not _valid_ip(value)):
                continue
            if column in printer.edited_fields:   # set by an administrator in the portal
                continue
            value = value[:IDENTITY_LENGTHS[column]]
            if column == "model_name":
                self.models[printer.pk] = value
            self._set(printer, column, value)
        self._set(printer, "status", report.status)
        self._set(printer, "status_text", report.status_text[:255])
        self._set(printer, "error_state", report.error_state)
        if report.uptime is not None:
            self._set(printer, "uptime", report.uptime)
            if printer.last_restart is None or counters.restarted(printer.last_restart, boot):
                self._set(printer, "last_restart", boot)
        if report.authenticated is not None:
            self._set(printer, "authenticated", report.authenticated)
        if report.apps is not None:
            self._set(printer, "apps", [{"name": a.name, "version": a.version, "state": a.state} for a in report.apps])
        if report.paper_counts is not None:
            self._set(printer, "paper_counts", report.paper_counts)
        self._set(printer, "last_data_refresh", collected)
        seen = min(collected, self.now)
        if printer.last_communication is None or seen > printer.last_communication:
            self._set(printer, "last_communication", seen)
        self._set(printer, "communication", Communication.NEEDS_CREDENTIALS if printer.authenticated is False
                  else Communication.COMMUNICATING)

    def _supplies(self, printer: Printer, reported, collected: datetime) -> None:
        """The reported list is the printer's complete set: update, add, and drop what is gone. A level is
        recorded in the history only when it differs from the last one."""
        current = self.supplies[printer.pk]
        keys = set()
        for item in reported:
            keys.add(item.key)
            row = current.get(item.key)
            if row is None:
                row = current[item.key] = {**NEW_SUPPLY, "printer_id": printer.pk, "key": item.key}
                self.new_supplies.append(row)
            previous_level = row["level"]
            changed = False
            if _reported_supply(item) != _stored_supply(row):    # the usual case: nothing changed
                for name, value in zip(SUPPLY_FIELDS, _reported_supply(item), strict=True):
                    if row[name] != value:
                        row[name] = value
                        self.supply_fields.add(name)
                        changed = True
            installed = _time(item.installed_at)
            if installed and row["installed_at"] != installed:
                row["installed_at"], changed = installed, True
                self.supply_fields.add("installed_at")
            if changed:
                row["updated_at"] = collected
                self.supply_fields.add("updated_at")
                if row["id"] is not None:
                    self.changed_supplies[row["id"]] = row
            if row["level"] is not None and row["level"] != previous_level:
                self.levels.append((row, row["level"], collected))
        for key in set(current) - keys:
            self.gone_supplies.append(current.pop(key))
        toner = [s["level"] for s in current.values() if s["type"] == "Toner" and s["level"] is not None]
        self._set(printer, "lowest_supply", min(toner) if toner else None)

    def _alerts(self, printer: Printer, reported, collected: datetime) -> None:
        """The reported list is the complete set of open alerts: new keys open, missing keys are cleared; an
        alert still open keeps its severity and time."""
        current = self.alerts[printer.pk]
        keys = set()
        for item in reported:
            keys.add(item.key)
            if item.key not in current:
                row = {"id": None, "printer_id": printer.pk, "key": item.key, "severity": item.severity,
                       "description": item.description, "code": item.code, "group": item.group,
                       "supply": item.supply, "opened_at": _time(item.since) or collected, "cleared_at": None}
                current[item.key] = row
                self.new_alerts.append(row)
        for key in set(current) - keys:
            row = current.pop(key)
            row["cleared_at"] = collected
            if row["id"] is not None:
                self.cleared_alerts.append(row)
        open_alerts = current.values()
        self._set(printer, "printer_alerts", sum(1 for a in open_alerts if not a["supply"]))
        self._set(printer, "supply_alerts", sum(1 for a in open_alerts if a["supply"]))
        worst = max((a["severity"] for a in open_alerts), key=lambda s: SEVERITY_RANK.get(s, 0), default="")
        self._set(printer, "worst_severity", worst)

    # ------------------------------------------------------------------------------------------ writes
    def _write(self) -> None:
        if self.models:
            found = enrollment.catalog_models(self.models.values())
            for pk, name in self.models.items():
                model = found.get(name)
                self.dirty[pk].printer_model_id = model.pk if model else None
            self.printer_fields.add("printer_model")
        update_rows(Printer, list(self.dirty.values()), sorted(self.printer_fields))
        gone = {id(row) for row in self.gone_supplies}
        if self.gone_supplies:
            Supply.objects.filter(pk__in=[row["id"] for row in self.gone_supplies if row["id"]]).delete()
        fields = sorted(self.supply_fields)
        update_values(Supply, fields, [(row["id"], *(row[f] for f in fields))
                                       for row in self.changed_supplies.values() if id(row) not in gone])
        new = [row for row in self.new_supplies if id(row) not in gone]
        for row, pk in zip(new, insert_values(Supply, SUPPLY_INSERT, [_pick(row, SUPPLY_INSERT) for row in new],
                                              returning=True), strict=True):
            row["id"] = pk
        insert_values(SupplyLevel, ["supply", "level", "at"],
                      [(row["id"], level, at) for row, level, at in self.levels if id(row) not in gone])
        update_values(Alert, ["cleared_at"], [(row["id"], row["cleared_at"]) for row in self.cleared_alerts])
        insert_values(Alert, ALERT_INSERT, [_pick(row, ALERT_INSERT) for row in self.new_alerts])
        if self.diagnostics:
            DiagnosticEvent.objects.bulk_create(
                self.diagnostics.values(), batch_size=1000, update_conflicts=True, unique_fields=["printer", "key"],
                update_fields=["alert", "alert_type", "error_code", "error_reason", "error_type", "page_count",
                               "created_at", "expires_at"])
        insert_values(CounterSnapshot, ["printer", "collected_at", "values"], self.snapshots, ignore_conflicts=True)


# what ingest reads and writes of each table (column attnames)
PRINTER_LOAD = ("id", "organization_id", "agent_id", "serial", "unenrolled_at", *enrollment.IDENTITY_COLUMNS.values(),
                "printer_model_id", "status", "status_text", "error_state", "communication", "authenticated",
                "last_communication", "last_data_refresh", "last_restart", "uptime", "counters", "counters_at",
                "counter_state", "paper_counts", "apps", "printer_alerts", "supply_alerts", "worst_severity",
                "lowest_supply", "edited_fields")
IDENTITY_LENGTHS = {column: Printer._meta.get_field(column).max_length or 255
                    for column in enrollment.IDENTITY_COLUMNS.values()}
SUPPLY_COLUMNS = ("id", "printer_id", "key", *SUPPLY_FIELDS, "installed_at", "days_to_replace", "updated_at")
SUPPLY_INSERT = ("printer", "key", *SUPPLY_FIELDS, "installed_at", "days_to_replace", "updated_at")
NEW_SUPPLY = {"id": None, "description": "", "type": "Other", "color": "", "level": None, "level_state": "",
              "capacity": None, "unit": "", "status": "", "serial": "", "coverage": None, "lifetime_coverage": None,
              "sides": None, "genuine": None, "installed_at": None, "days_to_replace": None}
ALERT_COLUMNS = ("id", "printer_id", "key", "severity", "description", "code", "group", "supply", "opened_at",
                 "cleared_at")
ALERT_INSERT = ("printer", "key", "severity", "description", "code", "group", "supply", "opened_at", "cleared_at")


IDENTITY_COLUMNS = tuple(enrollment.IDENTITY_COLUMNS.values())
_reported_identity = operator.attrgetter(*enrollment.IDENTITY_COLUMNS)
_stored_identity = operator.attrgetter(*IDENTITY_COLUMNS)
_reported_supply = operator.attrgetter(*SUPPLY_FIELDS)
_stored_supply = operator.itemgetter(*SUPPLY_FIELDS)


def _pick(row: dict, fields) -> tuple:
    return tuple(row["printer_id" if name == "printer" else name] for name in fields)


def _time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
