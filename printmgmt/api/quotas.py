"""/api/v1/organizations/{org_id}/print/quotas/...: quota definitions (the Default Quota among them), quota
assignments and User Quota Status (JSON, or CSV under status/export/). Print Release Management Administrators
only; every change goes through printmgmt.services.quotas, which refuses them while quotas are off."""
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.views import APIView

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm
from lexcloud.csvexport import stream_csv

from ..choices import AssignmentType, QuotaColor, QuotaStatus, QuotaTotal
from ..models import QuotaAssignment, QuotaDefinition
from ..models.quotas import EVERY_MONTH
from ..services import quotas as quota_services


class QuotaLimitSerializer(serializers.Serializer):
    month = serializers.IntegerField(min_value=0, max_value=12, default=EVERY_MONTH,
                                     help_text="0 = every month (Same limits for each month), else 1-12.")
    total = serializers.ChoiceField(choices=QuotaTotal.choices)
    total_limit = serializers.IntegerField(required=False, allow_null=True, help_text="Pages, with total=custom.")
    color = serializers.ChoiceField(choices=QuotaColor.choices, default=QuotaColor.ALLOW)
    color_limit = serializers.IntegerField(required=False, allow_null=True, help_text="Pages, with color=custom.")


class QuotaDefinitionSerializer(serializers.ModelSerializer):
    limits = QuotaLimitSerializer(many=True)
    same_every_month = serializers.BooleanField(default=True)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    assignment_count = serializers.SerializerMethodField()

    class Meta:
        model = QuotaDefinition
        fields = ["id", "name", "is_default", "same_every_month", "limits", "assignment_count", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "is_default", "created_at", "updated_at"]

    def get_assignment_count(self, row) -> int:
        # the list annotates the count: a definition with no assignment (0) must not query again
        counted = getattr(row, "assignment_count", None)
        return row.assignments.count() if counted is None else counted

    def to_representation(self, row):
        data = super().to_representation(row)
        data["limits"] = [QuotaLimitSerializer(limit).data for limit in row.limits.all()]
        return data


def _limits(validated) -> dict:
    return {item["month"]: {k: item.get(k) for k in ("total", "total_limit", "color", "color_limit")}
            for item in validated}


class QuotaAssignmentSerializer(serializers.ModelSerializer):
    target = serializers.CharField(max_length=254, help_text="Cost center or department name, or the user's e-mail.")
    definition = serializers.IntegerField(source="definition_id", help_text="Quota definition id.")
    definition_name = serializers.CharField(source="definition.name", read_only=True)
    kind = serializers.ChoiceField(choices=AssignmentType.choices)

    class Meta:
        model = QuotaAssignment
        fields = ["id", "kind", "target", "definition", "definition_name", "created_at"]
        read_only_fields = ["id", "created_at"]


class QuotaStatusSerializer(serializers.Serializer):
    user = serializers.EmailField(source="email")
    user_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=QuotaStatus.choices)
    total_remaining = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    color_remaining = serializers.IntegerField(allow_null=True, help_text="null = unlimited")
    color_allowed = serializers.BooleanField()
    quota_definition = serializers.CharField(source="definition")
    quota_definition_id = serializers.IntegerField(source="definition_id")
    type = serializers.CharField(source="kind")


class QuotaAPIMixin(OrgScopedAPIMixin):
    permission = Perm.PRINT_ADMIN


class QuotaDefinitionListAPI(QuotaAPIMixin, generics.ListCreateAPIView):
    """Quota definitions, the Default Quota first; POST creates one (limits: one item with month 0 for the same
    limits each month, or items for months 1-12)."""

    serializer_class = QuotaDefinitionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuotaDefinition.objects.none()
        return quota_services.definitions(self.organization)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = quota_services.create_definition(
            self.organization, data.get("name", ""), same_every_month=data["same_every_month"],
            limits=_limits(data["limits"]), by=self.request.user)


