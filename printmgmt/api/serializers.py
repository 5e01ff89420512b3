"""Serializers of the Print Management API: shapes only; rules are in printmgmt.services."""
from rest_framework import serializers

from ..models import Delegate, OrganizationPrintSettings, PrintJob, PrintJobHistory
from ..models.jobs import SETTING_FIELDS
from ..services.org_settings import EDITABLE


class PrintJobSerializer(serializers.ModelSerializer):
    owner = serializers.EmailField(source="owner.email", read_only=True)

    class Meta:
        model = PrintJob
        fields = ["id", "owner", "source", "title", "description", "file_name", "format", "size", "state",
                  "failure_reason", "pages", "color", "document_paper_size", "submitted_at", "converted_at",
                  "expires_at", *SETTING_FIELDS]
        read_only_fields = ["id", "owner", "source", "title", "file_name", "format", "size", "state",
                            "failure_reason", "pages", "color", "document_paper_size", "submitted_at",
                            "converted_at", "expires_at"]


class PrintJobUploadSerializer(serializers.ModelSerializer):
    """multipart/form-data: the document, an optional job name, optional print settings for this job."""

    file = serializers.FileField(write_only=True, help_text="The document (one of the 17 supported formats).")
    title = serializers.CharField(required=False, allow_blank=True, max_length=255,
                                  help_text="Job name; the file name when omitted.")

    class Meta:
        model = PrintJob
        fields = ["file", "title", *SETTING_FIELDS]
        extra_kwargs = {name: {"required": False} for name in SETTING_FIELDS}


class PrintSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = PrintJob
        fields = list(SETTING_FIELDS)
        extra_kwargs = {name: {"required": False} for name in SETTING_FIELDS}


class DelegateSerializer(serializers.ModelSerializer):
    delegator = serializers.EmailField(source="delegator.email", read_only=True)
    delegate = serializers.EmailField(source="delegate.email",
                                      help_text="E-mail address of a user of the organization.")
    expires_after_days = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=1,
                                                  max_value=365, help_text="Days until it expires; omit: never.")

    class Meta:
        model = Delegate
        fields = ["id", "delegator", "delegate", "created_at", "expires_at", "expires_after_days"]
        read_only_fields = ["id", "delegator", "created_at", "expires_at"]


class OrganizationPrintSettingsSerializer(serializers.ModelSerializer):
    email_address = serializers.SerializerMethodField(help_text="The organization's e-mail submission address.")

    class Meta:
        model = OrganizationPrintSettings
        fields = [*EDITABLE, "email_address", "email_enabled_at", "updated_at"]
        read_only_fields = ["email_address", "email_enabled_at", "updated_at"]
        extra_kwargs = {"email_username": {"validators": []}}   # uniqueness: printmgmt.services.org_settings

    def get_email_address(self, row) -> str:
        from ..services.org_settings import submission_address

        return submission_address(row)


class PrintJobHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = PrintJobHistory
        fields = ["id", "job_id", "owner_email", "title", "source", "format", "result", "submitted_at",
                  "recorded_at", "printer_ip", "printer_serial", "printer_model", "pages", "copies", "impressions",
                  "sheets", "color", "duplex", "paper_size", "paper_type", "cost_center", "department",
                  "released_by_email"]
        read_only_fields = fields
