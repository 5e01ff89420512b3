"""printer_login pages (issue 3)."""

urlpatterns: list = []
