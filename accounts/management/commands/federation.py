"""Show, enable or disable an organization's authentication provider from the server: the way back in when
a misconfigured provider locks the administrators out ("you may be unable to log in to correct any
problems discovered during testing").

    manage.py federation --org "Acme Corporation"            # status
    manage.py federation --org "Acme Corporation" --disable  # users sign in with passwords again
    manage.py federation --org "Acme Corporation" --enable
"""
from django.core.management.base import BaseCommand, CommandError

from accounts.models import IdentityProvider
from accounts.services import federation
from accounts.services import identity_providers as providers

from ..helpers import find_organization


class Command(BaseCommand):
    help = "Show, enable or disable an organization's authentication provider (SAML / OIDC)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="organization name or ID")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--enable", action="store_true")
        action.add_argument("--disable", action="store_true")

    def handle(self, *args, org, enable, disable, **options):
        organization = find_organization(org)
        provider = IdentityProvider.objects.filter(organization=organization).first()
        if provider is None:
            raise CommandError(f"{organization} has no authentication provider.")
        if enable or disable:
            providers.set_enabled(provider, enable)
        state = "enabled" if provider.enabled else "disabled"
        self.stdout.write(f"{organization}: {provider.get_protocol_display()} provider {provider.issuer or '-'}, "
                          f"{state}; domains: {', '.join(federation.domains_of(organization)) or 'none'}")
