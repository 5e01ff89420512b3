"""Print Management pages under /o/<org_id>/print/."""
from django.urls import path

from .views import administration, clients, delegates, history, policies, queue, quotas
from .views.base import PrintHomeView

app_name = "printmgmt"
urlpatterns = [
    path("", PrintHomeView.as_view(), name="home"),
    *queue.urlpatterns,
    *delegates.urlpatterns,
    *clients.urlpatterns,
    *history.urlpatterns,
    *administration.urlpatterns,
    *policies.urlpatterns,
    *quotas.urlpatterns,
]
