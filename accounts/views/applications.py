"""applications pages (issue 3)."""

urlpatterns: list = []
