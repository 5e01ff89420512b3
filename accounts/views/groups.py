"""Groups pages."""
from django.urls import path
from django.views.generic import TemplateView

from ..gate import OrgViewMixin
from ..roles import Perm


class GroupListView(OrgViewMixin, TemplateView):
    template_name = "accounts/groups/list.html"
    permission = Perm.GROUPS_VIEW


urlpatterns = [
    path("groups/", GroupListView.as_view(), name="groups"),
]
