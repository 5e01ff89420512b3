"""OrgScopedQuerySet: the one tenancy filter every tenant-owned model uses."""
from django.db import models


class OrgScopedQuerySet(models.QuerySet):
    """Rows of the organizations where a user holds a permission.

    `Model.objects.for_user(user, Perm.USERS_VIEW)` returns only rows whose organization is the user's own
    (if the user's roles there grant the permission) or a child organization reached through a Child
    Organization Access group that grants it.
    """

    org_field = "organization"

    def for_user(self, user, permission, organization=None):
        """Rows the user may see with `permission`; with `organization`, only that organization's rows (and
        none at all unless the user holds the permission there): the form every view under /o/<org_id>/ uses."""
        from .access import effective_permissions, organization_ids_with

        if organization is None:
            return self.filter(**{f"{self.org_field}__in": organization_ids_with(user, permission)})
        needed = {permission} if isinstance(permission, str) else set(permission)
        if needed & effective_permissions(user, organization):
            return self.filter(**{self.org_field: organization.pk})
        return self.none()
