"""The Tasks page (guide "Managing tasks"): tasks with their status and progress, a task's jobs (filter by
status, **Export to CSV**), **Stop** for a task and for a pending job, and the files agents uploaded for jobs
(download needs the File Service Administrator role)."""
import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from accounts.access import effective_permissions
from accounts.gate import OrgViewMixin
from accounts.roles import Perm

from ..choices import JobStatus, TaskStatus, TaskType
from ..models import Job, TaskFile
from ..services import tasks as task_services

PAGE_SIZE = 50
JOBS_PAGE_SIZE = 100
CSV_HEADER = ["Task ID", "Organization", "Target", "Serial number", "Agent", "Status", "Progress", "Message",
              "Created", "Started", "Finished"]


def _choice(value, choices) -> str:
    return value if value in choices else ""


class TasksMixin(OrgViewMixin):
    """Pages of the Tasks tab: the organization's tasks (and a partner's bulk tasks) through the one gate."""

    def perms(self):
        return effective_permissions(self.request.user, self.organization)

    def tasks(self):
        return task_services.visible_tasks(self.request.user, self.organization, self.permission)

    def get_task(self):
        if not hasattr(self, "_task"):
            queryset = self.tasks().select_related("organization", "created_by")
            self._task = get_object_or_404(queryset, pk=self.kwargs["task_id"])
        return self._task

    def http_method_not_allowed(self, request, *args, **kwargs):
        if "task_id" in kwargs:
            self.get_task()  # another organization's task answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)

    def back(self, default: str):
        """Where a form posted from a page of this site returns to."""
        target = self.request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return redirect(target)
        return redirect(default)

    def act(self, action, done, default_url: str):
        """Run a stop (a service call), tell the user how it went (`done(result)`), and go back where the form
        was posted from."""
        try:
            result = action()
        except ValidationError as error:
            messages.error(self.request, " ".join(error.messages))
        else:
            messages.success(self.request, done(result))
        return self.back(default_url)

    def with_stop_urls(self, tasks=(), jobs=()):
        """Stop buttons where they apply: pending work, not an unenroll task, a user who may manage the fleet."""
        can_manage = Perm.FLEET_MANAGE in self.perms()
        for task in tasks:
            task.stop_url = reverse("fleet:task-stop", kwargs={"org_id": self.organization.pk, "task_id": task.pk}) \
                if can_manage and task.jobs_pending and task.task_type not in task_services.UNSTOPPABLE else ""
        for job in jobs:
            job.stop_url = reverse("fleet:job-stop", kwargs={"org_id": job.organization_id, "job_id": job.pk}) \
                if can_manage and job.status == JobStatus.PENDING \
                and job.task.task_type not in task_services.UNSTOPPABLE else ""

    def get_context_data(self, **kwargs):
        perms = self.perms()
        return super().get_context_data(fleet_tab="tasks", can_manage=Perm.FLEET_MANAGE in perms,
                                        can_download=Perm.FLEET_FILES in perms, **kwargs)


class TaskListView(TasksMixin, TemplateView):
    template_name = "fleet/tasks/list.html"
    permission = Perm.FLEET_VIEW

    def get_context_data(self, **kwargs):
        status = _choice(self.request.GET.get("status", ""), TaskStatus.values)
        task_type = _choice(self.request.GET.get("type", ""), TaskType.values)
        tasks = self.tasks().select_related("organization", "created_by").order_by("-created_at", "-id")
        if status:
            tasks = tasks.filter(status=status)
        if task_type:
            tasks = tasks.filter(task_type=task_type)
        page = Paginator(tasks, PAGE_SIZE).get_page(self.request.GET.get("page"))
        self.with_stop_urls(tasks=page.object_list)
        return super().get_context_data(
            page=page, total=page.paginator.count, status=status, task_type=task_type,
            statuses=TaskStatus.choices, types=TaskType.choices, filtered=bool(status or task_type), **kwargs)


def _job_rows(view, task, statuses):
    jobs = task_services.task_jobs(view.request.user, task, view.organization, view.permission)
    if statuses:
        jobs = jobs.filter(status__in=statuses)
    return jobs.select_related("agent", "organization", "task").order_by("id")


