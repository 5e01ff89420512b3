"""Release API for the printer's Print Release app, under /api/device/v1/print/ (docs/device-api.md, "Print
release"; decisions in docs/decisions/0017-print-release.md).

Authenticated like the rest of the device API: the printer's application access token (DeviceAPIView), and for
the user's calls (list, release, delete, automatic release) the X-Session-Token of POST authenticate. The
document download and the outcome report need only the application that started the release: the printer
keeps printing after the user walks away. Everything is scoped to the application's organization, so a
printer of another organization gets 404 for a job it did not release. Thin: printmgmt.services.release."""
from datetime import datetime

from django.http import FileResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.api.device import (
    MESSAGES,
    SESSION_HEADER,
    UNAUTHORIZED,
    DeviceAPIView,
    ErrorSerializer,
    session_of,
)
from accounts.choices import AuthMethod

from ..choices import ColorMode, JobState, PaperSize, TwoSided
from ..models import PrintJob
from ..models.jobs import MAX_COPIES
from ..services import jobs as job_services
from ..services import release as release_services
from ..services.org_settings import get_settings
from ..services.release import OUTCOMES, PrinterReport, ReleaseError

app_name = "device-print"
TAG = "Device API: print release"
MAX_JOBS_PER_RELEASE = 500
PRINT_RELEASE, CLOUD_PRINT_RELEASE = "print_release", "cloud_print_release"
APPS = ((PRINT_RELEASE, "Print Release app (4.3-inch and bigger screens)"),
        (CLOUD_PRINT_RELEASE, "Cloud Print Release (2.8-inch screens): releases all, no delegated jobs"))
CLOUD_PRINT_RELEASE_LOGINS = (AuthMethod.PIN, AuthMethod.CODE)
NOT_FOUND = {"error": "not_found", "detail": "There is no such print job."}

SESSION = OpenApiParameter(SESSION_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                           description="The session_token of POST authenticate (the user at the printer).")
NO_SESSION = OpenApiResponse(ErrorSerializer, description="`invalid_session` (no, an expired or a foreign session "
                                                          "token) or `invalid_token` (the printer's access token).")


# --- shapes ---------------------------------------------------------------------------------------------------

class OwnerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()


class ReleaseJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner = OwnerSerializer()
    delegated = serializers.BooleanField(help_text="A job of a user who made the session user their delegate.")
    source = serializers.CharField()
    pages = serializers.IntegerField(allow_null=True, help_text="Pages of the document (one copy).")
    copies = serializers.IntegerField()
    color = serializers.BooleanField(allow_null=True, help_text="The document has color content.")
    color_mode = serializers.ChoiceField(choices=ColorMode.choices)
    two_sided = serializers.ChoiceField(choices=TwoSided.choices)
    paper_size = serializers.ChoiceField(choices=PaperSize.choices)
    submitted_at = serializers.DateTimeField()
    release_count = serializers.IntegerField(help_text="Times released with print and keep.")


class ReleaseOptionsSerializer(serializers.Serializer):
    change_copies = serializers.BooleanField(help_text="Enable changing the number of copies before release.")
    print_and_keep = serializers.BooleanField(help_text="Enable print and keep.")
    automatic_release = serializers.BooleanField(help_text="Enable automatic print release (POST auto-release).")
    oldest_first = serializers.BooleanField(help_text="The list is oldest first (else newest first).")
    delegation = serializers.BooleanField(help_text="Enable print job delegation.")


class JobListSerializer(serializers.Serializer):
    jobs = ReleaseJobSerializer(many=True)
    options = ReleaseOptionsSerializer()


class ReleasedJobSerializer(ReleaseJobSerializer):
    document_url = serializers.URLField(help_text="GET it (application token only) while the job is releasing.")
    outcome_url = serializers.URLField(help_text="POST the outcome there once printed, cancelled or failed.")
    settings = serializers.DictField(help_text="The effective print settings: every print setting of the job, "
                                               "`copies`, `color_mode` and `two_sided` after the print policy, "
                                               "`policy_changed` (what the policy forced), `pages`, `impressions` "
                                               "(pages x copies), `color` (charged as color), `keep`.")


class RefusedJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    error = serializers.CharField(help_text="not_found, releasing, not_ready, failed, color_change, policy, "
                                            "printing_disabled, quota_exceeded, color_quota_exceeded.")
    detail = serializers.CharField(help_text="The message to show the user.")


class ReleaseAnswerSerializer(serializers.Serializer):
    released = ReleasedJobSerializer(many=True)
    refused = RefusedJobSerializer(many=True)


@extend_schema_field(OpenApiTypes.STR)
class LocalTimeField(serializers.Field):
    """The printer's wall clock (ISO 8601, with or without offset), kept as given: print policies compare its
    weekday and time of day, which a conversion to the server's time zone would shift."""

    def to_internal_value(self, data):
        try:
            if not isinstance(data, str) or len(data) > 40:
                raise ValueError
            return datetime.fromisoformat(data.strip())
        except ValueError:
            raise serializers.ValidationError("Give the printer's local time as ISO 8601, e.g. "
                                              "2025-03-03T08:30:00.") from None

    def to_representation(self, value):
        return value.isoformat()


class AutoReleaseRequestSerializer(serializers.Serializer):
    printer_serial = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                           help_text="The releasing printer's serial number (Fleet Management).")
    local_time = LocalTimeField(required=False, help_text="The printer's local time (policies).")


class ReleaseRequestSerializer(AutoReleaseRequestSerializer):
    job_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                    max_length=MAX_JOBS_PER_RELEASE, help_text="The selected jobs.")
    all = serializers.BooleanField(required=False, default=False, help_text="Release every job of the list.")
    copies = serializers.IntegerField(required=False, min_value=1, max_value=MAX_COPIES,
                                      help_text="Only with Enable changing the number of copies before release.")
    keep = serializers.BooleanField(required=False, default=False, help_text="Print and keep (when enabled).")
    color_mode = serializers.ChoiceField(choices=ColorMode.choices, required=False,
                                         help_text="Change Print Settings > Color, for this release (black and "
                                                   "white jobs stay black and white).")
    two_sided = serializers.ChoiceField(choices=TwoSided.choices, required=False,
                                        help_text="Change Print Settings > Sides, for this release.")
    app = serializers.ChoiceField(choices=APPS, required=False, default=PRINT_RELEASE)

    def validate(self, attrs):
        if bool(attrs.get("job_ids")) == bool(attrs["all"]):
            raise serializers.ValidationError({"job_ids": "Give either job_ids or all: true."})
        if attrs["app"] == CLOUD_PRINT_RELEASE:
            if not attrs["all"]:
                raise serializers.ValidationError({"all": "Cloud Print Release releases all print jobs; "
                                                          "individual print job selection is not supported."})
            if {"copies", "color_mode", "two_sided"} & set(attrs) or attrs["keep"]:
                raise serializers.ValidationError({"app": "Cloud Print Release does not change print settings."})
        return attrs


class OutcomeRequestSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=OUTCOMES)
    pages = serializers.IntegerField(required=False, min_value=0, max_value=10_000_000,
                                     help_text="Pages printed (impressions, every copy). Default: the release's.")
    sheets = serializers.IntegerField(required=False, min_value=0, max_value=10_000_000)
    color = serializers.BooleanField(required=False, allow_null=True, default=None)
    duplex = serializers.BooleanField(required=False, allow_null=True, default=None)
    paper_size = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")


class OutcomeAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = serializers.CharField()
    in_queue = serializers.BooleanField(help_text="False once printed (unless print and keep).")
    state = serializers.CharField(help_text="`held` when the job stays in the queue, `printed` otherwise.")


def _job_body(job: PrintJob, user) -> dict:
    owner = job.owner
    return {"id": job.pk, "title": job.title, "owner": {"id": owner.pk, "email": owner.email, "name": owner.name},
            "delegated": owner.pk != user.pk, "source": job.source, "pages": job.pages, "copies": job.copies,
            "color": job.color, "color_mode": job.color_mode, "two_sided": job.two_sided,
            "paper_size": job.paper_size, "submitted_at": job.submitted_at.isoformat(),
            "release_count": job.release_count}


def _options(organization) -> dict:
    row = get_settings(organization)
    return {"change_copies": row.change_copies_before_release, "print_and_keep": row.print_and_keep,
            "automatic_release": row.automatic_release, "oldest_first": row.oldest_first,
            "delegation": row.delegation}


