"""Create an organization (partner or customer, optionally the child of a partner)."""
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from accounts.choices import OrganizationKind, Region, Service
from accounts.management.helpers import command_error, find_organization
from accounts.services.organizations import create_organization


class Command(BaseCommand):
    help = "Create an organization and print its ID."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--partner", action="store_true", help="a partner organization (may have children)")
        parser.add_argument("--parent", help="ID or name of the parent (partner) organization")
        parser.add_argument("--region", choices=Region.values)
        parser.add_argument("--services", default="", help=f"comma-separated entitlements from: {', '.join(Service.values)}")

    def handle(self, name, partner, parent, region, services, **options):
        parent_org = None
        if parent:
            parent_org = find_organization(parent)
        try:
            org = create_organization(name, kind=OrganizationKind.PARTNER if partner else OrganizationKind.CUSTOMER,
                                      parent=parent_org, region=region,
                                      entitlements=[s.strip() for s in services.split(",") if s.strip()])
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stdout.write(str(org.pk))

