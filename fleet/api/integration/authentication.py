"""Who may call the integration API: a bearer token of an Integration application (Account Management >
Applications, kind "integration") of an organization that is not being deleted. The token check itself is the
device API's (accounts.api.device.DeviceTokenAuthentication: unknown, expired and revoked → 401)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from oauth2_provider.models import get_access_token_model
from rest_framework.permissions import BasePermission

from accounts.api.device import DeviceTokenAuthentication
from accounts.choices import ApplicationKind, OrganizationStatus


class IntegrationTokenAuthentication(DeviceTokenAuthentication):
    """`Authorization: Bearer <access_token>` from `POST /oauth/token`."""

    www_authenticate_realm = "integration"


class IsIntegrationApplication(BasePermission):
    """Printers' and agents' credentials do not read the fleet: only integration applications do."""

    message = "This application is not an integration application."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, get_access_token_model()) or token.application_id is None:
            return False
        application = token.application
        if application.revoked_at is not None or application.kind != ApplicationKind.INTEGRATION:
            return False
        return application.organization.status != OrganizationStatus.PENDING_DELETION


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "fleet.api.integration.authentication.IntegrationTokenAuthentication"
    name = "integrationApplication"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {"type": "oauth2",
                "description": "Client credentials of an Integration application of the organization (Account "
                               "Management > Applications): `POST /oauth/token` with the JSON body "
                               '`{"grant_type": "client_credentials", "client_id": ..., "client_secret": ...}`.',
                "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}}}
