"""Pages acting on the agents ticked on the Agents tab: Update (a task per selection), Edit Settings of
Printer and Local Agents (also the Edit Local Agent dialog of one agent), Update agent access credentials."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.roles import Perm
from lexcloud.ids import parse_ids

from ..choices import AgentType
from ..forms.agents import AgentSettingsForm, CredentialsForm
from ..services import agents as agent_services
from .agent_base import AgentsMixin

SECTION_KINDS = tuple(AgentType.values)


def _back(request, section):
    section = section if section in SECTION_KINDS else AgentType.PRINTER
    return redirect(reverse("fleet:agents", kwargs={"org_id": request.resolver_match.kwargs["org_id"]})
                    + f"?section={section}")


class SelectedAgentsMixin(AgentsMixin):
    """Pages acting on the agents ticked on the Agents tab (`ids`, of the kinds this page accepts)."""

    permission = Perm.FLEET_MANAGE
    kinds: tuple = ()

    def selected(self):
        ids = parse_ids(self.request.POST.getlist("ids") or self.request.GET.getlist("ids"))
        return list(self.agents().filter(pk__in=ids, kind__in=self.kinds).select_related("organization"))


class AgentsUpdateView(SelectedAgentsMixin, View):
    """**Update > Fleet Agent** / **Update > Printer support library** (Fleet Agents), **Update** (Local
    Agents), **Update > Update agent version** (Printer Agents): one task for the selected agents."""

    http_method_names = ["post"]
    kinds = (AgentType.FLEET, AgentType.LOCAL, AgentType.PRINTER)

    def post(self, request, org_id):
        library = request.POST.get("what") == "library"
        try:
            task = agent_services.update_agents(self.organization, self.selected(), library=library,
                                                user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{task.get_task_type_display()} task created for {task.jobs.count()} "
                                      f"agent{'s' if task.jobs.count() != 1 else ''}.")
        return _back(request, request.POST.get("section"))


class AgentsSettingsView(SelectedAgentsMixin, TemplateView):
    """**Edit Settings** of the selected Printer or Local Agents (log level, polling interval). Local Agents
    edited together start from Detailed / 180 (docs/decisions/0008); if some are not communicating a warning
    lists them and the settings apply to the communicating ones only."""

    template_name = "fleet/agents/settings.html"
    kinds = (AgentType.LOCAL, AgentType.PRINTER)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.context(self.selected()))

    def context(self, agents, form=None):
        kind = agents[0].kind if agents else AgentType.LOCAL
        now = timezone.now()
        silent = [a for a in agents if agent_services.agent_status(a, now) != agent_services.COMMUNICATING]
        if form is None:
            if len(agents) == 1:
                only = agents[0]
                initial = {"log_level": only.log_level,
                           "polling_interval": only.polling_interval or agent_services.POLLING_DEFAULTS[kind]}
            elif kind == AgentType.LOCAL:
                initial = dict(agent_services.LOCAL_BULK_DEFAULTS)
            else:
                initial = {"log_level": "summary", "polling_interval": agent_services.POLLING_DEFAULTS[kind]}
            form = AgentSettingsForm(kind=kind, initial=initial)
        return self.get_context_data(agents=agents, kind=kind, form=form,
                                     silent=silent if kind == AgentType.LOCAL and len(agents) > 1 else [])

    def post(self, request, org_id):
        agents = self.selected()
        if "save" not in request.POST:            # coming from the Agents tab with the selection
            return self.render_to_response(self.context(agents))
        kind = agents[0].kind if agents else AgentType.LOCAL
        form = AgentSettingsForm(request.POST, kind=kind)
        if not form.is_valid():
            return self.render_to_response(self.context(agents, form))
        try:
            agent_services.edit_agent_settings(
                self.organization, agents, user=request.user, communicating_only=kind == AgentType.LOCAL,
                **form.cleaned_data)
        except ValidationError as error:
            form.apply_service_error(error)
            return self.render_to_response(self.context(agents, form))
        messages.success(request, "Settings saved. An Edit agent settings task was created.")
        if len(agents) == 1 and request.POST.get("from") == "detail":
            return redirect("fleet:agent", org_id=org_id, agent_id=agents[0].pk)
        return _back(request, kind)


class AgentsCredentialsView(SelectedAgentsMixin, TemplateView):
    """**Update > Update agent access credentials** (Printer Agents) / **Update Access Credentials** (Native
    Agents): the printer administrator account for the selected agents' printers."""

    template_name = "fleet/agents/credentials.html"
    kinds = (AgentType.PRINTER, AgentType.NATIVE)

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(agents=self.selected(), form=CredentialsForm()))

    def post(self, request, org_id):
        agents = self.selected()
        if "save" not in request.POST:
            return self.render_to_response(self.get_context_data(agents=agents, form=CredentialsForm()))
        form = CredentialsForm(request.POST)
        if form.is_valid():
            try:
                agent_services.update_access_credentials(self.organization, agents, user=request.user,
                                                         auth_type=form.cleaned_data["auth_type"],
                                                         credentials=form.cleaned_data)
            except ValidationError as error:
                form.apply_service_error(error)
            else:
                messages.success(request, "Credentials updated. An Update agent access credentials task was "
                                          "created.")
                return _back(request, agents[0].kind if agents else AgentType.PRINTER)
        return self.render_to_response(self.get_context_data(agents=agents, form=form))


class SingleAgentSettingsView(AgentsSettingsView):
    """**Edit Agent** of one Local or Printer Agent (its page's button)."""

    def selected(self):
        return [self.get_agent(kinds=(AgentType.LOCAL, AgentType.PRINTER))]