class TaskDetailView(TasksMixin, TemplateView):
    """Click the task ID: its jobs, filtered by one or more statuses."""

    template_name = "fleet/tasks/detail.html"
    permission = Perm.FLEET_VIEW

    def get_context_data(self, **kwargs):
        task = self.get_task()
        statuses = [s for s in self.request.GET.getlist("status") if s in JobStatus.values]
        live = TaskFile.objects.filter(expires_at__gt=timezone.now()).order_by("name")
        jobs = _job_rows(self, task, statuses).prefetch_related(Prefetch("files", queryset=live, to_attr="live_files"))
        page = Paginator(jobs, JOBS_PAGE_SIZE).get_page(self.request.GET.get("page"))
        self.with_stop_urls(tasks=[task], jobs=page.object_list)
        query = "&".join(f"status={s}" for s in statuses)
        parent = None
        if task.parent_id:
            parent = self.tasks().filter(pk=task.parent_id).first()
        return super().get_context_data(
            task=task, page=page, statuses=statuses, job_statuses=JobStatus.choices, query=query, parent=parent,
            unstoppable=task_services.UNSTOPPABLE, **kwargs)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


class _Echo:
    def write(self, value):
        return value


class TaskExportView(TasksMixin, View):
    """**Export to CSV**: "Only the filtered jobs are exported." (UTF-8, streamed)."""

    permission = Perm.FLEET_VIEW

    def get(self, request, org_id, task_id):
        task = self.get_task()
        statuses = [s for s in request.GET.getlist("status") if s in JobStatus.values]
        jobs = _job_rows(self, task, statuses)
        writer = csv.writer(_Echo())

        def rows():
            yield "\ufeff" + writer.writerow(CSV_HEADER)
            for job in jobs.iterator(chunk_size=2000):
                yield writer.writerow([
                    job.task_id, job.organization.name, job.target, job.serial, job.agent.name if job.agent else "",
                    job.get_status_display(), job.progress, job.message, _when(job.created_at),
                    _when(job.started_at), _when(job.finished_at)])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="task-{task.pk}.csv"'
        return response


class TaskStopView(TasksMixin, View):
    """**Stop** beside a task's status: its pending jobs stop ("Only pending tasks for a printer can be
    stopped.", "Unenrolling of printers cannot be stopped.")."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id, task_id):
        task = self.get_task()
        scope = (task_services.scope_ids(request.user, self.organization, Perm.FLEET_MANAGE)
                 if task.is_bulk else None)
        return self.act(lambda: task_services.stop_task(task, user=request.user, organization_ids=scope),
                        lambda n: f"Task {task.pk}: {n} pending job{'s' if n != 1 else ''} stopped.",
                        reverse("fleet:task", kwargs={"org_id": org_id, "task_id": task.pk}))


class JobStopView(TasksMixin, View):
    """**Stop** beside a job's status: "Only pending jobs can be stopped.\""""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def get_job(self) -> Job:
        jobs = Job.objects.for_user(self.request.user, self.permission, organization=self.organization)
        return get_object_or_404(jobs.select_related("task"), pk=self.kwargs["job_id"])

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_job()
        return super().http_method_not_allowed(request, *args, **kwargs)

    def post(self, request, org_id, job_id):
        job = self.get_job()
        return self.act(lambda: task_services.stop_job(job, user=request.user),
                        lambda job: f"Job {job.pk} ({job.target}) stopped.", reverse("fleet:task", kwargs={"org_id": org_id, "task_id": job.task_id}))


class TaskFileDownloadView(OrgViewMixin, View):
    """A file an agent uploaded (a log, a MIB walk) until its expiration; File Service Administrator only."""

    permission = Perm.FLEET_FILES

    def get(self, request, org_id, file_id):
        files = TaskFile.objects.for_user(request.user, self.permission, organization=self.organization)
        task_file = get_object_or_404(files, pk=file_id, expires_at__gt=timezone.now())
        try:
            content = task_file.content.open("rb")
        except FileNotFoundError:
            raise Http404("The file is no longer available.") from None
        return FileResponse(content, as_attachment=True, filename=task_file.name)


urlpatterns = [
    path("tasks/", TaskListView.as_view(), name="tasks"),
    path("tasks/<int:task_id>/", TaskDetailView.as_view(), name="task"),
    path("tasks/<int:task_id>/export.csv", TaskExportView.as_view(), name="task-export"),
    path("tasks/<int:task_id>/stop/", TaskStopView.as_view(), name="task-stop"),
    path("jobs/<int:job_id>/stop/", JobStopView.as_view(), name="job-stop"),
    path("files/<int:file_id>/", TaskFileDownloadView.as_view(), name="task-file"),
]
