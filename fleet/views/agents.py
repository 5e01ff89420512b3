"""agents pages of Fleet Management."""
urlpatterns: list = []
