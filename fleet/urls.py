from django.urls import path

from accounts.views.portal import PortalHomeView

app_name = "fleet"
urlpatterns = [
    path("", PortalHomeView.as_view(portal="fleet", permission=None), name="home"),
]
