"""The integration API's endpoints. Thin: authentication (an integration application's bearer token), the
per-application rate limit, paging parameters, then fleet.api.integration.selectors; every call is written
to the access log (fleet.models.IntegrationAccess)."""
import json
import time
import uuid
from datetime import UTC, datetime

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm
from fleet.models import IntegrationAccess

from . import selectors
from . import serializers as out
from .authentication import IntegrationTokenAuthentication, IsIntegrationApplication
from .pagination import DEFAULT_SIZE, MAX_SIZE, PagingError, page_request
from .throttling import ApplicationRateThrottle

try:
    import orjson
except ImportError:  # pragma: no cover - a dependency; the json fallback keeps the API working without it
    orjson = None

TAG = "Fleet integration API"
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           429: "Too Many Requests"}


def error_body(request, code: int, message: str) -> dict:
    """Spring Boot's error body, as the commercial service (a Spring application) answers."""
    return {"timestamp": out.millis(datetime.now(UTC)), "status": code, "error": REASONS.get(code, "Error"),
            "message": message, "path": request.path}


def json_response(data, code: int = 200) -> HttpResponse:
    """Compact UTF-8 JSON straight from the dicts (no renderer pass over a megabyte page): orjson, about ten
    times faster than json on a 200-asset page; json where orjson is missing."""
    body = orjson.dumps(data) if orjson else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, status=code, content_type="application/json")


class IntegrationAPIView(APIView):
    authentication_classes = [IntegrationTokenAuthentication]
    permission_classes = [IsIntegrationApplication]
    throttle_classes = [ApplicationRateThrottle]
    rows = 0

    def initial(self, request, *args, **kwargs):
        self._started = time.perf_counter()
        super().initial(request, *args, **kwargs)

    @property
    def organization(self):
        return self.request.auth.application.organization

    def handle_exception(self, exc):
        """Every refusal as a JSON error body; 401 keeps WWW-Authenticate, 429 Retry-After."""
        response = super().handle_exception(exc)
        if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
            message = "The access token is missing, not valid, expired, or its application has been revoked."
        elif isinstance(exc, exceptions.Throttled):
            message = f"Too many requests for this application; retry in {exc.wait and int(exc.wait)} seconds."
        else:
            detail = getattr(exc, "detail", None)
            message = str(detail) if detail is not None else str(exc)
        response.data = error_body(self.request, response.status_code, message)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        self.log_access(request, response)
        return response

    def log_access(self, request, response) -> None:
        """Who called, when, what, and what they got. Calls without a valid token have no application."""
        token = getattr(request, "_auth", None)  # set by authentication; None when it failed
        application = getattr(token, "application", None)
        if application is None:
            return
        started = getattr(self, "_started", None)
        IntegrationAccess.objects.create(
            organization_id=application.organization_id, application_id=application.pk, at=timezone.now(),
            path=request.path[:255], query=request.META.get("QUERY_STRING", "")[:255], status=response.status_code,
            rows=self.rows if response.status_code == 200 else 0,
            duration_ms=int((time.perf_counter() - started) * 1000) if started else 0)

    def org_ids(self) -> list:
        return selectors.organization_ids(self.organization)


def _example_page(include: frozenset) -> dict:
    """What the endpoint answers for a one-printer fleet, produced by the serializers themselves."""
    when = datetime(2021, 5, 22, 9, 21, 37, 123000, tzinfo=UTC)
    row = {"id": 1, "organization_id": uuid.UUID("bf899e52-b026-46f3-9715-fe54b5dd7637"), "manufacturer": "Lexmark",
           "model_name": "CX825", "serial": "12345SERIALNUMBER", "name": "", "description": "", "created_at": when,
           "modified_at": when, "last_communication": when, "last_data_refresh": when,
           "communication": "communicating", "authenticated": True, "firmware_changed_at": None,
           "ip_address": "127.0.1.60", "host_name": ""}
    asset = out.asset(row)
    if "counters" in include:
        asset["counters"] = out.counters({"lifetimeCount": 30932, "printSideCount": 30464, "totalSideCount": 30914},
                                         when, [{"paperSize": "Letter", "paperType": "Plain", "paperSheetSafeCount": 5370}])
    if "supplies" in include:
        asset["supplies"] = [out.supply((1, "SUPPLYSERIAL4", 80, "Magenta", "Magenta Cartridge", 6000, "Toner",
                                         "Sides", "AUTHENTIC", "Intermediate", 2.872, when, 4.0110497, 11.0, 177,
                                         when, True, None, None), None)]
    if "diagnosticEvents" in include:
        asset["diagnosticEvents"] = [out.diagnostic_event(
            (1, when, "202.03 PAPER JAM: repeated 25 time(s) in 500 pages", "61b25b2cc036774096bbef91",
             "Prescriptive", "CBR01", "202.03", "HC_REP", "%202.03%", when, 505535), row)]
    if "alerts" in include:
        asset["alerts"] = [out.alert((1, "error", "Remove paper from Standard Output Bin"))]
    return out.page_envelope([asset], 0, DEFAULT_SIZE, 1)


PAGING = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Zero-based page number (default 0)."),
    OpenApiParameter("size", OpenApiTypes.INT,
                     description=f"Assets per page: default {DEFAULT_SIZE}, at most {MAX_SIZE} (more answers 400)."),
]
ERRORS = {
    400: OpenApiResponse(out.IntegrationError, description="`page` or `size` is not an integer, or out of range."),
    401: OpenApiResponse(out.IntegrationError, description="No, an unknown or expired token, or a revoked application "
                                                           "(with WWW-Authenticate)."),
    403: OpenApiResponse(out.IntegrationError, description="The token is not an integration application's."),
    429: OpenApiResponse(out.IntegrationError, description="Rate limit of the application; see Retry-After."),
}


