"""tasks pages of Fleet Management."""
urlpatterns: list = []
