"""Device API (issue 3): what printers and their apps (the Cloud Authentication app, the printer simulator)
call, authenticated as an Application of the printer's organization with a client-credentials access token
from POST /oauth/token. Mounted at /api/device/v1/; documented in docs/device-api.md.

Everything is scoped to the token's application's organization: a printer of one organization can never
authenticate, register or see a user of another. Views stay thin: accounts.services.device_auth does the
checking, throttling (accounts/throttle.py) and auditing."""
from django.contrib.auth.models import AnonymousUser
from django.urls import path, reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from oauth2_provider.models import get_access_token_model
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from ..choices import ApplicationKind, AuthMethod, LoginMode, OrganizationStatus
from ..services import device_auth, device_sessions
from ..services.device_auth import DeviceAuthError

app_name = "device"
TAG = "Device API"
SESSION_HEADER = "X-Session-Token"

MESSAGES = {
    "invalid_credentials": "The credentials are not valid.",
    "expired": "The PIN or temporary badge has expired.",
    "registration_required": "This badge is not registered. Register it with your e-mail address and password, "
                             "or have a registration link e-mailed to you.",
    "method_not_allowed": "The organization's Printer Login Configuration does not allow this login method.",
    "too_many_attempts": "Too many failed attempts at this printer. Try again later.",
    "invalid_session": "The session token is not valid or has expired.",
    "invalid_token": "The access token is missing, not valid, expired, or its application has been revoked.",
}


# --- authentication of the printer --------------------------------------------------------------------------

class DeviceTokenAuthentication(OAuth2Authentication):
    """A bearer access token of an Application (client credentials). The application of a revoked token or a
    revoked application is refused (401), whatever the token's own expiry says."""

    www_authenticate_realm = "device"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        application = getattr(token, "application", None)
        if application is None or getattr(application, "revoked_at", None) is not None \
                or getattr(application, "organization_id", None) is None:
            request.oauth2_error = {"error": "invalid_token"}
            raise exceptions.AuthenticationFailed(MESSAGES["invalid_token"])
        return (user or AnonymousUser()), token


class IsDeviceApplication(BasePermission):
    """Only printer/device applications of an organization that is not being deleted: an agent's or an
    integration's credentials cannot log users in."""

    message = "This application is not a printer or device application."

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, get_access_token_model()) or token.application_id is None:
            return False
        application = token.application
        if application.revoked_at is not None or application.kind != ApplicationKind.DEVICE:
            return False
        # the organization comes with the (cached) configuration every device call reads anyway
        organization = device_auth.configuration_for(application, cached=True).organization
        return organization.status != OrganizationStatus.PENDING_DELETION


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.device.DeviceTokenAuthentication"
    name = "deviceApplication"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {"type": "oauth2", "description": "Client credentials of an Application of the organization "
                                                 "(Account Management > Applications).",
                "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}}}


class DeviceAPIView(APIView):
    authentication_classes = [DeviceTokenAuthentication]
    permission_classes = [IsDeviceApplication]
    throttle_classes: list = []

    @property
    def application(self):
        return self.request.auth.application

    @property
    def organization(self):
        return self.application.organization

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            response.data = {"error": "invalid_token", "detail": MESSAGES["invalid_token"]}
        return response

    def refused(self, exc: DeviceAuthError) -> Response:
        body = {"error": exc.error, "detail": MESSAGES.get(exc.error, exc.error)}
        headers = {}
        if exc.error == "registration_required":
            body["registration"] = {
                "manual": self.request.build_absolute_uri(reverse("device:badges-register")),
                "email": self.request.build_absolute_uri(reverse("device:badges-register-by-email")),
            }
        if exc.retry_after:
            headers["Retry-After"] = str(exc.retry_after)
        return Response(body, status=exc.status, headers=headers)


def session_of(request):
    """For the release and scan endpoints: the session (user, login method) of the X-Session-Token the printer
    sends with its own access token, or None."""
    return device_sessions.session_for(request.headers.get(SESSION_HEADER, ""), request.auth.application)


def session_user(request):
    session = session_of(request)
    return session.user if session is not None else None


# --- serializers (request validation and the OpenAPI document) ---------------------------------------------

class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    detail = serializers.CharField()


class RegistrationOptionsSerializer(serializers.Serializer):
    manual = serializers.URLField(help_text="POST badge, email, password: Manual Registration.")
    email = serializers.URLField(help_text="POST badge, email: E-mail Registration (a link is e-mailed).")


class RegistrationRequiredSerializer(ErrorSerializer):
    registration = RegistrationOptionsSerializer()


class LoginConfigurationSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=LoginMode.choices)
    badge = serializers.BooleanField()
    pin = serializers.BooleanField()
    secure_login = serializers.BooleanField()
    pin_length = serializers.IntegerField()
    methods = serializers.ListField(child=serializers.CharField(),
                                    help_text="The `method` values POST authenticate accepts: "
                                              + ", ".join(AuthMethod.values) + ".")
    poll_interval_seconds = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class DeviceUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField(source="name")
    department = serializers.CharField()
    cost_center = serializers.CharField()


