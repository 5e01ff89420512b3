"""The agents registry: Fleet Agent definitions (discovery criteria, SNMP profiles, schedules, settings),
activation codes and activation, and the life of every agent (edit, deactivate, delete, update, logs).

Rules from the guide kept here:
- a Fleet Agent has a unique name in its organization and an undeletable "Default" SNMP profile;
- "If the SNMP profile of a Fleet Agent definition is changed or deleted, then all printers associated with
  that profile are unenrolled";
- "Changes made to the definition of an existing Fleet Agent take effect immediately": the definition version
  is bumped and an activated agent gets an Edit agent settings task (it re-reads its definition);
- activation codes are valid 72 hours; a Fleet Agent code activates one installation, a Local Agent code a
  set number (1-3000) of them; a new code expires the previous one;
- deactivating unenrolls the agent's printers (their data is kept) and revokes its credentials; deleting
  also deletes its printers and their data.
"""
import json
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

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
    TaskType,
)
from ..models import ActivationCode, Agent, DiscoveryCriterion, Job, Printer, SnmpProfile
from ..models.agents import (
    ACTIVATION_CODE_LIFETIME,
    DEFAULT_PROFILE_NAME,
    LOCAL_ACTIVATIONS_MAX,
    LOCAL_ACTIVATIONS_MIN,
    LOCAL_ACTIVATIONS_UPDATE_MIN,
    LOCAL_POLLING_DEFAULT,
    NETWORK_DELAY_DEFAULT,
    POLLING_MAX,
    POLLING_MIN,
    PRINTER_AGENT_POLLING_DEFAULT,
    SNMP_RETRIES_RANGE,
    SNMP_TIMEOUT_RANGE,
    digest,
    new_device_id,
)
from . import criteria as criteria_text
from . import printers as printer_services
from . import tasks as task_services
from .communication import agent_silence, printer_silence

# --- limits and labels (the guide's, or docs/decisions/0008 where the guide leaves them open) -------------
DISCOVERY_INTERVALS = [(0, "None (Run tasks manually only)"), (24, "Once a day"), (168, "Once a week"),
                       (720, "Once a month")]
DISCOVERY_INTERVAL_MAX = 744             # hours (31 days); 0 = run discovery manually only
REFRESH_INTERVALS = [(15, "Every 15 minutes"), (30, "Every 30 minutes"), (60, "Every hour"),
                     (120, "Every 2 hours"), (360, "Every 6 hours"), (720, "Every 12 hours")]
REFRESH_INTERVAL_RANGE = (15, 1440)      # minutes
NETWORK_DELAY_MAX = 10000                # milliseconds
NETWORK_DELAY_WARNING = ("Setting the Network utilization delay value below 250 (default) may impact the "
                         "network performance. We do not recommend setting the value to zero.")
PRINTER_POLLING_RANGE = (1, 1440)        # Printer Agent polling interval, minutes (sample value 5)
LOCAL_BULK_DEFAULTS = {"log_level": LogLevel.DETAILED, "polling_interval": LOCAL_POLLING_DEFAULT}
SNMP_PORT_RANGE = (1, 65535)
SNMPV3_KEY_MIN = 8                       # RFC 3414: passphrases of at least 8 characters
NEEDS_INCLUDE = 'Enter at least one "Include" address.'
INVALID_ACTIVATION_CODE = "The activation code is invalid or expired."
EXPIRED_CODE_UPDATE = "You cannot increase the activations allowed for an expired activation code."
DEFAULT_NOT_DELETABLE = "The default profile can be edited but not deleted."

# Agent Status filter (Agents tab): activation states, then communicating or not for activated agents.
COMMUNICATING, NOT_COMMUNICATING = "communicating", "not_communicating"
AGENT_STATUSES = [(COMMUNICATING, "Communicating"), (NOT_COMMUNICATING, "Not communicating"),
                  (Activation.REQUIRED, Activation.REQUIRED.label),
                  (Activation.DEACTIVATED, Activation.DEACTIVATED.label)]


def _range_error(value, bounds, message):
    low, high = bounds
    if value is None or not low <= value <= high:
        raise ValidationError(message)


# --- status ---------------------------------------------------------------------------------------------
def silence(kind: str, polling_interval: int | None = None):
    """How long an activated agent may stay quiet and still count as communicating: Fleet and Local Agents
    send a heartbeat every 5 minutes (AGENT_SILENCE_MINUTES); a Native Agent is its printer, and a Printer
    Agent polls at its interval (fleet.services.communication)."""
    if kind in (AgentType.FLEET, AgentType.LOCAL):
        return agent_silence()
    return printer_silence(kind, polling_interval)


def communicating_q(now=None) -> Q:
    """Activated agents that sent something recently enough (Printer Agents: at the default polling
    interval, the listing's filter; agent_status() reads each agent's own interval)."""
    now = now or timezone.now()
    recent = Q()
    for kind in AgentType.values:
        recent |= Q(kind=kind, last_communication__gte=now - silence(kind))
    return Q(activation=Activation.ACTIVATED) & recent


def filter_status(queryset, status: str, now=None):
    if status == COMMUNICATING:
        return queryset.filter(communicating_q(now))
    if status == NOT_COMMUNICATING:
        return queryset.filter(activation=Activation.ACTIVATED).exclude(communicating_q(now))
    if status in (Activation.REQUIRED, Activation.DEACTIVATED):
        return queryset.filter(activation=status)
    return queryset


