"""/api/v1/organizations/{org_id}/ routes: printers."""
urlpatterns: list = []
