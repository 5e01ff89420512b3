"""Models of Fleet Management, one module per concept."""
from .agents import (
    ActivationCode,
    Agent,
    DiscoveryCriterion,
    EnrollmentCode,
    PreEnrollment,
    PrinterEnrollmentCode,
    SnmpProfile,
)
from .catalog import PrinterModel
from .integration import IntegrationAccess
from .printers import (
    Alert,
    CounterSnapshot,
    DiagnosticEvent,
    FailedMessage,
    FilterGroup,
    Printer,
    PrinterView,
    ProcessedMessage,
    Supply,
    SupplyLevel,
    Tag,
    ViewPreference,
)
from .tasks import Job, Task, TaskFile

__all__ = ["ActivationCode", "Agent", "Alert", "CounterSnapshot", "DiagnosticEvent", "DiscoveryCriterion",
           "EnrollmentCode", "FilterGroup", "IntegrationAccess", "Job", "PreEnrollment", "Printer", "PrinterEnrollmentCode",
           "PrinterModel", "PrinterView", "FailedMessage", "ProcessedMessage", "SnmpProfile", "Supply", "SupplyLevel", "Tag",
           "Task", "TaskFile", "ViewPreference"]
