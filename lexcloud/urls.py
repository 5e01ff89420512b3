"""Top-level URL map. Tenant pages live under /o/<org_id>/<portal>/, tenant APIs under
/api/v1/organizations/<org_id>/; both resolve the organization through accounts.gate."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("accounts.api.urls")),
    path("api/device/v1/", include("accounts.api.device")),
    path("api/v1/", include("fleet.api.urls")),
    path("api/agents/v1/", include("fleet.api.device_urls")),
    path("api/v1/", include("printmgmt.api.urls")),
    path("oauth/", include("accounts.oauth_urls")),
    path("", include("accounts.urls")),
    path("o/<uuid:org_id>/fleet/", include("fleet.urls")),
    path("o/<uuid:org_id>/print/", include("printmgmt.urls")),
    path("o/<uuid:org_id>/scan/", include("scan.urls")),
    path("o/<uuid:org_id>/analytics/", include("analytics.urls")),
]
