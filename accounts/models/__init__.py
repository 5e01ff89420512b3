"""Models of Account Management, one module per concept."""
from .applications import Application, AuthAttempt
from .dashboards import Card, Dashboard
from .federation import FederatedIdentity, FederationDomain, IdentityProvider, UsedAssertion
from .organizations import (
                            Group,
                            Organization,
                            RoleAssignment,
                            User,
                            UserImport,
                            UserManager,
                            default_entitlements,
)
from .printer_login import Badge, BadgeRegistration, LoginCode, PrinterLoginConfiguration, UserPin

__all__ = ["Application", "FederatedIdentity", "FederationDomain", "IdentityProvider", "UsedAssertion", "AuthAttempt", "Badge", "BadgeRegistration", "LoginCode", "PrinterLoginConfiguration",
           "UserPin", "Card", "Dashboard", "Group", "Organization", "RoleAssignment", "User", "UserImport", "UserManager", "default_entitlements"]
