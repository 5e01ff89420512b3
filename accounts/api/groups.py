"""groups API: groups of an organization (Organization Access and Child Organization Access), their members
and their roles. Group ids of other organizations answer 404."""
from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from lexcloud.ids import MAX_ID

from ..choices import GroupKind
from ..gate import OrgScopedAPIMixin
from ..models import Group, RoleAssignment, User
from ..roles import PARTNER_ADMINISTRATOR, Perm
from ..services import groups as group_services
from ..services import roles as role_services
from .roles import RoleListBodySerializer, RoleSerializer, role_data


class GroupSerializer(serializers.ModelSerializer):
    members_count = serializers.IntegerField(read_only=True)
    roles_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Group
        fields = ["id", "name", "kind", "predefined", "members_count", "roles_count", "created_at"]
        read_only_fields = ["id", "predefined", "members_count", "roles_count", "created_at"]


class GroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    kind = serializers.ChoiceField(choices=GroupKind.choices, default=GroupKind.ORGANIZATION_ACCESS)


class GroupRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)


class MemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "display_name"]
        read_only_fields = fields


class UserIdsSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                     allow_empty=False)


class GroupRoleSerializer(RoleSerializer):
    locked = serializers.BooleanField(help_text="Partner Administrator of a Child Organization Access group.")


def _annotated(queryset):
    return queryset.annotate(members_count=Count("members", distinct=True),
                             roles_count=Count("role_assignments", distinct=True)).order_by("name")


class GroupsMixin(OrgScopedAPIMixin):
    permission = Perm.GROUPS_VIEW
    write_permission = Perm.GROUPS_MANAGE
    queryset = Group.objects.none()

    def get_group(self, pk) -> Group:
        return get_object_or_404(_annotated(self.scoped(Group.objects.all())), pk=pk)


class GroupListView(GroupsMixin, GenericAPIView):
    """GET: the organization's groups (filter ?kind=, ?search=). POST: create a group."""

    serializer_class = GroupSerializer

    @extend_schema(parameters=[
        OpenApiParameter("kind", OpenApiTypes.STR, enum=GroupKind.values),
        OpenApiParameter("search", OpenApiTypes.STR),
    ], responses=GroupSerializer(many=True))
    def get(self, request, org_id):
        groups = _annotated(self.scoped(Group.objects.all()))
        kind = request.query_params.get("kind")
        if kind:
            groups = groups.filter(kind=kind)
        query = request.query_params.get("search", "").strip()
        if query:
            groups = groups.filter(name__icontains=query)
        page = self.paginate_queryset(groups)
        return self.get_paginated_response(GroupSerializer(page, many=True).data)

    @extend_schema(request=GroupCreateSerializer, responses={201: GroupSerializer})
    def post(self, request, org_id):
        body = GroupCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group = group_services.create_group(self.organization, body.validated_data["name"],
                                            body.validated_data["kind"])
        return Response(GroupSerializer(self.get_group(group.pk)).data, status=status.HTTP_201_CREATED)


class GroupDetailView(GroupsMixin, GenericAPIView):
    """One group: GET, PATCH {"name"}, DELETE (its members stay in the organization)."""

    serializer_class = GroupSerializer

    @extend_schema(responses=GroupSerializer)
    def get(self, request, org_id, group_id):
        return Response(GroupSerializer(self.get_group(group_id)).data)

    @extend_schema(request=GroupRenameSerializer, responses=GroupSerializer)
    def patch(self, request, org_id, group_id):
        group = self.get_group(group_id)
        body = GroupRenameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group_services.rename_group(group, body.validated_data["name"])
        return Response(GroupSerializer(self.get_group(group_id)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, org_id, group_id):
        group = self.get_group(group_id)
        group_services.delete_groups(self.organization, [group.pk], by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMembersView(GroupsMixin, GenericAPIView):
    """A group's members: GET; POST/DELETE {"user_ids": [...]} add/remove users of the group's organization."""

    serializer_class = MemberSerializer

    def _members(self, group):
        page = self.paginate_queryset(group.members.all())
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, org_id, group_id):
        return self._members(self.get_group(group_id))

    @extend_schema(request=UserIdsSerializer, responses=MemberSerializer(many=True))
    def post(self, request, org_id, group_id):
        group = self.get_group(group_id)
        body = UserIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group_services.add_members(group, body.validated_data["user_ids"], by=request.user)
        return self._members(group)

    @extend_schema(request=UserIdsSerializer, responses=MemberSerializer(many=True))
    def delete(self, request, org_id, group_id):
        group = self.get_group(group_id)
        body = UserIdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        group_services.remove_members(group, body.validated_data["user_ids"], by=request.user)
        return self._members(group)


class GroupRolesView(GroupsMixin, GenericAPIView):
    """A group's roles: GET; POST/DELETE {"roles": [...]}. Partner Administrator stays in Child Organization
    Access groups (removing it answers 400)."""

    serializer_class = GroupRoleSerializer
    pagination_class = None

    def _roles(self, group):
        codes = RoleAssignment.objects.filter(group=group).values_list("role", flat=True)
        locked = {PARTNER_ADMINISTRATOR} if group.is_child_access else set()
        return Response(role_data(codes, self.organization, locked=locked))

    @extend_schema(responses=GroupRoleSerializer(many=True))
    def get(self, request, org_id, group_id):
        return self._roles(self.get_group(group_id))

    @extend_schema(request=RoleListBodySerializer, responses=GroupRoleSerializer(many=True))
    def post(self, request, org_id, group_id):
        group = self.get_group(group_id)
        body = RoleListBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role_services.assign_group_roles(group, body.validated_data["roles"], by=request.user)
        return self._roles(group)

    @extend_schema(request=RoleListBodySerializer, responses=GroupRoleSerializer(many=True))
    def delete(self, request, org_id, group_id):
        group = self.get_group(group_id)
        body = RoleListBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role_services.remove_group_roles(group, body.validated_data["roles"], by=request.user)
        return self._roles(group)


urlpatterns = [
    path("groups/", GroupListView.as_view(), name="api-groups"),
    path("groups/<int:group_id>/", GroupDetailView.as_view(), name="api-group"),
    path("groups/<int:group_id>/members/", GroupMembersView.as_view(), name="api-group-members"),
    path("groups/<int:group_id>/roles/", GroupRolesView.as_view(), name="api-group-roles"),
]
