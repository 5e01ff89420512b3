"""Tasks API under /api/v1/organizations/{org_id}/fleet/: the tasks of the Tasks page (filters `status`,
`task_type`), a task with its jobs (filter `job_status`, repeatable), and Stop for a task and for a job. Views
check the gate and validate; fleet.services.tasks decides."""
from django.db.models import Prefetch
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.gate import OrgScopedAPIMixin
from accounts.roles import Perm

from ..choices import JobStatus
from ..models import Job, Task, TaskFile
from ..services import tasks as task_services

TAG = "Fleet tasks"


class TaskFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskFile
        fields = ["id", "name", "size", "created_at", "expires_at"]


class JobSerializer(serializers.ModelSerializer):
    agent_name = serializers.CharField(source="agent.name", default="", read_only=True)
    files = TaskFileSerializer(source="live_files", many=True, read_only=True, default=list,
                               help_text="Files the agent uploaded, until they expire.")

    class Meta:
        model = Job
        fields = ["id", "task", "organization", "printer", "serial", "target", "agent", "agent_name", "status",
                  "progress", "message", "result", "created_at", "sent_at", "started_at", "finished_at", "files"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    organization_name = serializers.SerializerMethodField(help_text='"Multiple" for a bulk task.')
    submitted_by = serializers.SerializerMethodField(help_text="E-mail of the user who submitted the task.")
    jobs_total = serializers.IntegerField(read_only=True)
    jobs_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = Task
        fields = ["id", "task_type", "organization", "organization_name", "parent", "status", "submitted_by",
                  "created_at", "finished_at", "jobs_total", "jobs_done", "job_counts"]
        read_only_fields = fields

    def get_organization_name(self, task) -> str:
        return "Multiple" if task.is_bulk else task.organization.name

    def get_submitted_by(self, task) -> str:
        return task.created_by.email if task.created_by else ""


class TaskDetailSerializer(TaskSerializer):
    jobs = JobSerializer(source="listed_jobs", many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "jobs"]
        read_only_fields = fields


class TasksAPIMixin(OrgScopedAPIMixin):
    permission = Perm.FLEET_VIEW

    def tasks(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request organization
            return Task.objects.none()
        return task_services.visible_tasks(self.request.user, self.organization, self.permission) \
            .select_related("organization", "created_by")

    def get_task(self) -> Task:
        task = self.tasks().filter(pk=self.kwargs["task_id"]).first()
        if task is None:
            raise NotFound("No such task.")
        return task

    def http_method_not_allowed(self, request, *args, **kwargs):
        if "task_id" in kwargs:
            self.get_task()  # another organization's task answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)


class TaskListAPI(TasksAPIMixin, generics.ListAPIView):
    """Tasks of the organization, newest first (and a partner's bulk tasks over its organizations)."""

    serializer_class = TaskSerializer
    filterset_fields = ["status", "task_type"]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return self.tasks()


class TaskDetailAPI(TasksAPIMixin, APIView):
    @extend_schema(tags=[TAG], responses=TaskDetailSerializer, parameters=[OpenApiParameter(
        "job_status", OpenApiTypes.STR, many=True, enum=JobStatus.values,
        description="Only jobs with these statuses (repeat the parameter for several).")])
    def get(self, request, org_id, task_id):
        task = self.get_task()
        jobs = task_services.task_jobs(request.user, task, self.organization, self.permission)
        statuses = [s for s in request.query_params.getlist("job_status") if s in JobStatus.values]
        if statuses:
            jobs = jobs.filter(status__in=statuses)
        live = TaskFile.objects.filter(expires_at__gt=timezone.now()).order_by("name")
        task.listed_jobs = list(jobs.select_related("agent").order_by("id")
                                .prefetch_related(Prefetch("files", queryset=live, to_attr="live_files")))
        return Response(TaskDetailSerializer(task).data)


class TaskStopAPI(TasksAPIMixin, APIView):
    """Stop the task's pending jobs. 400: "Only pending tasks for a printer can be stopped." or
    "Unenrolling of printers cannot be stopped."."""

    permission = Perm.FLEET_MANAGE

    @extend_schema(tags=[TAG], request=None, responses=inline_serializer("TaskStopped", {
        "stopped": serializers.IntegerField(help_text="How many pending jobs were stopped."),
        "task": TaskSerializer()}))
    def post(self, request, org_id, task_id):
        task = self.get_task()
        scope = (task_services.scope_ids(request.user, self.organization, Perm.FLEET_MANAGE)
                 if task.is_bulk else None)
        stopped = task_services.stop_task(task, user=request.user, organization_ids=scope)
        return Response({"stopped": stopped, "task": TaskSerializer(task).data})


class JobStopAPI(OrgScopedAPIMixin, APIView):
    """Stop one pending job. 400: "Only pending jobs can be stopped."."""

    permission = Perm.FLEET_MANAGE

    def get_job(self) -> Job:
        job = self.scoped(Job.objects.select_related("task", "agent")).filter(pk=self.kwargs["job_id"]).first()
        if job is None:
            raise NotFound("No such job.")
        return job

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_job()
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(tags=[TAG], request=None, responses=JobSerializer)
    def post(self, request, org_id, job_id):
        job = task_services.stop_job(self.get_job(), user=request.user)
        return Response(JobSerializer(job).data)


urlpatterns = [
    path("fleet/tasks/", TaskListAPI.as_view(), name="api-fleet-tasks"),
    path("fleet/tasks/<int:task_id>/", TaskDetailAPI.as_view(), name="api-fleet-task"),
    path("fleet/tasks/<int:task_id>/stop/", TaskStopAPI.as_view(), name="api-fleet-task-stop"),
    path("fleet/jobs/<int:job_id>/stop/", JobStopAPI.as_view(), name="api-fleet-job-stop"),
]
