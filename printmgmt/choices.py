"""Enumerations of Print Management: job states and sources, document formats, the print-settings values of
the Print Queue, and the organization settings' menus. Labels are the guide's where it names them."""
from django.db import models


class JobState(models.TextChoices):
    """Life cycle of a cloud job (E §1.7.2; the names are ours): received → converting → held | failed; held →
    releasing → printed (or back to held: print and keep, a cancelled or failed release); held → deleted |
    expired. Printed, deleted and expired jobs leave the queue: their facts stay in PrintJobHistory."""

    RECEIVED = "received", "Received"
    CONVERTING = "converting", "Converting"
    HELD = "held", "Ready to print"
    FAILED = "failed", "Failed"
    RELEASING = "releasing", "Printing"
    PRINTED = "printed", "Printed"
    DELETED = "deleted", "Deleted"
    EXPIRED = "expired", "Expired"


# States in which a job sits in a queue (listed on the Print Queue page, purged by retention).
QUEUED_STATES = (JobState.RECEIVED, JobState.CONVERTING, JobState.HELD, JobState.FAILED, JobState.RELEASING)


class JobSource(models.TextChoices):
    """Submission source; the labels are the Analytics labels of the guide (E §1.7.1)."""

    WEB = "web", "Web Portal"
    EMAIL = "email", "E-mail"
    CLIENT = "client", "LPMC Driver"
    CHROME = "chrome", "Chrome Extension"
    MOBILE = "mobile", "Mobile"
    IPP = "ipp", "Print"
    GUEST = "guest", "Guest E-mail"
    UNIVERSAL_PRINT = "universal_print", "Microsoft Universal Print"


class DocumentFormat(models.TextChoices):
    """The 17 formats of the guide ("CSV, DOC, DOCX, GIF, HTML, JPG, ODP, ODS, ODT, PDF, PPT, PPTX, RTF,
    TIFF, TXT, XLS, and XLSX")."""

    CSV = "csv", "CSV"
    DOC = "doc", "DOC"
    DOCX = "docx", "DOCX"
    GIF = "gif", "GIF"
    HTML = "html", "HTML"
    JPG = "jpg", "JPG"
    ODP = "odp", "ODP"
    ODS = "ods", "ODS"
    ODT = "odt", "ODT"
    PDF = "pdf", "PDF"
    PPT = "ppt", "PPT"
    PPTX = "pptx", "PPTX"
    RTF = "rtf", "RTF"
    TIFF = "tiff", "TIFF"
    TXT = "txt", "TXT"
    XLS = "xls", "XLS"
    XLSX = "xlsx", "XLSX"


class TwoSided(models.TextChoices):
    PRINTER = "printer", "Use printer setting"
    OFF = "off", "Off (one-sided)"
    LONG_EDGE = "long_edge", "Long edge"
    SHORT_EDGE = "short_edge", "Short edge"


class PagesPerSide(models.IntegerChoices):
    ONE = 1, "1"
    TWO = 2, "2"
    FOUR = 4, "4"
    SIX = 6, "6"
    NINE = 9, "9"
    SIXTEEN = 16, "16"


class PagesPerSideOrientation(models.TextChoices):
    HORIZONTAL = "horizontal", "Horizontal"
    HORIZONTAL_REVERSE = "horizontal_reverse", "Horizontal reverse"
    VERTICAL = "vertical", "Vertical"
    VERTICAL_REVERSE = "vertical_reverse", "Vertical reverse"


class Orientation(models.TextChoices):
    AUTO = "auto", "Auto"
    PORTRAIT = "portrait", "Portrait"
    LANDSCAPE = "landscape", "Landscape"


class PaperSize(models.TextChoices):
    PRINTER = "printer", "Use printer setting"
    LETTER = "letter", "Letter"
    LEGAL = "legal", "Legal"
    EXECUTIVE = "executive", "Executive"
    TABLOID = "tabloid", "Tabloid"
    A3 = "a3", "A3"
    A4 = "a4", "A4"
    A5 = "a5", "A5"
    B5 = "b5", "JIS B5"
    ENVELOPE_10 = "envelope_10", "10 Envelope"
    ENVELOPE_DL = "envelope_dl", "DL Envelope"


class PaperSource(models.TextChoices):
    PRINTER = "printer", "Use printer setting"
    AUTO = "auto", "Auto"
    TRAY_1 = "tray_1", "Tray 1"
    TRAY_2 = "tray_2", "Tray 2"
    TRAY_3 = "tray_3", "Tray 3"
    TRAY_4 = "tray_4", "Tray 4"
    MANUAL = "manual", "Manual feeder"
    MPF = "mpf", "Multipurpose feeder"


