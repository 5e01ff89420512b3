"""Native Agents pages: **Pre-enroll Printers** (typed serials or a CSV/TXT file, optional e-mail), the
pre-enrolled serial's page, **Remove pre-enrolled printers**, and **Enroll Printer** (a code the printer
generated)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import View
from django.views.generic import TemplateView

from accounts.roles import Perm
from lexcloud.csvfile import read_upload
from lexcloud.ids import parse_ids

from ..forms.agents import EnrollPrinterForm, PreEnrollForm
from ..models import PreEnrollment
from ..services import native as native_services
from .agent_base import AgentsMixin


def _native_section(org_id):
    return redirect(reverse("fleet:agents", kwargs={"org_id": org_id}) + "?section=native")


class PreEnrollView(AgentsMixin, TemplateView):
    permission = Perm.FLEET_MANAGE
    template_name = "fleet/agents/pre_enroll.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PreEnrollForm())
        code = native_services.enrollment_code(self.organization).code
        return super().get_context_data(code=code, **kwargs)

    def post(self, request, org_id):
        form = PreEnrollForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        try:
            if data["source"] == PreEnrollForm.FILE:
                _name, content = read_upload(data["file"])
                try:
                    serials = native_services.serials_from_file(content)
                except ValidationError as error:
                    raise ValidationError({"file": error.messages}) from None
            else:
                serials = native_services.serials_from_text(data["serials"])
            result = native_services.pre_enroll(self.organization, serials, email=data["email"],
                                                user=request.user,
                                                request_base_url=request.build_absolute_uri("/").rstrip("/"))
        except ValidationError as error:
            from_file = data["source"] == PreEnrollForm.FILE
            if hasattr(error, "error_dict") and "serials" in error.error_dict and from_file:
                error = ValidationError({"file": error.error_dict["serials"]})
            form.apply_service_error(error)
            return self.render_to_response(self.get_context_data(form=form))
        added = len(result.added)
        note = f"{added} printer{'s' if added != 1 else ''} pre-enrolled."
        if result.duplicates:
            plural = "s" if result.duplicates != 1 else ""
            note += f" {result.duplicates} duplicate serial number{plural} ignored."
        note += f" Enrollment code: {native_services.enrollment_code(self.organization).code}"
        if data["email"] and added:
            note += f" The enrollment code and the instructions were sent to {data['email']}."
        messages.success(request, note)
        return _native_section(org_id)


class PreEnrollRemoveView(AgentsMixin, TemplateView):
    """**Enrollment > Pre-enroll > Remove pre-enrolled printers**: tick serial numbers, then **Remove**."""

    permission = Perm.FLEET_MANAGE
    template_name = "fleet/agents/pre_enroll_remove.html"

    def get_context_data(self, **kwargs):
        rows = PreEnrollment.objects.filter(organization=self.organization).order_by("serial")
        return super().get_context_data(rows=rows, **kwargs)

    def post(self, request, org_id):
        ids = parse_ids(request.POST.getlist("ids"))
        if not ids:
            messages.error(request, "Select one or more pre-enrolled printers.")
            return self.render_to_response(self.get_context_data())
        removed = native_services.remove_pre_enrollments(self.organization, ids)
        messages.success(request, f"{removed} pre-enrolled printer{'s' if removed != 1 else ''} removed.")
        return _native_section(org_id)


class PreEnrolledDetailView(AgentsMixin, TemplateView):
    """A pre-enrolled serial: "The printer associated with this agent is only pre-enrolled. You must complete
    enrollment at the printer using the enrollment code."""

    template_name = "fleet/agents/pre_enrolled.html"

    def get_context_data(self, **kwargs):
        code = native_services.enrollment_code(self.organization).code
        return super().get_context_data(pre=self.get_pre_enrollment(), code=code, **kwargs)


class PreEnrolledRemoveView(AgentsMixin, View):
    """**Remove pre-enrolled printer** on the serial's page."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id, pre_enrollment_id):
        pre = self.get_pre_enrollment()
        native_services.remove_pre_enrollments(self.organization, [pre.pk])
        messages.success(request, f"Pre-enrolled printer {pre.serial} removed.")
        return _native_section(org_id)


class EnrollPrinterView(AgentsMixin, TemplateView):
    """**Enroll Printer Using Native Agent**: the code the printer generated."""

    permission = Perm.FLEET_MANAGE
    template_name = "fleet/agents/enroll_printer.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", EnrollPrinterForm())
        return super().get_context_data(**kwargs)

    def post(self, request, org_id):
        form = EnrollPrinterForm(request.POST)
        if form.is_valid():
            try:
                printer = native_services.redeem_printer_code(self.organization, form.cleaned_data["code"],
                                                              user=request.user)
            except ValidationError as error:
                form.apply_service_error(error)
            else:
                messages.success(request, f"Printer {printer.serial} enrolled. It may take a few minutes for "
                                          "the printer to finish enrolling.")
                return _native_section(org_id)
        return self.render_to_response(self.get_context_data(form=form))


urlpatterns = [
    path("agents/native/pre-enroll/", PreEnrollView.as_view(), name="native-pre-enroll"),
    path("agents/native/pre-enroll/remove/", PreEnrollRemoveView.as_view(), name="native-pre-enroll-remove"),
    path("agents/native/pre-enrolled/<int:pre_enrollment_id>/", PreEnrolledDetailView.as_view(),
         name="native-pre-enrolled"),
    path("agents/native/pre-enrolled/<int:pre_enrollment_id>/remove/", PreEnrolledRemoveView.as_view(),
         name="native-pre-enrolled-remove"),
    path("agents/native/enroll/", EnrollPrinterView.as_view(), name="native-enroll"),
]
