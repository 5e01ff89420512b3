"""Printer login API under /api/v1/organizations/{org_id}/: the Printer Login Configuration and PINs.

PIN values are write-only: no response ever carries a PIN or its digest."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from lexcloud.ids import MAX_ID

from ..choices import ExpirationUnit, LoginMode, PinGeneration, PinSource
from ..gate import OrgScopedAPIMixin
from ..models import PrinterLoginConfiguration, User, UserPin
from ..roles import Perm
from ..services import printer_login as pins


class PrinterLoginConfigurationSerializer(serializers.ModelSerializer):
    login_method = serializers.SerializerMethodField(help_text='As the user page shows it, e.g. "PIN, Badges or Manual".')

    class Meta:
        model = PrinterLoginConfiguration
        fields = ["mode", "badge", "pin", "secure_login", "pin_length", "pin_generation", "pin_expires",
                  "pin_expiration_value", "pin_expiration_unit", "updated_at", "login_method"]
        read_only_fields = ["updated_at", "login_method"]
        extra_kwargs = {
            "mode": {"help_text": f"One of {LoginMode.values}."},
            "pin_length": {"help_text": "4 to 12 digits."},
            "pin_generation": {"help_text": f"One of {PinGeneration.values}."},
            "pin_expires": {"help_text": "false: Never expires (forced for auto_email and federated organizations)."},
            "pin_expiration_value": {"help_text": "1-48 hours or 1-180 days."},
            "pin_expiration_unit": {"help_text": f"One of {ExpirationUnit.values}."},
        }

    def get_login_method(self, config) -> str:
        return pins.login_method(config)


class PrinterLoginConfigurationAPI(OrgScopedAPIMixin, generics.GenericAPIView):
    """GET the organization's printer login configuration; PUT (or PATCH) changes it (Organization
    Administrator). Invalid combinations answer 400 and change nothing."""

    permission = Perm.ORG_VIEW
    write_permission = Perm.ORG_MANAGE
    serializer_class = PrinterLoginConfigurationSerializer
    http_method_names = ["get", "put", "patch", "head", "options"]

    def get(self, request, org_id):
        return Response(self.get_serializer(pins.get_configuration(self.organization)).data)

    def put(self, request, org_id):
        return self._update(request, partial=False)

    def patch(self, request, org_id):
        return self._update(request, partial=True)

    def _update(self, request, *, partial):
        config = pins.get_configuration(self.organization)
        body = self.get_serializer(config, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        config = pins.update_configuration(self.organization, by=request.user, **body.validated_data)
        return Response(self.get_serializer(config).data)


class PinSerializer(serializers.Serializer):
    user_id = serializers.IntegerField(read_only=True, source="user.pk")
    email = serializers.EmailField(read_only=True, source="user.email")
    source = serializers.CharField(read_only=True, help_text=f"Who set it: one of {PinSource.values}.")
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)
    expired = serializers.SerializerMethodField()

    def get_expired(self, record) -> bool:
        return not record.is_valid()


class PinWriteSerializer(serializers.Serializer):
    email = serializers.CharField(required=False, help_text="The user's e-mail address (or user_id).")
    user_id = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    pin = serializers.CharField(required=False, allow_blank=True, write_only=True, trim_whitespace=True,
                                help_text="The PIN to set (digits, the configured length). Leave it out to have a "
                                          "PIN generated; either way it is e-mailed to the user.")

    def validate(self, data):
        if not data.get("email") and not data.get("user_id"):
            raise serializers.ValidationError({"email": "Give the user's e-mail address or user_id."})
        return data


class PinUserStatusSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    has_pin = serializers.BooleanField()
    pin = PinSerializer(allow_null=True)


class PinScopedMixin(OrgScopedAPIMixin):
    permission = Perm.PINS_VIEW
    write_permission = Perm.PINS_MANAGE

    def users(self):
        return self.scoped(User.objects.all())


class PinListCreateAPI(PinScopedMixin, generics.ListCreateAPIView):
    """Users of the organization who have a PIN (search: e-mail), or POST to set / generate one."""

    serializer_class = PinSerializer
    search_fields = ["user__email"]
    ordering_fields = ["user__email", "created_at", "expires_at"]
    ordering = ["user__email"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return UserPin.objects.none()
        return self.scoped(UserPin.objects.select_related("user"))

    @extend_schema(request=PinWriteSerializer, responses={201: PinSerializer})
    def post(self, request, org_id):
        body = PinWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        users = self.users().select_related("organization")
        if data.get("user_id"):
            user = users.filter(pk=data["user_id"]).first()
        else:
            user = users.filter(email=data["email"].strip().lower()).first()
        if user is None:
            raise DjangoValidationError({"email": "The user's email address must already exist in the organization."})
        if data.get("pin"):
            record = pins.set_pin(user, data["pin"], by=request.user, source=PinSource.ADMIN)
        else:
            record = pins.generate_pin(user, by=request.user)
        return Response(PinSerializer(record).data, status=status.HTTP_201_CREATED)


class PinDetailAPI(PinScopedMixin, generics.GenericAPIView):
    """One user's PIN status (never the PIN); DELETE removes their PIN."""

    serializer_class = PinUserStatusSerializer

    def target(self) -> User:
        return get_object_or_404(self.users(), pk=self.kwargs["user_id"])

    def get(self, request, org_id, user_id):
        user = self.target()
        record = UserPin.objects.filter(user=user, organization=self.organization).select_related("user").first()
        return Response({"user_id": user.pk, "email": user.email, "has_pin": record is not None,
                         "pin": PinSerializer(record).data if record else None})

    @extend_schema(responses={204: None})
    def delete(self, request, org_id, user_id):
        user = self.target()
        pins.delete_pins(self.organization, [user.pk], by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("printer-login/", PrinterLoginConfigurationAPI.as_view(), name="api-printer-login"),
    path("pins/", PinListCreateAPI.as_view(), name="api-pins"),
    path("pins/<int:user_id>/", PinDetailAPI.as_view(), name="api-pin"),
]
