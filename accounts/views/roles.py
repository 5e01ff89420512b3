"""The Assign Roles picker shared by users, groups and organization roles: "System Roles" and "Custom Roles"
tables with "n of N roles selected", where the checked roles become the holder's roles."""
from ..choices import RoleCategory
from ..roles import BY_CODE, DEFAULT_ROLE, assignable_roles


def role_tables(org, selected, *, exclude=(), locked=()):
    """Rows of the roles the organization may assign. The default role User and `locked` roles show checked
    and cannot be unticked (the services keep them whatever the form sends)."""
    locked = set(locked) | {DEFAULT_ROLE}
    tables = []
    for category in (RoleCategory.SYSTEM, RoleCategory.CUSTOM):
        rows = sorted(
            ({"role": role, "checked": role.code in selected or role.code in locked, "locked": role.code in locked}
             for role in assignable_roles(org.entitlements)
             if role.category == category and role.code not in exclude),
            key=lambda row: row["role"].name,
        )
        if rows:
            tables.append({"key": str(category), "title": category.label, "rows": rows,
                           "selected": sum(row["checked"] for row in rows), "total": len(rows)})
    return tables


def assigned_roles(codes, *, locked=()):
    """Rows of an assigned-roles table, sorted by name; unknown codes are skipped."""
    return sorted(({"role": BY_CODE[c], "locked": c in locked} for c in codes if c in BY_CODE),
                  key=lambda row: row["role"].name)
