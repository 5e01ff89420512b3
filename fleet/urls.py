"""Fleet Management pages under /o/<org_id>/fleet/, one module per area."""
from .views import agents, printer_detail, printers, tags, tasks

app_name = "fleet"
urlpatterns = [
    *printers.urlpatterns,
    *printer_detail.urlpatterns,
    *tags.urlpatterns,
    *agents.urlpatterns,
    *tasks.urlpatterns,
]
