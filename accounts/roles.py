"""The role catalog of the guide (2024 edition plus the 2025 additions) and what each role grants.

Roles are fixed codes; a role grants permissions, and views declare the permission they need. Solution
roles count only in organizations entitled to the solution ("applicable only if the organization is
entitled to the particular solutions"). See docs/decisions/0002-roles-and-permissions.md.
"""
from dataclasses import dataclass

from .choices import RoleCategory, Service


class Perm:
    """Permission codes. A view or API endpoint declares exactly one of these."""

    OWN_ACCOUNT = "account.own"              # My Account, dashboards
    ACCOUNT_PORTAL = "account.portal"        # enter the Account Management portal
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"                # organization roles, provider, printer login, password rules
    USERS_VIEW = "users.view"
    USERS_MANAGE = "users.manage"            # create/edit/delete/import users, assign user roles
    GROUPS_VIEW = "groups.view"
    GROUPS_MANAGE = "groups.manage"
    BADGES_VIEW = "badges.view"
    BADGES_MANAGE = "badges.manage"
    PINS_VIEW = "pins.view"
    PINS_MANAGE = "pins.manage"
    APPLICATIONS_VIEW = "applications.view"
    APPLICATIONS_MANAGE = "applications.manage"
    CHILDREN_VIEW = "children.view"
    CHILDREN_MANAGE = "children.manage"
    FLEET_VIEW = "fleet.view"
    FLEET_MANAGE = "fleet.manage"
    FLEET_FILES = "fleet.files"
    FLEET_REPORTS = "fleet.reports"
    PRINT_USE = "print.use"
    PRINT_GUEST = "print.guest"
    PRINT_ADMIN = "print.admin"
    PRINT_REPORTS = "print.reports"
    HYBRID_USE = "hybrid.use"
    HYBRID_ADMIN = "hybrid.admin"
    DIRECT_USE = "direct.use"
    DIRECT_ADMIN = "direct.admin"
    SCAN_USE = "scan.use"
    SCAN_ADMIN = "scan.admin"
    TRANSLATION_USE = "translation.use"
    TRANSLATION_ADMIN = "translation.admin"
    SOLUTION_QUOTA_ADMIN = "solution_quota.admin"
    REDACTION_USE = "redaction.use"
    ANNOUNCEMENTS_AUTHOR = "announcements.author"
    SOLUTION_CENTER_ADMIN = "solution_center.admin"
    SOLUTION_CENTER_CREATE = "solution_center.create"
    SOLUTION_CENTER_RUN = "solution_center.run"
    OCR_USE = "ocr.use"
    MSA_ADMIN = "msa.admin"
    MSA_VIEW = "msa.view"


_HELP_DESK = {Perm.ACCOUNT_PORTAL, Perm.ORG_VIEW, Perm.USERS_VIEW, Perm.GROUPS_VIEW, Perm.BADGES_VIEW,
              Perm.PINS_VIEW, Perm.APPLICATIONS_VIEW}
_USER_ADMIN = _HELP_DESK | {Perm.USERS_MANAGE, Perm.GROUPS_MANAGE, Perm.BADGES_MANAGE, Perm.PINS_MANAGE}
_ORG_ADMIN = _USER_ADMIN | {Perm.ORG_MANAGE, Perm.APPLICATIONS_MANAGE}


# What still works in an organization pending deletion: looking, not changing.
READ_ONLY_PERMISSIONS = frozenset(_HELP_DESK | {Perm.OWN_ACCOUNT, Perm.CHILDREN_VIEW, Perm.FLEET_VIEW, Perm.FLEET_REPORTS,
                                                Perm.PRINT_REPORTS})


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    description: str
    category: str
    service: str
    permissions: frozenset[str]
    group: str  # heading of the guide's role chapter


def _role(code, name, description, group, service=Service.ACCOUNT, perms=(), category=RoleCategory.CUSTOM):
    return Role(code, name, description, str(category), str(service), frozenset(perms), group)


