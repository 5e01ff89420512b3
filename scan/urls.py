from django.urls import path

from accounts.views.portal import PortalHomeView

app_name = "scan"
urlpatterns = [
    path("", PortalHomeView.as_view(portal="scan", permission=None), name="home"),
]
