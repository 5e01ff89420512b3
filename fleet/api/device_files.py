"""Agent-facing routes under /api/agents/v1/: files an agent uploads for one of its jobs (printer logs, MIB
walks, its own log), kept until they expire (fleet.services.tasks.attach_file)."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from ..models import Job
from ..services import tasks as task_services
from .device_auth import AgentAPIView

TAG = "agents"
MULTIPART_OVERHEAD = 64 * 1024   # boundaries and headers around the file part


def _too_large() -> Response:
    limit = settings.FLEET_TASK_FILE_MAX_BYTES // (1024 * 1024)
    return Response({"detail": f"The file must not exceed {limit} MB."}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class JobFileUploadAPI(AgentAPIView):
    """POST multipart `file`: attach a file to a job of the calling agent. Another agent's job answers 404."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=[TAG], operation_id="agent_job_file_upload",
        request={"multipart/form-data": inline_serializer("JobFileUpload", {"file": serializers.FileField()})},
        responses={201: inline_serializer("JobFile", {
            "id": serializers.IntegerField(), "name": serializers.CharField(), "size": serializers.IntegerField(),
            "expires_at": serializers.DateTimeField()}),
            404: OpenApiResponse(description="Not a job of this agent."),
            409: OpenApiResponse(description="The job no longer accepts files."),
            413: OpenApiResponse(description="The file is larger than the limit.")},
    )
    def post(self, request, job_id):
        job = Job.objects.filter(pk=job_id, agent=self.agent).first()
        if job is None:
            raise NotFound("No such job for this agent.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.FLEET_TASK_FILE_MAX_BYTES + MULTIPART_OVERHEAD:
            return _too_large()  # refused before the body is read
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return Response({"file": ["Attach the file as the multipart field 'file'."]},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            task_file = task_services.attach_file(job, uploaded)
        except ValidationError as error:
            if error.code == "too_large":
                return _too_large()
            return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
        return Response({"id": task_file.pk, "name": task_file.name, "size": task_file.size,
                         "expires_at": task_file.expires_at}, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("jobs/<int:job_id>/files", JobFileUploadAPI.as_view(), name="job-files"),
]
