"""Printers and their live state: identity, status, supplies (current and level history), alerts (open and
cleared), diagnostic events, counter snapshots, installed apps, tags. A printer belongs to one
organization and to one agent at a time; state changes only through fleet.services."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from accounts.querysets import OrgScopedQuerySet
from lexcloud.crypto import EncryptedTextField

from ..choices import AgentType, AlertSeverity, Communication, PanelMessage, Status
from .agents import Agent
from .catalog import PrinterModel


class PrinterQuerySet(OrgScopedQuerySet):
    def enrolled(self):
        return self.filter(unenrolled_at__isnull=True)


class PrinterChildQuerySet(OrgScopedQuerySet):
    org_field = "printer__organization"


class Tag(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="printer_tags")
    name = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="tag_name_unique")]

    def __str__(self):
        return self.name


class Printer(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="printers")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="printers")
    agent_type = models.CharField(max_length=8, choices=AgentType.choices, blank=True)
    snmp_profile = models.ForeignKey("fleet.SnmpProfile", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="printers")   # the Fleet Agent profile it was discovered with
    unenrolled_at = models.DateTimeField(null=True, blank=True)  # set: off the listing, data kept until re-enrolled
    # identity
    serial = models.CharField(max_length=64)
    model_name = models.CharField(max_length=100, blank=True)
    printer_model = models.ForeignKey(PrinterModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    manufacturer = models.CharField(max_length=64, blank=True)
    mac_address = models.CharField(max_length=32, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    host_name = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    location = models.CharField(max_length=255, blank=True)
    contact = models.CharField(max_length=255, blank=True)
    asset_tag = models.CharField(max_length=64, blank=True)
    # identification fields an administrator edited in the portal: telemetry and re-enrollment leave them alone
    edited_fields = models.JSONField(default=list, blank=True)
    firmware = models.CharField(max_length=64, blank=True)
    esf_version = models.CharField(max_length=32, blank=True)
    firmware_update_available = models.BooleanField(default=False)
    firmware_changed_at = models.DateTimeField(null=True, blank=True)  # integration API baseFirmwareLastModifiedDate
    # state
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UNKNOWN)
    status_text = models.CharField(max_length=255, blank=True)
    error_state = models.JSONField(default=list, blank=True)
    communication = models.CharField(max_length=24, choices=Communication.choices, default=Communication.COMMUNICATING)
    authenticated = models.BooleanField(null=True, blank=True)
    # not indexed: every telemetry report rewrites it, and an indexed column that changes makes each printer
    # update write into all the table's indexes instead of a HOT update (docs/decisions/0008, Telemetry ingest)
    last_communication = models.DateTimeField(null=True, blank=True)
    last_data_refresh = models.DateTimeField(null=True, blank=True)   # collected_at of the newest report applied
    last_restart = models.DateTimeField(null=True, blank=True)
    uptime = models.BigIntegerField(null=True, blank=True)
    counters = models.JSONField(default=dict, blank=True)     # newest effective counter values (named)
    counters_at = models.DateTimeField(null=True, blank=True)
    counter_state = models.JSONField(default=dict, blank=True)  # per counter: last raw value and offset (wraps)
    paper_counts = models.JSONField(default=list, blank=True)
    apps = models.JSONField(default=list, blank=True)         # installed apps [{name, version, state}]
    printer_alerts = models.PositiveSmallIntegerField(default=0)   # open printer alerts (listing filter/sort)
    supply_alerts = models.PositiveSmallIntegerField(default=0)
    worst_severity = models.CharField(max_length=8, blank=True)    # of the open alerts: error > warning > info
    lowest_supply = models.PositiveSmallIntegerField(null=True, blank=True)  # lowest toner level, percent
    panel_message = models.CharField(max_length=24, choices=PanelMessage.choices, blank=True)
    panel_message_until = models.DateTimeField(null=True, blank=True)
    access_auth_type = models.CharField(max_length=32, blank=True)    # "Update agent access credentials"
    access_credentials = EncryptedTextField(blank=True)
    days_to_replace_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="printers")
    enrolled_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    modified_at = models.DateTimeField(default=timezone.now)

    objects = PrinterQuerySet.as_manager()

    class Meta:
        ordering = ["ip_address", "serial"]
        constraints = [models.UniqueConstraint(fields=["organization", "serial"], name="printer_serial_unique")]
        indexes = [models.Index(fields=["organization", "communication"]),
                   models.Index(fields=["organization", "agent_type"]),
                   models.Index(fields=["organization", "ip_address", "id"]),
                   models.Index(fields=["agent", "serial"]),
                   # the Printers page: enrolled printers in identifier order, their count, the models of the fleet
                   models.Index(fields=["organization", "ip_address", "id"], condition=Q(unenrolled_at__isnull=True),
                                name="printer_enrolled_ip"),
                   models.Index(fields=["organization", "model_name"], condition=Q(unenrolled_at__isnull=True),
                                name="printer_enrolled_model"),
                   # the integration API pages enrolled printers in id order (an index-only scan, deep pages too)
                   models.Index(fields=["id", "organization"], condition=Q(unenrolled_at__isnull=True),
                                name="printer_enrolled_id_org")]

    def __str__(self):
        return self.name or str(self.ip_address or "") or self.serial

    @property
    def identifier(self) -> str:
        return str(self.ip_address or "") or self.host_name or self.serial


class Supply(models.Model):
    # db_index=False on the telemetry tables' foreign keys: their composite indexes start with that column
    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="supplies", db_index=False)
    key = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=32, default="Other")
    color = models.CharField(max_length=32, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    level_state = models.CharField(max_length=16, blank=True)
    capacity = models.BigIntegerField(null=True, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=32, blank=True)
    serial = models.CharField(max_length=64, blank=True)
    coverage = models.FloatField(null=True, blank=True)
    lifetime_coverage = models.FloatField(null=True, blank=True)
    sides = models.BigIntegerField(null=True, blank=True)
    installed_at = models.DateTimeField(null=True, blank=True)
    genuine = models.BooleanField(null=True, blank=True)
    # integration API fields no agent reports yet (null / "UNKNOWN" until one does)
    # db_default: ingest writes supplies and events with explicit column lists (fleet.services.ingest)
    supply_state = models.CharField(max_length=16, blank=True, default="", db_default="")  # "AUTHENTIC", ...
    prebate = models.BooleanField(null=True, blank=True)             # a return-program cartridge
    coverage_last_job = models.FloatField(null=True, blank=True)
    days_to_replace = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = PrinterChildQuerySet.as_manager()

    class Meta:
        ordering = ["printer_id", "key"]
        constraints = [models.UniqueConstraint(fields=["printer", "key"], name="supply_key_unique")]

    def __str__(self):
        return self.description or self.key


class SupplyLevel(models.Model):
    """A supply level as it changed: written only when the level differs from the last one stored."""

    supply = models.ForeignKey(Supply, on_delete=models.CASCADE, related_name="levels", db_index=False)
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["supply_id", "at"]
        indexes = [models.Index(fields=["supply", "at"])]

    def __str__(self):
        return f"{self.level}% at {self.at:%Y-%m-%d %H:%M}"


class Alert(models.Model):
    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="alerts", db_index=False)
    key = models.CharField(max_length=64)
    severity = models.CharField(max_length=8, choices=AlertSeverity.choices, default=AlertSeverity.WARNING)
    description = models.CharField(max_length=255, blank=True)
    code = models.CharField(max_length=32, blank=True)
    group = models.CharField(max_length=32, blank=True)
    supply = models.BooleanField(default=False)
    opened_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    objects = PrinterChildQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [models.UniqueConstraint(fields=["printer", "key"], condition=Q(cleared_at__isnull=True),
                                               name="alert_open_unique")]
        indexes = [models.Index(fields=["printer", "cleared_at"])]

    def __str__(self):
        return self.description or self.key

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None


class DiagnosticEvent(models.Model):
    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="diagnostic_events", db_index=False)
    key = models.CharField(max_length=64)
    alert = models.CharField(max_length=255, blank=True)
    alert_type = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_reason = models.CharField(max_length=32, blank=True)
    error_type = models.CharField(max_length=32, blank=True)
    page_count = models.BigIntegerField(null=True, blank=True)
    collector_id = models.CharField(max_length=32, blank=True, default="", db_default="")  # API collectorId
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    objects = PrinterChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["printer", "key"], name="diagnostic_key_unique")]

    def __str__(self):
        return self.alert or self.key


class CounterSnapshot(models.Model):
    """The printer's counters at one time (effective values: wraps and resets folded in)."""

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="counter_snapshots", db_index=False)
    collected_at = models.DateTimeField()
    values = models.JSONField(default=dict)

    objects = PrinterChildQuerySet.as_manager()

    class Meta:
        ordering = ["printer_id", "collected_at"]
        constraints = [models.UniqueConstraint(fields=["printer", "collected_at"], name="counter_snapshot_unique")]

    def __str__(self):
        return f"counters at {self.collected_at:%Y-%m-%d %H:%M}"


