"""OAuth2 endpoints: POST /oauth/token (client credentials of the organization's Applications)."""
from django.urls import path

from .oauth import TokenView

urlpatterns: list = [
    path("token", TokenView.as_view(), name="oauth-token"),
]