def agent_status(agent: Agent, now=None) -> str:
    if agent.activation != Activation.ACTIVATED:
        return agent.activation
    now = now or timezone.now()
    quiet_since = now - silence(agent.kind, agent.polling_interval)
    recent = agent.last_communication is not None and agent.last_communication >= quiet_since
    return COMMUNICATING if recent else NOT_COMMUNICATING


def status_label(status: str) -> str:
    return dict(AGENT_STATUSES).get(status) or Activation(status).label


# --- Fleet Agent definition ------------------------------------------------------------------------------
@dataclass
class ProfileSpec:
    """An SNMP profile as entered. On an existing profile, blank secrets keep the stored ones."""

    name: str
    version: str = SnmpVersion.V1
    community: str = ""
    security_level: str = ""
    username: str = ""
    auth_protocol: str = ""
    auth_key: str = ""
    privacy_protocol: str = ""
    privacy_key: str = ""
    timeout: int = 15
    retries: int = 1
    port: int = 161
    id: int | None = None

    SECRETS = ("community", "auth_key", "privacy_key")
    FIELDS = ("name", "version", "community", "security_level", "username", "auth_protocol", "auth_key",
              "privacy_protocol", "privacy_key", "timeout", "retries", "port")

    @classmethod
    def of(cls, profile: SnmpProfile) -> "ProfileSpec":
        return cls(id=profile.pk, **{name: getattr(profile, name) for name in cls.FIELDS})

    def keep_secrets(self, current: SnmpProfile | None) -> None:
        for name in self.SECRETS:
            if current is not None and not getattr(self, name):
                setattr(self, name, getattr(current, name))

    def clean(self) -> None:
        """Normalize and check against the guide's limits; ValidationError with field names."""
        errors = {}
        self.name = (self.name or "").strip()
        if not self.name:
            errors["name"] = "Type a profile name."
        elif len(self.name) > 64:
            errors["name"] = "The profile name must not exceed 64 characters."
        if self.version not in SnmpVersion.values:
            errors["version"] = "Select an SNMP version."
        elif self.version == SnmpVersion.V3:
            errors.update(self._clean_v3())
        else:
            self.security_level = self.username = self.auth_protocol = self.auth_key = ""
            self.privacy_protocol = self.privacy_key = ""
            if not self.community:
                errors["community"] = "Type a community name."
        for name, bounds, message in (
                ("timeout", SNMP_TIMEOUT_RANGE, "Discovery timeout: Range: 1 - 60 seconds."),
                ("retries", SNMP_RETRIES_RANGE, "Number of retries: Range: 0 - 20 retries."),
                ("port", SNMP_PORT_RANGE, "Port: Range: 1 - 65535.")):
            try:
                _range_error(getattr(self, name), bounds, message)
            except ValidationError:
                errors[name] = message
        if errors:
            raise ValidationError(errors)

    def _clean_v3(self) -> dict:
        errors = {}
        self.community = ""
        self.username = (self.username or "").strip()
        if self.security_level not in SnmpSecurityLevel.values:
            errors["security_level"] = "Select a security level."
        if not self.username:
            errors["username"] = "Type a user name."
        elif len(self.username) > 32:
            errors["username"] = "The user name must not exceed 32 characters."
        auth = self.security_level in (SnmpSecurityLevel.AUTH_NO_PRIV, SnmpSecurityLevel.AUTH_PRIV)
        priv = self.security_level == SnmpSecurityLevel.AUTH_PRIV
        if not auth:
            self.auth_protocol = self.auth_key = ""
        else:
            if self.auth_protocol not in SnmpAuthProtocol.values:
                errors["auth_protocol"] = "Select an authentication mode."
            if len(self.auth_key or "") < SNMPV3_KEY_MIN:
                errors["auth_key"] = (f"The authentication password must be at least {SNMPV3_KEY_MIN} "
                                      "characters long.")
        if not priv:
            self.privacy_protocol = self.privacy_key = ""
        else:
            if self.privacy_protocol not in SnmpPrivProtocol.values:
                errors["privacy_protocol"] = "Select a privacy type."
            if len(self.privacy_key or "") < SNMPV3_KEY_MIN:
                errors["privacy_key"] = (f"The privacy password must be at least {SNMPV3_KEY_MIN} "
                                         "characters long.")
        return errors

    def values(self) -> dict:
        return {name: getattr(self, name) for name in self.FIELDS}


@dataclass
class CriterionSpec:
    kind: str
    address: str
    profile: str = ""          # profile name (included addresses); blank: the default profile

    def key(self):
        return (self.kind, self.address, self.profile.lower() if self.kind == CriterionKind.INCLUDE else "")


