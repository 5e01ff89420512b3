"""The Account Management cards of the dashboards (registered by AccountsConfig.ready)."""
from django.urls import reverse

from lexcloud.registry import CardType, registry

from . import access
from .choices import Service
from .roles import Perm


def _users(request, organization):
    return {"count": organization.users.count(),
            "url": reverse("accounts:users", kwargs={"org_id": organization.pk})}


def _groups(request, organization):
    return {"count": organization.groups.count(),
            "url": reverse("accounts:groups", kwargs={"org_id": organization.pk})}


def _children(request, organization):
    return {"count": organization.children.count(),
            "url": reverse("accounts:children", kwargs={"org_id": organization.pk})}


def _my_account(request, organization):
    user = request.user
    home = access.visible_organizations(user)[0]
    return {"display_name": user.name, "email": user.email,
            "roles_count": len(access.effective_roles(user, home).all),
            "url": reverse("my-account")}


CARDS = (
    CardType(key="account.my_account", name="My Account", permission=Perm.OWN_ACCOUNT,
             template="dashboards/cards/my_account.html", render=_my_account, service=Service.ACCOUNT.value,
             description="Your name, e-mail address and number of roles.", order=10),
    CardType(key="account.users", name="Users", permission=Perm.USERS_VIEW,
             template="dashboards/cards/users.html", render=_users, service=Service.ACCOUNT.value,
             description="Shows the list of user accounts in the organization.", order=20),
    CardType(key="account.groups", name="Groups", permission=Perm.GROUPS_VIEW,
             template="dashboards/cards/groups.html", render=_groups, service=Service.ACCOUNT.value,
             description="Shows the list of user groups in the organization.", order=30),
    CardType(key="account.children", name="Child Organizations", permission=Perm.CHILDREN_VIEW,
             template="dashboards/cards/children.html", render=_children, service=Service.ACCOUNT.value,
             partner_only=True, description="Shows the list of child organizations under an organization.",
             order=40),
)

for _card in CARDS:
    registry.register_card(_card)
