"""Badges API under /api/v1/organizations/{org_id}/: list (exact search by e-mail or badge ID), register,
read, delete, and the badge/PIN CSV import (spec A §22, C §19, §21). Badge ids of other organizations → 404."""
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied as DRFPermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from ..gate import OrgScopedAPIMixin
from ..models import Badge
from ..roles import Perm
from ..services import badge_import
from ..services import badges as badge_services


class BadgeSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Badge
        fields = ["id", "user_id", "email", "badge_id", "description", "temporary", "registered_at", "expires_at",
                  "last_used_at"]
        read_only_fields = fields


class BadgeCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="The user's email address must already exist in the organization.")
    badge_id = serializers.CharField(max_length=badge_services.BADGE_ID_MAX, trim_whitespace=True)
    description = serializers.CharField(max_length=badge_services.DESCRIPTION_MAX, required=False, allow_blank=True,
                                        default="")
    temporary = serializers.BooleanField(default=False, help_text="Temporary badges expire after 24 hours.")


class BadgeImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or TXT file, at most 1MB, header " + badge_import.HEADER_LINE
                                           + " (any column order)")


class BadgeImportResultSerializer(serializers.Serializer):
    total_rows = serializers.IntegerField()
    imported_rows = serializers.IntegerField()
    badges_created = serializers.IntegerField()
    badges_deleted = serializers.IntegerField()
    pins_set = serializers.IntegerField()
    pins_generated = serializers.IntegerField()
    pins_deleted = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField(), help_text="[{line, email, reason}]")


def _errors(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        body = {field: [str(m) for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    else:
        body = {}
    body["detail"] = " ".join(exc.messages)
    return body


class BadgeListView(OrgScopedAPIMixin, generics.ListCreateAPIView):
    """GET: the organization's valid badges (`email` or `badge_id`: exact match). POST: register a badge."""

    permission = Perm.BADGES_VIEW
    write_permission = Perm.BADGES_MANAGE
    serializer_class = BadgeSerializer
    filter_backends: list = []

    def get_queryset(self):
        badges = self.scoped(badge_services.valid_badges().select_related("user")).order_by("-registered_at", "id")
        email = self.request.query_params.get("email", "").strip().lower()
        badge_id = self.request.query_params.get("badge_id", "").strip()
        if email:
            badges = badges.filter(user__email=email)
        if badge_id:
            badges = badges.filter(badge_id=badge_id)
        return badges

    @extend_schema(parameters=[OpenApiParameter("email", str, description="Complete e-mail address"),
                               OpenApiParameter("badge_id", str, description="Complete badge ID")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=BadgeCreateSerializer, responses={201: BadgeSerializer})
    def post(self, request, *args, **kwargs):
        body = BadgeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            badge = badge_services.register_badge_for_email(
                self.organization, data["email"], data["badge_id"], description=data["description"],
                temporary=data["temporary"], by=request.user)
        except DjangoValidationError as exc:
            return Response(_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        except PermissionDenied as exc:
            raise DRFPermissionDenied(str(exc)) from None
        return Response(BadgeSerializer(badge).data, status=status.HTTP_201_CREATED)


class BadgeDetailView(OrgScopedAPIMixin, generics.RetrieveDestroyAPIView):
    """GET one badge; DELETE it (204)."""

    permission = Perm.BADGES_VIEW
    write_permission = Perm.BADGES_MANAGE
    serializer_class = BadgeSerializer
    lookup_url_kwarg = "badge_id"

    def get_queryset(self):
        return self.scoped(Badge.objects.select_related("user"))

    def destroy(self, request, *args, **kwargs):
        badge = self.get_object()
        try:
            badge_services.delete_badges(self.organization, [badge.pk], by=request.user)
        except DjangoValidationError as exc:
            return Response(_errors(exc), status=status.HTTP_400_BAD_REQUEST)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BadgeImportView(OrgScopedAPIMixin, APIView):
    """POST (multipart `file`): apply a badge/PIN file now → 200 with the result; bad lines are listed with
    their line numbers and change nothing. A bad file (size, encoding, header) → 400."""

    permission = Perm.BADGES_MANAGE
    write_permission = Perm.BADGES_MANAGE
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": BadgeImportSerializer}, responses={200: BadgeImportResultSerializer})
    def post(self, request, org_id):
        upload = BadgeImportSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            raw = badge_import.read_upload(upload.validated_data["file"])
            result = badge_import.import_badges(self.organization, raw, by=request.user)
        except DjangoValidationError as exc:
            return Response({"file": exc.messages, "detail": " ".join(exc.messages)},
                            status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict(), status=status.HTTP_200_OK)


urlpatterns = [
    path("badges/", BadgeListView.as_view(), name="api-badges"),
    path("badges/<int:badge_id>/", BadgeDetailView.as_view(), name="api-badge"),
    path("badge-imports/", BadgeImportView.as_view(), name="api-badge-imports"),
]
