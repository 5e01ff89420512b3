"""/api/v1/ routes. Tenant resources are nested under organizations/{org_id}/."""
from django.urls import include, path

from . import applications, badges, dashboards, groups, imports, organizations, printer_login, roles, users

org_routes = [
    *organizations.org_urlpatterns,
    *users.urlpatterns,
    *imports.urlpatterns,
    *groups.urlpatterns,
    *roles.urlpatterns,
    *printer_login.urlpatterns,
    *badges.urlpatterns,
    *applications.urlpatterns,
]

urlpatterns = [
    *organizations.urlpatterns,
    *users.me_urlpatterns,
    *dashboards.urlpatterns,
    path("organizations/<uuid:org_id>/", include(org_routes)),
]
