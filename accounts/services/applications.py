"""Applications: an organization's OAuth2 client credentials for printers, agents and integrations
("installed applications that provide authentication credentials for devices without user credentials").

Built on django-oauth-toolkit: confidential clients with the client-credentials grant. DOT hashes the client
secret when the application is saved, so the clear secret exists only in the return value of
`create_application` and `rotate_secret`: the pages and the API show it once. Rotating or revoking an
application deletes its access tokens, so what was issued with the old secret stops working at once;
`accounts.oauth.Validator` refuses revoked applications at the token endpoint."""
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from ..access import effective_permissions
from ..choices import ApplicationKind
from ..models import Application, Organization
from ..roles import Perm

NAME_MAX = 255


def _check_authority(by, org) -> None:
    if by is not None and Perm.APPLICATIONS_MANAGE not in effective_permissions(by, org):
        raise PermissionDenied("Managing applications needs the Organization Administrator role.")


def _drop_tokens(app: Application) -> None:
    get_refresh_token_model().objects.filter(application=app).delete()
    get_access_token_model().objects.filter(application=app).delete()


@transaction.atomic
def create_application(org: Organization, name: str, *, kind=ApplicationKind.DEVICE, by=None
                       ) -> tuple[Application, str]:
    """A new confidential client-credentials application of `org`; returns it and its secret in clear."""
    _check_authority(by, org)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Type an application name."})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"The application name can have at most {NAME_MAX} characters."})
    if kind not in ApplicationKind.values:
        raise ValidationError({"kind": "Select a kind: " + ", ".join(ApplicationKind.values) + "."})
    if Application.objects.filter(organization=org, name__iexact=name, revoked_at__isnull=True).exists():
        raise ValidationError({"name": "Type a unique application name."})
    secret = generate_client_secret()
    app = Application(organization=org, name=name, kind=kind, client_type=Application.CLIENT_CONFIDENTIAL,
                      authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS, client_secret=secret,
                      hash_client_secret=True, skip_authorization=True)
    app.save()  # DOT replaces client_secret by its hash here
    return app, secret


@transaction.atomic
def rotate_secret(app: Application, *, by=None) -> str:
    """A new secret for `app` (returned in clear); the old secret and every token issued with it stop working."""
    app = Application.objects.select_for_update().get(pk=app.pk)
    _check_authority(by, app.organization)
    if app.revoked_at is not None:
        raise ValidationError("A revoked application cannot get a new secret.")
    secret = generate_client_secret()
    app.client_secret = secret
    app.hash_client_secret = True
    app.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    _drop_tokens(app)
    return secret


@transaction.atomic
def revoke_application(app: Application, *, by=None) -> Application:
    """Revoke `app`: no new tokens (the validator refuses it) and its tokens are deleted. Idempotent."""
    app = Application.objects.select_for_update().get(pk=app.pk)
    _check_authority(by, app.organization)
    if app.revoked_at is None:
        app.revoked_at = timezone.now()
        app.save(update_fields=["revoked_at", "updated"])
    _drop_tokens(app)
    return app


def touch_application(application_id: int, *, at=None) -> None:
    """Record that the application was just issued a token (Applications tab: "Last used")."""
    Application.objects.filter(pk=application_id).update(last_used_at=at or timezone.now())
