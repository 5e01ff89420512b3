"""groups API."""

urlpatterns: list = []
