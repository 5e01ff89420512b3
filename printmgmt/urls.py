from django.urls import path

from accounts.views.portal import PortalHomeView

app_name = "printmgmt"
urlpatterns = [
    path("", PortalHomeView.as_view(portal="print", permission=None), name="home"),
]
