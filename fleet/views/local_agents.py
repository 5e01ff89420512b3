"""Local Agents pages: Download Local Agent (package + activation code), and the Activation Code menu:
Generate activation code, Update number of supported activations, Expire activation code."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.roles import Perm

from ..choices import AgentType, CodeKind
from ..forms.agents import LocalCodeForm, PackageForm
from ..models import ActivationCode
from ..services import agents as agent_services
from .agent_base import AgentsMixin
from .agent_detail import installation_package


def _local_section(org_id):
    return redirect(reverse("fleet:agents", kwargs={"org_id": org_id}) + "?section=local")


class LocalCodeMixin(AgentsMixin):
    permission = Perm.FLEET_MANAGE

    def current(self):
        return agent_services.current_local_code(self.organization)

    def latest(self):
        """The newest code, valid or not (the update dialog explains why an expired one cannot grow)."""
        return (ActivationCode.objects.filter(organization=self.organization, kind=CodeKind.LOCAL)
                .order_by("-created_at", "-pk").first())

    def get_context_data(self, **kwargs):
        code = self.current()
        left = agent_services.code_time_left(code) if code else ""
        return super().get_context_data(code=code, code_left=left, **kwargs)


class LocalDownloadView(LocalCodeMixin, TemplateView):
    """**Download Local Agent**: "Select install package type", and "Generate activation code" with its number
    of activations (1 to 3000) unless a valid code exists (then it is shown and used)."""

    template_name = "fleet/agents/local_download.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", PackageForm(kind="local"))
        return super().get_context_data(**kwargs)

    def post(self, request, org_id):
        form = PackageForm(request.POST, kind="local")
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        with transaction.atomic():
            code = self.current()
            if code is None and data["generate"]:
                try:
                    code = agent_services.generate_local_code(self.organization, data["activations"],
                                                              user=request.user)
                except ValidationError as error:
                    form.apply_service_error(error)
                    return self.render_to_response(self.get_context_data(form=form))
        return installation_package(request, AgentType.LOCAL, data["package"], code.code if code else None,
                                    self.organization)


class LocalCodeGenerateView(LocalCodeMixin, TemplateView):
    """**Activation Code > Generate activation code** → **Generate Code** (expires the current code)."""

    template_name = "fleet/agents/local_code.html"

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", LocalCodeForm())
        return super().get_context_data(mode="generate", **kwargs)

    def post(self, request, org_id):
        form = LocalCodeForm(request.POST)
        if form.is_valid():
            try:
                code = agent_services.generate_local_code(self.organization, form.cleaned_data["activations"],
                                                          user=request.user)
            except ValidationError as error:
                form.apply_service_error(error)
            else:
                messages.success(request, f"Local agent activation code generated: {code.code}")
                return _local_section(org_id)
        return self.render_to_response(self.get_context_data(form=form))


class LocalCodeUpdateView(LocalCodeMixin, TemplateView):
    """**Update number of supported activations** (10 to 3000); "This will not change the expiration time of
    the code."""

    template_name = "fleet/agents/local_code.html"

    def get_context_data(self, **kwargs):
        latest = self.latest()
        kwargs.setdefault("form", LocalCodeForm(update=True, initial={"activations": max(
            latest.max_activations if latest else 10, 10)}))
        return super().get_context_data(mode="update", latest=latest, **kwargs)

    def post(self, request, org_id):
        form = LocalCodeForm(request.POST, update=True)
        latest = self.latest()
        if form.is_valid():
            try:
                if latest is None:
                    raise ValidationError({"activations": "Generate an activation code first."})
                agent_services.update_local_activations(latest, form.cleaned_data["activations"])
            except ValidationError as error:
                form.apply_service_error(error)
            else:
                messages.success(request, "The number of supported activations was updated.")
                return _local_section(org_id)
        return self.render_to_response(self.get_context_data(form=form))


class LocalCodeExpireView(LocalCodeMixin, TemplateView):
    """**Activation Code > Expire activation code** → **Expire Code**."""

    template_name = "fleet/agents/local_code.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(mode="expire", **kwargs)

    def post(self, request, org_id):
        code = self.current()
        if code is None:
            messages.error(request, "There is no valid activation code.")
        else:
            agent_services.expire_code(code, now=timezone.now())
            messages.success(request, "The activation code was expired.")
        return _local_section(org_id)


urlpatterns = [
    path("agents/local/download/", LocalDownloadView.as_view(), name="local-agent-download"),
    path("agents/local/activation-code/", LocalCodeGenerateView.as_view(), name="local-code-generate"),
    path("agents/local/activation-code/update/", LocalCodeUpdateView.as_view(), name="local-code-update"),
    path("agents/local/activation-code/expire/", LocalCodeExpireView.as_view(), name="local-code-expire"),
]
