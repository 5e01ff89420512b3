"""roles API."""

urlpatterns: list = []
