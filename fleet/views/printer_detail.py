"""The printer information (details) page: status, supplies, identification, meters with a chart of page counts,
firmware, installed applications, agent information, logs and task history; Edit identification and Request Log.
The header's Refresh Information, Notifications and Unenroll post to the bulk printer actions (views/tags.py)
with this one printer."""
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.access import effective_permissions
from accounts.gate import OrgViewMixin
from accounts.roles import Perm

from ..choices import LogType, PanelMessage, TaskType
from ..models import Alert, CounterSnapshot, DiagnosticEvent, Job, Printer, TaskFile
from ..services import printers as printer_services

CHART_DAYS = 90
HISTORY_ROWS = 50
SUPPLY_COLORS = {"black": "#1f2328", "cyan": "#0093d0", "magenta": "#d0006f", "yellow": "#f5c400",
                 "red": "#d92d20", "green": "#12875b", "blue": "#1d4ed8"}
LEVEL_STATES = {"unknown": "Unknown", "some": "Some remaining", "unrestricted": "No restriction"}
# Meters section: (label, counter name of agents.protocol.COUNTERS), in the guide's groups
METERS = [
    ("Print", [("Total Print Count", "printSideCount"), ("Mono", "monoPrintSideCount"),
               ("Color", "colorPrintSideCount")]),
    ("Print Details", [("Two-sided", "duplexSheetCount")]),
    ("Copy", [("Total Copy Count", "copySideCount"), ("Mono", "monoCopySideCount"),
              ("Color", "colorCopySideCount")]),
    ("Other Meters", [("Scan Count Total", "totalScanCount"), ("Printed Fax Count Total", "faxSideCount"),
                      ("Lifetime Page Count", "lifetimeCount")]),
]
SECTIONS = [("status", "Status"), ("supplies", "Supplies"), ("identification", "Identification"),
            ("meters", "Meters"), ("firmware", "Firmware"), ("applications", "Installed Applications"),
            ("agent", "Agent Information"), ("logs", "Logs"), ("history", "Task History")]
LOG_TASKS = (TaskType.REQUEST_LOG, TaskType.MIB_WALK)
FLEET_PERMS = (Perm.FLEET_VIEW, Perm.FLEET_MANAGE)


def optional_url(name: str, **kwargs) -> str:
    """The URL of a page another area provides, or "" while it does not exist."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


class PrinterObjectMixin(OrgViewMixin):
    """Pages of one enrolled printer (`printer_id`) of the URL's organization; other ids answer 404."""

    def get_printer(self) -> Printer:
        if not hasattr(self, "_printer"):
            printers = Printer.objects.for_user(self.request.user, FLEET_PERMS, organization=self.organization)
            self._printer = get_object_or_404(printers.enrolled().select_related("agent", "printer_model"),
                                              pk=self.kwargs["printer_id"])
        return self._printer

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.get_printer()  # another organization's printer answers 404 whatever the method
        return super().http_method_not_allowed(request, *args, **kwargs)

    def can_manage(self) -> bool:
        return Perm.FLEET_MANAGE in effective_permissions(self.request.user, self.organization)

    def get_context_data(self, **kwargs):
        return super().get_context_data(printer=self.get_printer(), can_manage=self.can_manage(),
                                        fleet_tab="printers", **kwargs)


def supply_rows(printer: Printer) -> list[dict]:
    """The Supplies table, with the level bar's width and colour (special levels are shown as text)."""
    rows = []
    for supply in printer.supplies.all():
        color = SUPPLY_COLORS.get(supply.color.lower(), "#8a94a6") if supply.color else "#8a94a6"
        rows.append({"supply": supply, "name": supply.description or supply.color or supply.key,
                     "color": color, "state": LEVEL_STATES.get(supply.level_state, "Unknown"),
                     "low": supply.level is not None and supply.level <= 10})
    return rows


def meter_groups(counters: dict) -> list[dict]:
    return [{"title": title, "rows": [{"label": label, "value": counters.get(name)} for label, name in rows]}
            for title, rows in METERS]


def page_count_chart(printer: Printer, now) -> dict:
    """Daily points of the last CHART_DAYS days: the lifetime page count at the end of each day, and the pages
    printed that day (difference with the day before)."""
    since = now - timedelta(days=CHART_DAYS)
    last_of_day = {}
    for at, value in (CounterSnapshot.objects.filter(printer=printer, collected_at__gte=since)
                      .order_by("collected_at").values_list("collected_at", "values__lifetimeCount")):
        if value is not None:
            last_of_day[timezone.localdate(at)] = int(value)
    days = sorted(last_of_day)
    totals = [last_of_day[day] for day in days]
    daily = [None] + [max(b - a, 0) for a, b in zip(totals, totals[1:], strict=False)]
    return {"labels": [day.isoformat() for day in days], "lifetime": totals, "daily": daily}