def _error(code: str, detail: str, status_code: int) -> Response:
    return Response({"error": code, "detail": detail}, status=status_code)


# --- endpoints -------------------------------------------------------------------------------------------------

class ReleaseAPIView(DeviceAPIView):
    """Refusals of the release service (ReleaseError) answered as {"error", "detail"} with their status."""

    def handle_exception(self, exc):
        if isinstance(exc, ReleaseError):
            return _error(exc.code, exc.message, exc.status)
        return super().handle_exception(exc)

    def valid(self, serializer_class) -> dict:
        body = serializer_class(data=self.request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data


class SessionAPIView(ReleaseAPIView):
    """The user's calls: the session user (self.user), else 401 invalid_session (after the printer's own
    token was checked)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.session = session_of(request)
        self.user = self.session.user if self.session is not None else None
        if self.user is None:
            raise ReleaseError("invalid_session", MESSAGES["invalid_session"], status.HTTP_401_UNAUTHORIZED)

    def check_app(self, app: str) -> None:
        """Cloud Print Release: "Users can use Cloud Print Release using a PIN or secure login code only"."""
        if app == CLOUD_PRINT_RELEASE and self.session.method not in CLOUD_PRINT_RELEASE_LOGINS:
            raise ReleaseError("method_not_allowed", "Cloud Print Release works with a PIN or a secure login code "
                                                     "only.")

    def release_answer(self, result) -> Response:
        released = []
        for job in result.released:
            settings = {k: v for k, v in job.release_settings.items() if k != "application"}
            released.append({
                **_job_body(job, self.user), "settings": settings,
                "document_url": self.request.build_absolute_uri(reverse("device-print:job-document", args=[job.pk])),
                "outcome_url": self.request.build_absolute_uri(reverse("device-print:job-outcome", args=[job.pk]))})
        refused = [{"id": r.job_id, "error": r.code, "detail": r.message} for r in result.refused]
        return Response({"released": released, "refused": refused})


class JobListView(SessionAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_print_jobs", summary="The user's print release list",
        description="Held jobs of the session user and (delegation on) of the users who made them a delegate, "
                    "oldest first when the organization lists the oldest first, newest first otherwise; with the "
                    "organization's release options. `app=cloud_print_release` leaves delegated jobs out.",
        parameters=[SESSION, OpenApiParameter("app", OpenApiTypes.STR, enum=[a for a, _l in APPS], required=False)],
        responses={200: JobListSerializer, 401: NO_SESSION})
    def get(self, request):
        self.check_app(request.query_params.get("app", PRINT_RELEASE))
        delegated = request.query_params.get("app", PRINT_RELEASE) != CLOUD_PRINT_RELEASE
        jobs = release_services.release_queue(self.user, self.organization, include_delegated=delegated)
        return Response({"jobs": [_job_body(job, self.user) for job in jobs[:1000]],
                         "options": _options(self.organization)})


class ReleaseView(SessionAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_print_release", summary="Release the selected jobs, or all",
        description="Each job is checked on its own (held, the user's or a delegator's, the owner's print policy "
                    "at the printer's `local_time`, the owner's quota for pages x copies) and answered in "
                    "`released` (now releasing: download `document_url`, print with `settings`, POST "
                    "`outcome_url`) or `refused` (still held). `copies` needs Enable changing the number of "
                    "copies before release, `keep` Enable print and keep (else 403).",
        parameters=[SESSION], request=ReleaseRequestSerializer,
        responses={200: ReleaseAnswerSerializer, 400: OpenApiResponse(description="Malformed body."),
                   401: NO_SESSION,
                   403: OpenApiResponse(ErrorSerializer, description="`copies_not_allowed`, `keep_not_allowed`, "
                                                                     "`not_allowed` (no Print Release role).")})
    def post(self, request):
        data = self.valid(ReleaseRequestSerializer)
        self.check_app(data["app"])
        return self.release_answer(release_services.start_release(
            self.user, self.organization, "all" if data["all"] else data["job_ids"], application=self.application,
            printer_serial=data.get("printer_serial", ""), copies=data.get("copies"), keep=data["keep"],
            local_time=data.get("local_time"), include_delegated=data["app"] != CLOUD_PRINT_RELEASE,
            color_mode=data.get("color_mode"), two_sided=data.get("two_sided")))


class AutoReleaseView(SessionAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_print_auto_release", summary="Automatic print release after login",
        description="Releases every job of the session user's own queue (never delegated jobs), as POST release "
                    "with all: true. The app calls it after the user let the cancel prompt pass.",
        parameters=[SESSION], request=AutoReleaseRequestSerializer,
        responses={200: ReleaseAnswerSerializer, 401: NO_SESSION,
                   403: OpenApiResponse(ErrorSerializer, description="`automatic_release_off`.")})
    def post(self, request):
        data = self.valid(AutoReleaseRequestSerializer)
        return self.release_answer(release_services.auto_release(
            self.user, self.organization, application=self.application,
            printer_serial=data.get("printer_serial", ""), local_time=data.get("local_time")))


class JobDeleteView(SessionAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_print_job_delete", summary="Delete a job of the user's queue",
        parameters=[SESSION], request=None,
        responses={204: OpenApiResponse(description="Deleted (a history row \"deleted\")."), 401: NO_SESSION,
                   403: OpenApiResponse(ErrorSerializer, description="`not_owner`: a delegate cannot delete."),
                   404: OpenApiResponse(ErrorSerializer, description="`not_found`."),
                   409: OpenApiResponse(ErrorSerializer, description="`releasing`: being printed.")})
    def post(self, request, job_id):
        job = release_services.listed_job(self.user, self.organization, job_id)
        if job is None:
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        if job.owner_id != self.user.pk:
            return _error("not_owner", "Only the owner of a job can delete it.", status.HTTP_403_FORBIDDEN)
        if job.state == JobState.RELEASING or not job_services.delete_jobs(self.organization, [job], by=self.user):
            return _error("releasing", "The job is being printed.", status.HTTP_409_CONFLICT)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JobDocumentView(DeviceAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_print_job_document", summary="Download the document being released",
        description="The rendered PDF, only while the job is releasing and only for the application (printer) "
                    "that released it.",
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, 401: UNAUTHORIZED,
                   404: OpenApiResponse(ErrorSerializer, description="`not_found`.")})
    def get(self, request, job_id):
        try:
            job = release_services.releasing_job(self.organization, self.application, job_id)
            handle = job.document.open("rb")
        except (PrintJob.DoesNotExist, ValueError, OSError):
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        response = FileResponse(handle, content_type="application/pdf", as_attachment=False,
                                filename=f"job-{job.pk}.pdf")
        response["Cache-Control"] = "no-store"
        return response


class JobOutcomeView(ReleaseAPIView):
    @extend_schema(
        tags=[TAG], operation_id="device_print_job_outcome", summary="Report how the release ended",
        description="`printed`: history, quota used, and the job leaves the queue (print and keep: back in the "
                    "queue). `cancelled` / `failed`: the job stays in the queue.",
        request=OutcomeRequestSerializer,
        responses={200: OutcomeAnswerSerializer, 400: OpenApiResponse(description="Malformed body."),
                   401: UNAUTHORIZED, 404: OpenApiResponse(ErrorSerializer, description="`not_found`: no such "
                                                                                         "job releasing here.")})
    def post(self, request, job_id):
        data = self.valid(OutcomeRequestSerializer)
        report = PrinterReport(result=data["result"], pages=data.get("pages"), sheets=data.get("sheets"),
                               color=data["color"], duplex=data["duplex"], paper_size=data["paper_size"])
        try:
            job = release_services.report_outcome(self.organization, self.application, job_id, report)
        except PrintJob.DoesNotExist:
            return Response(NOT_FOUND, status=status.HTTP_404_NOT_FOUND)
        return Response({"id": job_id, "result": data["result"], "in_queue": job is not None,
                         "state": JobState.HELD if job is not None else JobState.PRINTED})


urlpatterns = [
    path("jobs", JobListView.as_view(), name="jobs"),
    path("release", ReleaseView.as_view(), name="release"),
    path("auto-release", AutoReleaseView.as_view(), name="auto-release"),
    path("jobs/<int:job_id>/delete", JobDeleteView.as_view(), name="job-delete"),
    path("jobs/<int:job_id>/document", JobDocumentView.as_view(), name="job-document"),
    path("jobs/<int:job_id>/outcome", JobOutcomeView.as_view(), name="job-outcome"),
]
