"""Client API for print clients (the LPMC's role), mounted at /api/client/v1/: the client authenticates as a
printer/device Application of the organization (client-credentials bearer token from POST /oauth/token), sends
the document, then its user authenticates within three minutes (printmgmt.services.client_submission). Every
call is scoped to the token's application: another organization's or another client's submission is "not found".
"""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.api.device import DeviceAPIView, ErrorSerializer, IsDeviceApplication

from ..models.jobs import SETTING_FIELDS
from ..services import client_submission as service
from ..services.client_submission import ClientSubmissionError
from ..uploads import bound_uploads
from .serializers import PrintJobUploadSerializer

app_name = "client"
TAG = "Client API"


class IsSubmittingApplication(IsDeviceApplication):
    """The device API's own check (a printer/device application, not revoked, of an organization that is not
    being deleted), then the client service's say."""

    message = "This application cannot submit print jobs: use a printer/device application of the organization."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and service.may_submit(request.auth.application)


class AuthenticateSubmissionSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    password = serializers.CharField(max_length=256, required=False, allow_blank=True, trim_whitespace=False)
    token = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                  help_text="One of the user's print tokens, in place of e-mail and password.")

    def validate(self, attrs):
        if not attrs.get("token") and not (attrs.get("email") and attrs.get("password")):
            raise serializers.ValidationError("Send `email` and `password`, or a print `token`.")
        return attrs


SUBMISSION = inline_serializer("ClientSubmission", {
    "key": serializers.UUIDField(), "file_name": serializers.CharField(), "title": serializers.CharField(),
    "state": serializers.CharField(help_text="`waiting`: authenticate before `authenticate_before`."),
    "authenticate_before": serializers.DateTimeField(), "authenticate_url": serializers.URLField()})
JOB = inline_serializer("ClientSubmittedJob", {"job_id": serializers.IntegerField(), "state": serializers.CharField()})
REFUSED = OpenApiResponse(ErrorSerializer, description="`not_found` (404) or `expired` (410: the document was deleted).")


class ClientAPIView(DeviceAPIView):
    permission_classes = [IsSubmittingApplication]

    def refused(self, exc: ClientSubmissionError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return Response({"error": exc.error, "detail": exc.detail}, status=exc.status, headers=headers)

    def body(self, submission) -> dict:
        url = self.request.build_absolute_uri(reverse("client:submission-authenticate", args=[submission.key]))
        return {"key": submission.key, "file_name": submission.file_name, "title": submission.title,
                "state": "waiting", "authenticate_before": submission.deadline, "authenticate_url": url}


def _as_drf(error) -> ValidationError:
    return ValidationError(error.message_dict if hasattr(error, "error_dict") else {"file": error.messages})


class SubmissionListView(ClientAPIView):
    parser_classes = [MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        bound_uploads(request)   # before authentication (its CSRF check) reads the body
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(tags=[TAG], operation_id="client_submit", summary="Send a document; its user authenticates next",
                   description="multipart/form-data: `file`, optional `title` and print settings. The document is "
                               "checked at once; it waits three minutes for POST authenticate, then is deleted.",
                   request=PrintJobUploadSerializer, responses={202: SUBMISSION, 400: OpenApiResponse(
                       description="The file is empty, too large or not what its name says; a bad print setting.")})
    def post(self, request):
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Attach the document as `file`."]})
        settings = {name: request.data[name] for name in SETTING_FIELDS if name in request.data}
        try:
            submission = service.create_submission(self.application, upload, title=request.data.get("title", ""),
                                                   settings=settings)
        except DjangoValidationError as error:
            raise _as_drf(error) from None
        return Response(self.body(submission), status=status.HTTP_202_ACCEPTED)


class SubmissionDetailView(ClientAPIView):
    @extend_schema(tags=[TAG], operation_id="client_submission", summary="Whether a submission still waits",
                   responses={200: SUBMISSION, 404: REFUSED, 410: REFUSED})
    def get(self, request, key):
        try:
            return Response(self.body(service.submission_of(self.application, key)))
        except ClientSubmissionError as exc:
            return self.refused(exc)


class SubmissionAuthenticateView(ClientAPIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(tags=[TAG], operation_id="client_authenticate",
                   summary="The user's e-mail and password (or print token): the document enters their queue",
                   request=AuthenticateSubmissionSerializer,
                   responses={201: JOB, 401: OpenApiResponse(ErrorSerializer, description="`invalid_credentials` "
                              "(also for a user of another organization); the submission keeps waiting."),
                              403: OpenApiResponse(ErrorSerializer, description="`not_allowed`: no print role."),
                              404: REFUSED, 410: REFUSED,
                              429: OpenApiResponse(ErrorSerializer, description="`too_many_attempts`.")})
    def post(self, request, key):
        body = AuthenticateSubmissionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            data = body.validated_data
            job = service.authenticate(self.application, key, email=data.get("email", ""),
                                       password=data.get("password", ""), token=data.get("token", ""),
                                       request=request._request)
        except ClientSubmissionError as exc:
            return self.refused(exc)
        except DjangoValidationError as error:
            raise _as_drf(error) from None
        return Response({"job_id": job.pk, "state": job.state}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("submissions", SubmissionListView.as_view(), name="submissions"),
    path("submissions/<uuid:key>", SubmissionDetailView.as_view(), name="submission"),
    path("submissions/<uuid:key>/authenticate", SubmissionAuthenticateView.as_view(),
         name="submission-authenticate"),
]
