"""Models of Account Management, one module per concept."""
from .dashboards import Card, Dashboard
from .organizations import (Group, Organization, RoleAssignment, User, UserImport, UserManager,
                            default_entitlements)

__all__ = ["Card", "Dashboard", "Group", "Organization", "RoleAssignment", "User", "UserImport", "UserManager", "default_entitlements"]
