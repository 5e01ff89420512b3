"""/api/v1/organizations/{org_id}/fleet/...: the printers list (the Printers page's filters, search and sort,
paginated) and details, the views of the Printers page and filter groups. Thin: the gate and validation
here, the reads in fleet.selectors / fleet.filters, every change in fleet.services.views."""
from collections import defaultdict

from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm
from lexcloud.api import Pagination

from ..choices import AgentType, AlertSeverity, Communication, Status
from ..columns import COLUMNS, IDENTIFIERS
from ..filters import FILTER_KEYS, PrinterFilterSet
from ..models import Alert, FilterGroup, Printer, PrinterView, Supply, Tag
from ..selectors import CountedPaginator
from ..services import views as view_services

TAG = "Fleet printers"


def time_format():
    """A function rendering aware datetimes as DRF does ("...Z" for UTC, else the current time zone's offset),
    without DRF's per-call field machinery (three per printer row). The database gives UTC: with the current
    time zone UTC too, no conversion at all."""
    utc = timezone.get_current_timezone_name() == "UTC"

    def render(value):
        if not value:
            return None
        text = (value if utc and not value.utcoffset() else timezone.localtime(value)).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return render


# --- printers ---------------------------------------------------------------------------------------------

class TagRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["id", "name"]


LIST_FIELDS = ("id", "organization_id", "agent_id", "serial", "ip_address", "host_name", "name", "model_name",
               "manufacturer", "mac_address", "location", "contact", "asset_tag", "agent_type", "communication",
               "status", "status_text", "firmware", "esf_version", "firmware_update_available",
               "last_communication", "last_data_refresh", "enrolled_at", "printer_alerts", "supply_alerts",
               "worst_severity", "lowest_supply")


