"""/api/v1/organizations/{org_id}/fleet/... routes of the agents registry: agents (Fleet Agents with their
SNMP profiles and discovery criteria, Local, Printer and Native Agents), activation codes, agent tasks,
Native-Agent pre-enrollments and the enrollment code.

Thin: the gate (fleet.view to read, fleet.manage to change), validation, then fleet.services. Secrets are
write-only: community names and SNMPv3 keys are never answered here (only to the agent itself, in its
definition)."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm
from lexcloud.csvfile import read_upload
from lexcloud.ids import MAX_ID, parse_ids

from ..choices import (
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
from ..models import ActivationCode, Agent, DiscoveryCriterion, PreEnrollment, SnmpProfile
from ..models.agents import LOCAL_ACTIVATIONS_MAX, LOCAL_ACTIVATIONS_MIN
from ..services import agents as agent_services
from ..services import native as native_services
from ..services.agents import CriterionSpec, FleetSettings, ProfileSpec
from ..services.criteria import VALID_FORMATS
from ..services.printers import AccessAuthType

TAG = ["Fleet Agents"]
KIND_PARAMETER = OpenApiParameter("kind", OpenApiTypes.STR, enum=CriterionKind.values)
ACTIONS = {"discover": agent_services.discover_printers, "refresh_all": agent_services.refresh_all,
           "agent_log": agent_services.request_agent_log}


# --- serializers ------------------------------------------------------------------------------------------
class SnmpProfileSerializer(serializers.ModelSerializer):
    """An SNMP profile. `community`, `auth_key` and `privacy_key` are write-only; on PATCH, leaving them out
    keeps the stored ones."""

    version = serializers.ChoiceField(choices=SnmpVersion.choices, default=SnmpVersion.V1)
    security_level = serializers.ChoiceField(choices=SnmpSecurityLevel.choices, required=False,
                                             allow_blank=True)
    auth_protocol = serializers.ChoiceField(choices=SnmpAuthProtocol.choices, required=False,
                                            allow_blank=True)
    privacy_protocol = serializers.ChoiceField(choices=SnmpPrivProtocol.choices, required=False,
                                               allow_blank=True)
    community = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=255,
                                      help_text="SNMP v1/v2c community name (write-only).")
    auth_key = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=255,
                                     help_text="SNMPv3 authentication password, at least 8 characters "
                                               "(write-only).")
    privacy_key = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=255,
                                        help_text="SNMPv3 privacy password, at least 8 characters "
                                                  "(write-only).")
    timeout = serializers.IntegerField(default=15, help_text="Discovery timeout. Range: 1 - 60 seconds.")
    retries = serializers.IntegerField(default=1, help_text="Number of retries. Range: 0 - 20 retries.")
    port = serializers.IntegerField(default=161, help_text="UDP port of the printers' SNMP agent.")

    class Meta:
        model = SnmpProfile
        fields = ["id", "name", "is_default", "version", "community", "security_level", "username",
                  "auth_protocol", "auth_key", "privacy_protocol", "privacy_key", "timeout", "retries",
                  "port"]
        read_only_fields = ["id", "is_default"]
        extra_kwargs = {"name": {"validators": []}}


def profile_spec(values: dict, current: SnmpProfile | None = None) -> ProfileSpec:
    """A ProfileSpec from validated fields over the stored profile (PATCH) or the defaults (create)."""
    spec = ProfileSpec.of(current) if current else ProfileSpec(name="")
    for name, value in values.items():
        setattr(spec, name, value)
    return spec


class CriterionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    address = serializers.CharField(max_length=255, help_text=VALID_FORMATS)
    profile = serializers.CharField(required=False, allow_blank=True, default="", source="profile_name",
                                    help_text="SNMP profile name of an included address (blank: the default "
                                              "profile).")


class CriteriaAddSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    addresses = serializers.ListField(child=serializers.CharField(max_length=255), allow_empty=False,
                                      max_length=1000, help_text=VALID_FORMATS)
    profile = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="SNMP profile name for included addresses (blank: the default "
                                              "profile).")


class CriteriaImportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CriterionKind.choices)
    file = serializers.FileField(help_text='CSV or TXT: "Address" and, for included addresses, '
                                           '"SNMP Profile".')
    overwrite = serializers.BooleanField(default=False, help_text="Overwrite existing criteria of this kind.")


class CriteriaImportResultSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Already listed with the same profile.")
    removed = serializers.IntegerField(help_text="Removed by overwrite.")


class AgentSerializer(serializers.ModelSerializer):
    """Any agent, as the Agents tab lists it."""

    status = serializers.SerializerMethodField(help_text="communicating, not_communicating, required or "
                                                         "deactivated.")
    enrolled_printers = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Agent
        fields = ["id", "kind", "name", "description", "status", "activation", "activated_at",
                  "last_communication", "version", "update_available", "library_update_available",
                  "log_level", "polling_interval", "host_name", "ip_address", "enrolled_printers",
                  "definition_version", "created_at"]
        read_only_fields = fields

    def get_status(self, agent) -> str:
        return agent_services.agent_status(agent, self.context.get("now"))


class AgentDetailSerializer(AgentSerializer):
    """An agent with its definition (Fleet Agents: settings, SNMP profiles without their secrets,
    criteria)."""

    profiles = serializers.SerializerMethodField()
    criteria = serializers.SerializerMethodField()

    class Meta(AgentSerializer.Meta):
        fields = [*AgentSerializer.Meta.fields, "transfer_management", "search_type", "discovery_interval",
                  "refresh_interval", "network_delay", "profiles", "criteria"]
        read_only_fields = fields

    @extend_schema_field(SnmpProfileSerializer(many=True))
    def get_profiles(self, agent):
        if agent.kind != AgentType.FLEET:
            return []
        return SnmpProfileSerializer(agent.snmp_profiles.all(), many=True).data

    @extend_schema_field(CriterionSerializer(many=True))
    def get_criteria(self, agent):
        if agent.kind != AgentType.FLEET:
            return []
        return CriterionSerializer(criteria_rows(agent), many=True).data


def criteria_rows(agent, kind=None):
    rows = agent.criteria.select_related("profile").order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    for row in rows:
        row.profile_name = row.profile.name if row.profile else ""
        yield row


class FleetAgentWriteSerializer(serializers.Serializer):
    """Create a Fleet Agent (with `profiles` and `criteria`), or change a Fleet Agent's settings (PATCH;
    profiles and criteria then have their own routes). Local and Printer Agents take `log_level` and
    `polling_interval` only."""

    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    transfer_management = serializers.BooleanField(required=False)
    search_type = serializers.ChoiceField(choices=SearchType.choices, required=False)
    discovery_interval = serializers.IntegerField(
        required=False, help_text="Printer Discovery Task, hours: 0 (manual only) or 1 to 744 (24 once a "
                                  "day, 168 once a week, 720 once a month). Default 24.")
    refresh_interval = serializers.IntegerField(
        required=False, help_text="Refresh Printer Information Task, minutes: 15 to 1440. Default 60.")
    network_delay = serializers.IntegerField(
        required=False, help_text="Network utilization delay, milliseconds: 0 to 10000. Default 250; "
                                  + agent_services.NETWORK_DELAY_WARNING)
    log_level = serializers.ChoiceField(choices=LogLevel.choices, required=False)
    polling_interval = serializers.IntegerField(
        required=False, help_text="Local Agents: 15 to 1440 minutes; Printer Agents: 1 to 1440 minutes.")
    profiles = SnmpProfileSerializer(many=True, required=False,
                                     help_text="Create only: SNMP profiles besides the Default one.")
    criteria = CriterionSerializer(many=True, required=False,
                                   help_text="Create only: the discovery criteria.")


class ActivationCodeSerializer(serializers.ModelSerializer):
    remaining = serializers.IntegerField(read_only=True, help_text="Activations left.")

    class Meta:
        model = ActivationCode
        fields = ["code", "kind", "max_activations", "activations", "remaining", "created_at", "expires_at"]
        read_only_fields = fields


class CurrentCodeSerializer(serializers.Serializer):
    current = ActivationCodeSerializer(allow_null=True,
                                       help_text="The valid code, or null when there is none.")


class LocalCodeRequestSerializer(serializers.Serializer):
    activations = serializers.IntegerField(
        help_text=f"Generate: {LOCAL_ACTIVATIONS_MIN} to {LOCAL_ACTIVATIONS_MAX}; update: 10 to "
                  f"{LOCAL_ACTIVATIONS_MAX}.")


class AgentActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[("discover", "Discover & Enroll Printers"),
                 ("refresh_all", "Refresh all printer information"), ("agent_log", "Request agent log"),
                 ("mib_walk", "MIB Walk"), ("update_agent", "Update agent version"),
                 ("update_library", "Update printer support library")])
    address = serializers.CharField(required=False, allow_blank=True,
                                    help_text="MIB Walk: the printer's address.")
    profile = serializers.CharField(required=False, allow_blank=True,
                                    help_text="MIB Walk: SNMP profile name.")


class TaskRefSerializer(serializers.Serializer):
    task_id = serializers.IntegerField()
    task_type = serializers.CharField()


class AgentIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                allow_empty=False)


class AgentUpdateSerializer(AgentIdsSerializer):
    library = serializers.BooleanField(
        default=False, help_text="Update the printer support library (Fleet Agents) instead of the agent.")


class AgentSettingsSerializer(AgentIdsSerializer):
    log_level = serializers.ChoiceField(choices=LogLevel.choices)
    polling_interval = serializers.IntegerField()


class CredentialsSerializer(AgentIdsSerializer):
    auth_type = serializers.ChoiceField(choices=AccessAuthType.CHOICES)
    username = serializers.CharField(required=False, allow_blank=True, write_only=True)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True)
    pin = serializers.CharField(required=False, allow_blank=True, write_only=True)


class PreEnrollmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PreEnrollment
        fields = ["id", "serial", "notify_email", "created_at"]
        read_only_fields = fields


class PreEnrollRequestSerializer(serializers.Serializer):
    serials = serializers.ListField(child=serializers.CharField(max_length=64), allow_empty=False,
                                    max_length=native_services.MAX_SERIALS)
    email = serializers.EmailField(required=False, allow_blank=True, default="",
                                   help_text="Send the enrollment code and the instructions to this address.")


class PreEnrollResultSerializer(serializers.Serializer):
    added = PreEnrollmentSerializer(many=True)
    duplicates = serializers.IntegerField()
    enrollment_code = serializers.CharField()


class EnrollmentCodeSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="The organization's Native-Agent enrollment code (case-sensitive).")


class RedeemSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="The code the printer generated (case-sensitive).")


class RedeemedSerializer(serializers.Serializer):
    printer_id = serializers.IntegerField()
    serial = serializers.CharField()
    agent_id = serializers.IntegerField()


# --- views ------------------------------------------------------------------------------------------------
def _agents_with_counts(queryset):
    enrolled = Count("printers", filter=Q(printers__unenrolled_at__isnull=True))
    return queryset.annotate(enrolled_printers=enrolled)


class AgentsAPIMixin(OrgScopedAPIMixin):
    permission = Perm.FLEET_VIEW
    write_permission = Perm.FLEET_MANAGE

    def agents(self):
        if getattr(self, "swagger_fake_view", False):
            return Agent.objects.none()
        return self.scoped(Agent.objects.all()).select_related("organization")

    def agent(self, kinds=None) -> Agent:
        queryset = self.agents()
        if kinds:
            queryset = queryset.filter(kind__in=kinds)
        return get_object_or_404(queryset, pk=self.kwargs["agent_id"])

    def fleet_agent(self) -> Agent:
        return self.agent(kinds=(AgentType.FLEET,))

    def http_method_not_allowed(self, request, *args, **kwargs):
        """Another organization's object answers 404 whatever the method."""
        if "agent_id" in kwargs:
            self.agent()
        if "pre_enrollment_id" in kwargs:
            get_object_or_404(self.pre_enrollments(), pk=kwargs["pre_enrollment_id"])
        return super().http_method_not_allowed(request, *args, **kwargs)

    def pre_enrollments(self):
        if getattr(self, "swagger_fake_view", False):
            return PreEnrollment.objects.none()
        return self.scoped(PreEnrollment.objects.all())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}


