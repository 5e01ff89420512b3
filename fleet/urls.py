from django.urls import path

from accounts.roles import Perm
from accounts.views.portal import PortalHomeView

app_name = "fleet"
urlpatterns = [
    path("", PortalHomeView.as_view(portal="fleet", permission=None), name="home"),
]
