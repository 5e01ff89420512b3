from django.urls import path

from accounts.views.portal import PortalHomeView

app_name = "analytics"
urlpatterns = [
    path("", PortalHomeView.as_view(portal="analytics", permission=None), name="home"),
]
