"""roles API: the role catalog of an organization, and the helpers the organization and group APIs share
(role lists in bodies, Django ValidationError → 400)."""

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from ..gate import OrgScopedAPIMixin
from ..models import RoleAssignment
from ..roles import BY_CODE, ROLES, Perm, assignable_roles


class RoleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField()
    service = serializers.CharField()
    permissions = serializers.ListField(child=serializers.CharField())
    assignable = serializers.BooleanField()


def role_data(codes, organization, *, locked=()) -> list[dict]:
    """Catalog rows for these role codes, in catalog order."""
    assignable = {role.code for role in assignable_roles(organization.entitlements)}
    wanted = set(codes)
    return [{"code": r.code, "name": r.name, "description": r.description, "category": r.category,
             "service": r.service, "permissions": sorted(r.permissions), "assignable": r.code in assignable,
             **({"locked": r.code in locked} if locked is not None else {})}
            for r in ROLES if r.code in wanted]


class RoleListBodySerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=False)

    def validate_roles(self, value):
        unknown = [code for code in value if code not in BY_CODE]
        if unknown:
            raise serializers.ValidationError(f"Unknown roles: {', '.join(unknown)}.")
        return list(dict.fromkeys(value))


class RoleCatalogView(OrgScopedAPIMixin, GenericAPIView):
    """Every role of the catalog, with whether it can be assigned in this organization (entitlements)."""

    permission = Perm.ACCOUNT_PORTAL
    serializer_class = RoleSerializer
    queryset = RoleAssignment.objects.none()
    pagination_class = None

    @extend_schema(responses=RoleSerializer(many=True))
    def get(self, request, org_id):
        return Response(role_data([r.code for r in ROLES], self.organization, locked=None))


urlpatterns = [
    path("roles/", RoleCatalogView.as_view(), name="api-roles"),
]
