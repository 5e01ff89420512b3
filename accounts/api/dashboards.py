"""dashboards API."""

urlpatterns: list = []
