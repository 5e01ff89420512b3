"""Models of Print Management, one module per concept."""
from .delegates import Delegate
from .history import PrintJobHistory
from .jobs import DefaultPrintSettings, PrintJob, PrintSettingsFields
from .settings import OrganizationPrintSettings

__all__ = ["DefaultPrintSettings", "Delegate", "OrganizationPrintSettings", "PrintJob", "PrintJobHistory",
           "PrintSettingsFields"]
