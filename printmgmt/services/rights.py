"""Who may print: one rule for every path that puts a job in a queue or takes it out at a printer (release,
print clients, IPP and print tokens)."""
from accounts.access import effective_permissions
from accounts.roles import Perm

PRINT_PERMS = frozenset({Perm.PRINT_USE, Perm.PRINT_ADMIN})


def may_print(user, organization) -> bool:
    """Active users of the organization with a Print Release Management role (user or administrator), and
    guests of e-mail submission while they hold the guest role and the organization still accepts guests."""
    if user is None or user.organization_id != organization.pk or not user.is_active:
        return False
    perms = effective_permissions(user, organization)
    if user.is_guest:
        from .guests import accepts_guests  # guests reaches the jobs services, which need nothing from here

        return Perm.PRINT_GUEST in perms and accepts_guests(organization)
    return bool(PRINT_PERMS & perms)
