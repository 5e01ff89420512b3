"""Integration API routes, served at the root (as `<INTEGRATION_SERVICE_URL>` is a host of its own in the
guide) and under the guide's path prefix /cfm/fleetmgmt-integration-service/ (lexcloud/urls.py mounts both)."""
from django.urls import path

from . import views

ROUTES = [
    ("v1.0/assets", views.AssetsView, "assets"),
    ("v1.0/assets/supplies", views.SuppliesView, "supplies"),
    ("v1.0/assets/diagnostics", views.DiagnosticsView, "diagnostics"),
    ("v1.0/assets/alerts", views.AlertsView, "alerts"),
    ("v1.0/assets/counters", views.CountersView, "counters"),
    ("assets/inventory/counters", views.LegacyCountersView, "inventory-counters"),
]
urlpatterns: list = [path(route, view.as_view(), name=name) for route, view, name in ROUTES]
# the same endpoints under the guide's prefix: documented once in OpenAPI (docs/integration-api.md says so)
prefixed_urlpatterns: list = [path(route, view.as_view(schema=None), name=name) for route, view, name in ROUTES]

admin_urlpatterns: list = [
    path("organizations/<uuid:org_id>/integration-access/", views.IntegrationAccessListView.as_view(),
         name="integration-access"),
]
