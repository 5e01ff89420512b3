"""Users pages."""
from django.urls import path
from django.views.generic import TemplateView

from ..gate import OrgViewMixin
from ..roles import Perm


class UserListView(OrgViewMixin, TemplateView):
    template_name = "accounts/users/list.html"
    permission = Perm.USERS_VIEW


urlpatterns = [
    path("users/", UserListView.as_view(), name="users"),
]
