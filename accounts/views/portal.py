"""Landing page of a portal whose pages arrive in later issues; gated like every other page."""
from django.views.generic import TemplateView

from lexcloud.registry import registry

from ..gate import OrgViewMixin


class PortalHomeView(OrgViewMixin, TemplateView):
    template_name = "portal_home.html"
    portal = ""

    def dispatch(self, request, *args, **kwargs):
        self.portal_info = registry.portals[self.portal]
        self.permission = self.portal_info.permissions
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(portal=self.portal_info, **kwargs)
