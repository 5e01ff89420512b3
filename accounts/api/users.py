"""Users API: /api/v1/organizations/{org_id}/users/... and /api/v1/me/.

Views only check permissions and validate; every change goes through accounts.services."""
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from lexcloud.ids import MAX_ID

from ..access import effective_roles
from ..gate import OrgScopedAPIMixin
from ..models import Group, User
from ..passwords import password_problems
from ..roles import Perm
from ..services import roles as role_services
from ..services import users as user_services

PROFILE_FIELDS = ("first_name", "last_name", "display_name", "shortname", "department", "cost_center")


_DATETIME = serializers.DateTimeField()


class UserSerializer(serializers.ModelSerializer):
    groups = serializers.SerializerMethodField(help_text="Names of the groups the user belongs to.")
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=False,
                                     style={"input_type": "password"},
                                     help_text="Set the password manually (create only; checked against the policy).")
    send_password_link = serializers.BooleanField(
        write_only=True, required=False, default=True,
        help_text="E-mail a link to change the password (create only; ignored when a password is given).")

    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "display_name", "shortname", "department",
                  "cost_center", "custom_attributes", "last_login", "date_joined", "groups", "password",
                  "send_password_link"]
        read_only_fields = ["id", "last_login", "date_joined", "groups"]
        # uniqueness is checked below with the guide's message (case-insensitively)
        extra_kwargs = {"email": {"validators": []}}

    def to_representation(self, user):
        """The same JSON as the declared fields, built directly: this runs for every row of the users list
        and DRF's per-field machinery was most of that endpoint's time (bench/bench_user_list.py)."""
        to_datetime = _DATETIME.to_representation
        return {
            "id": user.pk, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
            "display_name": user.display_name, "shortname": user.shortname, "department": user.department,
            "cost_center": user.cost_center, "custom_attributes": user.custom_attributes,
            "last_login": to_datetime(user.last_login) if user.last_login else None,
            "date_joined": to_datetime(user.date_joined), "groups": self.get_groups(user),
        }

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_groups(self, user) -> list[str]:
        prefetched = getattr(user, "group_list", None)  # set by the list and detail querysets
        groups = prefetched if prefetched is not None else user.member_of.order_by("name")
        return [group.name for group in groups]

    def validate_email(self, value):
        email = value.strip().lower()
        taken = User.objects.filter(email=email)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("E-mail must be unique.")
        return email

    def validate_password(self, value):
        if self.instance is not None and value:
            raise ValidationError("The password cannot be changed here: send a Reset Password link.")
        problems = password_problems(value) if value else []
        if problems:
            raise ValidationError(problems)
        return value

    def validate_custom_attributes(self, value):
        if not isinstance(value, dict):
            raise ValidationError("Custom attributes must be a JSON object.")
        return value

    def create(self, validated_data):
        organization = self.context["organization"]
        profile = {name: validated_data[name] for name in PROFILE_FIELDS if name in validated_data}
        return user_services.create_user(
            organization, validated_data["email"], password=validated_data.get("password") or None,
            send_password_link=validated_data.get("send_password_link", True),
            custom_attributes=validated_data.get("custom_attributes") or {}, **profile,
        )

    def update(self, instance, validated_data):
        validated_data.pop("send_password_link", None)
        validated_data.pop("password", None)
        changes = {name: value for name, value in validated_data.items()
                   if name in PROFILE_FIELDS or name in ("email", "custom_attributes")}
        return user_services.update_user(instance, by=self.context["request"].user, **changes)


class UserRoleCodesSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField(), allow_empty=False,
                                  help_text="Role codes, e.g. [\"help_desk\"].")


class UserRoleSourcesSerializer(serializers.Serializer):
    user = serializers.ListField(child=serializers.CharField(), help_text="The user's own roles.")
    group = serializers.ListField(child=serializers.CharField(), help_text="Roles of the user's groups.")
    organization = serializers.ListField(child=serializers.CharField(), help_text="Organization roles.")
    child_access = serializers.ListField(child=serializers.CharField(),
                                         help_text="Roles through a Child Organization Access group.")
    all = serializers.ListField(child=serializers.CharField(), help_text="Every effective role.")


class UserBulkDeleteSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False,
                                help_text="User ids.")


class UserBulkDeleteResultSerializer(serializers.Serializer):
    deleted = serializers.IntegerField(help_text="How many users were deleted.")


