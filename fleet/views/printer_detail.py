"""printer_detail pages of Fleet Management."""
urlpatterns: list = []
