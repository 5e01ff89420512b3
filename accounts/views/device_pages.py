"""Pages outside organizations: /device (secure login code), badge registration links (issue 3)."""

urlpatterns: list = []
