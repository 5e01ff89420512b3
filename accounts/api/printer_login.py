"""printer_login API (issue 3)."""

urlpatterns: list = []