@dataclass
class FleetSettings:
    transfer_management: bool = False
    search_type: str = SearchType.LOCAL_NETWORK
    discovery_interval: int = 24
    refresh_interval: int = 60
    network_delay: int = NETWORK_DELAY_DEFAULT
    log_level: str = LogLevel.SUMMARY

    FIELDS = ("transfer_management", "search_type", "discovery_interval", "refresh_interval", "network_delay",
              "log_level")

    @classmethod
    def of(cls, agent: Agent) -> "FleetSettings":
        return cls(**{name: getattr(agent, name) for name in cls.FIELDS})

    def clean(self) -> None:
        errors = {}
        if self.search_type not in SearchType.values:
            errors["search_type"] = "Select a search type."
        if self.log_level not in LogLevel.values:
            errors["log_level"] = "Select a log level."
        if self.discovery_interval is None or not (self.discovery_interval == 0
                                                   or 1 <= self.discovery_interval <= DISCOVERY_INTERVAL_MAX):
            errors["discovery_interval"] = (f"Printer Discovery Task: 0 (manual only) or 1 to "
                                            f"{DISCOVERY_INTERVAL_MAX} hours.")
        low, high = REFRESH_INTERVAL_RANGE
        if self.refresh_interval is None or not low <= self.refresh_interval <= high:
            errors["refresh_interval"] = f"Refresh Printer Information Task: {low} to {high} minutes."
        if self.network_delay is None or not 0 <= self.network_delay <= NETWORK_DELAY_MAX:
            errors["network_delay"] = (f"Network utilization delay: Range: 0 - {NETWORK_DELAY_MAX} "
                                       "milliseconds.")
        if errors:
            raise ValidationError(errors)


def default_profile_spec() -> ProfileSpec:
    return ProfileSpec(name=DEFAULT_PROFILE_NAME, version=SnmpVersion.V1, community="public", timeout=15,
                       retries=1, port=161)


