"""The agents that bring printers in: Fleet Agents (with their discovery definition and SNMP profiles),
Printer Agents, Native Agents (one per printer) and Local Agents, their activation codes, and Native-Agent
enrollment (pre-enrollment by serial, the organization's enrollment code, printer-generated codes).

Every agent is a device of the wire protocol: `device_id` names its MQTT topics and its REST identity, and
it authenticates with its own secret (stored as a digest)."""
import hashlib
import secrets
import uuid
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.querysets import OrgScopedQuerySet
from lexcloud.crypto import EncryptedTextField

from ..choices import (
    Activation,
    AgentType,
    CodeKind,
    CriterionKind,
    LogLevel,
    SearchType,
    SnmpAuthProtocol,
    SnmpPrivProtocol,
    SnmpSecurityLevel,
    SnmpVersion,
)

ACTIVATION_CODE_LIFETIME = timedelta(hours=72)
LOCAL_ACTIVATIONS_MIN, LOCAL_ACTIVATIONS_MAX = 1, 3000
LOCAL_ACTIVATIONS_UPDATE_MIN = 10
POLLING_MIN, POLLING_MAX = 15, 1440            # Local Agent polling interval (minutes), default 180
LOCAL_POLLING_DEFAULT = 180
PRINTER_AGENT_POLLING_DEFAULT = 5
NETWORK_DELAY_DEFAULT = 250                    # Fleet Agent network utilization delay (ms)
SNMP_TIMEOUT_RANGE, SNMP_RETRIES_RANGE = (1, 60), (0, 20)
DEFAULT_PROFILE_NAME = "Default"
ENROLLMENT_CODE_LIFETIME = timedelta(hours=24)  # printer-generated codes (docs/decisions/0008)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_device_id(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex}"


class Agent(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="agents")
    kind = models.CharField(max_length=8, choices=AgentType.choices)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    device_id = models.CharField(max_length=64, unique=True)
    secret_digest = models.CharField(max_length=64, blank=True)   # empty: no credentials issued yet
    credentials_issued_at = models.DateTimeField(null=True, blank=True)
    activation = models.CharField(max_length=16, choices=Activation.choices, default=Activation.REQUIRED)
    activated_at = models.DateTimeField(null=True, blank=True)
    last_communication = models.DateTimeField(null=True, blank=True)
    version = models.CharField(max_length=32, blank=True)
    update_available = models.BooleanField(default=False)
    library_update_available = models.BooleanField(default=False)   # Fleet Agent printer support library
    log_level = models.CharField(max_length=8, choices=LogLevel.choices, default=LogLevel.SUMMARY)
    polling_interval = models.PositiveIntegerField(null=True, blank=True)  # minutes (Printer, Local Agents)
    host_name = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Fleet Agent definition
    transfer_management = models.BooleanField(default=False)
    search_type = models.CharField(max_length=8, choices=SearchType.choices, default=SearchType.LOCAL_NETWORK)
    discovery_interval = models.PositiveIntegerField(default=24)       # hours between Printer Discovery Tasks
    refresh_interval = models.PositiveIntegerField(default=60)         # minutes between Refresh Printer Information
    network_delay = models.PositiveIntegerField(default=NETWORK_DELAY_DEFAULT)  # milliseconds
    definition_version = models.PositiveIntegerField(default=1)        # bumped on each definition change
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], condition=Q(kind="fleet"),
                                               name="fleet_agent_name_unique")]
        indexes = [models.Index(fields=["organization", "kind"])]

    def __str__(self):
        return self.name

    def issue_secret(self) -> str:
        """New credentials: the clear secret is returned once, only its digest is kept."""
        secret = secrets.token_urlsafe(32)
        self.secret_digest, self.credentials_issued_at = digest(secret), timezone.now()
        return secret

    def check_secret(self, secret: str) -> bool:
        return bool(self.secret_digest) and secrets.compare_digest(self.secret_digest, digest(secret or ""))

    @property
    def is_active(self) -> bool:
        return self.activation == Activation.ACTIVATED


