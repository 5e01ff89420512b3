"""Print Management API under /api/v1/organizations/{org_id}/print/ (session or token users, through the gate)."""
from django.urls import include, path

from . import policies, quotas
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
        path("quotas/", include(quotas.urlpatterns)),
        path("policies/", policies.PolicyListAPI.as_view(), name="api-print-policies"),
        path("policies/<int:policy_id>/", policies.PolicyDetailAPI.as_view(), name="api-print-policy"),
        path("policies/<int:policy_id>/duplicate/", policies.PolicyDuplicateAPI.as_view(),
             name="api-print-policy-duplicate"),
        path("policies/assignments/", policies.PolicyAssignmentListAPI.as_view(),
             name="api-print-policy-assignments"),
        path("policies/assignments/<int:policy_assignment_id>/", policies.PolicyAssignmentDetailAPI.as_view(),
             name="api-print-policy-assignment"),
    ])),
]