class PrinterSerializer(serializers.ModelSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    agent = serializers.IntegerField(source="agent_id", read_only=True, allow_null=True)
    agent_type = serializers.ChoiceField(choices=AgentType.choices, allow_blank=True, read_only=True)
    communication = serializers.ChoiceField(choices=Communication.choices, read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    tags = TagRefSerializer(many=True, read_only=True)
    printer_alerts = serializers.IntegerField(read_only=True, help_text="Open printer alerts.")
    supply_alerts = serializers.IntegerField(read_only=True, help_text="Open supply alerts.")
    worst_severity = serializers.CharField(read_only=True, help_text="Of the open alerts: error, warning, info or \"\".")
    lowest_supply = serializers.IntegerField(read_only=True, allow_null=True, help_text="Lowest toner level, percent.")

    class Meta:
        model = Printer
        fields = ["id", "organization", "agent", "serial", "ip_address", "host_name", "name", "model_name",
                  "manufacturer", "mac_address", "location", "contact", "asset_tag", "agent_type", "communication",
                  "status", "status_text", "firmware", "esf_version", "firmware_update_available",
                  "last_communication", "last_data_refresh", "enrolled_at", "printer_alerts", "supply_alerts",
                  "worst_severity", "lowest_supply", "tags"]
        read_only_fields = fields

    def to_representation(self, p):
        """One printer as the declared fields (the detail endpoint; the list builds rows from values())."""
        row = {field: getattr(p, field) for field in LIST_FIELDS}
        return printer_row(row, [{"id": t.pk, "name": t.name} for t in p.tags.all()], time_format())


def printer_row(row: dict, tags: list, when) -> dict:
    """The JSON of one printer from a values() row: built directly, since it runs for every row of a page
    of up to 500 printers and DRF's per-field machinery was most of that endpoint's time."""
    return {
        "id": row["id"], "organization": str(row["organization_id"]), "agent": row["agent_id"],
        "serial": row["serial"], "ip_address": row["ip_address"], "host_name": row["host_name"], "name": row["name"],
        "model_name": row["model_name"], "manufacturer": row["manufacturer"], "mac_address": row["mac_address"],
        "location": row["location"], "contact": row["contact"], "asset_tag": row["asset_tag"],
        "agent_type": row["agent_type"], "communication": row["communication"], "status": row["status"],
        "status_text": row["status_text"], "firmware": row["firmware"], "esf_version": row["esf_version"],
        "firmware_update_available": row["firmware_update_available"],
        "last_communication": when(row["last_communication"]), "last_data_refresh": when(row["last_data_refresh"]),
        "enrolled_at": when(row["enrolled_at"]), "printer_alerts": row["printer_alerts"],
        "supply_alerts": row["supply_alerts"], "worst_severity": row["worst_severity"],
        "lowest_supply": row["lowest_supply"], "tags": tags,
    }


class SupplySerializer(serializers.ModelSerializer):
    class Meta:
        model = Supply
        fields = ["key", "description", "type", "color", "level", "level_state", "capacity", "unit", "status",
                  "serial", "coverage", "lifetime_coverage", "sides", "installed_at", "genuine", "days_to_replace",
                  "updated_at"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    severity = serializers.ChoiceField(choices=AlertSeverity.choices, read_only=True)

    class Meta:
        model = Alert
        fields = ["key", "severity", "description", "code", "group", "supply", "opened_at"]
        read_only_fields = fields


class PrinterDetailSerializer(PrinterSerializer):
    supplies = SupplySerializer(many=True, read_only=True)
    alerts = AlertSerializer(many=True, read_only=True, source="open_alerts", help_text="Open alerts.")
    counters = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                     help_text="The latest counter values, by the integration API's counter names.")

    class Meta(PrinterSerializer.Meta):
        fields = [*PrinterSerializer.Meta.fields, "description", "counters", "counters_at", "last_restart",
                  "supplies", "alerts"]
        read_only_fields = fields

    to_representation = serializers.ModelSerializer.to_representation   # one printer: the declared fields


class PrinterScopedMixin(OrgScopedAPIMixin):
    permission = Perm.FLEET_VIEW

    def printers(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request organization
            return Printer.objects.none()
        return self.scoped(Printer.objects.all()).enrolled()


class PrinterPagination(Pagination):
    django_paginator_class = CountedPaginator


@extend_schema_view(get=extend_schema(tags=[TAG]))
class PrinterListAPI(PrinterScopedMixin, generics.ListAPIView):
    """Enrolled printers of the organization, with the Printers page's filters (communication, agent_type,
    model, tag, supply_alerts, printer_alerts, firmware_update, status, supply_below), search (`q`: IP,
    serial, host name, name, model, asset tag) and `sort` (a column key, `-` for descending). Paginated:
    `page`, `page_size` (up to 500)."""

    serializer_class = PrinterSerializer
    pagination_class = PrinterPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = PrinterFilterSet

    def get_queryset(self):
        return self.printers().order_by("ip_address", "pk")

    def filter_queryset(self, queryset):
        """The listing's filters; none asked for (the common case), no FilterSet to build."""
        if not any(name in self.request.query_params for name in PrinterFilterSet.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()).values(*LIST_FIELDS))
        tags = defaultdict(list)
        for printer_id, tag_id, name in (Printer.tags.through.objects.filter(printer_id__in=[r["id"] for r in page])
                                         .order_by("tag__name").values_list("printer_id", "tag_id", "tag__name")):
            tags[printer_id].append({"id": tag_id, "name": name})
        when = time_format()
        return self.get_paginated_response([printer_row(row, tags[row["id"]], when) for row in page])


@extend_schema_view(get=extend_schema(tags=[TAG]))
class PrinterDetailAPI(PrinterScopedMixin, generics.RetrieveAPIView):
    """One printer: identity, state, supplies, open alerts and the latest counters."""

    serializer_class = PrinterDetailSerializer
    lookup_url_kwarg = "printer_id"

    def get_queryset(self):
        return self.printers().defer("access_credentials", "counter_state").prefetch_related(
            Prefetch("tags", queryset=Tag.objects.only("id", "name").order_by("name")),
            Prefetch("supplies", queryset=Supply.objects.order_by("key")),
            Prefetch("alerts", queryset=Alert.objects.filter(cleared_at__isnull=True).order_by("-opened_at"),
                     to_attr="open_alerts"))


# --- views ------------------------------------------------------------------------------------------------

class PrinterViewSerializer(serializers.ModelSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True, allow_null=True,
                                         help_text="The organization that owns the view; null for system views.")
    identifier = serializers.ChoiceField(choices=list(IDENTIFIERS.items()), default="ip_address",
                                         help_text="Column 1 (printer identification).")
    columns = serializers.ListField(child=serializers.ChoiceField(choices=[(c.key, c.label) for c in COLUMNS.values()]),
                                    allow_empty=False, help_text="Column keys, in order.")
    is_system = serializers.BooleanField(read_only=True)
    is_default = serializers.BooleanField(read_only=True, default=False,
                                          help_text="The caller's default view in this organization.")
    make_default = serializers.BooleanField(write_only=True, required=False, default=True,
                                            help_text="Create only: make the new view the caller's default.")

    class Meta:
        model = PrinterView
        fields = ["id", "name", "identifier", "columns", "organization", "system_key", "is_system", "is_default",
                  "make_default", "created_at"]
        read_only_fields = ["id", "organization", "system_key", "is_system", "is_default", "created_at"]
        extra_kwargs = {"name": {"validators": []}}   # uniqueness: fleet.services.views, across the lineage


class ViewScopedMixin(OrgScopedAPIMixin):
    permission = Perm.FLEET_VIEW
    write_permission = Perm.FLEET_MANAGE
    serializer_class = PrinterViewSerializer

    def usable(self):
        """(views the caller may use here, the current default), each view with is_default."""
        return view_services.views_for(self.request.user, self.organization)

    def get_view(self) -> PrinterView:
        views, _current = self.usable()
        for view in views:
            if str(view.pk) == str(self.kwargs["view_id"]):
                return view
        raise NotFound("No such view.")

    def http_method_not_allowed(self, request, *args, **kwargs):
        if "view_id" in self.kwargs:
            self.get_view()
        return super().http_method_not_allowed(request, *args, **kwargs)


class PrinterViewListAPI(ViewScopedMixin, APIView):
    """The views of the Printers page the caller may use here (a Fleet Management Viewer: Standard only),
    or create a custom view (shared with the organizations below this one)."""

    @extend_schema(tags=[TAG], responses=PrinterViewSerializer(many=True))
    def get(self, request, org_id):
        views, _current = self.usable()
        return Response(PrinterViewSerializer(views, many=True).data)

    @extend_schema(tags=[TAG], request=PrinterViewSerializer, responses={201: PrinterViewSerializer})
    def post(self, request, org_id):
        body = PrinterViewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        view = view_services.create_view(self.organization, name=data["name"], identifier=data["identifier"],
                                         columns=data["columns"], by=request.user, make_default=data["make_default"])
        view.is_default = data["make_default"]
        return Response(PrinterViewSerializer(view).data, status=status.HTTP_201_CREATED)


class PrinterViewDetailAPI(ViewScopedMixin, APIView):
    """One view. PATCH and DELETE only for the organization's own custom views (400 for system views:
    "You cannot edit system-generated views." / "You cannot delete system-generated views.")."""

    @extend_schema(tags=[TAG], responses=PrinterViewSerializer)
    def get(self, request, org_id, view_id):
        return Response(PrinterViewSerializer(self.get_view()).data)

    @extend_schema(tags=[TAG], request=PrinterViewSerializer(partial=True), responses=PrinterViewSerializer)
    def patch(self, request, org_id, view_id):
        view = self.get_view()
        body = PrinterViewSerializer(view, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        view = view_services.update_view(self.organization, view, name=data.get("name", view.name),
                                         identifier=data.get("identifier", view.identifier),
                                         columns=data.get("columns", view.columns), by=request.user)
        return Response(PrinterViewSerializer(view).data)

    @extend_schema(tags=[TAG], responses={204: None})
    def delete(self, request, org_id, view_id):
        view = self.get_view()
        view_services.delete_views(self.organization, [view.pk], by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PrinterViewSelectAPI(ViewScopedMixin, APIView):
    """Make the view the caller's default view in this organization (a Viewer: the Standard view only)."""

    write_permission = Perm.FLEET_VIEW

    @extend_schema(tags=[TAG], request=None, responses=PrinterViewSerializer)
    def post(self, request, org_id, view_id):
        view = view_services.select_view(request.user, self.organization, self.get_view())
        view.is_default = True
        return Response(PrinterViewSerializer(view).data)


# --- filter groups ----------------------------------------------------------------------------------------

class FilterGroupSerializer(serializers.ModelSerializer):
    filters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=f"Listing filters by name ({', '.join(FILTER_KEYS)}), each a list of values, e.g. "
                  "{\"communication\": [\"not_communicating\"], \"tag\": [\"3\"]}.")

    class Meta:
        model = FilterGroup
        fields = ["id", "name", "filters", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"name": {"validators": []}}


class FilterGroupScopedMixin(OrgScopedAPIMixin):
    permission = Perm.FLEET_VIEW
    write_permission = Perm.FLEET_MANAGE
    serializer_class = FilterGroupSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FilterGroup.objects.none()
        return self.scoped(FilterGroup.objects.all()).order_by("name")


@extend_schema_view(get=extend_schema(tags=[TAG]), post=extend_schema(tags=[TAG]))
class FilterGroupListAPI(FilterGroupScopedMixin, generics.ListCreateAPIView):
    """Filter groups of the organization (saved filters of the Printers page), or save one."""

    pagination_class = None

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = view_services.save_filter_group(self.organization, name=data["name"],
                                                              filters=data["filters"], by=self.request.user)


@extend_schema_view(get=extend_schema(tags=[TAG]), patch=extend_schema(tags=[TAG]), delete=extend_schema(tags=[TAG]))
class FilterGroupDetailAPI(FilterGroupScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    """One filter group: rename it or replace its filters (PATCH), or delete it."""

    lookup_url_kwarg = "filter_group_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        group, data = serializer.instance, serializer.validated_data
        serializer.instance = view_services.save_filter_group(
            self.organization, name=data.get("name", group.name), filters=data.get("filters", group.filters),
            by=self.request.user, group=group)

    def perform_destroy(self, instance):
        view_services.delete_filter_group(instance)


urlpatterns = [
    path("fleet/printers/", PrinterListAPI.as_view(), name="api-fleet-printers"),
    path("fleet/printers/<int:printer_id>/", PrinterDetailAPI.as_view(), name="api-fleet-printer"),
    path("fleet/printer-views/", PrinterViewListAPI.as_view(), name="api-fleet-printer-views"),
    path("fleet/printer-views/<int:view_id>/", PrinterViewDetailAPI.as_view(), name="api-fleet-printer-view"),
    path("fleet/printer-views/<int:view_id>/select/", PrinterViewSelectAPI.as_view(),
         name="api-fleet-printer-view-select"),
    path("fleet/filter-groups/", FilterGroupListAPI.as_view(), name="api-fleet-filter-groups"),
    path("fleet/filter-groups/<int:filter_group_id>/", FilterGroupDetailAPI.as_view(), name="api-fleet-filter-group"),
]
