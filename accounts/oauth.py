"""OAuth2 plumbing around django-oauth-toolkit: the token endpoint takes the guide's JSON body as well as the
standard form encoding, and revoked applications get no tokens."""
import json

from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator


class TokenRequestBackend(OAuthLibCore):
    """`POST /oauth/token` with `{"grant_type": "client_credentials", "client_id": ..., "client_secret": ...}`
    (the commercial service's documented body) or the RFC 6749 form body."""

    def extract_body(self, request):
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return []
            if not isinstance(body, dict):
                return []
            return [(str(key), str(value)) for key, value in body.items() if value is not None]
        return super().extract_body(request)


class Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        if application is not None and getattr(application, "revoked_at", None) is not None:
            return None
        return application