SYSTEM = "System roles"
ROLES: tuple[Role, ...] = (
    _role("help_desk", "Help Desk", "View users, badges, groups, applications, PINs, and organization information",
          SYSTEM, perms=_HELP_DESK, category=RoleCategory.SYSTEM),
    _role("organization_administrator", "Organization Administrator", "Manage the organization and its users.",
          SYSTEM, perms=_ORG_ADMIN, category=RoleCategory.SYSTEM),
    _role("partner_administrator", "Partner Administrator", "Manage customer organizations and their users.",
          SYSTEM, perms={Perm.ACCOUNT_PORTAL, Perm.ORG_VIEW, Perm.USERS_VIEW, Perm.GROUPS_VIEW,
                         Perm.CHILDREN_VIEW, Perm.CHILDREN_MANAGE}, category=RoleCategory.SYSTEM),
    _role("user", "User", "View and manage your own account information. This is the default role.",
          SYSTEM, perms={Perm.OWN_ACCOUNT}, category=RoleCategory.SYSTEM),
    _role("user_administrator", "User Administrator", "Manage users in the organization.",
          SYSTEM, perms=_USER_ADMIN, category=RoleCategory.SYSTEM),
    # Cloud Fleet Management
    _role("file_service_administrator", "File Service Administrator",
          "Access the file management system when paired with the Fleet Management Administrator role.",
          "Fleet Management roles", Service.FLEET, {Perm.FLEET_FILES}),
    _role("fleet_management_administrator", "Fleet Management Administrator",
          "Discover, enroll, manage, and deploy configurations to printers.",
          "Fleet Management roles", Service.FLEET, {Perm.FLEET_VIEW, Perm.FLEET_MANAGE}),
    _role("fleet_management_reporting_analyst", "Fleet Management Reporting Analyst",
          "Access Fleet Management reporting data.", "Fleet Management roles", Service.FLEET, {Perm.FLEET_REPORTS}),
    _role("fleet_management_viewer", "Fleet Management Viewer",
          "View printers list and printer details page without any rights to perform actions.",
          "Fleet Management roles", Service.FLEET, {Perm.FLEET_VIEW}),
    # Cloud Print Management
    _role("print_release_management_administrator", "Print Release Management Administrator",
          "Manage users, permissions, and organizational settings of Cloud Print Management.",
          "Print Management roles", Service.PRINT, {Perm.PRINT_ADMIN, Perm.PRINT_USE}),
    _role("print_release_management_reporting_analyst", "Print Release Management Reporting Analyst",
          "Access Cloud Print Management reporting data.", "Print Management roles", Service.PRINT,
          {Perm.PRINT_REPORTS}),
    _role("print_release_management_user", "Print Release Management User",
          "View and manage your own print jobs. This is the basic user role for Cloud Print Management.",
          "Print Management roles", Service.PRINT, {Perm.PRINT_USE}),
    _role("print_management_guest_user", "Print Management Guest User", "Access to print with email submission only.",
          "Print Management roles", Service.PRINT, {Perm.PRINT_GUEST}),
    # Hybrid Print Management
    _role("hybrid_print_management_administrator", "Hybrid Print Management Administrator",
          "Manage users, permissions, and organizational settings of Hybrid Print Management.",
          "Hybrid Print Management roles", Service.HYBRID_PRINT, {Perm.HYBRID_ADMIN, Perm.HYBRID_USE}),
    _role("hybrid_print_management_user", "Hybrid Print Management User",
          "View and manage your own print jobs. This is the basic user role for Hybrid Print Management.",
          "Hybrid Print Management roles", Service.HYBRID_PRINT, {Perm.HYBRID_USE}),
    # Direct Print
    _role("direct_print_management_administrator", "Direct Print Management Administrator",
          "Manage configuration and access for direct print users.", "Direct Print Management roles",
          Service.DIRECT_PRINT, {Perm.DIRECT_ADMIN, Perm.DIRECT_USE}),
    _role("direct_print_management_user", "Direct Print Management User", "Submit print jobs via direct print.",
          "Direct Print Management roles", Service.DIRECT_PRINT, {Perm.DIRECT_USE}),
    # Scan
    _role("scan_management_administrator", "Scan Management Administrator",
          "Enable and manage scan destination across the organization.", "Scan Management roles", Service.SCAN,
          {Perm.SCAN_ADMIN, Perm.SCAN_USE}),
    _role("scan_management_user", "Scan Management User", "Use the scan to destinations feature.",
          "Scan Management roles", Service.SCAN, {Perm.SCAN_USE}),
    # Assistants, quotas, announcements
    _role("translation_assistant_administrator", "Translation Assistant Administrator",
          "Manage Translation Assistant settings.", "Translation Assistant roles", Service.TRANSLATION,
          {Perm.TRANSLATION_ADMIN, Perm.TRANSLATION_USE}),
    _role("translation_assistant_user", "Translation Assistant User",
          "Use Translation Assistant for the entitled organization.", "Translation Assistant roles",
          Service.TRANSLATION, {Perm.TRANSLATION_USE}),
    _role("solutions_quota_administrator", "Solutions Quota Administrator",
          "Use the Solution Quota web portal to manage solution quota configurations for the organization.",
          "Solution Quota roles", Service.SOLUTION_QUOTA, {Perm.SOLUTION_QUOTA_ADMIN}),
    _role("redaction_assistant_user", "Redaction Assistant User", "Use Redaction Assistant for the entitled organization.",
          "Redaction Assistant roles", Service.REDACTION, {Perm.REDACTION_USE}),
    _role("announcement_center_author_admin", "Announcement Center Author Admin",
          "Manage and author announcements for the Announcement Center.", "Announcement Center roles",
          Service.ANNOUNCEMENTS, {Perm.ANNOUNCEMENTS_AUTHOR}),
    # 2025 editions
    _role("solution_center_administrator", "Solution Center Administrator",
          "Creates personal and shareable solutions within own organization.", "Solution Center roles",
          Service.SOLUTION_CENTER, {Perm.SOLUTION_CENTER_ADMIN, Perm.SOLUTION_CENTER_CREATE, Perm.SOLUTION_CENTER_RUN}),
    _role("solution_center_advanced_user", "Solution Center Advanced User", "Creates personal solutions.",
          "Solution Center roles", Service.SOLUTION_CENTER, {Perm.SOLUTION_CENTER_CREATE, Perm.SOLUTION_CENTER_RUN}),
    _role("solution_center_user", "Solution Center User", "Runs solutions.", "Solution Center roles",
          Service.SOLUTION_CENTER, {Perm.SOLUTION_CENTER_RUN}),
    _role("ocr_user", "OCR User", "Uses optical character recognition for the entitled organization.",
          "Solution Center roles", Service.OCR, {Perm.OCR_USE}),
    # Named only in the 2024 Assign Roles dialog
    _role("msa_system_management_administrator", "MSA System Management Administrator", "Manage the MSA system.",
          "MSA roles", Service.MSA, {Perm.MSA_ADMIN, Perm.MSA_VIEW}),
    _role("msa_system_management_user", "MSA System Management User",
          "View the core system metrics and operations data.", "MSA roles", Service.MSA, {Perm.MSA_VIEW}),
)

