"""The Printers page (listing, views, filter groups, export)."""
from django.urls import path

from accounts.views.portal import PortalHomeView

urlpatterns = [
    path("", PortalHomeView.as_view(portal="fleet", permission=None), name="home"),
]
