"""/api/v1/organizations/{org_id}/ routes: tasks."""
urlpatterns: list = []
