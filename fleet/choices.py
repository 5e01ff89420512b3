"""Enumerations of Fleet Management, named as the guide names them."""
from django.db import models

from agents.protocol import Command, JobState, PrinterStatus, Severity


class AgentType(models.TextChoices):
    FLEET = "fleet", "Fleet"
    PRINTER = "printer", "Printer"
    NATIVE = "native", "Native"
    LOCAL = "local", "Local"


class Activation(models.TextChoices):
    """Activation state of an agent (Fleet Agent details: "Activation", Local Agents: "Activation Status")."""

    REQUIRED = "required", "Activation required"
    PRE_ENROLLED = "pre_enrolled", "Printer pre-enrolled"
    ACTIVATED = "activated", "Activated"
    DEACTIVATED = "deactivated", "Deactivated"


class LogLevel(models.TextChoices):
    SUMMARY = "summary", "Summary"
    DETAILED = "detailed", "Detailed"


class SearchType(models.TextChoices):
    LOCAL_NETWORK = "local", "Search Local Network"
    ADVANCED = "advanced", "Advanced Search"


class CriterionKind(models.TextChoices):
    INCLUDE = "include", "Include"
    EXCLUDE = "exclude", "Exclude"


class SnmpVersion(models.TextChoices):
    V1 = "v1", "V1"
    V2C = "v2c", "V2c"
    V3 = "v3", "V3"


class SnmpSecurityLevel(models.TextChoices):
    NO_AUTH_NO_PRIV = "noAuthNoPriv", "No authentication, no privacy"
    AUTH_NO_PRIV = "authNoPriv", "Authentication, no privacy"
    AUTH_PRIV = "authPriv", "Authentication and privacy"


class SnmpAuthProtocol(models.TextChoices):
    MD5 = "MD5", "MD5"
    SHA = "SHA", "SHA-1"
    SHA224 = "SHA224", "SHA-224"
    SHA256 = "SHA256", "SHA-256"
    SHA384 = "SHA384", "SHA-384"
    SHA512 = "SHA512", "SHA-512"


class SnmpPrivProtocol(models.TextChoices):
    DES = "DES", "DES"
    AES = "AES", "AES-128"
    AES192 = "AES192", "AES-192"
    AES256 = "AES256", "AES-256"


class CodeKind(models.TextChoices):
    FLEET = "fleet", "Fleet Agent"
    LOCAL = "local", "Local Agent"


class Communication(models.TextChoices):
    """Printer communication status (Printers page, guide "Printer communication statuses")."""

    COMMUNICATING = "communicating", "Communicating"
    NOT_COMMUNICATING = "not_communicating", "Not communicating"
    NEEDS_CREDENTIALS = "needs_credentials", "Agent needs credentials"
    AGENT_NOT_COMMUNICATING = "agent_not_communicating", "Agent not communicating"


class Status(models.TextChoices):
    READY = PrinterStatus.READY, "Ready"
    PRINTING = PrinterStatus.PRINTING, "Printing"
    WARNING = PrinterStatus.WARNING, "Warning"
    ERROR = PrinterStatus.ERROR, "Error"
    OFFLINE = PrinterStatus.OFFLINE, "Offline"
    UNKNOWN = PrinterStatus.UNKNOWN, "Unknown"


class AlertSeverity(models.TextChoices):
    ERROR = Severity.ERROR, "Error"
    WARNING = Severity.WARNING, "Warning"
    INFO = Severity.INFO, "Information"


class PanelMessage(models.TextChoices):
    """The fixed control-panel notifications of the guide."""

    SERVICE_SCHEDULED = "service_scheduled", "Service has been scheduled"
    TONER_DELIVERED = "toner_delivered", "Toner cartridge delivered"
    TONER_ORDERED = "toner_ordered", "Toner cartridge ordered"
    TONER_SHIPPED = "toner_shipped", "Toner cartridge shipped"