class AgentListAPI(AgentsAPIMixin, generics.ListCreateAPIView):
    """Agents of the organization (`kind`: fleet, printer, native, local; `status`: communicating,
    not_communicating, required, deactivated), or create a Fleet Agent."""

    serializer_class = AgentSerializer
    filter_backends: list = []

    @extend_schema(tags=TAG, parameters=[
        OpenApiParameter("kind", OpenApiTypes.STR, enum=AgentType.values),
        OpenApiParameter("status", OpenApiTypes.STR,
                         enum=[s for s, _label in agent_services.AGENT_STATUSES])])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        queryset = _agents_with_counts(self.agents()).order_by("kind", "name", "pk")
        kind = self.request.query_params.get("kind")
        if kind:
            queryset = queryset.filter(kind=kind)
        return agent_services.filter_status(queryset, self.request.query_params.get("status", ""))

    @extend_schema(tags=TAG, request=FleetAgentWriteSerializer, responses={201: AgentDetailSerializer})
    def post(self, request, org_id):
        body = FleetAgentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "name" not in data:
            raise serializers.ValidationError({"name": ["Type a name for the Fleet Agent."]})
        settings_ = FleetSettings()
        for name in FleetSettings.FIELDS:
            if name in data:
                setattr(settings_, name, data[name])
        profiles = None
        if data.get("profiles"):
            profiles = [profile_spec(p) for p in data["profiles"]]
            if not any(p.name.lower() == "default" for p in profiles):
                profiles.insert(0, agent_services.default_profile_spec())
        criteria = [CriterionSpec(c["kind"], c["address"], c.get("profile_name", ""))
                    for c in data.get("criteria", [])]
        agent = agent_services.save_fleet_agent(self.organization, name=data["name"],
                                                description=data.get("description", ""), settings_=settings_,
                                                profiles=profiles, criteria=criteria, user=request.user)
        agent = _agents_with_counts(self.agents()).get(pk=agent.pk)
        return Response(AgentDetailSerializer(agent, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class AgentDetailAPI(AgentsAPIMixin, generics.GenericAPIView):
    """One agent. PATCH: a Fleet Agent's settings (name, description, schedules, ...), or a Local or Printer
    Agent's `log_level` / `polling_interval` (an Edit agent settings task). DELETE: the agent, its printers
    unenrolled and their data deleted."""

    serializer_class = AgentDetailSerializer

    def current(self):
        return get_object_or_404(_agents_with_counts(self.agents()), pk=self.kwargs["agent_id"])

    @extend_schema(tags=TAG)
    def get(self, request, org_id, agent_id):
        return Response(self.get_serializer(self.current()).data)

    @extend_schema(tags=TAG, request=FleetAgentWriteSerializer, responses=AgentDetailSerializer)
    def patch(self, request, org_id, agent_id):
        agent = self.current()
        body = FleetAgentWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "profiles" in data or "criteria" in data:
            raise serializers.ValidationError(
                {"detail": ["Change profiles and criteria through their own routes."]})
        if agent.kind == AgentType.FLEET:
            if "polling_interval" in data:
                raise serializers.ValidationError(
                    {"polling_interval": ["Fleet Agents have no polling interval."]})
            agent_services.update_fleet_settings(agent, user=request.user, **data)
        elif agent.kind in (AgentType.LOCAL, AgentType.PRINTER):
            unknown = set(data) - {"log_level", "polling_interval"}
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Not a setting of this agent."] for name in unknown})
            polling = agent.polling_interval or agent_services.POLLING_DEFAULTS[agent.kind]
            agent_services.edit_agent_settings(
                self.organization, [agent], user=request.user,
                log_level=data.get("log_level", agent.log_level),
                polling_interval=data.get("polling_interval", polling))
        else:
            raise serializers.ValidationError({"detail": ["A Native Agent has no settings to change."]})
        return Response(self.get_serializer(self.current()).data)

    @extend_schema(tags=TAG, responses={204: None})
    def delete(self, request, org_id, agent_id):
        agent_services.delete_agent(self.current(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileListAPI(AgentsAPIMixin, generics.GenericAPIView):
    """A Fleet Agent's SNMP profiles, or create one."""

    serializer_class = SnmpProfileSerializer
    queryset = SnmpProfile.objects.none()   # for the schema; rows come from the gate's agent

    @extend_schema(tags=TAG, responses=SnmpProfileSerializer(many=True))
    def get(self, request, org_id, agent_id):
        return Response(self.get_serializer(self.fleet_agent().snmp_profiles.all(), many=True).data)

    @extend_schema(tags=TAG, responses={201: SnmpProfileSerializer})
    def post(self, request, org_id, agent_id):
        agent = self.fleet_agent()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        profile = agent_services.create_snmp_profile(agent, profile_spec(body.validated_data),
                                                     user=request.user)
        return Response(self.get_serializer(profile).data, status=status.HTTP_201_CREATED)


class ProfileDetailAPI(AgentsAPIMixin, generics.GenericAPIView):
    """One SNMP profile. Changing or deleting it unenrolls the printers associated with it; the default
    profile can be edited but not deleted."""

    serializer_class = SnmpProfileSerializer

    def profile(self) -> SnmpProfile:
        profiles = SnmpProfile.objects.filter(agent=self.fleet_agent())
        return get_object_or_404(profiles, pk=self.kwargs["profile_id"])

    @extend_schema(tags=TAG)
    def get(self, request, org_id, agent_id, profile_id):
        return Response(self.get_serializer(self.profile()).data)

    @extend_schema(tags=TAG)
    def patch(self, request, org_id, agent_id, profile_id):
        profile = self.profile()
        body = self.get_serializer(profile, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        profile = agent_services.update_snmp_profile(profile, profile_spec(body.validated_data, profile),
                                                     user=request.user)
        return Response(self.get_serializer(profile).data)

    @extend_schema(tags=TAG, responses={204: None})
    def delete(self, request, org_id, agent_id, profile_id):
        agent_services.delete_snmp_profile(self.profile(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CriteriaListAPI(AgentsAPIMixin, generics.GenericAPIView):
    """A Fleet Agent's discovery criteria (`kind`: include, exclude), or add addresses (Add Discovery
    Criteria to Include / Exclude)."""

    serializer_class = CriterionSerializer
    queryset = DiscoveryCriterion.objects.none()   # for the schema; rows come from the gate's agent

    @extend_schema(tags=TAG, parameters=[KIND_PARAMETER], responses=CriterionSerializer(many=True))
    def get(self, request, org_id, agent_id):
        kind = request.query_params.get("kind")
        rows = criteria_rows(self.fleet_agent(), kind if kind in CriterionKind.values else None)
        return Response(CriterionSerializer(rows, many=True).data)

    @extend_schema(tags=TAG, request=CriteriaAddSerializer, responses={201: CriterionSerializer(many=True)})
    def post(self, request, org_id, agent_id):
        agent = self.fleet_agent()
        body = CriteriaAddSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        profile = None
        if data["kind"] == CriterionKind.INCLUDE and data["profile"]:
            profile = agent.snmp_profiles.filter(name__iexact=data["profile"]).first()
            if profile is None:
                missing = f'The SNMP profile "{data["profile"]}" does not exist.'
                raise serializers.ValidationError({"profile": [missing]})
        rows = agent_services.add_criteria(agent, data["kind"], data["addresses"], profile=profile,
                                           user=request.user)
        ids = [row.pk for row in rows]
        created = [row for row in criteria_rows(agent) if row.pk in ids]
        return Response(CriterionSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class CriterionDetailAPI(AgentsAPIMixin, generics.GenericAPIView):
    serializer_class = CriterionSerializer

    def criterion(self):
        agent = self.fleet_agent()
        row = get_object_or_404(agent.criteria.select_related("profile"), pk=self.kwargs["criterion_id"])
        row.profile_name = row.profile.name if row.profile else ""
        return agent, row

    @extend_schema(tags=TAG)
    def get(self, request, org_id, agent_id, criterion_id):
        _agent, row = self.criterion()
        return Response(CriterionSerializer(row).data)

    @extend_schema(tags=TAG, responses={204: None})
    def delete(self, request, org_id, agent_id, criterion_id):
        agent, row = self.criterion()
        agent_services.delete_criteria(agent, [row.pk], user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CriteriaImportAPI(AgentsAPIMixin, generics.GenericAPIView):
    """Import discovery criteria from a CSV/TXT file: every bad line is reported with its number and nothing
    is written."""

    permission = Perm.FLEET_MANAGE
    serializer_class = CriteriaImportSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=TAG, responses={200: CriteriaImportResultSerializer})
    def post(self, request, org_id, agent_id):
        agent = self.fleet_agent()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            _name, content = read_upload(data["file"])
            result = agent_services.import_criteria(agent, data["kind"], content, overwrite=data["overwrite"],
                                                    user=request.user)
        except DjangoValidationError as error:
            raise serializers.ValidationError({"file": error.messages}) from None
        return Response({"added": result.added, "skipped": result.skipped, "removed": result.removed})


class CriteriaExportAPI(AgentsAPIMixin, generics.GenericAPIView):
    """Export discovery criteria as CSV (the import format): `kind`, and optionally `ids`."""

    serializer_class = CriterionSerializer

    @extend_schema(tags=TAG,
                   parameters=[KIND_PARAMETER, OpenApiParameter("ids", OpenApiTypes.INT, many=True)],
                   responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, org_id, agent_id):
        agent = self.fleet_agent()
        kind = request.query_params.get("kind")
        kind = kind if kind in CriterionKind.values else CriterionKind.INCLUDE
        ids = parse_ids(request.query_params.getlist("ids"))
        content = agent_services.export_criteria(agent, kind, ids=ids)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="discovery-criteria-{kind}.csv"'
        return response


class ActivationCodeAPI(AgentsAPIMixin, generics.GenericAPIView):
    """A Fleet Agent's current activation code (`current` null when none is valid); POST generates a new one
    (valid 72 hours; the previous code stops working)."""

    serializer_class = ActivationCodeSerializer

    @extend_schema(tags=TAG, responses=CurrentCodeSerializer)
    def get(self, request, org_id, agent_id):
        code = agent_services.current_activation_code(self.fleet_agent())
        return Response({"current": self.get_serializer(code).data if code else None})

    @extend_schema(tags=TAG, request=None, responses={201: ActivationCodeSerializer})
    def post(self, request, org_id, agent_id):
        code = agent_services.generate_activation_code(self.fleet_agent(), user=request.user)
        return Response(self.get_serializer(code).data, status=status.HTTP_201_CREATED)


class DeactivateAPI(AgentsAPIMixin, generics.GenericAPIView):
    """Deactivate an agent: its printers are unenrolled (their data kept), its credentials revoked. Restore it
    with a new activation code."""

    permission = Perm.FLEET_MANAGE
    serializer_class = AgentDetailSerializer

    @extend_schema(tags=TAG, request=None, responses=AgentDetailSerializer)
    def post(self, request, org_id, agent_id):
        agent_services.deactivate_agent(self.agent(), user=request.user)
        agent = get_object_or_404(_agents_with_counts(self.agents()), pk=agent_id)
        return Response(self.get_serializer(agent).data)


class AgentActionAPI(AgentsAPIMixin, generics.GenericAPIView):
    """Start an agent task: Discover & Enroll Printers, Refresh all printer information, Request agent log,
    MIB Walk (`address`, `profile`), Update agent version, Update printer support library."""

    permission = Perm.FLEET_MANAGE
    serializer_class = AgentActionSerializer

    @extend_schema(tags=TAG, responses={202: TaskRefSerializer})
    def post(self, request, org_id, agent_id):
        agent = self.agent()
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        action = data["action"]
        if action in ACTIONS:
            task = ACTIONS[action](agent, user=request.user)
        elif action == "mib_walk":
            profile = agent.snmp_profiles.filter(name__iexact=data.get("profile") or "").first() or \
                agent.snmp_profiles.filter(is_default=True).first()
            if profile is None:
                raise serializers.ValidationError({"profile": ["Select an SNMP profile of this agent."]})
            task = agent_services.request_mib_walk(agent, data.get("address", ""), profile, user=request.user)
        else:
            library = action == "update_library"
            task = agent_services.update_agents(self.organization, [agent], library=library,
                                                user=request.user)
        return task_response(task)


def task_response(task) -> Response:
    return Response({"task_id": task.pk, "task_type": task.task_type}, status=status.HTTP_202_ACCEPTED)


class SelectionAPI(AgentsAPIMixin, generics.GenericAPIView):
    """A POST over the agents of `ids` (other organizations' ids are ignored) that makes one task."""

    permission = Perm.FLEET_MANAGE

    @extend_schema(tags=TAG, responses={202: TaskRefSerializer})
    def post(self, request, org_id):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        agents = list(self.agents().filter(pk__in=body.validated_data["ids"]))
        return task_response(self.act(agents, body.validated_data))


class AgentsUpdateAPI(SelectionAPI):
    """**Update** several agents at once (Fleet, Local, Printer Agents): one Update agent version task, or
    with `library` an Update printer support library task (Fleet Agents)."""

    serializer_class = AgentUpdateSerializer

    def act(self, agents, data):
        return agent_services.update_agents(self.organization, agents, library=data["library"],
                                            user=self.request.user)


class AgentsSettingsAPI(SelectionAPI):
    """**Edit Settings** of several Local or Printer Agents: one Edit agent settings task. For Local Agents
    the settings apply to the communicating ones; the others' jobs end with errors."""

    serializer_class = AgentSettingsSerializer

    def act(self, agents, data):
        return agent_services.edit_agent_settings(
            self.organization, agents, log_level=data["log_level"], polling_interval=data["polling_interval"],
            user=self.request.user, communicating_only=bool(agents) and agents[0].kind == AgentType.LOCAL)


class AgentsCredentialsAPI(SelectionAPI):
    """**Update agent access credentials** of Printer or Native Agents' printers (stored encrypted)."""

    serializer_class = CredentialsSerializer

    def act(self, agents, data):
        return agent_services.update_access_credentials(
            self.organization, agents, auth_type=data["auth_type"], credentials=data, user=self.request.user)


class LocalCodeAPI(AgentsAPIMixin, generics.GenericAPIView):
    """The organization's Local Agent activation code: GET the valid one (`current`, or null), POST generate
    (`activations` 1-3000; expires the previous one), PATCH update the number of activations (10-3000; not
    for an expired code), DELETE expire it."""

    serializer_class = ActivationCodeSerializer

    def latest(self):
        return (ActivationCode.objects.filter(organization=self.organization, kind=CodeKind.LOCAL)
                .order_by("-created_at", "-pk").first())

    @extend_schema(tags=TAG, responses=CurrentCodeSerializer)
    def get(self, request, org_id):
        code = agent_services.current_local_code(self.organization)
        return Response({"current": self.get_serializer(code).data if code else None})

    @extend_schema(tags=TAG, request=LocalCodeRequestSerializer, responses={201: ActivationCodeSerializer})
    def post(self, request, org_id):
        body = LocalCodeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        code = agent_services.generate_local_code(self.organization, body.validated_data["activations"],
                                                  user=request.user)
        return Response(self.get_serializer(code).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAG, request=LocalCodeRequestSerializer, responses=ActivationCodeSerializer)
    def patch(self, request, org_id):
        body = LocalCodeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        latest = self.latest()
        if latest is None:
            raise serializers.ValidationError({"activations": ["Generate an activation code first."]})
        code = agent_services.update_local_activations(latest, body.validated_data["activations"])
        return Response(self.get_serializer(code).data)

    @extend_schema(tags=TAG, responses={204: None})
    def delete(self, request, org_id):
        code = agent_services.current_local_code(self.organization)
        if code is not None:
            agent_services.expire_code(code)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PreEnrollmentListAPI(AgentsAPIMixin, generics.ListAPIView):
    """Pre-enrolled serial numbers (Native Agent), or pre-enroll more (duplicates ignored and counted)."""

    serializer_class = PreEnrollmentSerializer
    filter_backends: list = []

    def get_queryset(self):
        return self.pre_enrollments().order_by("serial", "pk")

    @extend_schema(tags=TAG, request=PreEnrollRequestSerializer, responses={201: PreEnrollResultSerializer})
    def post(self, request, org_id):
        body = PreEnrollRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = native_services.pre_enroll(self.organization, body.validated_data["serials"],
                                            email=body.validated_data["email"], user=request.user,
                                            request_base_url=request.build_absolute_uri("/").rstrip("/"))
        return Response({"added": PreEnrollmentSerializer(result.added, many=True).data,
                         "duplicates": result.duplicates,
                         "enrollment_code": native_services.enrollment_code(self.organization).code},
                        status=status.HTTP_201_CREATED)


class PreEnrollmentDetailAPI(AgentsAPIMixin, generics.GenericAPIView):
    """One pre-enrolled serial number; DELETE: Remove pre-enrolled printer."""

    serializer_class = PreEnrollmentSerializer

    def row(self):
        return get_object_or_404(self.pre_enrollments(), pk=self.kwargs["pre_enrollment_id"])

    @extend_schema(tags=TAG)
    def get(self, request, org_id, pre_enrollment_id):
        return Response(self.get_serializer(self.row()).data)

    @extend_schema(tags=TAG, responses={204: None})
    def delete(self, request, org_id, pre_enrollment_id):
        native_services.remove_pre_enrollments(self.organization, [self.row().pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EnrollmentCodeAPI(AgentsAPIMixin, generics.GenericAPIView):
    """The organization's Native-Agent enrollment code ("One enrollment code per organization")."""

    serializer_class = EnrollmentCodeSerializer

    @extend_schema(tags=TAG)
    def get(self, request, org_id):
        return Response({"code": native_services.enrollment_code(self.organization).code})


class RedeemPrinterCodeAPI(AgentsAPIMixin, generics.GenericAPIView):
    """**Enroll Printer**: redeem the enrollment code a printer generated; the printer joins the organization
    with its own Native Agent. "The enrollment code is invalid or expired." otherwise."""

    permission = Perm.FLEET_MANAGE
    serializer_class = RedeemSerializer

    @extend_schema(tags=TAG, responses={201: RedeemedSerializer})
    def post(self, request, org_id):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        printer = native_services.redeem_printer_code(self.organization, body.validated_data["code"],
                                                      user=request.user)
        return Response({"printer_id": printer.pk, "serial": printer.serial, "agent_id": printer.agent_id},
                        status=status.HTTP_201_CREATED)


AGENT = "fleet/agents/<int:agent_id>/"
urlpatterns = [
    path("fleet/agents/", AgentListAPI.as_view(), name="api-fleet-agents"),
    path("fleet/agents/update/", AgentsUpdateAPI.as_view(), name="api-fleet-agents-update"),
    path("fleet/agents/settings/", AgentsSettingsAPI.as_view(), name="api-fleet-agents-settings"),
    path("fleet/agents/credentials/", AgentsCredentialsAPI.as_view(), name="api-fleet-agents-credentials"),
    path(AGENT, AgentDetailAPI.as_view(), name="api-fleet-agent"),
    path(AGENT + "profiles/", ProfileListAPI.as_view(), name="api-fleet-agent-profiles"),
    path(AGENT + "profiles/<int:profile_id>/", ProfileDetailAPI.as_view(), name="api-fleet-agent-profile"),
    path(AGENT + "criteria/", CriteriaListAPI.as_view(), name="api-fleet-agent-criteria"),
    path(AGENT + "criteria/import/", CriteriaImportAPI.as_view(), name="api-fleet-agent-criteria-import"),
    path(AGENT + "criteria/export/", CriteriaExportAPI.as_view(), name="api-fleet-agent-criteria-export"),
    path(AGENT + "criteria/<int:criterion_id>/", CriterionDetailAPI.as_view(),
         name="api-fleet-agent-criterion"),
    path(AGENT + "activation-code/", ActivationCodeAPI.as_view(), name="api-fleet-agent-activation-code"),
    path(AGENT + "deactivate/", DeactivateAPI.as_view(), name="api-fleet-agent-deactivate"),
    path(AGENT + "tasks/", AgentActionAPI.as_view(), name="api-fleet-agent-tasks"),
    path("fleet/local-activation-code/", LocalCodeAPI.as_view(), name="api-fleet-local-activation-code"),
    path("fleet/pre-enrollments/", PreEnrollmentListAPI.as_view(), name="api-fleet-pre-enrollments"),
    path("fleet/pre-enrollments/<int:pre_enrollment_id>/", PreEnrollmentDetailAPI.as_view(),
         name="api-fleet-pre-enrollment"),
    path("fleet/enrollment-code/", EnrollmentCodeAPI.as_view(), name="api-fleet-enrollment-code"),
    path("fleet/printer-enrollment-codes/redeem/", RedeemPrinterCodeAPI.as_view(),
         name="api-fleet-printer-code-redeem"),
]
