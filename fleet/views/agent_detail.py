"""An agent's page (Status, Identification, Agent Settings, Log) and its actions: Edit Agent, Discover &
Enroll Printers, Installation Package (Download / E-mail), Generate activation code, More > Refresh all
printer information / Deactivate Agent / Delete Agent, Log > Request and MIB Walk."""
import io
import zipfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.roles import Perm
from lexcloud.ids import parse_ids

from ..choices import AgentType, CriterionKind, TaskType
from ..forms.agents import EmailForm, MibWalkForm, PackageForm
from ..models import Job, Printer
from ..services import agents as agent_services
from .agent_base import AgentsMixin
from .agent_bulk import SingleAgentSettingsView
from .agent_form import FleetAgentFormView

DEACTIVATE_FLEET = ("Deactivating the fleet agent suspends its printer management capabilities and removes "
                    "associated printers from the Printers page. Reactivate the agent and start a discovery "
                    "to restore printers and the fleet agent's management capabilities.")
DEACTIVATE_OTHER = ("The agent stops collecting and reporting printer information, and its printers are "
                    "removed from the Printers page. You can reactivate it only by applying a valid "
                    "activation code.")
DELETE_TEXT = ("Deleting the agent removes its definition, unenrolls any printers associated with it, and "
               "deletes any data associated with those printers. A deleted agent cannot be restored. The "
               "agent installed in your environment is not uninstalled.")
CONFIG_FILES = {AgentType.FLEET: "FleetAgentConfig.ini", AgentType.LOCAL: "LocalAgentConfig.ini"}
PRODUCTS = {AgentType.FLEET: "lexcloud-fleet-agent", AgentType.LOCAL: "lexcloud-local-agent"}


def _latest_jobs(agent, task_types):
    """The newest job of each of these task types for the agent (one query)."""
    latest = {}
    for job in (Job.objects.filter(agent=agent, task__task_type__in=task_types).select_related("task")
                .prefetch_related("files").order_by("-task__created_at", "-pk")[:20]):
        latest.setdefault(job.task.task_type, job)
    return latest


class AgentDetailView(AgentsMixin, TemplateView):
    template_name = "fleet/agents/detail.html"

    def get_context_data(self, **kwargs):
        agent = self.get_agent()
        now = timezone.now()
        status = agent_services.agent_status(agent, now)
        printers = Printer.objects.enrolled().filter(agent=agent)
        context = {"agent": agent, "status": status, "status_label": agent_services.status_label(status),
                   "enrolled": printers.count()}
        if agent.kind == AgentType.FLEET:
            code = agent_services.current_activation_code(agent, now)
            profiles = list(agent.snmp_profiles.annotate(
                printer_count=Count("printers", filter=Q(printers__unenrolled_at__isnull=True))))
            criteria = list(agent.criteria.select_related("profile").order_by("kind", "id"))
            context.update(
                code=code, code_left=agent_services.code_time_left(code, now) if code else "",
                profiles=profiles,
                include=[c for c in criteria if c.kind == CriterionKind.INCLUDE],
                exclude=[c for c in criteria if c.kind == CriterionKind.EXCLUDE],
                discovery_label=dict(agent_services.DISCOVERY_INTERVALS).get(
                    agent.discovery_interval, f"Every {agent.discovery_interval} hours"),
                refresh_label=dict(agent_services.REFRESH_INTERVALS).get(
                    agent.refresh_interval, f"Every {agent.refresh_interval} minutes"),
                mib_form=MibWalkForm(profiles=profiles))
        if agent.kind in (AgentType.PRINTER, AgentType.NATIVE):
            context["printer"] = printers.first()
        if agent.kind in (AgentType.FLEET, AgentType.LOCAL):
            context["jobs"] = _latest_jobs(agent, [TaskType.AGENT_LOG, TaskType.MIB_WALK])
        return super().get_context_data(**context, **kwargs)


class AgentActionView(AgentsMixin, View):
    """A button of the agent's page that starts something: POST only, then back to the page."""

    permission = Perm.FLEET_MANAGE
    http_method_names = ["post"]
    kinds: tuple = (AgentType.FLEET,)

    def post(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=self.kinds)
        try:
            note = self.act(agent)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, note)
        return redirect("fleet:agent", org_id=org_id, agent_id=agent.pk)


class GenerateCodeView(AgentActionView):
    def act(self, agent):
        agent_services.generate_activation_code(agent, user=self.request.user)
        return "A new activation code was generated. It is valid for 72 hours."


