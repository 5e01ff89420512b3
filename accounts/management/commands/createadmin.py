"""Create an Organization Administrator (and, for a partner organization, make them Partner Administrator
through the organization's Child Organization Access group)."""
import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.choices import GroupKind
from accounts.management.helpers import command_error, find_organization
from accounts.models import Group
from accounts.roles import ORGANIZATION_ADMINISTRATOR
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from accounts.services.users import create_user


class Command(BaseCommand):
    help = "Create an Organization Administrator in an organization."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--org", required=True, help="organization ID or name")
        parser.add_argument("--password", help="password (asked for when omitted; --no-input e-mails a link)")
        parser.add_argument("--no-input", action="store_true")

    @transaction.atomic
    def handle(self, email, org, password, no_input, **options):
        organization = find_organization(org)
        if not password and not no_input:
            password = getpass.getpass("Password: ")
        try:
            user = create_user(organization, email, password=password or None, send_password_link=not password)
            role_services.assign_user_roles(user, [ORGANIZATION_ADMINISTRATOR])
            if organization.is_partner:
                cag = Group.objects.filter(organization=organization, kind=GroupKind.CHILD_ORGANIZATION_ACCESS).first()
                cag = cag or group_services.create_group(organization, "Child Organization Access Group",
                                                         GroupKind.CHILD_ORGANIZATION_ACCESS)
                group_services.add_members(cag, [user.pk])
        except ValidationError as exc:
            raise command_error(exc) from None
        self.stdout.write(self.style.SUCCESS(f"Organization Administrator {user.email} created in {organization.name}."))
