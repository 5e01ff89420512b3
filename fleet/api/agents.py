"""/api/v1/organizations/{org_id}/ routes: agents."""
urlpatterns: list = []
