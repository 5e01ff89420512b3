"""My Account: the signed-in user's own information, groups and roles."""
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import path
from django.views.generic import TemplateView


class MyAccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/my_account.html"


urlpatterns = [
    path("my-account/", MyAccountView.as_view(), name="my-account"),
]
