"""OAuth2 plumbing around django-oauth-toolkit: the token endpoint takes the guide's JSON body as well as the
standard form encoding, and revoked applications get no tokens."""
import hashlib
import json

from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import TokenView as BaseTokenView


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
            pairs = [(str(key), str(value)) for key, value in body.items() if value is not None]
            try:  # oauthlib url-encodes the body: text it cannot encode is no credential anyway
                for key, value in pairs:
                    key.encode("utf-8"), value.encode("utf-8")
            except UnicodeEncodeError:
                return []
            return pairs
        return super().extract_body(request)


class Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        if application is not None and getattr(application, "revoked_at", None) is not None:
            return None
        return application


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(BaseTokenView):
    """`POST /oauth/token`: client credentials in a JSON body (the guide's form), a form body, or HTTP Basic;
    answers `{"access_token", "token_type": "Bearer", "expires_in": 7200, "scope", "created_at"}`, or 401 with
    `{"error": "invalid_client"}` for unknown, wrong or revoked credentials. A token issued marks the
    application's "Last used" (Applications tab)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            from oauth2_provider.models import get_access_token_model

            from .services.applications import touch_application

            body = json.loads(response.content)
            issued = body.get("access_token") or ""
            checksum = hashlib.sha256(issued.encode("utf-8")).hexdigest()  # DOT's indexed token lookup
            token = (get_access_token_model().objects.filter(token_checksum=checksum)
                     .only("application_id", "created", "application__kind").select_related("application").first())
            if token is not None and token.application_id:
                touch_application(token.application_id)
                response.content = json.dumps(guide_token_body(body, token)).encode("utf-8")
        return response


def guide_token_body(body: dict, token) -> dict:
    """The integration API's Retrieve Token answer (issue 8): `created_at` (Unix seconds) added for every
    client; integration applications get `token_type` in the guide's lower case ("bearer": RFC 6749 makes it
    case-insensitive, printers and agents keep DOT's "Bearer")."""
    from .choices import ApplicationKind

    body = {**body, "created_at": int(token.created.timestamp())}
    if token.application.kind == ApplicationKind.INTEGRATION:
        body["token_type"] = "bearer"
    return body
