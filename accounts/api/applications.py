"""applications API: an organization's OAuth2 client credentials. The client secret is answered once, by the
POST that creates the application and by rotate/; ids of other organizations answer 404."""
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from ..choices import ApplicationKind
from ..gate import OrgScopedAPIMixin
from ..models import Application
from ..roles import Perm
from ..services import applications as app_services


@extend_schema_field({"type": "string", "pattern": "^(" + "|".join(ApplicationKind.values) + ")$",
                       "description": "device (printer), agent or integration"})
class KindField(serializers.ChoiceField):
    """The application kind. Described by a pattern rather than an enum: an enum named "kind" would collide
    with the groups' and organizations' in the schema's enum components (settings.ENUM_NAME_OVERRIDES)."""

    def __init__(self, **kwargs):
        super().__init__(choices=ApplicationKind.choices, **kwargs)


class ApplicationSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(read_only=True)
    kind = KindField(read_only=True)

    class Meta:
        model = Application
        fields = ["id", "name", "kind", "client_id", "created", "last_used_at", "revoked_at", "active"]
        read_only_fields = fields


class ApplicationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=app_services.NAME_MAX)
    kind = KindField(default=ApplicationKind.DEVICE)


class ApplicationSecretSerializer(ApplicationSerializer):
    client_secret = serializers.CharField(read_only=True, help_text="Shown once: only its hash is stored.")

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "client_secret"]
        read_only_fields = fields


def _with_secret(app, secret) -> dict:
    return {**ApplicationSerializer(app).data, "client_secret": secret}


class ApplicationsMixin(OrgScopedAPIMixin):
    permission = Perm.APPLICATIONS_VIEW
    write_permission = Perm.APPLICATIONS_MANAGE
    queryset = Application.objects.none()

    def get_application(self) -> Application:
        return get_object_or_404(self.scoped(Application.objects.all()), pk=self.kwargs["application_id"])


class ApplicationListView(ApplicationsMixin, GenericAPIView):
    """GET: the organization's applications. POST {"name", "kind"}: create one; the answer holds its
    client_secret, shown this once."""

    serializer_class = ApplicationSerializer

    @extend_schema(responses=ApplicationSerializer(many=True))
    def get(self, request, org_id):
        apps = self.scoped(Application.objects.all()).order_by("name", "id")
        page = self.paginate_queryset(apps)
        return self.get_paginated_response(ApplicationSerializer(page, many=True).data)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSecretSerializer})
    def post(self, request, org_id):
        body = ApplicationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        app, secret = app_services.create_application(self.organization, body.validated_data["name"],
                                                      kind=body.validated_data["kind"], by=request.user)
        return Response(_with_secret(app, secret), status=status.HTTP_201_CREATED,
                        headers={"Cache-Control": "no-store"})


class ApplicationDetailView(ApplicationsMixin, GenericAPIView):
    """One application: GET; DELETE revokes it (it stays listed as revoked; its tokens stop working)."""

    serializer_class = ApplicationSerializer

    @extend_schema(responses=ApplicationSerializer)
    def get(self, request, org_id, application_id):
        return Response(ApplicationSerializer(self.get_application()).data)

    @extend_schema(responses={204: None})
    def delete(self, request, org_id, application_id):
        app_services.revoke_application(self.get_application(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationRotateView(ApplicationsMixin, GenericAPIView):
    """POST: a new client secret (answered once); the old secret and its tokens stop working."""

    serializer_class = ApplicationSecretSerializer
    permission = Perm.APPLICATIONS_MANAGE

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.get_application()  # another organization's id answers 404 whatever the method

    @extend_schema(request=None, responses=ApplicationSecretSerializer)
    def post(self, request, org_id, application_id):
        app = self.get_application()
        secret = app_services.rotate_secret(app, by=request.user)
        app.refresh_from_db()
        return Response(_with_secret(app, secret), headers={"Cache-Control": "no-store"})


urlpatterns = [
    path("applications/", ApplicationListView.as_view(), name="api-applications"),
    path("applications/<int:application_id>/", ApplicationDetailView.as_view(), name="api-application"),
    path("applications/<int:application_id>/rotate/", ApplicationRotateView.as_view(), name="api-application-rotate"),
]
