"""Agent-facing routes under /api/agents/v1/: the REST fallback of the command topic. An agent without MQTT
(or after a reconnect) polls its pending jobs as the same command envelopes the broker would deliver."""
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from ..services import commands
from .device_auth import AgentAPIView


class CommandsAPI(AgentAPIView):
    """GET: the calling agent's pending commands (at most 200 jobs a call), oldest first. They stay pending
    until the agent reports on their jobs; a job id already seen is a duplicate."""

    for_retiring_agents = True   # a deactivated agent still fetches its Deactivate agent command

    @extend_schema(tags=["agents"], operation_id="agent_commands", responses=inline_serializer("AgentCommands", {
        "commands": serializers.ListField(child=serializers.DictField(),
                                          help_text="agents.protocol command envelopes (type 'command').")}))
    def get(self, request):
        return Response({"commands": commands.poll(self.agent)})


urlpatterns = [
    path("commands", CommandsAPI.as_view(), name="commands"),
]
