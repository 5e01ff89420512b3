"""users API."""

urlpatterns: list = []
