"""Agent-facing routes under /api/agents/v1/: the REST fallback of telemetry ingest.

`POST /api/agents/v1/messages` takes one protocol envelope or a JSON list of them (agents/protocol.py) from an
authenticated agent and applies them through fleet.services.ingest, like the MQTT path. The whole request is
checked first, so a bad envelope (400) or one naming another agent (403) applies nothing.
"""
import json

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from agents.protocol import MAX_MESSAGE_BYTES, MAX_PRINTERS_PER_MESSAGE, ProtocolError, decode

from ..services.ingest import ingest
from .device_auth import AgentAPIView

MAX_REQUEST_BYTES = 2 * MAX_MESSAGE_BYTES
MAX_MESSAGES_PER_REQUEST = MAX_PRINTERS_PER_MESSAGE

IngestAnswer = inline_serializer("IngestAnswer", {
    "applied": serializers.IntegerField(), "duplicates": serializers.IntegerField(),
    "refused": serializers.IntegerField(), "errors": serializers.IntegerField(),
    "reports": serializers.IntegerField(), "stale": serializers.IntegerField(),
    "refused_reports": serializers.IntegerField(), "problems": serializers.ListField(child=serializers.CharField()),
})


class MessagesView(AgentAPIView):
    for_retiring_agents = True   # a deactivated agent still reports on its jobs (ingest takes only those)

    @extend_schema(
        summary="Send agent messages (telemetry, enroll, heartbeat, event)",
        description="One envelope of agents/protocol.py, or a list of them; the same payloads as MQTT. "
                    "Applied once per message id.",
        request=OpenApiTypes.OBJECT,
        responses={202: IngestAnswer, 400: OpenApiResponse(description="Not a protocol message: the reason"),
                   403: OpenApiResponse(description="An envelope names another agent"),
                   413: OpenApiResponse(description="Request too large")},
        tags=["Agents API"], operation_id="agent_messages")
    def post(self, request):
        stream = request.stream
        raw = stream.read(MAX_REQUEST_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_REQUEST_BYTES:
            return Response({"detail": f"Request larger than {MAX_REQUEST_BYTES} bytes."},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        try:
            messages = _decode(raw)
        except ProtocolError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        for index, message in enumerate(messages):
            if message.agent != self.agent.device_id:
                return Response({"detail": f"messages[{index}] is for agent {message.agent!r}, not for the caller."},
                                status=status.HTTP_403_FORBIDDEN)
        result = ingest(messages, device_id=self.agent.device_id)
        return Response(result.as_dict(), status=status.HTTP_202_ACCEPTED)


def _decode(raw: bytes):
    """One envelope or a list of envelopes; the first bad one is reported with its position."""
    try:
        payload = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"request body is not JSON: {exc}") from None
    if isinstance(payload, dict):
        return [decode(payload)]
    if not isinstance(payload, list) or not payload:
        raise ProtocolError("request body must be a message object or a non-empty list of messages")
    if len(payload) > MAX_MESSAGES_PER_REQUEST:
        raise ProtocolError(f"more than {MAX_MESSAGES_PER_REQUEST} messages in one request")
    messages = []
    for index, item in enumerate(payload):
        try:
            messages.append(decode(item))
        except ProtocolError as exc:
            raise ProtocolError(f"messages[{index}]: {exc}") from None
    return messages


urlpatterns = [
    path("messages", MessagesView.as_view(), name="messages"),
]
