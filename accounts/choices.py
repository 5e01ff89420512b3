"""Enumerations of Account Management, named as the guide names them."""
from django.db import models


class OrganizationKind(models.TextChoices):
    PARTNER = "partner", "Partner"
    CUSTOMER = "customer", "Customer"


class OrganizationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING_DELETION = "pending_deletion", "Pending deletion"


class Region(models.TextChoices):
    US = "us", "North America"
    EU = "eu", "Europe"


class Service(models.TextChoices):
    """Entitlements ("Active Lexmark Cloud Services"): each gates a portal and the roles of that solution."""

    ACCOUNT = "account", "Account Management"
    FLEET = "fleet", "Cloud Fleet Management"
    PRINT = "print", "Cloud Print Management"
    HYBRID_PRINT = "hybrid_print", "Hybrid Print Management"
    DIRECT_PRINT = "direct_print", "Direct Print"
    SCAN = "scan", "Cloud Scan Management"
    ANALYTICS = "analytics", "Analytics"
    TRANSLATION = "translation", "Translation Assistant"
    SOLUTION_QUOTA = "solution_quota", "Solution Quota Manager"
    REDACTION = "redaction", "Redaction Assistant"
    ANNOUNCEMENTS = "announcements", "Announcement Center"
    SOLUTION_CENTER = "solution_center", "Cloud Solution Center"
    OCR = "ocr", "Optical character recognition"
    MSA = "msa", "MSA System Management"


class GroupKind(models.TextChoices):
    ORGANIZATION_ACCESS = "organization_access", "Organization Access"
    CHILD_ORGANIZATION_ACCESS = "child_organization_access", "Child Organization Access"


class RoleCategory(models.TextChoices):
    SYSTEM = "system", "System Roles"
    CUSTOM = "custom", "Custom Roles"


class ImportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class LoginMode(models.TextChoices):
    STANDARD = "standard", "Standard authentication"
    BADGE_PIN = "badge_pin", "Badge + PIN as second factor"


class PinGeneration(models.TextChoices):
    AUTO_EMAIL = "auto_email", "Automatically generate and email"
    ADMIN_SET = "admin_set", "Administrator manually set"
    USER_SET = "user_set", "User set"


class ExpirationUnit(models.TextChoices):
    HOURS = "hours", "hour(s)"
    DAYS = "days", "day(s)"


class PinSource(models.TextChoices):
    SYSTEM = "system", "Generated"
    ADMIN = "admin", "Administrator"
    USER = "user", "User"
    IMPORT = "import", "Import"
    IDP = "idp", "Identity provider"


class ApplicationKind(models.TextChoices):
    DEVICE = "device", "Printer / device"
    AGENT = "agent", "Agent"
    INTEGRATION = "integration", "Integration"


class AuthMethod(models.TextChoices):
    BADGE = "badge", "Badge"
    PIN = "pin", "PIN"
    BADGE_PIN = "badge_pin", "Badge + PIN"
    PASSWORD = "password", "E-mail and password"
    CODE = "code", "Secure login code"


class FederationProtocol(models.TextChoices):
    SAML = "saml", "SAML"
    OIDC = "oidc", "OIDC"


class SamlSetup(models.TextChoices):
    METADATA_URL = "metadata", "With Metadata URL"
    MANUAL = "manual", "Without Metadata URL"


class NameIdFormat(models.TextChoices):
    EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "E-mail address"
    UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified", "Unspecified"
    PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "Persistent"
