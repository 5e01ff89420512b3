"""Forms of the Agents pages: the Create/Edit Fleet Agent form (its settings, the SNMP profile dialog, the
discovery criteria dialogs and imports), Local/Printer Agent settings, access credentials, activation codes,
Native-Agent pre-enrollment and Enroll Printer."""
from django import forms
from django.core.exceptions import ValidationError

from ..choices import LogLevel, SearchType, SnmpAuthProtocol, SnmpPrivProtocol, SnmpSecurityLevel, SnmpVersion
from ..models.agents import LOCAL_ACTIVATIONS_MAX, LOCAL_ACTIVATIONS_MIN, LOCAL_ACTIVATIONS_UPDATE_MIN
from ..services import agents as agent_services
from ..services.criteria import VALID_FORMATS
from ..services.printers import AccessAuthType


class ServiceErrorsMixin:
    def apply_service_error(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names (the rest on the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


def _blank(choices, label="Select"):
    return [("", label), *choices]


class FleetAgentForm(ServiceErrorsMixin, forms.Form):
    """General, Discovery Criteria (transfer, search type), Scheduled Tasks and Other Settings."""

    name = forms.CharField(label="Name", max_length=100)
    description = forms.CharField(label="Description", required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    transfer_management = forms.BooleanField(
        label="Transfer management of discovered printers that are already enrolled through another agent.",
        required=False, help_text="When selected, discovered printers that are already enrolled and managed "
                                  "by another agent will be transferred to this agent.")
    search_type = forms.ChoiceField(label="Search Type", choices=SearchType.choices, widget=forms.RadioSelect,
                                    initial=SearchType.LOCAL_NETWORK)
    discovery_interval = forms.TypedChoiceField(label="Task interval", coerce=int,
                                                choices=agent_services.DISCOVERY_INTERVALS, initial=24)
    refresh_interval = forms.TypedChoiceField(label="Task interval", coerce=int,
                                              choices=agent_services.REFRESH_INTERVALS, initial=60)
    log_level = forms.ChoiceField(label="Log level", choices=LogLevel.choices, initial=LogLevel.SUMMARY,
                                  help_text="Set the level of detail provided when a log is run for the "
                                            "Fleet Agent.")
    network_delay = forms.IntegerField(
        label="Network utilization delay (milliseconds)", min_value=0,
        max_value=agent_services.NETWORK_DELAY_MAX, initial=agent_services.NETWORK_DELAY_DEFAULT,
        help_text=agent_services.NETWORK_DELAY_WARNING)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a value set through the API that is not one of the menu's keeps its own entry
        for name, unit in (("discovery_interval", "hours"), ("refresh_interval", "minutes")):
            value = self.initial.get(name)
            field = self.fields[name]
            if value is not None and value not in dict(field.choices):
                field.choices = [*field.choices, (value, f"Every {value} {unit}")]

    def fleet_settings(self) -> agent_services.FleetSettings:
        data = self.cleaned_data
        fields = agent_services.FleetSettings.FIELDS
        return agent_services.FleetSettings(**{name: data[name] for name in fields})


class SnmpProfileForm(ServiceErrorsMixin, forms.Form):
    """**Create SNMP Profile**. Keys are never shown again; left blank on an existing profile, they stay."""

    name = forms.CharField(label="Profile name", max_length=64, required=False)
    version = forms.ChoiceField(label="SNMP version", choices=SnmpVersion.choices, initial=SnmpVersion.V1,
                                widget=forms.RadioSelect)
    community = forms.CharField(label="Community name", max_length=255, required=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
                                help_text="SNMP versions 1 and 2c.")
    security_level = forms.ChoiceField(label="Security level", required=False,
                                       choices=_blank(SnmpSecurityLevel.choices))
    username = forms.CharField(label="User name", max_length=32, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    auth_protocol = forms.ChoiceField(label="Authentication mode", required=False,
                                      choices=_blank(SnmpAuthProtocol.choices))
    auth_key = forms.CharField(label="Authentication password", max_length=255, required=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="At least 8 characters.")
    privacy_protocol = forms.ChoiceField(label="Privacy type", required=False,
                                         choices=_blank(SnmpPrivProtocol.choices))
    privacy_key = forms.CharField(label="Privacy password", max_length=255, required=False,
                                  widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                  help_text="At least 8 characters.")
    timeout = forms.IntegerField(label="Discovery timeout (seconds)", initial=15,
                                 help_text="Amount of time to wait for a device to respond. Range: 1 - 60 "
                                           "seconds.")
    retries = forms.IntegerField(label="Number of retries", initial=1,
                                 help_text="The number of attempts to communicate with a device. Range: "
                                           "0 - 20 retries.")
    port = forms.IntegerField(label="Port", initial=161, help_text="UDP port of the printers' SNMP agent.")

    def spec(self) -> agent_services.ProfileSpec:
        fields = agent_services.ProfileSpec.FIELDS
        return agent_services.ProfileSpec(**{name: self.cleaned_data[name] for name in fields})


class CriterionForm(ServiceErrorsMixin, forms.Form):
    """**Add Discovery Criteria to Include / Exclude**."""

    address = forms.CharField(label="Enter address to include", required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                              help_text=VALID_FORMATS)
    profile = forms.ChoiceField(label="Select SNMP Profile", required=False,
                                help_text="Select the appropriate SNMP profile for this address.")

    def __init__(self, *args, profiles=(), exclude=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [(name, name) for name in profiles]
        if exclude:
            self.fields["address"].label = "Enter address to exclude"
            del self.fields["profile"]


class CriteriaImportForm(forms.Form):
    file = forms.FileField(label="CSV or TXT file", required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}))
    overwrite = forms.BooleanField(required=False)


class AgentSettingsForm(ServiceErrorsMixin, forms.Form):
    """**Edit Local Agent** / Printer Agents **Edit Settings**: log level and polling interval."""

    log_level = forms.ChoiceField(label="Log level", choices=LogLevel.choices,
                                  help_text="Set the level of detail provided when a log is run for this "
                                            "agent.")
    polling_interval = forms.IntegerField(label="Polling interval")

    def __init__(self, *args, kind="local", **kwargs):
        super().__init__(*args, **kwargs)
        self.range = agent_services.POLLING_RANGES[kind]
        field = self.fields["polling_interval"]
        field.help_text = "Range: {} to {} minutes".format(*self.range)
        field.widget.attrs.update({"min": self.range[0], "max": self.range[1]})
        if kind == "local":
            self.fields["log_level"].help_text = ("Set the level of detail provided when a log is run for "
                                                  "this local agent.")

    def clean_polling_interval(self):
        value = self.cleaned_data["polling_interval"]
        if not self.range[0] <= value <= self.range[1]:
            raise ValidationError(self.fields["polling_interval"].help_text)
        return value


class CredentialsForm(ServiceErrorsMixin, forms.Form):
    """**Update agent access credentials**: the printer administrator account."""

    auth_type = forms.ChoiceField(label="Authentication type", choices=AccessAuthType.CHOICES,
                                  widget=forms.RadioSelect, initial=AccessAuthType.USER_PASSWORD)
    username = forms.CharField(label="User name", required=False, max_length=255,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    password = forms.CharField(label="Password", required=False, max_length=255,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    pin = forms.CharField(label="PIN", required=False, max_length=255,
                          widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))


ACTIVATIONS_RANGE = f"Range: {LOCAL_ACTIVATIONS_MIN} to {LOCAL_ACTIVATIONS_MAX} activations"
UPDATE_RANGE = f"Range: {LOCAL_ACTIVATIONS_UPDATE_MIN} to {LOCAL_ACTIVATIONS_MAX} activations"


class LocalCodeForm(ServiceErrorsMixin, forms.Form):
    activations = forms.IntegerField(label="Number of activations supported for this code", initial=10,
                                     help_text=ACTIVATIONS_RANGE)

    def __init__(self, *args, update=False, **kwargs):
        super().__init__(*args, **kwargs)
        if update:
            self.fields["activations"].help_text = UPDATE_RANGE


PACKAGE_TYPES = {
    "fleet": [("linux-x64", "Linux 64-bit package"), ("windows-x64", "Windows x64 package")],
    "local": [("windows-x64", "Windows x64 installer"), ("windows-x86", "Windows x86 installer")],
}


class PackageForm(ServiceErrorsMixin, forms.Form):
    package = forms.ChoiceField(label="Select install package type", widget=forms.RadioSelect)
    generate = forms.BooleanField(label="Generate activation code", required=False, initial=True,
                                  help_text="Generate an activation code that is valid for a set number of "
                                            "activations or 72 hours (whichever comes first).")
    activations = forms.IntegerField(label="Number of activations supported for this code", initial=10,
                                     required=False, help_text=ACTIVATIONS_RANGE)

    def __init__(self, *args, kind="fleet", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].choices = PACKAGE_TYPES[kind]
        self.fields["package"].initial = PACKAGE_TYPES[kind][0][0]
        if kind == "fleet":
            del self.fields["generate"], self.fields["activations"]


class EmailForm(forms.Form):
    email = forms.EmailField(label="E-mail address", max_length=254)


class PreEnrollForm(ServiceErrorsMixin, forms.Form):
    """**Pre-enroll Printers**: serial numbers typed (one per line) or from a CSV/TXT file, and an optional
    e-mail address."""

    MANUAL, FILE = "manual", "file"
    source = forms.ChoiceField(choices=[(MANUAL, "Manually input serial number"),
                                        (FILE, "Import printer serial number from file")],
                               widget=forms.RadioSelect, initial=MANUAL)
    serials = forms.CharField(label="Printer serial number", required=False,
                              widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false",
                                                           "autocomplete": "off"}),
                              help_text="Type a serial number and press Enter; one serial number per line.")
    file = forms.FileField(label="CSV or TXT file", required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}),
                           help_text='One serial number per line; an optional "Serial Number" header line.')
    email = forms.EmailField(label="E-mail address", required=False, max_length=254,
                             help_text="To receive the enrollment code and the complete enrollment "
                                       "instructions using e-mail, type your e-mail address.")

    def clean(self):
        data = super().clean()
        if data.get("source") == self.FILE and not data.get("file"):
            self.add_error("file", "Choose a CSV or TXT file.")
        if data.get("source") == self.MANUAL and not (data.get("serials") or "").strip():
            self.add_error("serials", "Type a serial number.")
        return data


class EnrollPrinterForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(label="Enter the enrollment code received from the printer", max_length=32,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
                           help_text="Obtain an enrollment code from either the printer's panel or Embedded "
                                     "Web Server page. See the Fleet Management documentation for more "
                                     "details.")


class MibWalkForm(ServiceErrorsMixin, forms.Form):
    address = forms.CharField(label="Printer address", max_length=255)
    profile = forms.ChoiceField(label="SNMP Profile")

    def __init__(self, *args, profiles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [(p.pk, p.name) for p in profiles]
