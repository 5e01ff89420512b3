"""Models of Print Management, one module per concept."""
from .clients import ClientSubmission, GuestSender, PrintToken
from .delegates import Delegate
from .history import PrintJobHistory
from .jobs import DefaultPrintSettings, PrintJob, PrintSettingsFields
from .policies import PrintPolicy, PrintPolicyAssignment, PrintPolicyWindow
from .quotas import QuotaAssignment, QuotaDefinition, QuotaMonthLimit, QuotaUsage
from .settings import OrganizationPrintSettings

__all__ = ["ClientSubmission", "DefaultPrintSettings", "Delegate", "GuestSender", "OrganizationPrintSettings",
           "PrintJob", "PrintJobHistory", "PrintPolicy", "PrintPolicyAssignment", "PrintPolicyWindow",
           "PrintSettingsFields", "PrintToken", "QuotaAssignment", "QuotaDefinition", "QuotaMonthLimit",
           "QuotaUsage"]
