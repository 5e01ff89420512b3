"""login_codes pages (issue 3)."""

urlpatterns: list = []
