"""The agents' API under /api/agents/v1/: activation and enrollment (no credentials yet), then messages and
file uploads authenticated by the agent's own credentials (fleet.api.device_auth)."""
from . import device_commands, device_enrollment, device_files, device_ingest

app_name = "agents-api"
urlpatterns = [
    *device_enrollment.urlpatterns,
    *device_ingest.urlpatterns,
    *device_files.urlpatterns,
    *device_commands.urlpatterns,
]
