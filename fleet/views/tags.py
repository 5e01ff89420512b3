"""tags pages of Fleet Management."""
urlpatterns: list = []