class DeviceLoginSerializer(serializers.Serializer):
    user = DeviceUserSerializer()
    roles = serializers.ListField(child=serializers.CharField(),
                                  help_text="The user's roles of the solutions used at printers (print, scan, fleet...).")
    session_token = serializers.CharField(help_text=f"Send it as the {SESSION_HEADER} header of the user's calls.")
    expires_in = serializers.IntegerField(help_text="Seconds the session token is valid.")


REQUIRED = {AuthMethod.BADGE: ("badge",), AuthMethod.PIN: ("pin",), AuthMethod.BADGE_PIN: ("badge", "pin"),
            AuthMethod.PASSWORD: ("email", "password"), AuthMethod.CODE: ("code",)}


class AuthenticateSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=AuthMethod.choices)
    badge = serializers.CharField(required=False, allow_blank=True, max_length=128)
    pin = serializers.CharField(required=False, allow_blank=True, max_length=32)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    password = serializers.CharField(required=False, allow_blank=True, max_length=256, trim_whitespace=False)
    code = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def validate(self, attrs):
        missing = {name: "This field is required for this method." for name in REQUIRED[attrs["method"]]
                   if not attrs.get(name)}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


def parse_authenticate(data) -> dict | None:
    """AuthenticateSerializer's answer for the common well-formed body, read off its declared fields without
    instantiating it (badge login is every printer's hot path); None for anything else, which then goes
    through the serializer (and its messages)."""
    if not isinstance(data, dict) or data.get("method") not in AuthMethod.values:
        return None
    out = {"method": data["method"]}
    for name, field in AuthenticateSerializer._declared_fields.items():
        if name == "method" or name not in data:
            continue
        value = data[name]
        if not isinstance(value, str) or len(value) > field.max_length or "\x00" in value:
            return None
        try:
            value.encode("utf-8")  # lone surrogates: the serializer answers them with its message
        except UnicodeEncodeError:
            return None
        out[name] = value.strip() if field.trim_whitespace else value
    if not all(out.get(name) for name in REQUIRED[out["method"]]):
        return None
    return out


class RegisterBadgeSerializer(serializers.Serializer):
    badge = serializers.CharField(max_length=128)
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    pin = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                help_text="Required when the organization uses Badge + PIN as second factor.")


class RegisterBadgeByEmailSerializer(serializers.Serializer):
    badge = serializers.CharField(max_length=128)
    email = serializers.CharField(max_length=254)


def _user_body(user) -> dict:
    """DeviceUserSerializer's fields, built directly: the badge login is the hot path of every printer."""
    return {"id": user.pk, "email": user.email, "display_name": user.name, "department": user.department,
            "cost_center": user.cost_center}


def _login_body(login) -> dict:
    return {"user": _user_body(login.user), "roles": login.roles, "session_token": login.session_token,
            "expires_in": login.expires_in}


UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="No, an invalid or expired access token, or a revoked "
                                                            "application (with WWW-Authenticate).")
REFUSALS = {
    400: OpenApiResponse(description="Missing or malformed fields."),
    401: OpenApiResponse(ErrorSerializer, description="`invalid_credentials` (the same answer whether or not the "
                                                      "user exists), `expired` (PIN or temporary badge), or "
                                                      "`invalid_token` (the printer's access token)."),
    403: OpenApiResponse(ErrorSerializer, description="`method_not_allowed` by the Printer Login Configuration."),
    429: OpenApiResponse(ErrorSerializer, description="`too_many_attempts`; see the Retry-After header."),
}


# --- endpoints -------------------------------------------------------------------------------------------------

