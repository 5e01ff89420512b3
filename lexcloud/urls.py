"""Top-level URL map. Tenant pages live under /o/<org_id>/<portal>/, tenant APIs under
/api/v1/organizations/<org_id>/; both resolve the organization through accounts.gate."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fleet.api.integration import urls as integration_urls

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/device/v1/", include("accounts.api.device")),
    path("api/client/v1/", include("printmgmt.api.client")),   # print clients (LPMC role): application token
    path("api/device/v1/print/", include("printmgmt.api.release")),
    path("api/v1/", include("fleet.api.urls")),
    path("api/agents/v1/", include("fleet.api.device_urls")),
    path("api/v1/", include("printmgmt.api.urls")),
    path("oauth/", include("accounts.oauth_urls")),
    path("", include("printmgmt.ipp.urls")),   # /ipp/print: IPP print service (HTTP Basic / print token)
    # the Fleet integration API (guide appendix): at the root and under the guide's path prefix
    path("", include((integration_urls.urlpatterns, "integration"))),
    path("cfm/fleetmgmt-integration-service/", include((integration_urls.prefixed_urlpatterns, "integration-cfm"))),
    path("api/v1/", include((integration_urls.admin_urlpatterns, "integration-admin"))),
    path("", include("accounts.urls")),
    path("o/<uuid:org_id>/fleet/", include("fleet.urls")),
    path("o/<uuid:org_id>/print/", include("printmgmt.urls")),
    path("o/<uuid:org_id>/scan/", include("scan.urls")),
    path("o/<uuid:org_id>/analytics/", include("analytics.urls")),
]