class ProcessedMessage(models.Model):
    """Message ids already applied (idempotence); purged after a retention period."""

    message_id = models.CharField(max_length=64, unique=True)
    agent = models.ForeignKey(Agent, null=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return self.message_id


class FailedMessage(models.Model):
    """A protocol message the server accepted but could not apply (a server fault: the agent was already told
    "accepted" and has dropped it from its outbox). Kept so that nothing is lost: `manage.py ingest_failed`
    lists them and applies them again once the fault is fixed."""

    message_id = models.CharField(max_length=64, db_index=True)
    device_id = models.CharField(max_length=64)
    message_type = models.CharField(max_length=16)
    payload = models.JSONField()            # the message as agents.protocol encodes it
    error = models.TextField()
    failed_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.message_type} {self.message_id} from {self.device_id}"


class PrinterView(models.Model):
    """A view of the Printers page: the identifier column and the ordered columns. System views have no
    organization and cannot be edited or deleted; custom views are shared with child organizations."""

    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="printer_views")
    name = models.CharField(max_length=64)
    system_key = models.CharField(max_length=32, blank=True)   # "standard", "operations", ... for system views
    identifier = models.CharField(max_length=32, default="ip_address")
    columns = models.JSONField(default=list)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="printer_view_name_unique")]

    def __str__(self):
        return self.name

    @property
    def is_system(self) -> bool:
        return self.organization_id is None


class ViewPreference(models.Model):
    """The view a user last selected: their default on the Printers page (per organization)."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    view = models.ForeignKey(PrinterView, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="view_preference_unique")]

    def __str__(self):
        return f"{self.user_id}: {self.view_id}"


class FilterGroup(models.Model):
    """Saved filters of the Printers page (query parameters of the listing)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="filter_groups")
    name = models.CharField(max_length=64)
    filters = models.JSONField(default=dict)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="filter_group_name_unique")]

    def __str__(self):
        return self.name
