"""/api/v1/organizations/{org_id}/tags/...: list, create, rename and delete tags, assign them to printers and
remove them. Thin: the gate and validation here, every change in fleet.services.tags."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm
from lexcloud.ids import MAX_ID, parse_ids

from ..models import Printer, Tag
from ..services import tags as tag_services


def _api_error(error: DjangoValidationError) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"detail": error.messages})


class TagSerializer(serializers.ModelSerializer):
    printers = serializers.IntegerField(source="printer_count", read_only=True,
                                        help_text="How many enrolled printers carry the tag.")
    selected = serializers.IntegerField(source="selected_count", read_only=True, default=None,
                                        help_text="With ?printer=<id>: how many of those printers carry the tag.")

    class Meta:
        model = Tag
        fields = ["id", "name", "printers", "selected", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"name": {"validators": []}}   # uniqueness: fleet.services.tags, case-insensitively


class TagAssignmentSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), allow_empty=False,
                                 help_text="Tag ids.")
    printers = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                                     allow_empty=False, help_text="Printer ids.")


class TagAssignmentResultSerializer(serializers.Serializer):
    printers = serializers.IntegerField(help_text="How many printers were changed.")


class TagScopedMixin(OrgScopedAPIMixin):
    permission = Perm.FLEET_VIEW
    write_permission = Perm.FLEET_MANAGE
    serializer_class = TagSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request organization
            return Tag.objects.none()
        enrolled = Q(printers__unenrolled_at__isnull=True)
        tags = self.scoped(Tag.objects.all()).annotate(printer_count=Count("printers", filter=enrolled))
        selected = parse_ids(self.request.query_params.getlist("printer"))
        if selected:
            tags = tags.annotate(selected_count=Count("printers", filter=enrolled & Q(printers__in=selected)))
        return tags.order_by("name")


class TagListCreateAPI(TagScopedMixin, generics.ListCreateAPIView):
    """The organization's tags with their printer counts (`?printer=<id>` repeated: how many of those printers
    carry each tag, as the Printers page's Tags menu shows), or create one with a unique name."""

    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("printer", OpenApiTypes.INT, many=True,
                                                description="Printer id (repeatable) to count per tag.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def perform_create(self, serializer):
        try:
            tag = tag_services.create_tag(self.organization, serializer.validated_data["name"])
        except DjangoValidationError as error:
            raise _api_error(error) from None
        serializer.instance = self.get_queryset().get(pk=tag.pk)


class TagDetailAPI(TagScopedMixin, generics.RetrieveUpdateDestroyAPIView):
    """One tag: rename it (PATCH name) or delete it (its assignments go with it)."""

    lookup_url_kwarg = "tag_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        try:
            tag_services.rename_tag(serializer.instance, serializer.validated_data.get("name", ""))
        except DjangoValidationError as error:
            raise _api_error(error) from None

    def perform_destroy(self, instance):
        tag_services.delete_tags(self.organization, [instance.pk])


class TagAssignmentAPI(TagScopedMixin, generics.GenericAPIView):
    """Assign tags to printers, or remove them (`remove`): printers and tags of the organization only."""

    permission = Perm.FLEET_MANAGE
    serializer_class = TagAssignmentSerializer
    remove = False

    @extend_schema(responses=TagAssignmentResultSerializer)
    def post(self, request, org_id):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        printers = Printer.objects.for_user(request.user, Perm.FLEET_MANAGE, organization=self.organization)
        printers = list(printers.enrolled().filter(pk__in=body.validated_data["printers"]).only("id"))
        if len(printers) != len(set(body.validated_data["printers"])):
            raise ValidationError({"printers": ["Printers must be enrolled printers of this organization."]})
        tags = list(self.scoped(Tag.objects.filter(pk__in=body.validated_data["tags"])).values_list("pk", flat=True))
        if len(tags) != len(set(body.validated_data["tags"])):
            raise NotFound("No such tag in this organization.")
        change = {"remove": tags} if self.remove else {"assign": tags}
        try:
            changed = tag_services.apply_tags(self.organization, printers, **change)
        except DjangoValidationError as error:
            raise _api_error(error) from None
        return Response({"printers": changed}, status=status.HTTP_200_OK)


urlpatterns = [
    path("tags/", TagListCreateAPI.as_view(), name="api-fleet-tags"),
    path("tags/assign/", TagAssignmentAPI.as_view(), name="api-fleet-tags-assign"),
    path("tags/remove/", TagAssignmentAPI.as_view(remove=True), name="api-fleet-tags-remove"),
    path("tags/<int:tag_id>/", TagDetailAPI.as_view(), name="api-fleet-tag"),
]
