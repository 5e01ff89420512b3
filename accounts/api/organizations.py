"""organizations API: the organizations a caller can see, child organizations (create, delete), and the
organization roles every user of an organization inherits."""
from django.db.models import Count
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ..access import Denied, effective_permissions, organization_for, visible_organizations
from ..gate import OrgScopedAPIMixin
from ..models import Organization, RoleAssignment
from ..roles import Perm
from ..services import organizations as org_services
from ..services import roles as role_services
from .roles import RoleListBodySerializer, RoleSerializer, role_data


class OrganizationSerializer(serializers.ModelSerializer):
    parent_name = serializers.CharField(source="parent.name", default=None, read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "parent", "parent_name", "kind", "region", "status", "entitlements",
                  "mps_express_enabled", "created_at"]
        read_only_fields = fields


class OrganizationDetailSerializer(OrganizationSerializer):
    users_count = serializers.IntegerField(read_only=True)
    groups_count = serializers.IntegerField(read_only=True)

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "users_count", "groups_count"]
        read_only_fields = fields


class ChildSerializer(OrganizationSerializer):
    users_count = serializers.IntegerField(read_only=True)

    class Meta(OrganizationSerializer.Meta):
        fields = [*OrganizationSerializer.Meta.fields, "users_count"]
        read_only_fields = fields


class ChildCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class OrganizationCreateSerializer(ChildCreateSerializer):
    parent = serializers.UUIDField()


class DeleteOrganizationSerializer(serializers.Serializer):
    confirm_name = serializers.CharField()


def _parent_for(user, parent_id):
    """The partner organization a child is created in or deleted from: 404 unseen, 403 without the role."""
    try:
        return organization_for(user, parent_id, Perm.CHILDREN_MANAGE)  # Http404 answers 404 through DRF
    except Denied:
        raise PermissionDenied("Creating and deleting child organizations needs the Partner Administrator role.") \
            from None


class OrganizationListView(GenericAPIView):
    """GET: the caller's organization and every child organization they reach. POST: create a child
    organization under `parent` (Partner Administrator there)."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrganizationSerializer
    queryset = Organization.objects.none()
    pagination_class = None

    @extend_schema(responses=OrganizationSerializer(many=True))
    def get(self, request):
        return Response(OrganizationSerializer(visible_organizations(request.user), many=True).data)

    @extend_schema(request=OrganizationCreateSerializer, responses={201: OrganizationSerializer})
    def post(self, request):
        body = OrganizationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parent = _parent_for(request.user, body.validated_data["parent"])
        child = org_services.create_child_organization(parent, body.validated_data["name"])
        return Response(OrganizationSerializer(child).data, status=status.HTTP_201_CREATED)


class OrganizationDetailView(OrgScopedAPIMixin, GenericAPIView):
    """GET: Organization Information. DELETE: delete this child organization (Partner Administrator of the
    parent; body {"confirm_name": "<the child's exact name>"}); it becomes pending deletion (202)."""

    permission = Perm.ORG_VIEW
    write_permission = Perm.CHILDREN_MANAGE  # and CHILDREN_MANAGE in the parent, checked below
    serializer_class = OrganizationDetailSerializer
    queryset = Organization.objects.none()

    @extend_schema(responses=OrganizationDetailSerializer)
    def get(self, request, org_id):
        org = self.organization
        org.users_count = org.users.count()
        org.groups_count = org.groups.count()
        return Response(OrganizationDetailSerializer(org).data)

    @extend_schema(request=DeleteOrganizationSerializer, responses={202: OrganizationSerializer})
    def delete(self, request, org_id):
        org = self.organization
        if org.parent_id is None or Perm.CHILDREN_MANAGE not in effective_permissions(request.user, org.parent):
            raise PermissionDenied("Only a Partner Administrator of the parent organization can delete it.")
        body = DeleteOrganizationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        org = org_services.request_child_deletion(org, by=request.user,
                                                  confirm_name=body.validated_data["confirm_name"])
        return Response(OrganizationSerializer(org).data, status=status.HTTP_202_ACCEPTED)


class ChildrenView(OrgScopedAPIMixin, GenericAPIView):
    """Child organizations of a partner organization; POST creates one (name only)."""

    permission = Perm.CHILDREN_VIEW
    write_permission = Perm.CHILDREN_MANAGE
    serializer_class = ChildSerializer
    queryset = Organization.objects.none()

    @extend_schema(responses=ChildSerializer(many=True))
    def get(self, request, org_id):
        children = Organization.objects.filter(parent=self.organization).select_related("parent") \
            .annotate(users_count=Count("users")).order_by("name")
        query = request.query_params.get("search", "").strip()
        if query:
            children = children.filter(name__icontains=query)
        page = self.paginate_queryset(children)
        return self.get_paginated_response(ChildSerializer(page, many=True).data)

    @extend_schema(request=ChildCreateSerializer, responses={201: OrganizationSerializer})
    def post(self, request, org_id):
        body = ChildCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        child = org_services.create_child_organization(self.organization, body.validated_data["name"])
        return Response(OrganizationSerializer(child).data, status=status.HTTP_201_CREATED)


class OrganizationRolesView(OrgScopedAPIMixin, GenericAPIView):
    """Organization roles: inherited by every user of the organization. POST adds, DELETE removes
    (body {"roles": [codes]}); writes need Organization Administrator."""

    permission = Perm.ORG_VIEW
    write_permission = Perm.ORG_MANAGE
    serializer_class = RoleSerializer
    queryset = RoleAssignment.objects.none()
    pagination_class = None

    def _roles(self):
        codes = RoleAssignment.objects.filter(organization=self.organization, user=None, group=None) \
            .values_list("role", flat=True)
        return Response(role_data(codes, self.organization, locked=None))

    @extend_schema(responses=RoleSerializer(many=True))
    def get(self, request, org_id):
        return self._roles()

    @extend_schema(request=RoleListBodySerializer, responses=RoleSerializer(many=True))
    def post(self, request, org_id):
        body = RoleListBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role_services.assign_organization_roles(self.organization, body.validated_data["roles"],
                                                by=request.user)
        return self._roles()

    @extend_schema(request=RoleListBodySerializer, responses=RoleSerializer(many=True))
    def delete(self, request, org_id):
        body = RoleListBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role_services.remove_organization_roles(self.organization, body.validated_data["roles"],
                                                by=request.user)
        return self._roles()


urlpatterns = [
    path("organizations/", OrganizationListView.as_view(), name="api-organizations"),
]

org_urlpatterns = [
    path("", OrganizationDetailView.as_view(), name="api-organization"),
    path("children/", ChildrenView.as_view(), name="api-children"),
    path("organization-roles/", OrganizationRolesView.as_view(), name="api-organization-roles"),
]
