"""OrgScopedQuerySet: the one tenancy filter every tenant-owned model uses."""
from django.db import models


class OrgScopedQuerySet(models.QuerySet):
    """Rows of the organizations where a user holds a permission.

    `Model.objects.for_user(user, Perm.USERS_VIEW)` returns only rows whose organization is the user's own
    (if the user's roles there grant the permission) or a child organization reached through a Child
    Organization Access group that grants it.
    """

    org_field = "organization"

    def for_user(self, user, permission: str):
        from .access import organization_ids_with

        return self.filter(**{f"{self.org_field}__in": organization_ids_with(user, permission)})
