"""Dashboards and cards."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import path
from django.views.generic import TemplateView


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "dashboards/dashboard.html"


urlpatterns = [
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
]
