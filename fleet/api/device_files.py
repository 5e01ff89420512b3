"""Agent-facing routes under /api/agents/v1/: device_files."""
urlpatterns: list = []
