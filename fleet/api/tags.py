"""/api/v1/organizations/{org_id}/ routes: tags."""
urlpatterns: list = []