class LoginConfigurationView(DeviceAPIView):
    @staticmethod
    def etag(config) -> str:
        return f'"plc-{config.organization_id}-{int(config.updated_at.timestamp() * 1_000_000)}"'

    @extend_schema(
        tags=[TAG], operation_id="device_login_configuration",
        summary="The organization's Printer Login Configuration (poll every 15 minutes)",
        parameters=[OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
                                     description="The ETag of the configuration the printer has: 304 if unchanged.")],
        responses={200: LoginConfigurationSerializer, 304: OpenApiResponse(description="Not modified."),
                   401: UNAUTHORIZED})
    def get(self, request):
        config = device_auth.configuration_for(self.application)
        etag = self.etag(config)
        sent = [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag in sent or "*" in sent:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        data = {"mode": config.mode, "badge": config.badge, "pin": config.pin, "secure_login": config.secure_login,
                "pin_length": config.pin_length, "methods": device_auth.allowed_methods(config),
                "poll_interval_seconds": device_auth.POLL_INTERVAL_SECONDS, "updated_at": config.updated_at}
        return Response(LoginConfigurationSerializer(data).data, headers=headers)


class AuthenticateView(DeviceAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_authenticate", summary="Authenticate a user at the printer",
        description="By `badge`, `pin`, `badge_pin`, `password` (e-mail and password) or `code` (one-time secure "
                    "login code), as the organization's Printer Login Configuration allows. Failed attempts are "
                    "rate limited per printer and per organization.",
        request=AuthenticateSerializer,
        responses={200: DeviceLoginSerializer,
                   404: OpenApiResponse(RegistrationRequiredSerializer,
                                        description="`registration_required`: the badge is not registered."),
                   **REFUSALS},
        examples=[OpenApiExample("Badge", value={"method": "badge", "badge": "20171a"}, request_only=True),
                  OpenApiExample("Badge + PIN", value={"method": "badge_pin", "badge": "20171a", "pin": "1234"},
                                 request_only=True)])
    def post(self, request):
        data = parse_authenticate(request.data)
        if data is None:
            serializer = AuthenticateSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
        try:
            login = device_auth.authenticate(
                self.application, data["method"], badge=data.get("badge", ""), pin=data.get("pin", ""),
                email=data.get("email", ""), password=data.get("password", ""), code=data.get("code", ""),
                request=request._request)
        except DeviceAuthError as exc:
            return self.refused(exc)
        return Response(_login_body(login))


class RegisterBadgeView(DeviceAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_register_badge",
        summary="Manual Registration: register the tapped badge with the user's e-mail and password",
        request=RegisterBadgeSerializer, responses={201: DeviceLoginSerializer, **REFUSALS})
    def post(self, request):
        serializer = RegisterBadgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            login = device_auth.register_badge_with_credentials(self.application, data["badge"], data["email"],
                                                                data["password"], pin=data.get("pin", ""),
                                                                request=request._request)
        except DeviceAuthError as exc:
            return self.refused(exc)
        return Response(_login_body(login), status=status.HTTP_201_CREATED)


class RegisterBadgeByEmailView(DeviceAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_register_badge_by_email",
        summary="E-mail Registration: e-mail a single-use badge registration link",
        description="Answers 202 whether or not the address belongs to a user of the organization.",
        request=RegisterBadgeByEmailSerializer,
        responses={202: inline_serializer("DeviceAccepted", {"status": serializers.CharField()}),
                   400: REFUSALS[400], 401: UNAUTHORIZED, 403: REFUSALS[403], 429: REFUSALS[429]})
    def post(self, request):
        serializer = RegisterBadgeByEmailSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            device_auth.request_email_registration(self.application, data["badge"], data["email"])
        except DeviceAuthError as exc:
            if exc.status != status.HTTP_202_ACCEPTED:
                return self.refused(exc)
        return Response({"status": "If the address belongs to a user of the organization, a registration link "
                                   "has been sent to it."}, status=status.HTTP_202_ACCEPTED)


class SessionView(DeviceAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_session", summary="Who a user session token belongs to",
        parameters=[OpenApiParameter(SESSION_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description="The session_token of POST authenticate.")],
        responses={200: inline_serializer("DeviceSession", {"user": DeviceUserSerializer(),
                                                            "roles": serializers.ListField(child=serializers.CharField())}),
                   401: OpenApiResponse(ErrorSerializer, description="`invalid_session` or `invalid_token`.")})
    def get(self, request):
        user = session_user(request)
        if user is None:
            return Response({"error": "invalid_session", "detail": MESSAGES["invalid_session"]},
                            status=status.HTTP_401_UNAUTHORIZED)
        return Response({"user": _user_body(user),
                         "roles": device_auth.printer_roles(user, self.organization)})


urlpatterns: list = [
    path("login-configuration", LoginConfigurationView.as_view(), name="login-configuration"),
    path("authenticate", AuthenticateView.as_view(), name="authenticate"),
    path("badges/register", RegisterBadgeView.as_view(), name="badges-register"),
    path("badges/register-by-email", RegisterBadgeByEmailView.as_view(), name="badges-register-by-email"),
    path("session", SessionView.as_view(), name="session"),
]
