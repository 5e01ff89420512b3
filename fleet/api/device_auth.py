"""How agents authenticate to /api/agents/v1/: HTTP Basic with their device id and secret (issued at
activation or enrollment; only the digest is stored). A deactivated agent or a wrong secret gets 401, except
that an agent deactivated while communicating keeps its secret until it has reported on its Deactivate agent
job, and meanwhile reaches the views marked `for_retiring_agents` (its commands, its reports)."""
import base64
import binascii

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions
from rest_framework.views import APIView

from ..choices import Activation
from ..models import Agent


class AgentAuthentication(authentication.BaseAuthentication):
    www_authenticate_realm = "lexcloud-agents"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or not value:
            return None
        try:
            device_id, _, secret = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise exceptions.AuthenticationFailed("Malformed Basic credentials.") from None
        agent = Agent.objects.select_related("organization").filter(device_id=device_id).first()
        if agent is None or not agent.check_secret(secret):
            raise exceptions.AuthenticationFailed("Unknown agent or wrong secret.")
        view = (request.parser_context or {}).get("view")
        retiring = agent.activation == Activation.DEACTIVATED and getattr(view, "for_retiring_agents", False)
        if not agent.is_active and not retiring:
            raise exceptions.AuthenticationFailed("This agent is not activated.")
        return (None, agent)

    def authenticate_header(self, request):
        return f'Basic realm="{self.www_authenticate_realm}"'


class IsAgent(permissions.BasePermission):
    message = "Agent credentials are required."

    def has_permission(self, request, view):
        return isinstance(request.auth, Agent)


class AgentScheme(OpenApiAuthenticationExtension):
    target_class = "fleet.api.device_auth.AgentAuthentication"
    name = "agentBasic"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic", "description": "The agent's device id and secret."}


class AgentAPIView(APIView):
    """Base of the authenticated agent endpoints: `self.agent` is the calling agent."""

    authentication_classes = [AgentAuthentication]
    permission_classes = [IsAgent]
    throttle_classes: list = []
    for_retiring_agents = False   # see AgentAuthentication

    @property
    def agent(self) -> Agent:
        return self.request.auth
