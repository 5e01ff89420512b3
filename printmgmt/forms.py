"""Forms of the Print Management pages. They read and shape input; the rules are the services' (their
ValidationErrors show on the fields through accounts.forms.organizations.apply_errors)."""
from django import forms

from .models import DefaultPrintSettings, OrganizationPrintSettings, PrintJob
from .models.jobs import SETTING_FIELDS
from .services.org_settings import EDITABLE

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class OrganizationSettingsForm(forms.ModelForm):
    """Administration > Organizational Settings (every field; the service clears and checks dependencies)."""

    class Meta:
        model = OrganizationPrintSettings
        fields = EDITABLE
        widgets = {"client_update_mode": forms.RadioSelect, "quota_assign_by": forms.RadioSelect,
                   "policy_assign_by": forms.RadioSelect, "direct_print_assign_by": forms.RadioSelect,
                   "client_update_start": TIME_INPUT, "client_update_end": TIME_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("retention_value", "history_value", "guest_page_limit"):
            self.fields[name].widget.attrs.update(min=1, style="width:6rem")

    def _post_clean(self):
        """Model validation is the service's (update_settings): the form only converts the input."""

    def values(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in EDITABLE if name in self.cleaned_data}


class PrintSettingsForm(forms.ModelForm):
    """The print settings of one job (with its description) on the Print Queue page."""

    class Meta:
        model = PrintJob
        fields = ["description", *SETTING_FIELDS]
        widgets = {"description": forms.TextInput}

    def _post_clean(self):
        """Checked by printmgmt.services.print_settings."""

    def values(self) -> dict:
        return dict(self.cleaned_data)


class DefaultPrintSettingsForm(PrintSettingsForm):
    class Meta:
        model = DefaultPrintSettings
        fields = list(SETTING_FIELDS)


class DelegateForm(forms.Form):
    email = forms.EmailField(label="User", help_text="The e-mail address of a user of the organization.")
    expiry = forms.ChoiceField(label="Enable delegate expiration", widget=forms.RadioSelect, initial="never",
                               choices=[("never", "Never expires"), ("after", "Expires after")])
    days = forms.IntegerField(label="Days", required=False, min_value=1, max_value=365,
                              widget=forms.NumberInput(attrs={"style": "width:6rem"}))

    def clean(self):
        data = super().clean()
        if data.get("expiry") == "after" and not data.get("days"):
            self.add_error("days", "Type the number of days.")
        return data


class HistoryFilterForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    user = forms.EmailField(label="User", required=False)
