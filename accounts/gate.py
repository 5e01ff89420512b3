"""The organization gate as view plumbing: every UI view and API endpoint that touches tenant data
declares `permission` and gets `self.organization` from the `org_id` in its URL, or a 404/403."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from .access import Denied, organization_for


class OrgViewMixin(LoginRequiredMixin):
    """UI views under /o/<org_id>/...: anonymous → sign-in page, unseen org → 404, no permission → 403."""

    permission: str = ""
    ok_status = 200  # what a permitted GET answers (302 for views that only redirect); read by the tenancy matrix

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        assert self.permission, f"{type(self).__name__} must declare the permission it needs"
        try:
            self.organization = organization_for(request.user, kwargs["org_id"], self.permission)
        except Denied:
            raise PermissionDenied("You do not have the role this page needs.") from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["organization"] = self.organization
        return context


class OrganizationPermission(permissions.BasePermission):
    """DRF permission class: resolves the organization of the URL through the gate and stores it on the
    view. Views declare `permission` (reads) and optionally `write_permission` (unsafe methods)."""

    message = "You do not have the role this operation needs."

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        needed = view.permission
        if request.method not in permissions.SAFE_METHODS:
            needed = getattr(view, "write_permission", None) or needed
        assert needed, f"{type(view).__name__} must declare the permission it needs"
        try:
            view.organization = organization_for(request.user, view.kwargs["org_id"], needed)
        except Denied:
            return False
        return True


class OrgScopedAPIMixin:
    """For DRF views nested under /api/v1/organizations/{org_id}/: the queryset is always the model's
    for_user() rows of the URL's organization, so an id of another organization answers 404."""

    permission_classes = [OrganizationPermission]
    permission: str = ""
    write_permission: str = ""
    organization = None

    def scoped(self, queryset):
        return queryset.for_user(self.request.user, self.permission, organization=self.organization)