class LogType(models.TextChoices):
    HISTORY = "history", "History Log"
    EMBEDDED_SOLUTIONS = "embedded_solutions", "Embedded Solutions Log"
    SECURITY = "security", "Security Log"
    FAX = "fax", "Fax Log"
    LAST_10_FAX = "last_10_fax", "Last 10 Fax Logs"
    LAST_10_FAX_ERRORS = "last_10_fax_errors", "Last 10 Fax Error Logs"
    GZIP = "gzip", "GZIP Logs"
    MIB_WALK = "mib_walk", "MIB Walk"


class TaskType(models.TextChoices):
    """Task types of the Tasks page (guide §Tasks; later issues add deployments)."""

    DISCOVER = "discover", "Discover & Enroll Printers"
    REFRESH = "refresh", "Refresh printer information"
    REFRESH_ALL = "refresh_all", "Refresh all printer information"
    MIB_WALK = "mib_walk", "MIB Walk"
    REQUEST_LOG = "request_log", "Request printer log"
    AGENT_LOG = "agent_log", "Request agent log"
    UPDATE_AGENT = "update_agent", "Update agent version"
    UPDATE_LIBRARY = "update_library", "Update printer support library"
    UPDATE_CREDENTIALS = "update_credentials", "Update agent access credentials"
    EDIT_AGENT_SETTINGS = "edit_agent_settings", "Edit agent settings"
    PANEL_NOTIFICATION = "panel_notification", "Send notification to panel"
    CLEAR_NOTIFICATION = "clear_notification", "Clear notification"
    UNENROLL = "unenroll", "Unenroll printers"
    RESTART = "restart", "Restart printer"
    DEACTIVATE_AGENT = "deactivate_agent", "Deactivate agent"


# what each task type asks the agent to do on the wire
TASK_COMMANDS = {
    TaskType.DISCOVER: Command.DISCOVER, TaskType.REFRESH: Command.REFRESH, TaskType.REFRESH_ALL: Command.REFRESH,
    TaskType.MIB_WALK: Command.MIB_WALK, TaskType.REQUEST_LOG: Command.REQUEST_LOG,
    TaskType.AGENT_LOG: Command.COLLECT_AGENT_LOG, TaskType.UPDATE_AGENT: Command.UPDATE_AGENT,
    TaskType.UPDATE_LIBRARY: Command.UPDATE_AGENT, TaskType.UPDATE_CREDENTIALS: Command.UPDATE_CREDENTIALS,
    TaskType.EDIT_AGENT_SETTINGS: Command.UPDATE_SETTINGS, TaskType.PANEL_NOTIFICATION: Command.PANEL_NOTIFICATION,
    TaskType.CLEAR_NOTIFICATION: Command.CLEAR_NOTIFICATION, TaskType.UNENROLL: Command.UNENROLL,
    TaskType.RESTART: Command.RESTART, TaskType.DEACTIVATE_AGENT: Command.DEACTIVATE,
}


class TaskStatus(models.TextChoices):
    """Task status (guide, exact), plus the running states a task has before its jobs end."""

    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    COMPLETED_INFO = "completed_info", "Completed with info"
    COMPLETED_WARNING = "completed_warning", "Completed with warning"
    COMPLETED_ERRORS = "completed_errors", "Completed with errors"
    FAILED = "failed", "Failed"
    NOT_COMMUNICATING = "not_communicating", "Printer is not communicating"
    NOT_SUPPORTED = "not_supported", "Not supported"


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = JobState.IN_PROGRESS, "In progress"
    COMPLETED = JobState.COMPLETED, "Completed"
    FAILED = JobState.FAILED, "Failed"
    STOPPED = "stopped", "Stopped"
    EXPIRED = "expired", "Expired"
    NOT_SUPPORTED = JobState.NOT_SUPPORTED, "Not supported"
    NOT_COMMUNICATING = "not_communicating", "Not communicating"   # never sent: the target cannot be reached


JOB_OPEN = (JobStatus.PENDING, JobStatus.IN_PROGRESS)
