"""Import Users pages: upload a CSV/TXT file, follow its progress, read its log (spec C §9)."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.generic import FormView, TemplateView, View

from ..choices import ImportStatus
from ..gate import OrgViewMixin
from ..models import UserImport
from ..roles import Perm
from ..services import imports as import_services

SHOWN_ERRORS = 500


class UserImportForm(forms.Form):
    file = forms.FileField(label="File", widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}),
                           help_text="A CSV or TXT file of at most 1MB.")
    send_password_links = forms.BooleanField(label="E-mail a link to change the password", required=False)


class UserImportView(OrgViewMixin, FormView):
    """"Import Users": the file, the password-link option, and the recent imports of the organization."""

    template_name = "accounts/users/import.html"
    permission = Perm.USERS_MANAGE
    form_class = UserImportForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["header"] = import_services.HEADER_LINE
        context["recent"] = (UserImport.objects.filter(organization=self.organization)
                             .select_related("created_by").defer("content")[:10])
        return context

    def form_valid(self, form):
        try:
            user_import = import_services.start_user_import(
                self.organization, form.cleaned_data["file"], by=self.request.user,
                send_password_links=form.cleaned_data["send_password_links"])
        except ValidationError as exc:
            form.add_error("file", exc.messages)
            return self.form_invalid(form)
        messages.success(self.request, "The import has started. The import log is sent to your email address.")
        return redirect("accounts:user-import-detail", org_id=self.organization.pk, import_id=user_import.pk)


class UserImportSampleView(OrgViewMixin, View):
    permission = Perm.USERS_MANAGE

    def get(self, request, org_id):
        response = HttpResponse(import_services.SAMPLE_CSV, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="users-sample.csv"'
        return response


class UserImportDetailView(OrgViewMixin, TemplateView):
    """Status and progress (the page refreshes every 2 seconds while the import runs), then the log."""

    template_name = "accounts/users/import_detail.html"
    permission = Perm.USERS_MANAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user_import = get_object_or_404(
            UserImport.objects.for_user(self.request.user, self.permission, organization=self.organization)
            .select_related("created_by").defer("content"),
            pk=self.kwargs["import_id"])
        errors = (user_import.result or {}).get("errors") or []
        context.update({
            "import": user_import,
            "running": user_import.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
            "errors": errors[:SHOWN_ERRORS],
            "hidden_errors": max(0, len(errors) - SHOWN_ERRORS),
        })
        return context


urlpatterns = [
    path("users/import/", UserImportView.as_view(), name="user-import"),
    path("users/import/sample.csv", UserImportSampleView.as_view(), name="user-import-sample"),
    path("users/imports/<int:import_id>/", UserImportDetailView.as_view(), name="user-import-detail"),
]
