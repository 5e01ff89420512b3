"""Organization Information, Organization Roles, Child Organizations."""
from django.urls import path
from django.views.generic import TemplateView

from ..gate import OrgViewMixin
from ..roles import Perm


class OrganizationInfoView(OrgViewMixin, TemplateView):
    template_name = "accounts/organization/info.html"
    permission = Perm.ORG_VIEW


class OrganizationRolesView(OrgViewMixin, TemplateView):
    template_name = "accounts/organization/roles.html"
    permission = Perm.ORG_VIEW


class ChildOrganizationsView(OrgViewMixin, TemplateView):
    template_name = "accounts/organization/children.html"
    permission = Perm.CHILDREN_VIEW


urlpatterns = [
    path("organization/", OrganizationInfoView.as_view(), name="organization"),
    path("organization/roles/", OrganizationRolesView.as_view(), name="organization-roles"),
    path("children/", ChildOrganizationsView.as_view(), name="children"),
]