class PaperType(models.TextChoices):
    PRINTER = "printer", "Use printer setting"
    PLAIN = "plain", "Plain paper"
    CARD_STOCK = "card_stock", "Card stock"
    TRANSPARENCY = "transparency", "Transparency"
    LABELS = "labels", "Labels"
    BOND = "bond", "Bond"
    LETTERHEAD = "letterhead", "Letterhead"
    PREPRINTED = "preprinted", "Preprinted"
    COLORED = "colored", "Colored paper"
    RECYCLED = "recycled", "Recycled"
    GLOSSY = "glossy", "Glossy"
    ENVELOPE = "envelope", "Envelope"


class OutputBin(models.TextChoices):
    PRINTER = "printer", "Use printer setting"
    STANDARD = "standard", "Standard bin"
    BIN_1 = "bin_1", "Bin 1"
    BIN_2 = "bin_2", "Bin 2"
    BIN_3 = "bin_3", "Bin 3"


class Staple(models.TextChoices):
    OFF = "off", "Off"
    PRINTER = "printer", "Use printer setting"
    TOP_LEFT = "top_left", "Top left"
    TOP_RIGHT = "top_right", "Top right"
    DUAL_LEFT = "dual_left", "Two staples, left"
    DUAL_TOP = "dual_top", "Two staples, top"


class HolePunch(models.TextChoices):
    OFF = "off", "Off"
    PRINTER = "printer", "Use printer setting"
    TWO = "2", "2 holes"
    THREE = "3", "3 holes"
    FOUR = "4", "4 holes"


class Fold(models.TextChoices):
    OFF = "off", "Off"
    PRINTER = "printer", "Use printer setting"
    HALF = "half", "Half fold"
    C_FOLD = "c_fold", "C-fold"
    Z_FOLD = "z_fold", "Z-fold"


class ColorMode(models.TextChoices):
    """Change the quality > "Select a color mode"."""

    COLOR = "color", "Color"
    MONO = "mono", "Black and white"


class UpdateMode(models.TextChoices):
    """Enable automatic updates for installed print clients."""

    ASAP = "asap", "As soon as possible"
    WINDOW = "window", "Within specific time period"


class AssignBy(models.TextChoices):
    """Assign quotas / print policies / direct print assignments by."""

    COST_CENTER = "cost_center", "Cost center or personal"
    DEPARTMENT = "department", "Department or personal"
    PERSONAL = "personal", "Personal only"


class GuestAssignment(models.TextChoices):
    """Assign guests to cost center or department."""

    NONE = "none", "Do not assign"
    COST_CENTER = "cost_center", "Cost center"
    DEPARTMENT = "department", "Department"


class PeriodUnit(models.TextChoices):
    HOURS = "hours", "Hours"
    DAYS = "days", "Days"


class HistoryResult(models.TextChoices):
    """What ended a job (or one release of a kept job): Analytics counts printed and deleted pages apart."""

    PRINTED = "printed", "Printed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"
    DELETED = "deleted", "Deleted"
    EXPIRED = "expired", "Expired"


class AssignmentType(models.TextChoices):
    """Quota Assignments and Print Policy Assignments tabs (User Quota Status "Type")."""

    COST_CENTER = "cost_center", "Cost center"
    DEPARTMENT = "department", "Department"
    PERSONAL = "personal", "Personal"


class QuotaTotal(models.TextChoices):
    """A quota definition's total limit per month."""

    UNLIMITED = "unlimited", "Allow unlimited printing"
    CUSTOM = "custom", "Set custom quota"
    DISABLED = "disabled", "Disable all printing"


class QuotaColor(models.TextChoices):
    """A quota definition's color limit per month ("allow, disallow, or set a color printing limit"); it is
    part of the total."""

    ALLOW = "allow", "Allow color printing"
    CUSTOM = "custom", "Set custom color quota"
    DISALLOW = "disallow", "Disallow color printing"


class QuotaStatus(models.TextChoices):
    """User Quota Status (E §1.4.4)."""

    OK = "ok", "OK"
    WARNING = "warning", "Warning"
    EXCEEDED = "exceeded", "Exceeded"


class DuplexBinding(models.TextChoices):
    LONG_EDGE = "long_edge", "Long edge binding"
    SHORT_EDGE = "short_edge", "Short edge binding"


class DuplexScope(models.TextChoices):
    """Force jobs to use two-sided printing: which jobs."""

    ALL = "all", "All print jobs"
    MONO = "mono", "Mono print jobs"
    COLOR = "color", "Color print jobs"


class PolicyDays(models.TextChoices):
    """Limit printing to specific days and times > Select days."""

    ALL = "all", "All days"
    WEEKDAYS = "weekdays", "Monday-Friday"
    CUSTOM = "custom", "Custom"