def _check_name(organization, name: str, agent: Agent | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Type a name for the Fleet Agent."})
    if len(name) > 100:
        raise ValidationError({"name": "The name must not exceed 100 characters."})
    taken = Agent.objects.filter(organization=organization, kind=AgentType.FLEET, name__iexact=name)
    if agent is not None:
        taken = taken.exclude(pk=agent.pk)
    if taken.exists():
        raise ValidationError({"name": f'A Fleet Agent named "{name}" already exists. Type a unique name.'})
    return name


def _check_profile_names(specs: list[ProfileSpec]) -> None:
    seen = set()
    for spec in specs:
        if spec.name.lower() in seen:
            raise ValidationError({"profiles": f'An SNMP profile named "{spec.name}" already exists.'})
        seen.add(spec.name.lower())


def _check_criteria(specs: list[CriterionSpec], profile_names: set[str],
                    default_name: str) -> list[CriterionSpec]:
    """Normalized criteria, without repeats; a blank profile is the default profile."""
    by_name = {name.lower(): name for name in profile_names}
    cleaned, seen = [], set()
    for spec in specs:
        if spec.kind not in CriterionKind.values:
            raise ValidationError({"criteria": "A discovery criterion is either Include or Exclude."})
        try:
            address = criteria_text.normalize_address(spec.address)
        except ValidationError as error:
            raise ValidationError({"criteria": error.messages}) from None
        profile = ""
        if spec.kind == CriterionKind.INCLUDE:
            profile = by_name.get((spec.profile or default_name).lower())
            if profile is None:
                raise ValidationError({"criteria": f'The SNMP profile "{spec.profile}" does not exist.'})
        item = CriterionSpec(spec.kind, address, profile)
        if item.key() not in seen:
            seen.add(item.key())
            cleaned.append(item)
    return cleaned


def _unenroll_profile_printers(agent: Agent, profiles, user) -> None:
    """"All printers associated with that profile are unenrolled and no longer discoverable"."""
    printers = list(Printer.objects.enrolled().filter(agent=agent, snmp_profile__in=profiles))
    if printers:
        printer_services.unenroll_printers(agent.organization, printers, user=user)


def _definition_changed(agent: Agent, user=None) -> None:
    """Bump the definition version; an activated agent is told to re-read its definition."""
    Agent.objects.filter(pk=agent.pk).update(definition_version=F("definition_version") + 1)
    agent.refresh_from_db(fields=["definition_version"])
    if agent.is_active:   # a silent agent's job ends "Not communicating"; it reads the definition when back
        silent = [agent] if agent_status(agent) != COMMUNICATING else []
        task_services.create_task(agent.organization, TaskType.EDIT_AGENT_SETTINGS, agents=[agent], user=user,
                                  not_communicating=silent, args={"definition_version": agent.definition_version})


def _changed(profile: SnmpProfile, spec: ProfileSpec) -> bool:
    """A change that affects how printers answer (anything but the name)."""
    return any(getattr(profile, name) != getattr(spec, name) for name in ProfileSpec.FIELDS if name != "name")


def _save_profiles(agent: Agent, specs: list[ProfileSpec], user) -> dict[str, SnmpProfile]:
    current = {p.pk: p for p in agent.snmp_profiles.all()}
    kept = {spec.id for spec in specs if spec.id}
    if kept - set(current):
        raise ValidationError({"profiles": "An SNMP profile of another agent cannot be used."})
    default = next((p for p in current.values() if p.is_default), None)
    if default is not None and default.pk not in kept:
        raise ValidationError({"profiles": DEFAULT_NOT_DELETABLE})
    removed = [p for pk, p in current.items() if pk not in kept]
    changed = [current[s.id] for s in specs if s.id and _changed(current[s.id], s)]
    _unenroll_profile_printers(agent, removed + changed, user)
    for profile in removed:
        profile.delete()
    # two passes so that renaming "A" to "B" and "B" to "A" in one save does not hit the unique name
    for spec in specs:
        if spec.id:
            current[spec.id].name = f"~{uuid.uuid4().hex}"
            current[spec.id].save(update_fields=["name"])
    saved = {}
    for spec in specs:
        is_default = default is None and spec.name.lower() == DEFAULT_PROFILE_NAME.lower()
        profile = current.get(spec.id) or SnmpProfile(agent=agent, is_default=is_default)
        for name, value in spec.values().items():
            setattr(profile, name, value)
        profile.save()
        saved[profile.name.lower()] = profile
    return saved


def _save_criteria(agent: Agent, specs: list[CriterionSpec], profiles: dict[str, SnmpProfile]) -> None:
    wanted = {spec.key(): spec for spec in specs}
    existing = {}
    for criterion in agent.criteria.select_related("profile"):
        included = criterion.kind == CriterionKind.INCLUDE and criterion.profile
        key = (criterion.kind, criterion.address, criterion.profile.name.lower() if included else "")
        if key in wanted and key not in existing:
            existing[key] = criterion
        else:
            criterion.delete()
    DiscoveryCriterion.objects.bulk_create([
        DiscoveryCriterion(agent=agent, kind=spec.kind, address=spec.address,
                           profile=profiles.get(spec.profile.lower()) if spec.kind == CriterionKind.INCLUDE
                           else None)
        for key, spec in wanted.items() if key not in existing])


def _check_advanced(settings_: FleetSettings, criteria: list[CriterionSpec]) -> None:
    includes = any(c.kind == CriterionKind.INCLUDE for c in criteria)
    if settings_.search_type == SearchType.ADVANCED and not includes:
        raise ValidationError({"criteria": NEEDS_INCLUDE})


def _remaining_criteria(agent: Agent | None, profiles: list[ProfileSpec] | None) -> list[CriterionSpec]:
    """The stored criteria that outlive a save that keeps only `profiles` (a deleted profile takes its
    criteria with it)."""
    if agent is None:
        return []
    remaining = agent.criteria.all()
    if profiles is not None:
        kept = [p.id for p in profiles if p.id]
        remaining = remaining.filter(Q(profile__isnull=True) | Q(profile__in=kept))
    return [CriterionSpec(kind, address) for kind, address in remaining.values_list("kind", "address")]


@transaction.atomic
def save_fleet_agent(organization, *, agent: Agent | None = None, name: str, description: str = "",
                     settings_: FleetSettings | None = None, profiles: list[ProfileSpec] | None = None,
                     criteria: list[CriterionSpec] | None = None, user=None, now=None) -> Agent:
    """Create a Fleet Agent (with its Default profile and a first activation code) or save its whole
    definition (Create/Edit Fleet Agent form, API create). `profiles`/`criteria` None: left as they are."""
    settings_ = settings_ or (FleetSettings.of(agent) if agent else FleetSettings())
    settings_.clean()
    name = _check_name(organization, name, agent)
    if agent is None and profiles is None:
        profiles = [default_profile_spec()]
    if profiles is not None:
        current = {p.pk: p for p in agent.snmp_profiles.all()} if agent else {}
        for spec in profiles:
            spec.keep_secrets(current.get(spec.id))
            spec.clean()
        _check_profile_names(profiles)
        if agent is None and not any(p.name.lower() == DEFAULT_PROFILE_NAME.lower() for p in profiles):
            profiles = [default_profile_spec(), *profiles]
            _check_profile_names(profiles)
    if profiles is not None:
        profile_names = {p.name for p in profiles}
        default_id = agent.snmp_profiles.get(is_default=True).pk if agent else None
        default_name = next((p.name for p in profiles if default_id and p.id == default_id),
                            DEFAULT_PROFILE_NAME)
    else:
        profile_names = set(agent.snmp_profiles.values_list("name", flat=True))
        default_name = agent.snmp_profiles.get(is_default=True).name
    if criteria is not None:
        criteria = _check_criteria(criteria, profile_names, default_name)
    _check_advanced(settings_, criteria if criteria is not None else _remaining_criteria(agent, profiles))
    created = agent is None
    if created:
        agent = Agent(organization=organization, kind=AgentType.FLEET, device_id=new_device_id("fleet"),
                      created_by=user, created_at=now or timezone.now())
    agent.name, agent.description = name, (description or "").strip()
    for field_name in FleetSettings.FIELDS:
        setattr(agent, field_name, getattr(settings_, field_name))
    try:
        with transaction.atomic():
            agent.save()
    except IntegrityError:
        taken = f'A Fleet Agent named "{name}" already exists. Type a unique name.'
        raise ValidationError({"name": taken}) from None
    saved = _save_profiles(agent, profiles, user) if profiles is not None else {
        p.name.lower(): p for p in agent.snmp_profiles.all()}
    if criteria is not None:
        _save_criteria(agent, criteria, saved)
    if created:
        generate_activation_code(agent, user=user, now=now)
    else:
        _definition_changed(agent, user)
    return agent


@transaction.atomic
def update_fleet_settings(agent: Agent, *, user=None, **changes) -> Agent:
    """Change some settings (name, description or any FleetSettings field), as the API's PATCH does."""
    current = FleetSettings.of(agent)
    for key, value in changes.items():
        if key in FleetSettings.FIELDS:
            setattr(current, key, value)
    return save_fleet_agent(agent.organization, agent=agent, name=changes.get("name", agent.name),
                            description=changes.get("description", agent.description), settings_=current,
                            user=user)


def _fleet_agent_locked(agent: Agent) -> Agent:
    return Agent.objects.select_for_update().get(pk=agent.pk, kind=AgentType.FLEET)


@transaction.atomic
def create_snmp_profile(agent: Agent, spec: ProfileSpec, *, user=None) -> SnmpProfile:
    agent = _fleet_agent_locked(agent)
    spec.id = None
    spec.clean()
    _check_profile_names([*(ProfileSpec.of(p) for p in agent.snmp_profiles.all()), spec])
    profile = SnmpProfile.objects.create(agent=agent, **spec.values())
    _definition_changed(agent, user)
    return profile


@transaction.atomic
def update_snmp_profile(profile: SnmpProfile, spec: ProfileSpec, *, user=None) -> SnmpProfile:
    agent = _fleet_agent_locked(profile.agent)
    profile = SnmpProfile.objects.get(pk=profile.pk)
    spec.id = profile.pk
    spec.keep_secrets(profile)
    spec.clean()
    _check_profile_names([*(ProfileSpec.of(p) for p in agent.snmp_profiles.exclude(pk=profile.pk)), spec])
    if _changed(profile, spec):
        _unenroll_profile_printers(agent, [profile], user)
    for name, value in spec.values().items():
        setattr(profile, name, value)
    profile.save()
    _definition_changed(agent, user)
    return profile


@transaction.atomic
def delete_snmp_profile(profile: SnmpProfile, *, user=None) -> None:
    agent = _fleet_agent_locked(profile.agent)
    if profile.is_default:
        raise ValidationError(DEFAULT_NOT_DELETABLE)
    remaining = [CriterionSpec(c.kind, c.address) for c in agent.criteria.exclude(profile=profile)]
    _check_advanced(FleetSettings.of(agent), remaining)
    _unenroll_profile_printers(agent, [profile], user)
    profile.delete()
    _definition_changed(agent, user)


@transaction.atomic
def add_criteria(agent: Agent, kind: str, addresses: list[str], *, profile: SnmpProfile | None = None,
                 user=None) -> list[DiscoveryCriterion]:
    """Add Discovery Criteria to Include / Exclude. The same address may be added again with another
    profile; the very same criterion twice is refused."""
    agent = _fleet_agent_locked(agent)
    if kind not in CriterionKind.values:
        raise ValidationError({"kind": "Select Include or Exclude."})
    if not addresses:
        raise ValidationError({"address": "Enter an address."})
    if kind == CriterionKind.INCLUDE:
        profile = profile or agent.snmp_profiles.get(is_default=True)
        if profile.agent_id != agent.pk:
            raise ValidationError({"profile": "Select an SNMP profile of this agent."})
    else:
        profile = None
    normalized = []
    for text in addresses:
        try:
            normalized.append(criteria_text.normalize_address(text))
        except ValidationError as error:
            raise ValidationError({"address": error.messages}) from None
    existing = set(agent.criteria.filter(kind=kind, profile=profile).values_list("address", flat=True))
    taken = [a for a in dict.fromkeys(normalized) if a in existing]
    if taken:
        where = f' with the SNMP profile "{profile.name}"' if profile else ""
        listed = f"{CriterionKind(kind).label.lower()}d"
        raise ValidationError({"address": f'"{taken[0]}" is already {listed}{where}.'})
    rows = DiscoveryCriterion.objects.bulk_create(
        [DiscoveryCriterion(agent=agent, kind=kind, address=a, profile=profile)
         for a in dict.fromkeys(normalized)])
    _definition_changed(agent, user)
    return rows


@transaction.atomic
def delete_criteria(agent: Agent, ids, *, user=None) -> int:
    agent = _fleet_agent_locked(agent)
    doomed = agent.criteria.filter(pk__in=list(ids))
    remaining = [CriterionSpec(c.kind, c.address) for c in agent.criteria.exclude(pk__in=doomed.values("pk"))]
    _check_advanced(FleetSettings.of(agent), remaining)
    deleted, _ = doomed.delete()
    if deleted:
        _definition_changed(agent, user)
    return deleted


@dataclass
class CriteriaImport:
    added: int
    skipped: int          # already there (same address and profile)
    removed: int = 0      # "Overwrite existing ... discovery criteria"


@transaction.atomic
def import_criteria(agent: Agent, kind: str, content, *, overwrite: bool = False,
                    user=None) -> CriteriaImport:
    """Import addresses from a CSV/TXT file: every line checked first (errors by line number), nothing
    written if one is bad."""
    agent = _fleet_agent_locked(agent)
    profiles = {p.name.lower(): p for p in agent.snmp_profiles.all()}
    rows = criteria_text.parse_criteria_file(content, kind, {p.name for p in profiles.values()})
    default = next(p for p in profiles.values() if p.is_default)
    removed = 0
    if overwrite:
        removed, _ = agent.criteria.filter(kind=kind).delete()
    existing = {(c.address, c.profile_id) for c in agent.criteria.filter(kind=kind)}
    new = {}
    for row in rows:
        profile = (profiles.get(row.profile.lower()) or default) if kind == CriterionKind.INCLUDE else None
        key = (row.address, profile.pk if profile else None)
        if key not in existing and key not in new:
            new[key] = DiscoveryCriterion(agent=agent, kind=kind, address=row.address, profile=profile)
    _check_advanced(FleetSettings.of(agent), [CriterionSpec(kind, a) for a, _p in existing | set(new)]
                    + [CriterionSpec(c.kind, c.address) for c in agent.criteria.exclude(kind=kind)])
    DiscoveryCriterion.objects.bulk_create(new.values())
    if new or removed:
        _definition_changed(agent, user)
    return CriteriaImport(added=len(new), skipped=len(rows) - len(new), removed=removed)


def export_criteria(agent: Agent, kind: str, ids=None) -> str:
    """The selected (or all) criteria of one kind as a CSV file in the import format."""
    rows = agent.criteria.filter(kind=kind).select_related("profile").order_by("id")
    if ids:
        rows = rows.filter(pk__in=list(ids))
    return criteria_text.criteria_csv([(c.address, c.profile.name if c.profile else "") for c in rows], kind)


# --- activation codes ------------------------------------------------------------------------------------
def _new_code(organization, kind, *, agent=None, max_activations=1, user=None, now=None) -> ActivationCode:
    now = now or timezone.now()
    code = str(uuid.uuid4())
    return ActivationCode.objects.create(organization=organization, kind=kind, agent=agent, code=code,
                                         code_digest=digest(code), max_activations=max_activations,
                                         created_by=user, created_at=now,
                                         expires_at=now + ACTIVATION_CODE_LIFETIME)


def _valid_codes(queryset, now):
    return queryset.filter(expired_at__isnull=True, expires_at__gt=now, activations__lt=F("max_activations"))


@transaction.atomic
def generate_activation_code(agent: Agent, *, user=None, now=None) -> ActivationCode:
    """A new code for a Fleet Agent (valid 72 hours, one activation); the previous one stops working."""
    if agent.kind != AgentType.FLEET:
        raise ValidationError("Only Fleet Agents have their own activation code.")
    now = now or timezone.now()
    _valid_codes(ActivationCode.objects.filter(agent=agent), now).update(expired_at=now)
    return _new_code(agent.organization, CodeKind.FLEET, agent=agent, user=user, now=now)


def current_activation_code(agent: Agent, now=None) -> ActivationCode | None:
    return _valid_codes(ActivationCode.objects.filter(agent=agent), now or timezone.now()).first()


@transaction.atomic
def generate_local_code(organization, activations: int = 10, *, user=None, now=None) -> ActivationCode:
    """Local Agent activation code: "valid for a set number of activations or 72 hours (whichever comes
    first)"; the organization's previous code is expired."""
    _range_error(activations, (LOCAL_ACTIVATIONS_MIN, LOCAL_ACTIVATIONS_MAX),
                 {"activations": f"Range: {LOCAL_ACTIVATIONS_MIN} to {LOCAL_ACTIVATIONS_MAX} activations"})
    now = now or timezone.now()
    _valid_codes(ActivationCode.objects.filter(organization=organization, kind=CodeKind.LOCAL), now).update(
        expired_at=now)
    return _new_code(organization, CodeKind.LOCAL, max_activations=activations, user=user, now=now)


def current_local_code(organization, now=None) -> ActivationCode | None:
    return _valid_codes(ActivationCode.objects.filter(organization=organization, kind=CodeKind.LOCAL),
                        now or timezone.now()).first()


@transaction.atomic
def update_local_activations(code: ActivationCode, activations: int, *, now=None) -> ActivationCode:
    """"Update number of supported activations": 10 to 3000, never below the activations already used; the
    expiration time does not change."""
    now = now or timezone.now()
    code = ActivationCode.objects.select_for_update().get(pk=code.pk, kind=CodeKind.LOCAL)
    if code.expired_at is not None or now >= code.expires_at:
        raise ValidationError({"activations": EXPIRED_CODE_UPDATE})
    _range_error(activations, (LOCAL_ACTIVATIONS_UPDATE_MIN, LOCAL_ACTIVATIONS_MAX),
                 {"activations": f"Range: {LOCAL_ACTIVATIONS_UPDATE_MIN} to {LOCAL_ACTIVATIONS_MAX} "
                                 "activations"})
    if activations < code.activations:
        raise ValidationError({"activations": f"This code has already been used {code.activations} times."})
    code.max_activations = activations
    code.save(update_fields=["max_activations"])
    return code


@transaction.atomic
def expire_code(code: ActivationCode, *, now=None) -> None:
    now = now or timezone.now()
    ActivationCode.objects.filter(pk=code.pk, expired_at__isnull=True).update(expired_at=now)


def code_time_left(code: ActivationCode, now=None) -> str:
    """"Expires: 2 days 23 hours"."""
    seconds = max(int((code.expires_at - (now or timezone.now())).total_seconds()), 0)
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or days:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


# --- activation (device side) ----------------------------------------------------------------------------
class InvalidCode(Exception):
    pass


@dataclass
class Activated:
    agent: Agent
    secret: str


@transaction.atomic
def activate(code: str, *, kind: str, host_name: str = "", ip_address: str | None = None, version: str = "",
             now=None) -> Activated:
    """An installed agent presents its activation code. A Fleet Agent code activates its definition (new
    credentials; an earlier installation's are revoked); a Local Agent code creates one Local Agent per
    activation until its count is used up. Unknown, expired, used-up or wrong-kind codes: InvalidCode."""
    now = now or timezone.now()
    row = (ActivationCode.objects.select_for_update(of=("self",)).select_related("agent", "organization")
           .filter(code_digest=digest((code or "").strip().lower())).first())
    if row is None or row.kind != kind or not row.is_valid(now):
        raise InvalidCode(INVALID_ACTIVATION_CODE)
    counted = ActivationCode.objects.filter(pk=row.pk, activations__lt=F("max_activations")).update(
        activations=F("activations") + 1)
    if not counted:
        raise InvalidCode(INVALID_ACTIVATION_CODE)
    identity = {"host_name": (host_name or "")[:255], "ip_address": ip_address or None,
                "version": (version or "")[:32]}
    if kind == CodeKind.FLEET:
        agent = Agent.objects.select_for_update().get(pk=row.agent_id)
    else:
        agent = Agent(organization=row.organization, kind=AgentType.LOCAL, device_id=new_device_id("local"),
                      name=(host_name or "Local Agent")[:100], polling_interval=LOCAL_POLLING_DEFAULT,
                      created_at=now)
    for name, value in identity.items():
        if value:
            setattr(agent, name, value)
    secret = agent.issue_secret()
    agent.activation, agent.activated_at, agent.last_communication = Activation.ACTIVATED, now, now
    agent.save()
    return Activated(agent, secret)


# --- lifecycle -------------------------------------------------------------------------------------------
@transaction.atomic
def deactivate_agent(agent: Agent, *, user=None, now=None) -> Agent:
    """"Printers associated with the deactivated Fleet Agent are unenrolled and no longer appear on the
    Printers page. The Fleet Agent definition is not deleted. Device data ... is also retained." The agent
    loses its credentials; one that is still communicating is told to stop."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    if agent.activation == Activation.DEACTIVATED:
        return agent
    told = agent_status(agent, now) == COMMUNICATING
    if told:
        task_services.create_task(agent.organization, TaskType.DEACTIVATE_AGENT, agents=[agent], user=user)
    printers = list(Printer.objects.enrolled().filter(agent=agent))
    if printers:
        printer_services.unenroll_printers(agent.organization, printers, user=user)
    now = now or timezone.now()
    _valid_codes(ActivationCode.objects.filter(agent=agent), now).update(expired_at=now)
    agent.activation = Activation.DEACTIVATED
    if not told:   # a told agent keeps its secret until it reports on the job (task_services.retire_credentials)
        agent.secret_digest = ""
    agent.save(update_fields=["activation", "secret_digest"])
    return agent


def _printer_ids(agent: Agent) -> set[int]:
    """The agent's printers: those it manages, and those unenrolled from it (their Unenroll job names it)
    that no agent has taken since."""
    ids = set(Printer.objects.filter(agent=agent).values_list("pk", flat=True))
    ids |= set(Job.objects.filter(agent=agent, task__task_type=TaskType.UNENROLL, printer__agent__isnull=True,
                                  printer__unenrolled_at__isnull=False).values_list("printer_id", flat=True))
    return ids


@transaction.atomic
def delete_agent(agent: Agent, *, user=None) -> None:
    """"Unenrolls any printers associated with the deleted Fleet Agent, and deletes any data associated with
    those printers." A deleted agent cannot be restored."""
    agent = Agent.objects.select_for_update().get(pk=agent.pk)
    ids = _printer_ids(agent)
    enrolled = list(Printer.objects.enrolled().filter(agent=agent))
    if enrolled:
        printer_services.unenroll_printers(agent.organization, enrolled, user=user)
    Printer.objects.filter(pk__in=ids).delete()
    agent.delete()


def _agents_of(organization, agents, kinds) -> list[Agent]:
    agents = [a for a in agents if a.organization_id == organization.pk]
    if not agents:
        raise ValidationError("Select one or more agents.")
    wrong = [a for a in agents if a.kind not in kinds]
    if wrong:
        labels = " or ".join(f"{AgentType(k).label} Agents" for k in kinds)
        raise ValidationError(f"This applies to {labels} only.")
    return agents


def update_agents(organization, agents, *, library: bool = False, user=None):
    """**Update > Fleet Agent** / **Update > Printer support library** / **Update** (Local Agents) /
    **Update agent version** (Printer Agents): one task, one job per agent."""
    kinds = (AgentType.FLEET,) if library else (AgentType.FLEET, AgentType.LOCAL, AgentType.PRINTER)
    agents = _agents_of(organization, agents, kinds)
    task_type = TaskType.UPDATE_LIBRARY if library else TaskType.UPDATE_AGENT
    return task_services.create_task(organization, task_type, agents=agents, user=user)


def _active(agent: Agent, kinds) -> Agent:
    """The agent as stored now, if it is of one of these kinds and activated."""
    _agents_of(agent.organization, [agent], kinds)
    agent = Agent.objects.select_related("organization").get(pk=agent.pk)
    if not agent.is_active:
        raise ValidationError("Activate the agent first.")
    return agent


def _one_fleet_task(agent: Agent, task_type, *, args=None, user=None):
    agent = _active(agent, (AgentType.FLEET,))
    return task_services.create_task(agent.organization, task_type, agents=[agent], args=args, user=user)


def discover_printers(agent: Agent, *, user=None):
    """**Discover & Enroll Printers**: "A Discover printers task is created on the Fleet Agent task queue"."""
    return _one_fleet_task(agent, TaskType.DISCOVER, user=user)


def refresh_all(agent: Agent, *, user=None):
    """**More > Refresh all printer information** (before the scheduled refresh task)."""
    return _one_fleet_task(agent, TaskType.REFRESH_ALL, user=user)


def request_agent_log(agent: Agent, *, user=None):
    """Log section **Request** (Fleet and Local Agents)."""
    agent = _active(agent, (AgentType.FLEET, AgentType.LOCAL))
    return task_services.create_task(agent.organization, TaskType.AGENT_LOG, agents=[agent], user=user)


def request_mib_walk(agent: Agent, address: str, profile: SnmpProfile, *, user=None):
    """Log section **MIB Walk**: "Request to download a printer's MIB information" (address + profile)."""
    if profile.agent_id != agent.pk:
        raise ValidationError({"profile": "Select an SNMP profile of this agent."})
    try:
        normalized = criteria_text.single_address(address)
    except ValidationError as error:
        raise ValidationError({"address": error.messages}) from None
    return _one_fleet_task(agent, TaskType.MIB_WALK, args={"address": normalized, "profile": profile.name},
                           user=user)


# --- Local and Printer Agents ----------------------------------------------------------------------------
POLLING_RANGES = {AgentType.LOCAL: (POLLING_MIN, POLLING_MAX), AgentType.PRINTER: PRINTER_POLLING_RANGE}
POLLING_DEFAULTS = {AgentType.LOCAL: LOCAL_POLLING_DEFAULT, AgentType.PRINTER: PRINTER_AGENT_POLLING_DEFAULT}


def check_agent_settings(kind: str, log_level: str, polling_interval: int) -> None:
    errors = {}
    if log_level not in LogLevel.values:
        errors["log_level"] = "Select a log level."
    low, high = POLLING_RANGES[kind]
    if polling_interval is None or not low <= polling_interval <= high:
        errors["polling_interval"] = f"Range: {low} to {high} minutes"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def edit_agent_settings(organization, agents, *, log_level: str, polling_interval: int, user=None,
                        communicating_only: bool = False, now=None):
    """**Edit Settings** of one or more Local or Printer Agents (log level, polling interval): one Edit agent
    settings task for all of them. With `communicating_only` (the Local Agents' bulk edit) "the
    configuration settings apply to the communicating agents only"; the others' jobs end with errors."""
    agents = _agents_of(organization, agents, (AgentType.LOCAL, AgentType.PRINTER))
    if len({a.kind for a in agents}) > 1:
        raise ValidationError("Select agents of one type.")
    check_agent_settings(agents[0].kind, log_level, polling_interval)
    silent = [a for a in agents if agent_status(a, now) != COMMUNICATING] if communicating_only else []
    applied = [a for a in agents if a not in silent]
    Agent.objects.filter(pk__in=[a.pk for a in applied]).update(
        log_level=log_level, polling_interval=polling_interval,
        definition_version=F("definition_version") + 1)
    return task_services.create_task(organization, TaskType.EDIT_AGENT_SETTINGS, agents=applied, user=user,
                                     not_communicating=silent,
                                     args={"log_level": log_level, "polling_interval": polling_interval})


@transaction.atomic
def update_access_credentials(organization, agents, *, auth_type: str, credentials: dict, user=None):
    """**Update agent access credentials** (Printer Agents) / **Update Access Credentials** (Native Agents):
    the printer administrator account, stored encrypted on each printer; an Update agent access
    credentials task tells the agents to fetch them (from their definition)."""
    agents = _agents_of(organization, agents, (AgentType.PRINTER, AgentType.NATIVE))
    values = printer_services.check_access_credentials(auth_type, credentials)
    printers = list(Printer.objects.enrolled().filter(agent__in=agents))
    if not printers:
        raise ValidationError("The selected agents have no enrolled printer.")
    printer_services.store_access_credentials(printers, auth_type, values)
    return task_services.create_task(organization, TaskType.UPDATE_CREDENTIALS, printers=printers, user=user,
                                     args={"auth_type": auth_type})


# --- the definition an agent reads (GET /api/agents/v1/definition) ----------------------------------------
def _profile_document(profile: SnmpProfile) -> dict:
    return {"name": profile.name, "default": profile.is_default, "version": profile.version,
            "community": profile.community, "security_level": profile.security_level,
            "username": profile.username,
            "auth_protocol": profile.auth_protocol, "auth_key": profile.auth_key,
            "privacy_protocol": profile.privacy_protocol, "privacy_key": profile.privacy_key,
            "timeout": profile.timeout, "retries": profile.retries, "port": profile.port}


def definition_document(agent: Agent) -> dict:
    """Everything the agent needs to run, secrets included (answered to that agent only)."""
    document = {"device_id": agent.device_id, "name": agent.name, "kind": agent.kind,
                "definition_version": agent.definition_version, "log_level": agent.log_level,
                "organization": {"id": str(agent.organization_id), "name": agent.organization.name}}
    if agent.kind == AgentType.FLEET:
        profiles = list(agent.snmp_profiles.all())
        names = {p.pk: p.name for p in profiles}
        criteria = list(agent.criteria.order_by("id"))
        document.update({
            "transfer_management": agent.transfer_management, "search_type": agent.search_type,
            "discovery_interval_hours": agent.discovery_interval,
            "refresh_interval_minutes": agent.refresh_interval,
            "network_delay_ms": agent.network_delay,
            "snmp_profiles": [_profile_document(p) for p in profiles],
            "criteria": {
                "include": [{"address": c.address, "profile": names.get(c.profile_id, DEFAULT_PROFILE_NAME)}
                            for c in criteria if c.kind == CriterionKind.INCLUDE],
                "exclude": [{"address": c.address} for c in criteria if c.kind == CriterionKind.EXCLUDE]},
        })
    else:
        document["polling_interval_minutes"] = agent.polling_interval or POLLING_DEFAULTS.get(agent.kind)
    document["printer_credentials"] = _printer_credentials(agent)
    return document


def _printer_credentials(agent: Agent) -> list[dict]:
    rows = Printer.objects.enrolled().filter(agent=agent).exclude(access_auth_type="").only(
        "serial", "access_auth_type", "access_credentials")
    return [{"serial": p.serial, "auth_type": p.access_auth_type, **json.loads(p.access_credentials or "{}")}
            for p in rows]