class UserScopedMixin(OrgScopedAPIMixin):
    permission = Perm.USERS_VIEW
    write_permission = Perm.USERS_MANAGE

    def users(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request organization
            return User.objects.none()
        return self.scoped(User.objects.all()).prefetch_related(
            Prefetch("member_of", queryset=Group.objects.only("id", "name").order_by("name"), to_attr="group_list"))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization": self.organization}


class UserListCreateAPI(UserScopedMixin, generics.ListCreateAPIView):
    """Users of the organization (search: e-mail, names; ordering: email, first_name, last_name,
    display_name, last_login, date_joined), or create one."""

    serializer_class = UserSerializer
    search_fields = ["email", "first_name", "last_name", "display_name"]
    ordering_fields = ["email", "first_name", "last_name", "display_name", "last_login", "date_joined"]
    ordering = ["email"]

    def get_queryset(self):
        return self.users()


class UserDetailAPI(UserScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = UserSerializer
    lookup_url_kwarg = "user_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return self.users()

    def perform_destroy(self, instance):
        user_services.delete_users(self.organization, [instance.pk], by=self.request.user)


def _role_sources(user, organization) -> dict:
    roles = effective_roles(user, organization)
    return {"user": sorted(roles.user), "group": sorted(roles.group), "organization": sorted(roles.organization),
            "child_access": sorted(roles.child_access), "all": sorted(roles.all)}


class UserRolesAPI(UserScopedMixin, generics.GenericAPIView):
    """The user's effective roles by source; POST assigns user roles, DELETE removes user roles."""

    serializer_class = UserRoleSourcesSerializer

    def get_queryset(self):
        return self.users()

    def target(self) -> User:
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["user_id"])

    @extend_schema(responses=UserRoleSourcesSerializer)
    def get(self, request, org_id, user_id):
        return Response(_role_sources(self.target(), self.organization))

    @extend_schema(request=UserRoleCodesSerializer, responses=UserRoleSourcesSerializer)
    def post(self, request, org_id, user_id):
        user = self.target()
        body = UserRoleCodesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role_services.assign_user_roles(user, body.validated_data["roles"], by=request.user)
        return Response(_role_sources(user, self.organization))

    @extend_schema(
        request=UserRoleCodesSerializer,
        parameters=[OpenApiParameter("role", OpenApiTypes.STR, many=True,
                                     description="Role code to remove (repeatable), instead of a body.")],
        responses=UserRoleSourcesSerializer,
    )
    def delete(self, request, org_id, user_id):
        user = self.target()
        codes = request.query_params.getlist("role")
        if not codes:
            body = UserRoleCodesSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            codes = body.validated_data["roles"]
        role_services.remove_user_roles(user, codes, by=request.user)
        return Response(_role_sources(user, self.organization))


class UserBulkDeleteAPI(UserScopedMixin, generics.GenericAPIView):
    """Delete several users: ids of other organizations are ignored; your own account is refused."""

    permission = Perm.USERS_MANAGE
    serializer_class = UserBulkDeleteSerializer

    @extend_schema(responses=UserBulkDeleteResultSerializer)
    def post(self, request, org_id):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        deleted = user_services.delete_users(self.organization, body.validated_data["ids"], by=request.user)
        return Response({"deleted": deleted}, status=status.HTTP_200_OK)


class MeSerializer(UserSerializer):
    organization = serializers.UUIDField(source="organization_id", read_only=True)
    roles = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [f for f in UserSerializer.Meta.fields if f not in ("password", "send_password_link")] + [
            "organization", "roles"]
        read_only_fields = fields

    to_representation = serializers.ModelSerializer.to_representation  # one row: the declared fields

    @extend_schema_field(UserRoleSourcesSerializer)
    def get_roles(self, user) -> dict:
        return _role_sources(user, user.organization)


class MeAPI(generics.RetrieveAPIView):
    """The signed-in user, with their organization and effective roles there."""

    permission_classes = [IsAuthenticated]
    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


urlpatterns = [
    path("users/", UserListCreateAPI.as_view(), name="api-users"),
    path("users/bulk-delete/", UserBulkDeleteAPI.as_view(), name="api-users-bulk-delete"),
    path("users/<int:user_id>/", UserDetailAPI.as_view(), name="api-user"),
    path("users/<int:user_id>/roles/", UserRolesAPI.as_view(), name="api-user-roles"),
]

me_urlpatterns = [
    path("me/", MeAPI.as_view(), name="api-me"),
]