class DiscoverView(AgentActionView):
    def act(self, agent):
        agent_services.discover_printers(agent, user=self.request.user)
        return ("A Discover printers task is created on the Fleet Agent task queue. Discovered and enrolled "
                "printers appear on the Printers page.")


class RefreshAllView(AgentActionView):
    def act(self, agent):
        agent_services.refresh_all(agent, user=self.request.user)
        return "A Refresh all printer information task was created."


class AgentLogView(AgentActionView):
    kinds = (AgentType.FLEET, AgentType.LOCAL)

    def act(self, agent):
        agent_services.request_agent_log(agent, user=self.request.user)
        return "It may take time for the logs to generate and make them available for download."


class UpdateVersionView(AgentActionView):
    kinds = (AgentType.FLEET, AgentType.LOCAL, AgentType.PRINTER)

    def act(self, agent):
        agent_services.update_agents(self.organization, [agent], user=self.request.user)
        return "An Update agent version task was created."


class MibWalkView(AgentActionView):
    def act(self, agent):
        form = MibWalkForm(self.request.POST, profiles=agent.snmp_profiles.all())
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        profile = agent.snmp_profiles.get(pk=form.cleaned_data["profile"])
        agent_services.request_mib_walk(agent, form.cleaned_data["address"], profile, user=self.request.user)
        return "MIB walk requested. The file can be downloaded from the Log section when it is ready."


class ConfirmView(AgentsMixin, TemplateView):
    """**Deactivate Agent** / **Delete Agent**: the guide's confirmation, then the change."""

    permission = Perm.FLEET_MANAGE
    template_name = "fleet/agents/confirm.html"
    kinds = (AgentType.FLEET, AgentType.LOCAL, AgentType.PRINTER, AgentType.NATIVE)

    def get_context_data(self, **kwargs):
        agent = self.get_agent(kinds=self.kinds)
        return super().get_context_data(agent=agent, **self.texts(agent), **kwargs)


class DeactivateView(ConfirmView):
    def texts(self, agent):
        body = DEACTIVATE_FLEET if agent.kind == AgentType.FLEET else DEACTIVATE_OTHER
        return {"title": "Deactivate Agent", "body": body, "button": "Deactivate Agent", "danger": False,
                "question": f'Do you want to deactivate "{agent.name}"?'}

    def post(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=self.kinds)
        agent_services.deactivate_agent(agent, user=request.user)
        messages.success(request, f"{agent.name} was deactivated.")
        return redirect("fleet:agent", org_id=org_id, agent_id=agent.pk)


class DeleteView(ConfirmView):
    def texts(self, agent):
        return {"title": "Delete Agent", "body": DELETE_TEXT, "button": "Continue", "danger": True,
                "question": f'Do you want to delete "{agent.name}"?'}

    def post(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=self.kinds)
        kind, name = agent.kind, agent.name
        agent_services.delete_agent(agent, user=request.user)
        messages.success(request, f"{name} was deleted.")
        return redirect(reverse("fleet:agents", kwargs={"org_id": org_id}) + f"?section={kind}")


def installation_package(request, agent_kind: str, package: str, code: str | None,
                         organization) -> HttpResponse:
    """A small zip for the agent of the next issue: its configuration file (server URL and activation code,
    the `[IOT_HUB] CS_ACTIVATION_CODE` line of the guide's silent activation) and a README. No binaries."""
    server = request.build_absolute_uri("/").rstrip("/")
    context = {"server": server, "code": code or "", "package": package, "organization": organization,
               "product": PRODUCTS[agent_kind], "config": CONFIG_FILES[agent_kind], "kind": agent_kind,
               "activate_url": server + reverse("agents-api:activate")}
    buffer = io.BytesIO()
    folder = f"{PRODUCTS[agent_kind]}-{package}"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        config = render_to_string("fleet/agents/package_config.ini", context)
        archive.writestr(f"{folder}/{CONFIG_FILES[agent_kind]}", config)
        archive.writestr(f"{folder}/README.txt", render_to_string("fleet/agents/package_readme.txt", context))
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{folder}.zip"'
    return response


