"""OAuth2 endpoints: POST /oauth/token (client credentials of the organization's Applications)."""

urlpatterns: list = []