BY_CODE: dict[str, Role] = {role.code: role for role in ROLES}
ROLE_CHOICES = [(role.code, role.name) for role in ROLES]

DEFAULT_ROLE = "user"
PARTNER_ADMINISTRATOR = "partner_administrator"
ORGANIZATION_ADMINISTRATOR = "organization_administrator"
USER_ADMINISTRATOR = "user_administrator"

# Groups created with every organization (guide: "Predefined groups").
PREDEFINED_GROUPS: dict[str, tuple[str, ...]] = {
    "Admin": (ORGANIZATION_ADMINISTRATOR,),
    "Fleet Management Admins": ("fleet_management_administrator", "file_service_administrator",
                                "fleet_management_reporting_analyst"),
    "Fleet Management Viewers": ("fleet_management_viewer", "file_service_administrator"),
    "Help Desk": ("help_desk",),
    "Reporting": ("fleet_management_reporting_analyst", "print_release_management_reporting_analyst"),
}


def permissions_of(role_codes, entitlements) -> frozenset[str]:
    """Permissions granted by these roles in an organization with these entitlements."""
    entitled = set(entitlements) | {Service.ACCOUNT}
    perms: set[str] = set()
    for code in role_codes:
        role = BY_CODE.get(code)
        if role is not None and role.service in entitled:
            perms |= role.permissions
    return frozenset(perms)


def assignable_roles(entitlements) -> list[Role]:
    """Roles an administrator may pick in an organization (those of entitled solutions)."""
    entitled = set(entitlements) | {Service.ACCOUNT}
    return [role for role in ROLES if role.service in entitled]
