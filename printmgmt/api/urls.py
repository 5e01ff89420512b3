"""Print Management API under /api/v1/organizations/{org_id}/print/ (session or token users, through the gate)."""
from django.urls import include, path

from .views import (
    DefaultPrintSettingsAPI,
    DelegateDetailAPI,
    DelegateListAPI,
    OrganizationPrintSettingsAPI,
    PrintJobDetailAPI,
    PrintJobHistoryAPI,
    PrintJobListAPI,
)

urlpatterns = [
    path("organizations/<uuid:org_id>/print/", include([
        path("jobs/", PrintJobListAPI.as_view(), name="api-print-jobs"),
        path("jobs/<int:print_job_id>/", PrintJobDetailAPI.as_view(), name="api-print-job"),
        path("default-settings/", DefaultPrintSettingsAPI.as_view(), name="api-print-default-settings"),
        path("delegates/", DelegateListAPI.as_view(), name="api-print-delegates"),
        path("delegates/<int:delegate_id>/", DelegateDetailAPI.as_view(), name="api-print-delegate"),
        path("settings/", OrganizationPrintSettingsAPI.as_view(), name="api-print-settings"),
        path("history/", PrintJobHistoryAPI.as_view(), name="api-print-history"),
    ])),
]
