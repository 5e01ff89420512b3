"""What every Agents page shares: the organization gate, the one way to fetch an agent or a pre-enrolled
serial of the URL's organization (another organization's id answers 404, whatever the method), and the
Fleet Management Administrator check for changes."""
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts.access import effective_permissions
from accounts.gate import OrgViewMixin
from accounts.roles import Perm

from ..models import Agent, PreEnrollment


class AgentsMixin(OrgViewMixin):
    permission = Perm.FLEET_VIEW

    def can_manage(self) -> bool:
        return Perm.FLEET_MANAGE in effective_permissions(self.request.user, self.organization)

    def require_manage(self) -> None:
        if not self.can_manage():
            raise PermissionDenied("You do not have the role this operation needs.")

    def agents(self):
        return Agent.objects.for_user(self.request.user, Perm.FLEET_VIEW, organization=self.organization)

    def get_agent(self, kinds=None) -> Agent:
        if not hasattr(self, "_agent"):
            queryset = self.agents().select_related("organization")
            if kinds:
                queryset = queryset.filter(kind__in=kinds)
            self._agent = get_object_or_404(queryset, pk=self.kwargs["agent_id"])
        return self._agent

    def get_pre_enrollment(self) -> PreEnrollment:
        queryset = PreEnrollment.objects.for_user(self.request.user, Perm.FLEET_VIEW,
                                                  organization=self.organization)
        return get_object_or_404(queryset, pk=self.kwargs["pre_enrollment_id"])

    def http_method_not_allowed(self, request, *args, **kwargs):
        if "agent_id" in kwargs:
            self.get_agent()
        if "pre_enrollment_id" in kwargs:
            self.get_pre_enrollment()
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("fleet_tab", "agents")
        return super().get_context_data(can_manage=self.can_manage(), **kwargs)
