"""organizations API."""

urlpatterns: list = []
org_urlpatterns: list = []
