"""Print Queue: the signed-in user's jobs and their delegators' (administrators pick any user), Upload File
(one or many, drag and drop), per-job print settings, Set Default Print Settings, Delete. The organization's
e-mail submission address shows as a banner."""
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import TemplateView

from accounts.forms.organizations import apply_errors
from accounts.roles import Perm
from lexcloud.ids import parse_ids

from ..choices import JobSource, JobState
from ..forms import DefaultPrintSettingsForm, PrintSettingsForm
from ..models import PrintJob
from ..services import jobs as job_services
from ..services import print_settings as settings_services
from ..services.org_settings import get_settings
from ..services.submission import submit_job
from ..uploads import bound_uploads
from .base import PAGE_SIZE, PrintViewMixin, plural


class QueueMixin(PrintViewMixin):
    permission = Perm.PRINT_USE
    print_tab = "queue"

    def picked_owner(self):
        """?user= (administrators): whose queue the page shows; None for the viewer's own."""
        value = self.request.GET.get("user") or self.request.POST.get("user") or ""
        if not value:
            return None
        if not self.is_admin:
            raise PermissionDenied("Only Print Release Management Administrators see other users' queues.")
        owner = self.user_in_org(value)
        return None if owner.pk == self.request.user.pk else owner

    def queue_url(self, owner=None) -> str:
        url = reverse("printmgmt:queue", kwargs={"org_id": self.organization.pk})
        return f"{url}?user={owner.pk}" if owner is not None else url


class PrintQueueView(QueueMixin, TemplateView):
    template_name = "printmgmt/queue.html"

    def get_template_names(self):
        if self.request.headers.get("X-Requested-With") == "fetch":
            return ["printmgmt/_queue_table.html"]   # the auto refresh while documents convert
        return [self.template_name]

    def get_context_data(self, **kwargs):
        owner = self.picked_owner()
        jobs = job_services.queue_for(self.request.user, self.organization, owner=owner)
        oldest_first = get_settings(self.organization).oldest_first
        jobs = jobs.order_by("submitted_at", "id") if oldest_first else jobs.order_by("-submitted_at", "-id")
        page = Paginator(jobs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        rows = [{"job": job, "can_change": job_services.can_change(self.request.user, job),
                 "delegated": job.owner_id != self.request.user.pk} for job in page]
        users = []
        if self.is_admin:
            users = list(self.user_in_org_queryset().values_list("email", flat=True)[:500])
        return super().get_context_data(page=page, rows=rows, owner=owner, users=users,
                                        converting=any(r["job"].state == JobState.CONVERTING for r in rows),
                                        refresh_url=self.request.get_full_path(), **kwargs)

    def user_in_org_queryset(self):
        from django.contrib.auth import get_user_model

        return get_user_model().objects.for_user(self.request.user, Perm.PRINT_ADMIN,
                                                 organization=self.organization).filter(is_active=True)


class UploadView(QueueMixin, View):
    """Upload File > drag files or Choose Files > Done: each file a job in the queue shown (the administrator's
    picked user, else the viewer's own)."""

    http_method_names = ["post"]

    @method_decorator(csrf_exempt)
    def dispatch(self, request, *args, **kwargs):
        """The CSRF check reads the body: the bounded upload handler must be in place before it (Django's
        documented pattern: csrf_exempt around it, csrf_protect after)."""
        bound_uploads(request)
        return csrf_protect(super().dispatch)(request, *args, **kwargs)

    def post(self, request, org_id):
        owner = self.picked_owner()
        files = request.FILES.getlist("files")
        if not files:
            messages.error(request, "Choose one or more files to upload.")
            return redirect(self.queue_url(owner))
        accepted, errors = 0, []
        for upload in files:
            try:
                submit_job(self.organization, owner or request.user, upload, source=JobSource.WEB)
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                accepted += 1
        if accepted:
            messages.success(request, f"{plural(accepted, 'file')} uploaded.")
        for error in errors:
            messages.error(request, error)
        return redirect(self.queue_url(owner))


class DeleteJobsView(QueueMixin, View):
    """Select jobs > Delete > Delete Print Jobs."""

    http_method_names = ["post"]

    def post(self, request, org_id):
        owner = self.picked_owner()
        ids = parse_ids(request.POST.getlist("job"))
        jobs = [job for job in job_services.queue_for(request.user, self.organization, owner=owner).filter(pk__in=ids)
                if job_services.can_change(request.user, job)]
        if not jobs:
            messages.error(request, "Select one or more of your print jobs to delete.")
        else:
            deleted = job_services.delete_jobs(self.organization, jobs, by=request.user)
            messages.success(request, f"{plural(deleted, 'print job')} deleted.")
        return redirect(self.queue_url(owner))


class JobView(QueueMixin, TemplateView):
    """Click a job: description and print settings > Save Changes."""

    template_name = "printmgmt/job.html"

    def get_job(self) -> PrintJob:
        try:
            return job_services.visible_job(self.request.user, self.organization, self.kwargs["print_job_id"])
        except PrintJob.DoesNotExist:
            raise Http404("No such print job.") from None

    def get_context_data(self, form=None, **kwargs):
        job = kwargs.pop("job", None) or self.get_job()
        form = form or PrintSettingsForm(instance=job)
        owner = job.owner if job.owner_id != self.request.user.pk else None
        return super().get_context_data(job=job, form=form, can_change=job_services.can_change(self.request.user, job),
                                        back_url=self.queue_url(owner if self.is_admin else None), **kwargs)

    def post(self, request, org_id, print_job_id):
        job = self.get_job()
        form = PrintSettingsForm(request.POST)
        if form.is_valid():
            try:
                job_services.update_job(job, form.values(), by=request.user)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Print settings of “{job.title}” saved.")
                owner = job.owner if job.owner_id != request.user.pk and self.is_admin else None
                return redirect(self.queue_url(owner))
        return self.render_to_response(self.get_context_data(form=form, job=job), status=400)


class DefaultSettingsView(QueueMixin, TemplateView):
    """Set Default Print Settings: applied to every job submitted afterwards."""

    template_name = "printmgmt/defaults.html"

    def get_context_data(self, form=None, **kwargs):
        owner = self.picked_owner()
        if form is None:
            form = DefaultPrintSettingsForm(initial=settings_services.default_settings(owner or self.request.user))
        return super().get_context_data(form=form, owner=owner, back_url=self.queue_url(owner), **kwargs)

    def post(self, request, org_id):
        owner = self.picked_owner()
        form = DefaultPrintSettingsForm(request.POST)
        if form.is_valid():
            try:
                settings_services.set_default_settings(owner or request.user, form.values(), by=request.user)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Default print settings saved.")
                return redirect(self.queue_url(owner))
        return self.render_to_response(self.get_context_data(form=form), status=400)


urlpatterns = [
    path("queue/", PrintQueueView.as_view(), name="queue"),
    path("queue/upload/", UploadView.as_view(), name="queue-upload"),
    path("queue/delete/", DeleteJobsView.as_view(), name="queue-delete"),
    path("queue/defaults/", DefaultSettingsView.as_view(), name="queue-defaults"),
    path("queue/jobs/<int:print_job_id>/", JobView.as_view(), name="job"),
]
