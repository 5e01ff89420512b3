"""Device API (issue 3): what printers and their apps call, authenticated as an application."""

urlpatterns: list = []
