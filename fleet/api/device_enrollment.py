"""Agent-facing routes under /api/agents/v1/ that need no credentials yet: an installed Fleet or Local Agent
activates with its activation code, a Native-Agent printer enrolls with the organization's enrollment code
or with a code it generated; then `GET definition`, authenticated by the credentials handed out here.

Every attempt without credentials draws from brute-force buckets (accounts/throttle.py) keyed by the
caller's address and shared by all callers; a successful attempt gives its tokens back, so only failures
count. An empty bucket answers 429 with Retry-After."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import throttle
from agents.protocol import command_subscription, telemetry_topic

from ..choices import CodeKind
from ..services import agents as agent_services
from ..services import native as native_services
from .device_auth import AgentAPIView

CLIENT = throttle.Bucket("agent-enrollment-client", capacity=10, refill_seconds=30)
ALL_CLIENTS = throttle.Bucket("agent-enrollment", capacity=300, refill_seconds=1)
CODE_REQUESTS = throttle.Bucket("printer-code-client", capacity=20, refill_seconds=60)
TAG = ["Agents API"]


def _client(request) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def guess_buckets(request):
    return [(CLIENT, f"agent-enroll:{CLIENT.scope}:{_client(request)}"),
            (ALL_CLIENTS, f"agent-enroll:{ALL_CLIENTS.scope}")]


def _too_many(wait: int) -> Response:
    return Response({"error": "Too many attempts. Try again later."},
                    status=status.HTTP_429_TOO_MANY_REQUESTS, headers={"Retry-After": str(wait)})


def credentials_document(request, agent, secret: str) -> dict:
    """What an agent keeps after activation or enrollment (the secret is shown this once)."""
    return {
        "device_id": agent.device_id,
        "secret": secret,
        "organization": {"id": str(agent.organization_id), "name": agent.organization.name},
        "agent": {"id": agent.pk, "name": agent.name, "kind": agent.kind},
        "mqtt": {"url": settings.MQTT_URL, "telemetry_topic": telemetry_topic(agent.device_id),
                 "command_subscription": command_subscription(agent.device_id)},
        "definition_url": request.build_absolute_uri(reverse("agents-api:definition")),
    }


class OrganizationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class AgentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class MqttSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The broker (MQTT_URL of the server); empty: REST only.")
    telemetry_topic = serializers.CharField()
    command_subscription = serializers.CharField()


class CredentialsSerializer(serializers.Serializer):
    device_id = serializers.CharField(help_text="User name of HTTP Basic authentication; names the MQTT "
                                                "topics.")
    secret = serializers.CharField(help_text="Password of HTTP Basic authentication. Returned this once.")
    organization = OrganizationRefSerializer()
    agent = AgentRefSerializer()
    mqtt = MqttSerializer()
    definition_url = serializers.URLField()


ERROR = inline_serializer("AgentEnrollmentError", {"error": serializers.CharField()})


class ActivateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text="The activation code shown in the portal.")
    kind = serializers.ChoiceField(choices=CodeKind.choices, help_text="fleet or local: what is activating.")
    host_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    ip_address = serializers.IPAddressField(required=False, allow_null=True, default=None)
    version = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class EnrollSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=64)
    enrollment_code = serializers.CharField(max_length=32,
                                            help_text="The organization's code (case-sensitive).")
    identity = serializers.DictField(required=False, default=dict,
                                     help_text="model, manufacturer, mac, ip, hostname, firmware, ... as in "
                                               "the protocol.")


class PrinterCodeRequestSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=64)
    identity = serializers.DictField(required=False, default=dict)


class PrinterCodeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Typed by the administrator in the portal (case-sensitive).")
    claim = serializers.CharField(help_text="Kept by the printer to collect its credentials.")
    expires_at = serializers.DateTimeField()


class ClaimSerializer(serializers.Serializer):
    claim = serializers.CharField(max_length=128)


class UnauthenticatedView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def guarded(self, attempt, invalid_message: str):
        """Run `attempt()` behind the guessing buckets: a ValidationError answers 400 and keeps its tokens."""
        buckets = guess_buckets(self.request)
        wait = throttle.acquire(buckets)
        if wait:
            return _too_many(wait)
        try:
            response = attempt()
        except (ValidationError, agent_services.InvalidCode):
            return Response({"error": invalid_message}, status=status.HTTP_400_BAD_REQUEST)
        throttle.release(buckets)
        return response

    def credentials_for(self, serializer_class, act, invalid_message: str) -> Response:
        """Validate the body, then `act(data) -> (agent, secret)` behind the buckets: the credentials
        answer."""
        body = serializer_class(data=self.request.data)
        if not body.is_valid():
            return Response({"error": invalid_message, "fields": body.errors},
                            status=status.HTTP_400_BAD_REQUEST)

        def attempt():
            agent, secret = act(body.validated_data)
            return Response(credentials_document(self.request, agent, secret))

        return self.guarded(attempt, invalid_message)


class ActivateView(UnauthenticatedView):
    """An installed Fleet Agent or Local Agent activates with its activation code and receives its
    credentials (a Fleet Agent code: that agent; a Local Agent code: a new Local Agent per activation)."""

    @extend_schema(tags=TAG, request=ActivateSerializer, responses={
        200: CredentialsSerializer,
        400: OpenApiResponse(ERROR, description="The activation code is invalid or expired (or used up)."),
        429: OpenApiResponse(ERROR, description="Too many failed attempts from this address.")})
    def post(self, request):
        def act(data):
            activated = agent_services.activate(data["code"], kind=data["kind"], host_name=data["host_name"],
                                                ip_address=data["ip_address"], version=data["version"])
            return activated.agent, activated.secret

        return self.credentials_for(ActivateSerializer, act, agent_services.INVALID_ACTIVATION_CODE)


class EnrollView(UnauthenticatedView):
    """A Native-Agent printer completes cloud-based pre-enrollment: its serial number must be pre-enrolled in
    the organization whose enrollment code it presents."""

    @extend_schema(tags=TAG, request=EnrollSerializer, responses={
        200: CredentialsSerializer,
        400: OpenApiResponse(ERROR, description="The enrollment code is invalid or expired."),
        429: OpenApiResponse(ERROR, description="Too many failed attempts from this address.")})
    def post(self, request):
        def act(data):
            enrolled = native_services.enroll_pre_enrolled(
                serial=data["serial"], code=data["enrollment_code"], identity=data["identity"])
            return enrolled.agent, enrolled.secret

        return self.credentials_for(EnrollSerializer, act, native_services.INVALID_CODE)


class PrinterCodeView(UnauthenticatedView):
    """**Get Enrollment Code** at a printer that was not pre-enrolled: a code for the administrator to type
    in the portal (Enroll Printer), valid 24 hours, and a claim for collecting the credentials."""

    @extend_schema(tags=TAG, request=PrinterCodeRequestSerializer, responses={
        201: PrinterCodeSerializer, 400: OpenApiResponse(ERROR), 429: OpenApiResponse(ERROR)})
    def post(self, request):
        key = [(CODE_REQUESTS, f"agent-enroll:{CODE_REQUESTS.scope}:{_client(request)}")]
        wait = throttle.acquire(key)
        if wait:
            return _too_many(wait)
        body = PrinterCodeRequestSerializer(data=request.data)
        if not body.is_valid():
            return Response({"error": "Send the printer's serial number.", "fields": body.errors},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            row, claim = native_services.request_printer_code(body.validated_data["serial"],
                                                              body.validated_data["identity"])
        except ValidationError as error:
            return Response({"error": " ".join(error.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"code": row.code, "claim": claim, "expires_at": row.expires_at},
                        status=status.HTTP_201_CREATED)


class ClaimView(UnauthenticatedView):
    """The printer collects its credentials: 202 while its code waits to be redeemed in the portal, then the
    credentials once; an unknown, expired or already collected claim answers 400."""

    @extend_schema(tags=TAG, request=ClaimSerializer, responses={
        200: CredentialsSerializer,
        202: OpenApiResponse(inline_serializer("ClaimPending", {"status": serializers.CharField()}),
                             description="Not redeemed yet: ask again later."),
        400: OpenApiResponse(ERROR), 429: OpenApiResponse(ERROR)})
    def post(self, request):
        body = ClaimSerializer(data=request.data)
        if not body.is_valid():
            return Response({"error": native_services.INVALID_CODE}, status=status.HTTP_400_BAD_REQUEST)

        def attempt():
            claim = native_services.claim_credentials(body.validated_data["claim"])
            if claim.pending:
                return Response({"status": "pending"}, status=status.HTTP_202_ACCEPTED)
            return Response(credentials_document(request, claim.agent, claim.secret))

        return self.guarded(attempt, native_services.INVALID_CODE)


class DefinitionView(AgentAPIView):
    """The calling agent's current settings. Fleet Agents: discovery criteria (with their SNMP profile
    names), SNMP profiles with their community names and SNMPv3 keys, task intervals, network delay; Local
    and Printer Agents: polling interval. All: log level, definition_version, and the access credentials of
    the printers they manage. Re-read after an UPDATE_SETTINGS or UPDATE_CREDENTIALS command."""

    @extend_schema(tags=TAG, responses={200: OpenApiResponse(
        inline_serializer("AgentDefinition", {
            "device_id": serializers.CharField(), "name": serializers.CharField(),
            "kind": serializers.CharField(),
            "definition_version": serializers.IntegerField(), "log_level": serializers.CharField(),
            "organization": OrganizationRefSerializer(),
            "transfer_management": serializers.BooleanField(required=False),
            "search_type": serializers.CharField(required=False),
            "discovery_interval_hours": serializers.IntegerField(required=False),
            "refresh_interval_minutes": serializers.IntegerField(required=False),
            "network_delay_ms": serializers.IntegerField(required=False),
            "snmp_profiles": serializers.ListField(child=serializers.DictField(), required=False),
            "criteria": serializers.DictField(required=False),
            "polling_interval_minutes": serializers.IntegerField(required=False),
            "printer_credentials": serializers.ListField(child=serializers.DictField()),
        })), 401: OpenApiResponse(description="No or wrong agent credentials.")})
    def get(self, request):
        return Response(agent_services.definition_document(self.agent))


urlpatterns = [
    path("activate", ActivateView.as_view(), name="activate"),
    path("definition", DefinitionView.as_view(), name="definition"),
    path("enroll", EnrollView.as_view(), name="enroll"),
    path("enrollment-codes", PrinterCodeView.as_view(), name="enrollment-codes"),
    path("enrollment-codes/claim", ClaimView.as_view(), name="enrollment-code-claim"),
]
