"""applications API (issue 3)."""

urlpatterns: list = []