class AssetsPageView(IntegrationAPIView):
    """One page of the assets (printers) of the token's organization and its child organizations."""

    include: frozenset = frozenset(out.SUBRESOURCES)
    filters_serial = False

    def get(self, request, *args, **kwargs):
        try:
            paging = page_request(request.query_params)
        except PagingError as exc:
            return Response(error_body(request, 400, str(exc)), status=status.HTTP_400_BAD_REQUEST)
        serial = request.query_params.get("serialNumber") if self.filters_serial else None
        content, total = selectors.assets_page(self.org_ids(), self.include, paging.number, paging.size, serial)
        self.rows = len(content)
        return json_response(out.page_envelope(content, paging.number, paging.size, total))


def _page_view(name: str, include: frozenset, summary: str, description: str, *, filters_serial=False):
    """An endpoint class of the v1.0 family, with its OpenAPI description and example."""
    parameters = list(PAGING)
    if filters_serial:
        parameters.append(OpenApiParameter("serialNumber", OpenApiTypes.STR,
                                           description="Only the asset with this serial number (the guide's "
                                                       "\"optional parameter to return all data for a single "
                                                       "serial number\")."))
    page = out.page_serializer(name, include)

    def get(self, request, *args, **kwargs):
        return AssetsPageView.get(self, request, *args, **kwargs)

    view = type(f"{name}View", (AssetsPageView,), {"include": include, "filters_serial": filters_serial, "get": get})
    view.get = extend_schema(
        tags=[TAG], operation_id=f"integration_{name[0].lower()}{name[1:]}", summary=summary,
        description=description, parameters=parameters, responses={200: page, **ERRORS},
        examples=[OpenApiExample(summary, value=_example_page(include), response_only=True, status_codes=["200"])],
    )(view.get)
    return view


AssetsView = _page_view("Assets", frozenset(out.SUBRESOURCES), "Retrieve Assets",
                        "All data for a page of assets: counters, diagnostic events, supplies and alerts.",
                        filters_serial=True)
SuppliesView = _page_view("AssetSupplies", frozenset({"supplies"}), "Retrieve Asset Supplies",
                          "Supplies data for a page of assets (`counters` null, other arrays empty).")
DiagnosticsView = _page_view("AssetDiagnostics", frozenset({"diagnosticEvents"}), "Retrieve Asset Diagnostics",
                             "Diagnostic events for a page of assets (`counters` null, other arrays empty).")
AlertsView = _page_view("AssetAlerts", frozenset({"alerts"}), "Retrieve Asset Alerts",
                        "Open alerts for a page of assets (`counters` null, other arrays empty).")
CountersView = _page_view("AssetCounters", frozenset({"counters"}), "Retrieve Asset Counters (v1.0)",
                          "Counters for a page of assets (other arrays empty).")


class LegacyCountersView(IntegrationAPIView):
    @extend_schema(
        tags=[TAG], operation_id="integration_inventoryCounters", deprecated=True,
        summary="Retrieve Asset Counters (deprecated)",
        description="Every asset of the organization and its child organizations, unpaged, with only the counters "
                    "the printer reports (35 known counters). Deprecated by the v1.0 endpoints.",
        responses={200: out.IntegrationLegacyAsset(many=True), 401: ERRORS[401], 403: ERRORS[403], 429: ERRORS[429]},
        examples=[OpenApiExample("Retrieve Asset Counters", response_only=True, status_codes=["200"], value=[
            {"serialNumber": "29", "dateCollected": 1557259523000,
             "counters": {"lifetimeCount": 139, "monoPrintSideCount": 139, "printSideCount": 139,
                          "printSheetCount": 136, "copySideCount": 0, "monoSideCount": 139, "totalSideCount": 139,
                          "totalSheetCount": 136, "duplexSheetCount": 3}},
            {"serialNumber": "36", "dateCollected": None, "counters": {}}])])
    def get(self, request, *args, **kwargs):
        data = selectors.legacy_counters(self.org_ids())
        self.rows = len(data)
        return json_response(data)


# --- the access log, for the organization's administrators -------------------------------------------------------

class IntegrationAccessSerializer(serializers.ModelSerializer):
    application_name = serializers.CharField(source="application.name", default=None, read_only=True)

    class Meta:
        model = IntegrationAccess
        fields = ["id", "application", "application_name", "at", "path", "query", "status", "rows", "duration_ms"]
        read_only_fields = fields


class IntegrationAccessListView(OrgScopedAPIMixin, ListAPIView):
    """`GET /api/v1/organizations/{org_id}/integration-access/`: the integration API calls of the organization's
    applications, newest first (`?application=<id>` for one application). Who may see the Applications tab may
    see this."""

    permission = Perm.APPLICATIONS_VIEW
    serializer_class = IntegrationAccessSerializer
    queryset = IntegrationAccess.objects.none()
    filter_backends: list = []

    @extend_schema(tags=[TAG], operation_id="integration_access_log", summary="Integration API access log",
                   parameters=[OpenApiParameter("application", OpenApiTypes.INT, description="Only this application.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        rows = self.scoped(IntegrationAccess.objects.select_related("application"))
        application = self.request.query_params.get("application", "")
        if application.isdigit():
            rows = rows.filter(application_id=int(application))
        return rows