def duration(span: timedelta) -> str:
    """A job's duration as people read it: "45 s", "3 min 5 s", "2 h 10 min", "3 days 4 h"."""
    seconds = max(int(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"


def task_history(printer: Printer) -> list[dict]:
    jobs = (Job.objects.filter(printer=printer).select_related("task").order_by("-created_at", "-id")
            [:HISTORY_ROWS])
    rows = []
    for job in jobs:
        start = job.started_at or job.created_at
        rows.append({"job": job, "event": job.task.get_task_type_display(), "at": job.created_at,
                     "duration": duration(job.finished_at - start) if job.finished_at else ""})
    return rows


def requested_logs(printer: Printer) -> list[dict]:
    files = Prefetch("files", queryset=TaskFile.objects.filter(expires_at__gt=timezone.now()).order_by("name"))
    jobs = (Job.objects.filter(printer=printer, task__task_type__in=LOG_TASKS).select_related("task")
            .prefetch_related(files).order_by("-created_at", "-id")[:HISTORY_ROWS])
    rows = []
    for job in jobs:
        log_type = job.task.args.get("log_type", "")
        label = LogType(log_type).label if log_type in LogType.values else job.task.get_task_type_display()
        links = [{"name": f.name, "size": f.size,
                  "url": optional_url("fleet:task-file", org_id=printer.organization_id, file_id=f.pk)}
                 for f in job.files.all()]
        rows.append({"job": job, "label": label, "files": links})
    return rows


class PrinterDetailView(PrinterObjectMixin, TemplateView):
    template_name = "fleet/printer/detail.html"
    permission = Perm.FLEET_VIEW

    def get_context_data(self, **kwargs):
        printer, now = self.get_printer(), timezone.now()
        alerts = list(Alert.objects.filter(printer=printer, cleared_at__isnull=True).order_by("-opened_at"))
        org_id = self.organization.pk
        return super().get_context_data(
            sections=SECTIONS, printer_alerts=[a for a in alerts if not a.supply],
            supply_alerts=[a for a in alerts if a.supply],
            diagnostic_events=list(DiagnosticEvent.objects.filter(printer=printer, expires_at__gt=now)),
            supplies=supply_rows(printer), meters=meter_groups(printer.counters or {}),
            chart=page_count_chart(printer, now), tags=list(printer.tags.order_by("name")),
            panel_message=printer_services.current_panel_message(printer, now),
            panel_supported=printer_services.panel_notifications_supported(printer),
            panel_messages=PanelMessage.choices, log_types=printer_services.log_types_for(printer),
            logs=requested_logs(printer), history=task_history(printer),
            ews_url=f"http://{printer.ip_address}/" if printer.ip_address else "",
            agent_url=optional_url("fleet:agent", org_id=org_id, agent_id=printer.agent_id)
            if printer.agent_id else "",
            printers_url=optional_url("fleet:printers", org_id=org_id),
            **kwargs)


class IdentificationForm(forms.ModelForm):
    class Meta:
        model = Printer
        fields = ["asset_tag", "location", "contact", "name", "description"]
        labels = {"asset_tag": "Asset Tag", "location": "Location", "contact": "Contact",
                  "name": "Printer Name", "description": "Description"}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class PrinterEditView(PrinterObjectMixin, FormView):
    """Identification > **Edit**: asset tag, location, contact information, printer name and description."""

    template_name = "fleet/printer/edit.html"
    permission = Perm.FLEET_MANAGE
    form_class = IdentificationForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        printer = self.get_printer()
        kwargs["initial"] = {name: getattr(printer, name) for name in IdentificationForm.Meta.fields}
        return kwargs

    def form_valid(self, form):
        printer = self.get_printer()
        try:
            printer_services.update_identification(printer, user=self.request.user, **form.cleaned_data)
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field, problems)
            return self.form_invalid(form)
        messages.success(self.request, "Printer information updated.")
        return redirect(reverse("fleet:printer", kwargs={"org_id": self.organization.pk, "printer_id": printer.pk})
                        + "#identification")


class PrinterRequestLogView(PrinterObjectMixin, View):
    """Logs > **Request > Request Log**: the chosen log type becomes a task; the file appears under Logs."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]

    def post(self, request, org_id, printer_id):
        printer = self.get_printer()
        try:
            task = printer_services.request_log(printer, request.POST.get("log_type", ""), user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            label = LogType(task.args["log_type"]).label
            messages.success(request, f"{label} requested. It appears under Logs when the agent has uploaded it.")
        return redirect(reverse("fleet:printer", kwargs={"org_id": org_id, "printer_id": printer.pk}) + "#logs")


urlpatterns = [
    path("printers/<int:printer_id>/", PrinterDetailView.as_view(), name="printer"),
    path("printers/<int:printer_id>/edit/", PrinterEditView.as_view(), name="printer-edit"),
    path("printers/<int:printer_id>/request-log/", PrinterRequestLogView.as_view(), name="printer-request-log"),
]
