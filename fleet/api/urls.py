"""Fleet Management API under /api/v1/organizations/{org_id}/ (session or token users, through the gate)."""
from django.urls import include, path

from . import agents, printers, tags, tasks

urlpatterns = [
    path("organizations/<uuid:org_id>/", include([
        *printers.urlpatterns,
        *tags.urlpatterns,
        *agents.urlpatterns,
        *tasks.urlpatterns,
    ])),
]
