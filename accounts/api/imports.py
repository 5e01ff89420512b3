"""User imports API: upload a CSV/TXT file (multipart) and follow the import (spec C §9)."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from ..gate import OrgScopedAPIMixin
from ..models import UserImport
from ..roles import Perm
from ..services import imports as import_services


class UserImportSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    created_by = serializers.EmailField(source="created_by.email", read_only=True, default=None)

    class Meta:
        model = UserImport
        fields = ["id", "filename", "status", "percent", "total_rows", "processed_rows", "send_password_links",
                  "result", "created_by", "created_at", "finished_at"]
        read_only_fields = fields


class UserImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or TXT file, at most 1MB, header "
                                           + import_services.HEADER_LINE)
    send_password_links = serializers.BooleanField(default=False,
                                                   help_text='"E-mail a link to change the password"')


class UserImportListView(OrgScopedAPIMixin, generics.ListCreateAPIView):
    """GET: the organization's imports, newest first. POST (multipart): start an import → 201 with it."""

    permission = Perm.USERS_MANAGE
    write_permission = Perm.USERS_MANAGE
    serializer_class = UserImportSerializer
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []

    def get_queryset(self):
        return self.scoped(UserImport.objects.select_related("created_by").defer("content"))

    def get_serializer_class(self):
        return UserImportUploadSerializer if self.request.method == "POST" else UserImportSerializer

    def create(self, request, *args, **kwargs):
        upload = UserImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            user_import = import_services.start_user_import(
                self.organization, upload.validated_data["file"], by=request.user,
                send_password_links=upload.validated_data["send_password_links"])
        except DjangoValidationError as exc:
            return Response({"file": exc.messages, "detail": " ".join(exc.messages)},
                            status=status.HTTP_400_BAD_REQUEST)
        user_import.refresh_from_db()
        return Response(UserImportSerializer(user_import).data, status=status.HTTP_201_CREATED)


class UserImportDetailView(OrgScopedAPIMixin, generics.RetrieveAPIView):
    permission = Perm.USERS_MANAGE
    serializer_class = UserImportSerializer
    lookup_url_kwarg = "import_id"

    def get_queryset(self):
        return self.scoped(UserImport.objects.select_related("created_by").defer("content"))


urlpatterns = [
    path("user-imports/", UserImportListView.as_view(), name="api-user-imports"),
    path("user-imports/<int:import_id>/", UserImportDetailView.as_view(), name="api-user-import"),
]
