"""Dashboards API: the caller's own dashboards and cards (/api/v1/dashboards/...) and the card types they
may add (/api/v1/card-types/). Other users' dashboards and cards answer 404; refused limits answer 400."""
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access
from ..models import Card, Dashboard
from ..roles import Perm
from ..services import dashboards as services


class DashboardSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100)
    columns = serializers.IntegerField(min_value=services.MIN_COLUMNS, max_value=services.MAX_COLUMNS, required=False)
    is_default = serializers.BooleanField(required=False)

    class Meta:
        model = Dashboard
        fields = ["id", "name", "is_default", "columns", "created_at"]
        read_only_fields = ["id", "created_at"]


class CardSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    organization = serializers.UUIDField(source="organization_id", required=False, allow_null=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True, default=None)

    class Meta:
        model = Card
        fields = ["id", "card_type", "name", "position", "hidden", "organization", "organization_name"]
        read_only_fields = ["id"]


class OwnDashboardMixin:
    """Every row is the caller's own: querysets filtered by request.user."""

    permission = Perm.OWN_ACCOUNT

    def dashboards(self):
        return Dashboard.objects.filter(user=self.request.user)

    def get_dashboard(self) -> Dashboard:
        dashboard = get_object_or_404(self.dashboards(), pk=self.kwargs["dashboard_id"])
        dashboard.user = self.request.user
        return dashboard


class DashboardListView(OwnDashboardMixin, generics.ListCreateAPIView):
    serializer_class = DashboardSerializer
    filter_backends: list = []

    def get_queryset(self):
        services.ensure_default_dashboard(self.request.user)
        return self.dashboards()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dashboard = services.create_dashboard(request.user, serializer.validated_data["name"])
        if "columns" in serializer.validated_data:
            services.set_columns(dashboard, serializer.validated_data["columns"])
        if serializer.validated_data.get("is_default"):
            services.set_default_dashboard(dashboard)
        return Response(DashboardSerializer(dashboard).data, status=status.HTTP_201_CREATED)


class DashboardDetailView(OwnDashboardMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = DashboardSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        return self.get_dashboard()

    def update(self, request, *args, **kwargs):
        dashboard = self.get_object()
        serializer = self.get_serializer(dashboard, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data.get("is_default") is False and dashboard.is_default:
            raise ValidationError({"detail": "Set another dashboard as default instead."})
        if "name" in data and data["name"] != dashboard.name:
            services.rename_dashboard(dashboard, data["name"])
        if "columns" in data:
            services.set_columns(dashboard, data["columns"])
        if data.get("is_default"):
            services.set_default_dashboard(dashboard)
        return Response(DashboardSerializer(dashboard).data)

    def destroy(self, request, *args, **kwargs):
        services.delete_dashboard(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardListView(OwnDashboardMixin, generics.ListCreateAPIView):
    serializer_class = CardSerializer
    filter_backends: list = []
    pagination_class = None  # at most 24

    def get_queryset(self):
        return Card.objects.filter(dashboard=self.get_dashboard()).select_related("organization")

    def create(self, request, *args, **kwargs):
        dashboard = self.get_dashboard()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = None
        if data.get("organization_id"):
            organization = next((org for org in access.visible_organizations(request.user)
                                 if org.pk == data["organization_id"]), None)
            if organization is None:
                raise ValidationError({"detail": "Select an organization you manage."})
        card = services.add_card(dashboard, data["card_type"], data.get("name", ""), organization)
        return Response(CardSerializer(card).data, status=status.HTTP_201_CREATED)


class CardDetailView(OwnDashboardMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = CardSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        dashboard = self.get_dashboard()
        card = get_object_or_404(Card.objects.select_related("organization"), dashboard=dashboard,
                                 pk=self.kwargs["card_id"])
        card.dashboard = dashboard
        return card

    def update(self, request, *args, **kwargs):
        card = self.get_object()
        unknown = set(request.data) - {"name", "hidden", "position"}
        if unknown:
            raise ValidationError({"detail": f"Only name, hidden and position can change, not {', '.join(sorted(unknown))}."})
        serializer = self.get_serializer(card, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "name" in data:
            services.rename_card(card, data["name"])
        if "hidden" in data:
            services.set_card_hidden(card, data["hidden"])
        if "position" in data:
            services.move_card(card, data["position"])
        return Response(CardSerializer(card).data)

    def destroy(self, request, *args, **kwargs):
        services.remove_card(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class _OrganizationChoiceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class CardTypeSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    service = serializers.CharField()
    organizations = _OrganizationChoiceSerializer(many=True, help_text="Organizations the caller may pick.")


class CardTypesView(APIView):
    """The card types the caller may add, each with the organizations they may pick."""

    permission = Perm.OWN_ACCOUNT

    @extend_schema(responses=CardTypeSerializer(many=True))
    def get(self, request):
        return Response([
            {"key": kind.key, "name": kind.name, "description": kind.description, "service": kind.service,
             "organizations": [{"id": str(org.pk), "name": org.name} for org in orgs]}
            for kind, orgs in services.available_card_types(request.user)
        ])


urlpatterns = [
    path("dashboards/", DashboardListView.as_view(), name="api-dashboards"),
    path("dashboards/<int:dashboard_id>/", DashboardDetailView.as_view(), name="api-dashboard"),
    path("dashboards/<int:dashboard_id>/cards/", CardListView.as_view(), name="api-dashboard-cards"),
    path("dashboards/<int:dashboard_id>/cards/<int:card_id>/", CardDetailView.as_view(), name="api-dashboard-card"),
    path("card-types/", CardTypesView.as_view(), name="api-card-types"),
]
