"""Agent-facing routes under /api/agents/v1/: device_ingest."""
urlpatterns: list = []
