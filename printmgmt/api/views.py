"""/api/v1/organizations/{org_id}/print/...: jobs (list, upload, settings, delete), default print settings,
delegates, Organizational Settings, Print Job History. Thin: the gate and the shapes here, every change in
printmgmt.services."""
from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm

from ..choices import JobSource
from ..models import Delegate, OrganizationPrintSettings, PrintJob, PrintJobHistory
from ..models.jobs import SETTING_FIELDS
from ..services import delegates as delegate_services
from ..services import jobs as job_services
from ..services import org_settings
from ..services import print_settings as settings_services
from ..services.history import history_for
from ..services.submission import submit_job
from ..uploads import bound_uploads
from .serializers import (
    DelegateSerializer,
    OrganizationPrintSettingsSerializer,
    PrintJobHistorySerializer,
    PrintJobSerializer,
    PrintJobUploadSerializer,
    PrintSettingsSerializer,
)

OWNER_PARAM = OpenApiParameter("owner", OpenApiTypes.INT, description="Administrators: that user's queue (user id).")


def _org_user(request, organization, value, permission=Perm.PRINT_USE):
    users = get_user_model().objects.for_user(request.user, permission, organization=organization)
    value = str(value or "").strip()
    user = users.filter(**({"pk": value} if value.isdigit() else {"email__iexact": value})).first()
    if user is None:
        raise ValidationError({"delegate": ["No user of the organization has this e-mail address."]})
    return user


class PrintJobListAPI(OrgScopedAPIMixin, generics.ListCreateAPIView):
    """The caller's queue (own jobs and delegators'), or with `owner` (administrators) any user's; POST uploads a
    document (multipart) into the caller's queue, which is then converted to PDF in the background."""

    permission = Perm.PRINT_USE
    parser_classes = [MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        bound_uploads(request)   # before authentication (its CSRF check) reads the body
        return super().initialize_request(request, *args, **kwargs)

    def get_serializer_class(self):
        return PrintJobUploadSerializer if self.request.method == "POST" else PrintJobSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrintJob.objects.none()
        owner = None
        if self.request.query_params.get("owner"):
            owner = _org_user(self.request, self.organization, self.request.query_params["owner"], Perm.PRINT_ADMIN)
        jobs = job_services.queue_for(self.request.user, self.organization, owner=owner)
        oldest = org_settings.get_settings(self.organization).oldest_first
        return jobs.order_by("submitted_at", "id") if oldest else jobs.order_by("-submitted_at", "-id")

    @extend_schema(parameters=[OWNER_PARAM])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=PrintJobUploadSerializer, responses={201: PrintJobSerializer})
    def post(self, request, org_id):
        body = PrintJobUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        upload, title = data.pop("file"), data.pop("title", "")
        job = submit_job(self.organization, request.user, upload, source=JobSource.WEB, title=title, settings=data)
        job.refresh_from_db()
        return Response(PrintJobSerializer(job).data, status=status.HTTP_201_CREATED)


class PrintJobDetailAPI(OrgScopedAPIMixin, generics.RetrieveUpdateDestroyAPIView):
    """One job the caller may see: PATCH its print settings or description, DELETE it (owner or administrator)."""

    permission = Perm.PRINT_USE
    serializer_class = PrintJobSerializer
    lookup_url_kwarg = "print_job_id"
    http_method_names = ["get", "patch", "delete", "head", "options"]
    parser_classes = [JSONParser]

    def get_object(self):
        try:
            job = job_services.visible_job(self.request.user, self.organization, self.kwargs["print_job_id"])
        except PrintJob.DoesNotExist:
            raise NotFound("No such print job.") from None
        self.check_object_permissions(self.request, job)
        return job

    def perform_update(self, serializer):
        values = {k: v for k, v in serializer.validated_data.items() if k in (*SETTING_FIELDS, "description")}
        serializer.instance = job_services.update_job(serializer.instance, values, by=self.request.user)

    def perform_destroy(self, instance):
        if not job_services.can_change(self.request.user, instance):
            raise PermissionDenied("Only the owner of a job or an administrator can delete it.")
        job_services.delete_jobs(self.organization, [instance], by=self.request.user)