class QuotaDefinitionDetailAPI(QuotaAPIMixin, generics.RetrieveUpdateDestroyAPIView):
    """One definition: PUT/PATCH replaces its name and limits (the Default Quota keeps its name), DELETE removes
    it with its assignments (not the Default Quota)."""

    serializer_class = QuotaDefinitionSerializer
    lookup_url_kwarg = "quota_definition_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuotaDefinition.objects.none()
        return self.scoped(QuotaDefinition.objects.prefetch_related("limits"))

    def perform_update(self, serializer):
        row, data = serializer.instance, serializer.validated_data
        limits = (_limits(data["limits"]) if "limits" in data
                  else {limit.month: {k: getattr(limit, k) for k in ("total", "total_limit", "color", "color_limit")}
                        for limit in row.limits.all()})
        serializer.instance = quota_services.update_definition(
            row, name=data.get("name", row.name), same_every_month=data.get("same_every_month", row.same_every_month),
            limits=limits, by=self.request.user)

    def perform_destroy(self, instance):
        quota_services.delete_definition(instance, by=self.request.user)


class QuotaAssignmentListAPI(QuotaAPIMixin, generics.ListCreateAPIView):
    """Quota assignments (?kind=cost_center|department|personal); POST assigns a definition to a cost center,
    department or user (again: replaces it)."""

    serializer_class = QuotaAssignmentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuotaAssignment.objects.none()
        kind = self.request.query_params.get("kind", "")
        return quota_services.assignments(self.organization, kind=kind if kind in AssignmentType.values else None)

    @extend_schema(parameters=[OpenApiParameter("kind", OpenApiTypes.STR, enum=AssignmentType.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        definition = QuotaDefinition.objects.filter(organization=self.organization,
                                                    pk=data["definition_id"]).first()
        serializer.instance = quota_services.assign_quota(self.organization, data["kind"], data["target"],
                                                          definition, by=self.request.user)


class QuotaAssignmentDetailAPI(QuotaAPIMixin, generics.RetrieveDestroyAPIView):
    serializer_class = QuotaAssignmentSerializer
    lookup_url_kwarg = "quota_assignment_id"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuotaAssignment.objects.none()
        return self.scoped(QuotaAssignment.objects.select_related("definition", "user"))

    def perform_destroy(self, instance):
        quota_services.remove_assignments(self.organization, [instance.pk], by=self.request.user)


STATUS_PARAMS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=QuotaStatus.values),
    OpenApiParameter("definition", OpenApiTypes.INT, description="Quota definition id."),
    OpenApiParameter("type", OpenApiTypes.STR, enum=[*AssignmentType.values, quota_services.DEFAULT_KIND]),
]


class StatusRowsMixin(QuotaAPIMixin):
    def status_rows(self):
        params = self.request.query_params
        wanted = params.get("status", "")
        kind = params.get("type", "")
        definition = params.get("definition", "")
        errors = {}
        if wanted and wanted not in QuotaStatus.values:
            errors["status"] = [f"One of {', '.join(QuotaStatus.values)}."]
        if kind and kind not in (*AssignmentType.values, quota_services.DEFAULT_KIND):
            errors["type"] = ["One of cost_center, department, personal, default."]
        if definition and not definition.isdigit():
            errors["definition"] = ["A quota definition id."]
        if errors:
            raise serializers.ValidationError(errors)
        return quota_services.user_quota_status(self.organization, status=wanted, kind=kind,
                                                definition=definition or None)


class QuotaStatusAPI(StatusRowsMixin, generics.ListAPIView):
    """User Quota Status for this month: one row per user, filtered by status, definition and type."""

    serializer_class = QuotaStatusSerializer
    filter_backends: list = []

    def get_queryset(self):
        return [] if getattr(self, "swagger_fake_view", False) else self.status_rows()

    @extend_schema(parameters=STATUS_PARAMS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class QuotaStatusExportAPI(StatusRowsMixin, APIView):
    """The same rows as CSV (the table's export icon): User, Status, Total Quota Remaining, Color Quota
    Remaining, Quota Definition, Type."""

    @extend_schema(parameters=STATUS_PARAMS, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, org_id):
        return stream_csv(*quota_services.status_csv(self.status_rows()))


urlpatterns = [
    path("definitions/", QuotaDefinitionListAPI.as_view(), name="api-print-quota-definitions"),
    path("definitions/<int:quota_definition_id>/", QuotaDefinitionDetailAPI.as_view(),
         name="api-print-quota-definition"),
    path("assignments/", QuotaAssignmentListAPI.as_view(), name="api-print-quota-assignments"),
    path("assignments/<int:quota_assignment_id>/", QuotaAssignmentDetailAPI.as_view(),
         name="api-print-quota-assignment"),
    path("status/", QuotaStatusAPI.as_view(), name="api-print-quota-status"),
    path("status/export/", QuotaStatusExportAPI.as_view(), name="api-print-quota-status-export"),
]
