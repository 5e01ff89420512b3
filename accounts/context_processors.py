"""The shell around every page: current organization, organization switcher, portal switcher."""
from django.urls import reverse

from lexcloud.registry import registry

from .access import effective_permissions, visible_organizations
from .roles import Perm

ACCOUNT_PORTAL = ("account", "Account Management", "accounts:home", (Perm.ACCOUNT_PORTAL,))


def _current_org(request, orgs):
    match = getattr(request, "resolver_match", None)
    org_id = match.kwargs.get("org_id") if match else None
    for org in orgs:
        if org_id and str(org.pk) == str(org_id):
            return org
    return orgs[0] if orgs else None


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    orgs = visible_organizations(user)
    current = _current_org(request, orgs)
    perms = effective_permissions(user, current) if current else frozenset()
    portals = []
    if Perm.ACCOUNT_PORTAL in perms:
        portals.append({"key": "account", "name": "Account Management",
                        "url": reverse("accounts:home", kwargs={"org_id": current.pk})})
    for portal in sorted(registry.portals.values(), key=lambda p: p.order):
        if current.is_entitled(portal.service) and set(portal.permissions) & perms:
            portals.append({"key": portal.key, "name": portal.name,
                            "url": reverse(portal.url_name, kwargs={"org_id": current.pk})})
    match = getattr(request, "resolver_match", None)
    return {
        "shell_orgs": orgs,
        "shell_org": current,
        "shell_perms": perms,
        "shell_portals": portals,
        "shell_portal": (match.namespace if match else "") or "dashboard",
    }
