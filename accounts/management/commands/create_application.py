"""Create an application (OAuth2 client credentials) of an organization and print its credentials."""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from accounts.choices import ApplicationKind
from accounts.management.helpers import command_error, find_organization
from accounts.services import applications as app_services


class Command(BaseCommand):
    help = ("Create an application of an organization (client-credentials grant) and print one JSON object "
            '{"client_id", "client_secret", "organization", "kind"}. The secret is shown only this once.')

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization ID or name")
        parser.add_argument("--name", required=True, help="application name")
        parser.add_argument("--kind", choices=ApplicationKind.values, default=ApplicationKind.DEVICE)

    def handle(self, org, name, kind, **options):
        organization = find_organization(org)
        try:
            app, secret = app_services.create_application(organization, name, kind=kind)
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stdout.write(json.dumps({"client_id": app.client_id, "client_secret": secret,
                                      "organization": str(organization.pk), "kind": app.kind}))
