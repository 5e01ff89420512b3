"""Administration > Organizational Settings of Print Management: one row per organization with every General,
Print Job Retention, Print Job History and Universal Print Integration setting of the guide (E §1.2, B §10.3).
The rules between them (a setting that needs another) live in printmgmt.services.org_settings."""
from datetime import timedelta

from django.db import models
from django.utils import timezone

from accounts.models import Organization
from accounts.querysets import OrgScopedQuerySet

from ..choices import AssignBy, GuestAssignment, PeriodUnit, UpdateMode


def _period(value: int, unit: str) -> timedelta:
    return timedelta(hours=value) if unit == PeriodUnit.HOURS else timedelta(days=value)


class OrganizationPrintSettings(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="print_settings")

    # General: print clients
    print_clients_page = models.BooleanField("Enable Print Clients page", default=True)
    legacy_lpmc_packages = models.BooleanField("Allow access to legacy LPMC packages in Print Clients page",
                                               default=False)
    client_auto_update = models.BooleanField("Enable automatic updates for installed print clients", default=False)
    client_update_mode = models.CharField(max_length=8, choices=UpdateMode.choices, default=UpdateMode.ASAP)
    client_update_start = models.TimeField(null=True, blank=True)   # "Within specific time period"
    client_update_end = models.TimeField(null=True, blank=True)

    # General: delegation
    delegation = models.BooleanField("Enable print job delegation", default=False)
    delegate_email_notification = models.BooleanField("Enable delegate e-mail notification", default=False)

    # General: e-mail submission
    email_submission = models.BooleanField("Enable e-mail submission", default=False)
    email_username = models.CharField("E-mail documents to the following custom address", max_length=64,
                                      blank=True)   # <username>@print.<PRINT_EMAIL_DOMAIN>; unique when set
    email_enabled_at = models.DateTimeField(null=True, blank=True)   # first enabled ("up to 24 hours")
    email_body_submission = models.BooleanField("Enable e-mail body submission", default=False)
    guest_email_submission = models.BooleanField("Allow guests to use e-mail submission", default=False)
    guest_page_limit_enabled = models.BooleanField("Limit the number of pages allowed per job", default=False)
    guest_page_limit = models.PositiveIntegerField(null=True, blank=True)
    guest_assignment = models.CharField("Assign guests to cost center or department", max_length=16,
                                        choices=GuestAssignment.choices, default=GuestAssignment.NONE)
    guest_cost_center = models.CharField("Cost center name", max_length=150, blank=True)
    guest_department = models.CharField("Department name", max_length=150, blank=True)

    # General: release
    change_copies_before_release = models.BooleanField("Enable changing the number of copies before release",
                                                       default=False)
    print_and_keep = models.BooleanField("Enable print and keep", default=False)
    automatic_release = models.BooleanField("Enable automatic print release", default=False)
    keep_file_names = models.BooleanField("Keep print job file names for reporting", default=False)
    oldest_first = models.BooleanField("List and auto-release oldest print jobs first", default=False)

    # General: quotas, policies, direct print
    quotas_enabled = models.BooleanField("Enable print quotas", default=False)
    quota_assign_by = models.CharField("Assign quotas by", max_length=16, choices=AssignBy.choices,
                                       default=AssignBy.PERSONAL)
    policies_enabled = models.BooleanField("Enable print policies", default=False)
    policy_assign_by = models.CharField("Assign print policies by", max_length=16, choices=AssignBy.choices,
                                        default=AssignBy.PERSONAL)
    direct_print_enabled = models.BooleanField("Enable direct print", default=False)
    direct_print_assign_by = models.CharField("Create direct print assignments using", max_length=16,
                                              choices=AssignBy.choices[:2], default=AssignBy.COST_CENTER)

    # Print Job Retention / Print Job History ("1-7 days"; the text also allows hours)
    retention_value = models.PositiveSmallIntegerField("Delete print jobs older than", default=1)
    retention_unit = models.CharField("Unit", max_length=8, choices=PeriodUnit.choices, default=PeriodUnit.DAYS)
    history_value = models.PositiveSmallIntegerField("Show print job history for the last", default=7)
    history_unit = models.CharField("Unit", max_length=8, choices=PeriodUnit.choices, default=PeriodUnit.DAYS)

    # Universal Print Integration (the Microsoft Graph side arrives with its adapter)
    universal_print = models.BooleanField("Enable Universal Print", default=False)
    universal_print_printer_name = models.CharField("Printer name", max_length=100, blank=True)
    universal_print_share_name = models.CharField("Printer share name", max_length=100, blank=True)

    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "organization print settings"
        constraints = [models.UniqueConstraint(fields=["email_username"], condition=~models.Q(email_username=""),
                                               name="print_email_username_unique")]

    def __str__(self):
        return f"Print settings of {self.organization}"

    @property
    def retention(self) -> timedelta:
        """How long a job stays in the queue, released (print and keep) or not."""
        return _period(self.retention_value, self.retention_unit)

    @property
    def history_window(self) -> timedelta:
        """How far back the Print Job History page looks (not Analytics)."""
        return _period(self.history_value, self.history_unit)
