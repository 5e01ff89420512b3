"""Seed a demo: a partner organization, a customer child organization, administrators and users.
Idempotent: running it again prints the same logins and changes nothing."""
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.choices import GroupKind, OrganizationKind, Service
from accounts.models import Group, Organization, User
from accounts.roles import ORGANIZATION_ADMINISTRATOR, USER_ADMINISTRATOR
from accounts.services import groups as group_services
from accounts.services import roles as role_services
from accounts.services.organizations import create_organization
from accounts.services.users import create_user

DEMO_PASSWORD = "Demo-pass1!"
DEMO_BADGE, DEMO_PIN = "0001a", "4821"
ALL_SERVICES = [s for s in Service.values]


class Command(BaseCommand):
    help = "Create demo organizations and users (idempotent) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password of every demo login")
        parser.add_argument("--printers", type=int, default=0, metavar="N",
                            help="also give Acme a Fleet Agent and N simulated printers (fleet.demo)")
        parser.add_argument("--days", type=int, default=90, help="days of counter history of those printers")
        parser.add_argument("--lab-agent", metavar="DIR",
                            help="also define the Lab Fleet Agent of the simulated lab fleet and write its "
                                 "configuration (with an activation code) to DIR/agent.toml")

    def handle(self, *args, password, printers, days, lab_agent, **options):
        customer = self._accounts(password)
        if printers > 0:
            from fleet.demo import seed_printers

            seed_printers(customer, printers, days=days, write=self.stdout.write)
        if lab_agent:
            from pathlib import Path

            from django.conf import settings

            from fleet.demo import lab_agent_config

            config = lab_agent_config(customer, Path(lab_agent), settings.BASE_URL)
            self.stdout.write(f"Lab Fleet Agent: {'configuration written to ' + str(config) if config else 'activated'}"
                              " (the simulated lab fleet is on 127.0.1.1-127.0.1.10, SNMP port 16161)")

    @transaction.atomic
    def _accounts(self, password):
        partner = self._org("Demo Partner", OrganizationKind.PARTNER, None)
        customer = self._org("Acme Corporation", OrganizationKind.CUSTOMER, partner)
        sibling = self._org("Globex Industries", OrganizationKind.CUSTOMER, partner)

        logins = []
        pa = self._user(partner, "partner.admin@demo.lexcloud.test", password, "Pat", "Partner")
        cag = Group.objects.filter(organization=partner, kind=GroupKind.CHILD_ORGANIZATION_ACCESS).first()
        if cag is None:
            cag = group_services.create_group(partner, "Child Organization Access Group",
                                              GroupKind.CHILD_ORGANIZATION_ACCESS)
            role_services.assign_group_roles(cag, [ORGANIZATION_ADMINISTRATOR, "fleet_management_administrator",
                                                   "file_service_administrator"])
        group_services.add_members(cag, [pa.pk])
        role_services.assign_user_roles(pa, [ORGANIZATION_ADMINISTRATOR])
        logins.append(("Partner Administrator", pa, partner))

        oa = self._user(customer, "admin@acme.lexcloud.test", password, "Olivia", "Admin")
        role_services.assign_user_roles(oa, [ORGANIZATION_ADMINISTRATOR, "fleet_management_administrator",
                                             "print_release_management_administrator"])
        logins.append(("Organization + Fleet + Print Admin", oa, customer))
        ua = self._user(customer, "useradmin@acme.lexcloud.test", password, "Ulysses", "Useradmin")
        role_services.assign_user_roles(ua, [USER_ADMINISTRATOR])
        logins.append(("User Administrator", ua, customer))
        role_services.assign_organization_roles(customer, ["print_release_management_user"])
        staff = Group.objects.get(organization=customer, name="Help Desk")
        for first, last in (("John", "Doe"), ("Lois", "Lane"), ("Clark", "Kent")):
            user = self._user(customer, f"{first.lower()}.{last.lower()}@acme.lexcloud.test", password, first, last,
                              department="Sales" if first != "Clark" else "Newsroom")
            logins.append(("User", user, customer))
        group_services.add_members(staff, [User.objects.get(email="lois.lane@acme.lexcloud.test").pk])
        ga = self._user(sibling, "admin@globex.lexcloud.test", password, "Gina", "Globex")
        role_services.assign_user_roles(ga, [ORGANIZATION_ADMINISTRATOR])
        logins.append(("Organization Administrator", ga, sibling))

        printer = self._printer_login(customer)
        self._print_management(customer)

        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Logins (password for all: {password}):"))
        for role, user, org in logins:
            self.stdout.write(f"  {user.email:<40} {role:<28} {org.name}")
        self.stdout.write(f"At Acme's printers: john.doe badge {DEMO_BADGE}, PIN {DEMO_PIN}; "
                          "secure login codes at /device.")
        if printer:
            app, secret = printer
            self.stdout.write(f'Demo printer application (POST /oauth/token): client_id "{app.client_id}", '
                              f'client_secret "{secret}" (shown this once)')
        return customer

    def _printer_login(self, org):
        """Acme's printers take badges, PINs and secure login codes; John has a badge and a PIN; one printer
        application (its secret can be shown only when it is created)."""
        from accounts.choices import ApplicationKind, PinSource
        from accounts.models import Application, Badge
        from accounts.services import applications, badges, printer_login

        printer_login.update_configuration(org, badge=True, pin=True, secure_login=True)
        john = User.objects.get(email="john.doe@acme.lexcloud.test")
        if not Badge.objects.filter(organization=org, badge_id=DEMO_BADGE).exists():
            badges.register_badge(john, DEMO_BADGE, description="Demo badge")
        if not hasattr(john, "pin"):
            printer_login.set_pin(john, DEMO_PIN, source=PinSource.ADMIN, notify=False)
        if Application.objects.filter(organization=org, name="Demo printer").exists():
            return None
        return applications.create_application(org, "Demo printer", kind=ApplicationKind.DEVICE)

    def _print_management(self, org):
        """Acme takes documents by e-mail (manage.py smtp_ingest, started by make run) and lets users name
        delegates."""
        from printmgmt.services.org_settings import submission_address, update_settings

        update_settings(org, email_submission=True, delegation=True)
        self.stdout.write(f"Acme's users e-mail documents to print to {submission_address(org)} "
                          "(SMTP on 127.0.0.1:2525 under make run).")

    def _org(self, name, kind, parent):
        org = Organization.objects.filter(name=name).first()
        return org or create_organization(name, kind=kind, parent=parent, entitlements=ALL_SERVICES)

    def _user(self, org, email, password, first, last, **profile):
        user = User.objects.filter(email=email).first()
        if user is None:
            user = create_user(org, email, password=password, first_name=first, last_name=last,
                               display_name=f"{first} {last}", send_password_link=False, **profile)
        return user
