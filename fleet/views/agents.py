"""The Agents tab (Printer Agents, Fleet Agents, Native Agents, Local Agents) with its filters and toolbar
actions, the bulk pages (Update, Edit Settings, Update agent access credentials), and the URL map of every
Agents page (the other modules: agent_form, agent_detail, local_agents, native_agents)."""
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from ..choices import Activation, AgentType, CriterionKind
from ..models import Agent, PreEnrollment, Printer
from ..services import agents as agent_services
from ..services import criteria as criteria_text
from ..services import native as native_services
from . import agent_detail, local_agents, native_agents
from .agent_base import AgentsMixin
from .agent_bulk import AgentsCredentialsView, AgentsSettingsView, AgentsUpdateView
from .agent_form import FleetAgentFormView

PAGE_SIZE = 50
SECTIONS = [(AgentType.PRINTER, "Printer Agents"), (AgentType.FLEET, "Fleet Agents"),
            (AgentType.NATIVE, "Native Agents"), (AgentType.LOCAL, "Local Agents")]
PRE_ENROLLED = Activation.PRE_ENROLLED


def _section(value) -> str:
    return value if value in dict(SECTIONS) else AgentType.PRINTER


class Chain:
    """Two querysets paged as one list (pre-enrolled serials, then Native Agents): a page costs one query per
    queryset it touches."""

    def __init__(self, first, second):
        self.first, self.second = first, second
        self._first_count = None

    def count(self) -> int:
        self._first_count = self.first.count()
        return self._first_count + self.second.count()

    def __len__(self):
        return self.count()

    def __getitem__(self, window: slice):
        split = self._first_count if self._first_count is not None else self.first.count()
        start, stop = window.start or 0, window.stop
        head = list(self.first[start:min(stop, split)]) if start < split else []
        tail = list(self.second[max(start - split, 0):stop - split]) if stop > split else []
        return head + tail


def _printer_value(field_name):
    return Subquery(Printer.objects.filter(agent=OuterRef("pk"), unenrolled_at__isnull=True)
                    .order_by("pk").values(field_name)[:1])


def section_rows(queryset, section: str, params, now):
    """The section's agents with what their columns show, filtered; constant number of queries."""
    queryset = queryset.filter(kind=section)
    status = params.get("status", "")
    queryset = agent_services.filter_status(queryset, status, now)
    if params.get("update") == "yes":
        queryset = queryset.filter(update_available=True)
    if params.get("library") == "yes":
        queryset = queryset.filter(library_update_available=True)
    query = params.get("q", "").strip()
    if section in (AgentType.PRINTER, AgentType.NATIVE):
        queryset = queryset.annotate(printer_ip=_printer_value("ip_address"), printer_pk=_printer_value("pk"),
                                     printer_serial=_printer_value("serial"),
                                     printer_model=_printer_value("model_name"))
        if query:
            queryset = queryset.filter(Q(name__icontains=query) | Q(printers__serial__icontains=query)
                                       | Q(printers__ip_address__startswith=query)).distinct()
    else:
        enrolled = Count("printers", filter=Q(printers__unenrolled_at__isnull=True))
        queryset = queryset.annotate(enrolled=enrolled)
        if query:
            queryset = queryset.filter(Q(name__icontains=query) | Q(host_name__icontains=query))
    return queryset.order_by("name", "pk")


class AgentListView(AgentsMixin, TemplateView):
    """**Agents** tab: `?section=printer|fleet|native|local`, filters `status`, `update`, `library`, `q`."""

    template_name = "fleet/agents/list.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET
        section = _section(params.get("section"))
        now = timezone.now()
        rows = section_rows(self.agents(), section, params, now)
        status = params.get("status", "")
        if section == AgentType.NATIVE:
            pre = PreEnrollment.objects.filter(organization=self.organization).order_by("serial", "pk")
            query = params.get("q", "").strip()
            if query:
                pre = pre.filter(serial__icontains=query)
            if status == PRE_ENROLLED:
                rows = rows.none()
            elif status or params.get("update"):
                pre = pre.none()
            rows = Chain(pre, rows)
        page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
        for row in page.object_list:
            if isinstance(row, Agent):
                row.status = agent_services.agent_status(row, now)
                row.status_label = agent_services.status_label(row.status)
        statuses = list(agent_services.AGENT_STATUSES)
        if section == AgentType.NATIVE:
            statuses.append((PRE_ENROLLED, Activation.PRE_ENROLLED.label))
        has_any = self.agents().filter(kind=section).exists() or (
            section == AgentType.NATIVE
            and PreEnrollment.objects.filter(organization=self.organization).exists())
        context = {"section": section, "sections": SECTIONS, "page": page, "statuses": statuses,
                   "filters": {k: params.get(k, "") for k in ("status", "update", "library", "q")},
                   "filtered": any(params.get(k) for k in ("status", "update", "library", "q")),
                   "has_any": has_any}
        if section == AgentType.LOCAL:
            code = agent_services.current_local_code(self.organization, now)
            context["local_code"] = code
            context["local_code_left"] = agent_services.code_time_left(code, now) if code else ""
        if section == AgentType.NATIVE and self.can_manage():
            context["enrollment_code"] = native_services.enrollment_code(self.organization).code
        return super().get_context_data(**context, **kwargs)


class CriteriaSampleView(AgentsMixin, View):
    """**Download sample file** of the discovery criteria import (`?kind=include|exclude`)."""

    def get(self, request, org_id):
        kind = request.GET.get("kind")
        kind = kind if kind in CriterionKind.values else CriterionKind.INCLUDE
        response = HttpResponse(criteria_text.sample_csv(kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="discovery-criteria-{kind}-sample.csv"'
        return response


urlpatterns = [
    path("agents/", AgentListView.as_view(), name="agents"),
    path("agents/update/", AgentsUpdateView.as_view(), name="agents-update"),
    path("agents/settings/", AgentsSettingsView.as_view(), name="agents-settings"),
    path("agents/credentials/", AgentsCredentialsView.as_view(), name="agents-credentials"),
    path("agents/criteria-sample.csv", CriteriaSampleView.as_view(), name="criteria-sample"),
    path("agents/fleet/create/", FleetAgentFormView.as_view(), name="fleet-agent-create"),
    *agent_detail.urlpatterns,
    *local_agents.urlpatterns,
    *native_agents.urlpatterns,
]