class SnmpProfile(models.Model):
    """An SNMP profile of a Fleet Agent definition. "The default profile can be edited but not deleted.\""""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="snmp_profiles")
    name = models.CharField(max_length=64)
    is_default = models.BooleanField(default=False)
    version = models.CharField(max_length=4, choices=SnmpVersion.choices, default=SnmpVersion.V1)
    community = EncryptedTextField(blank=True, default="public")
    security_level = models.CharField(max_length=16, choices=SnmpSecurityLevel.choices, blank=True)
    username = models.CharField(max_length=64, blank=True)
    auth_protocol = models.CharField(max_length=8, choices=SnmpAuthProtocol.choices, blank=True)
    auth_key = EncryptedTextField(blank=True)
    privacy_protocol = models.CharField(max_length=8, choices=SnmpPrivProtocol.choices, blank=True)
    privacy_key = EncryptedTextField(blank=True)
    timeout = models.PositiveSmallIntegerField(default=15)    # seconds, 1-60
    retries = models.PositiveSmallIntegerField(default=1)     # 0-20
    port = models.PositiveIntegerField(default=161)

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [models.UniqueConstraint(fields=["agent", "name"], name="snmp_profile_name_unique")]

    def __str__(self):
        return self.name


class DiscoveryCriterion(models.Model):
    """An address to include or exclude: single IPv4, wildcard (10.20.15.*), range (a-b) or FQDN."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="criteria")
    kind = models.CharField(max_length=8, choices=CriterionKind.choices)
    address = models.CharField(max_length=255)
    profile = models.ForeignKey(SnmpProfile, null=True, blank=True, on_delete=models.CASCADE, related_name="criteria")

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self):
        return f"{self.kind} {self.address}"


class ActivationCode(models.Model):
    """A Fleet Agent's activation code (one agent), or a Local Agent code for a number of activations.
    Valid 72 hours; the clear code stays viewable (encrypted at rest), lookups go through its digest."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="activation_codes")
    kind = models.CharField(max_length=8, choices=CodeKind.choices)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="activation_codes")
    code = EncryptedTextField()
    code_digest = models.CharField(max_length=64, unique=True)
    max_activations = models.PositiveIntegerField(default=1)
    activations = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    expired_at = models.DateTimeField(null=True, blank=True)   # "Expire activation code"

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} activation code"

    @property
    def remaining(self) -> int:
        return max(self.max_activations - self.activations, 0)

    def is_valid(self, now=None) -> bool:
        now = now or timezone.now()
        return self.expired_at is None and now < self.expires_at and self.remaining > 0


class EnrollmentCode(models.Model):
    """The organization's Native-Agent enrollment code: "One enrollment code per organization is assigned
    for all supported printers." Case-sensitive."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="enrollment_code")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self):
        return self.code


class PreEnrollment(models.Model):
    """A serial number pre-enrolled for the Native Agent, waiting for the printer to present the code."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="pre_enrollments")
    serial = models.CharField(max_length=64)
    notify_email = models.EmailField(blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["serial"]
        constraints = [models.UniqueConstraint(fields=["organization", "serial"], name="pre_enrollment_unique")]

    def __str__(self):
        return self.serial


class PrinterEnrollmentCode(models.Model):
    """A code a printer asked for ("Get Enrollment Code"), redeemed by an administrator in the portal. The
    printer collects its credentials with `claim_digest` once the code is redeemed."""

    code = models.CharField(max_length=16, unique=True)
    claim_digest = models.CharField(max_length=64, unique=True)
    serial = models.CharField(max_length=64)
    identity = models.JSONField(default=dict, blank=True)       # model, manufacturer, ip, ... as reported
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    redeemed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    redeemed_at = models.DateTimeField(null=True, blank=True)
    pending_secret = EncryptedTextField(blank=True)  # handed to the printer once, then cleared

    def __str__(self):
        return self.code