class PackageView(AgentsMixin, TemplateView):
    """**Installation Package > Download**: choose the package type, then **Download Package** (an activation
    code is generated if none is valid)."""

    permission = Perm.FLEET_MANAGE
    template_name = "fleet/agents/package.html"

    def get_context_data(self, **kwargs):
        agent = self.get_agent(kinds=(AgentType.FLEET,))
        kwargs.setdefault("form", PackageForm(kind="fleet"))
        code = agent_services.current_activation_code(agent)
        return super().get_context_data(agent=agent, code=code, **kwargs)

    def post(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=(AgentType.FLEET,))
        form = PackageForm(request.POST, kind="fleet")
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        with transaction.atomic():
            code = agent_services.current_activation_code(agent) or agent_services.generate_activation_code(
                agent, user=request.user)
        return installation_package(request, AgentType.FLEET, form.cleaned_data["package"], code.code,
                                    self.organization)


class PackageEmailView(AgentsMixin, TemplateView):
    """**Installation Package > E-mail**: send the link of the download page and the activation code."""

    permission = Perm.FLEET_MANAGE
    template_name = "fleet/agents/package_email.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", EmailForm())
        return super().get_context_data(agent=self.get_agent(kinds=(AgentType.FLEET,)), **kwargs)

    def post(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=(AgentType.FLEET,))
        form = EmailForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        with transaction.atomic():
            code = agent_services.current_activation_code(agent) or agent_services.generate_activation_code(
                agent, user=request.user)
            link = request.build_absolute_uri(reverse("fleet:agent-package", kwargs={"org_id": org_id,
                                                                                     "agent_id": agent.pk}))
            context = {"agent": agent, "code": code, "link": link, "organization": self.organization}
            body = render_to_string("fleet/agents/email_package.txt", context)
            address = form.cleaned_data["email"]
            subject = f"Fleet Agent installation package: {agent.name}"
            transaction.on_commit(lambda: EmailMessage(subject=subject, body=body, to=[address]).send())
        messages.success(request, f"The installation package link was sent to {address}.")
        return redirect("fleet:agent", org_id=org_id, agent_id=agent.pk)


class CriteriaExportView(AgentsMixin, View):
    """**Export** of the saved discovery criteria (`?kind=include|exclude`, optional `ids`)."""

    def get(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=(AgentType.FLEET,))
        kind = request.GET.get("kind")
        kind = kind if kind in CriterionKind.values else CriterionKind.INCLUDE
        content = agent_services.export_criteria(agent, kind, ids=parse_ids(request.GET.getlist("ids")))
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="discovery-criteria-{kind}.csv"'
        return response


class AgentEditView(AgentsMixin, View):
    """**Edit Agent**: the Fleet Agent form, or the Edit Local Agent / Printer Agent settings."""

    permission = Perm.FLEET_MANAGE
    kinds = (AgentType.FLEET, AgentType.LOCAL, AgentType.PRINTER)

    def get(self, request, org_id, agent_id):
        agent = self.get_agent(kinds=self.kinds)
        view = FleetAgentFormView if agent.kind == AgentType.FLEET else SingleAgentSettingsView
        return view.as_view()(request, org_id=org_id, agent_id=agent_id)

    post = get


urlpatterns = [
    path("agents/<int:agent_id>/", AgentDetailView.as_view(), name="agent"),
    path("agents/<int:agent_id>/edit/", AgentEditView.as_view(), name="agent-edit"),
    path("agents/<int:agent_id>/criteria.csv", CriteriaExportView.as_view(), name="agent-criteria-export"),
    path("agents/<int:agent_id>/activation-code/", GenerateCodeView.as_view(), name="agent-activation-code"),
    path("agents/<int:agent_id>/package/", PackageView.as_view(), name="agent-package"),
    path("agents/<int:agent_id>/package/email/", PackageEmailView.as_view(), name="agent-package-email"),
    path("agents/<int:agent_id>/discover/", DiscoverView.as_view(), name="agent-discover"),
    path("agents/<int:agent_id>/refresh/", RefreshAllView.as_view(), name="agent-refresh"),
    path("agents/<int:agent_id>/log/", AgentLogView.as_view(), name="agent-log"),
    path("agents/<int:agent_id>/mib-walk/", MibWalkView.as_view(), name="agent-mib-walk"),
    path("agents/<int:agent_id>/update/", UpdateVersionView.as_view(), name="agent-update"),
    path("agents/<int:agent_id>/deactivate/", DeactivateView.as_view(), name="agent-deactivate"),
    path("agents/<int:agent_id>/delete/", DeleteView.as_view(), name="agent-delete"),
]