class DefaultPrintSettingsAPI(OrgScopedAPIMixin, generics.GenericAPIView):
    """The caller's Default Print Settings, applied to every job submitted afterwards."""

    permission = Perm.PRINT_USE
    serializer_class = PrintSettingsSerializer

    def get(self, request, org_id):
        return Response(settings_services.default_settings(request.user))

    def patch(self, request, org_id):
        body = self.get_serializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        row = settings_services.set_default_settings(request.user, body.validated_data, by=request.user)
        return Response(row.print_settings())


class DelegateScopedMixin(OrgScopedAPIMixin):
    permission = Perm.PRINT_USE
    serializer_class = DelegateSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Delegate.objects.none()
        rows = self.scoped(Delegate.objects.active()).select_related("delegate", "delegator")
        if not job_services.is_print_admin(self.request.user, self.organization):
            rows = rows.filter(delegator=self.request.user)
        return rows.order_by("delegate__email")


class DelegateListAPI(DelegateScopedMixin, generics.ListCreateAPIView):
    """The caller's delegates (administrators: everyone's); POST adds one (again: changes its expiry)."""

    def perform_create(self, serializer):
        data = serializer.validated_data
        delegate = _org_user(self.request, self.organization, data["delegate"]["email"])
        serializer.instance = delegate_services.add_delegate(
            self.request.user, delegate, expires_after_days=data.get("expires_after_days"), by=self.request.user)


class DelegateDetailAPI(DelegateScopedMixin, generics.RetrieveDestroyAPIView):
    lookup_url_kwarg = "delegate_id"

    def perform_destroy(self, instance):
        delegate_services.remove_delegates(instance.delegator, [instance.pk], by=self.request.user)


class OrganizationPrintSettingsAPI(OrgScopedAPIMixin, generics.RetrieveUpdateAPIView):
    """Administration > Organizational Settings. PATCH changes some settings; dependent settings are cleared
    when what they depend on is off."""

    permission = Perm.PRINT_ADMIN
    serializer_class = OrganizationPrintSettingsSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        if getattr(self, "swagger_fake_view", False):
            return OrganizationPrintSettings()
        return org_settings.get_settings(self.organization)

    def perform_update(self, serializer):
        serializer.instance = org_settings.update_settings(self.organization, by=self.request.user,
                                                           **serializer.validated_data)


class PrintJobHistoryAPI(OrgScopedAPIMixin, generics.ListAPIView):
    """Print Job History within the organization's window: the caller's own rows; administrators and reporting
    analysts everyone's, or one user's with `user`."""

    permission = (Perm.PRINT_USE, Perm.PRINT_ADMIN, Perm.PRINT_REPORTS)
    serializer_class = PrintJobHistorySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PrintJobHistory.objects.none()
        params = self.request.query_params
        user = None
        if params.get("user"):
            user = _org_user(self.request, self.organization, params["user"], (Perm.PRINT_ADMIN, Perm.PRINT_REPORTS))
        try:
            start = _date(params.get("start"))
            end = _date(params.get("end"))
        except ValueError:
            raise ValidationError({"start": ["Dates are YYYY-MM-DD."]}) from None
        return history_for(self.request.user, self.organization, user=user, start=start, end=end)

    @extend_schema(parameters=[
        OpenApiParameter("start", OpenApiTypes.DATE, description="First day (inclusive)."),
        OpenApiParameter("end", OpenApiTypes.DATE, description="Last day (inclusive)."),
        OpenApiParameter("user", OpenApiTypes.STR, description="Administrators: a user's e-mail address or id.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _date(value):
    from datetime import date

    return date.fromisoformat(value) if value else None
