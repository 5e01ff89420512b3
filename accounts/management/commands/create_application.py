"""Create an application (OAuth2 client credentials) of an organization and print its credentials."""
import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.choices import ApplicationKind
from accounts.services import applications as app_services

from .import_users import find_organization


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
            messages = (m for msgs in exc.message_dict.values() for m in msgs) if hasattr(exc, "error_dict") \
                else exc.messages
            raise CommandError("; ".join(messages)) from None
        self.stdout.write(json.dumps({"client_id": app.client_id, "client_secret": secret,
                                      "organization": str(organization.pk), "kind": app.kind}))
