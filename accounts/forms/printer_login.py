"""Forms of Printer Login Configuration and PINs. They only read the input; the rules live in
accounts.services.printer_login (validate_configuration, validate_pin) and their messages show on the form."""
from django import forms
from django.core.exceptions import ValidationError

from ..choices import ExpirationUnit, LoginMode, PinGeneration
from ..models.printer_login import PIN_LENGTH_MAX, PIN_LENGTH_MIN
from ..services import printer_login as pins
from .organizations import apply_errors

GENERATION_HELP = {
    PinGeneration.AUTO_EMAIL: "An auto generated PIN will be sent to users via e-mail. A user may request a new PIN.",
    PinGeneration.ADMIN_SET: "Administrator sets the PIN when importing users. A user cannot reset the PIN.",
    PinGeneration.USER_SET: "Users can set their own PIN manually.",
}


class PrinterLoginConfigurationForm(forms.Form):
    mode = forms.ChoiceField(choices=LoginMode.choices, widget=forms.RadioSelect)
    badge = forms.BooleanField(required=False, label="Badge")
    pin = forms.BooleanField(required=False, label="PIN")
    secure_login = forms.BooleanField(required=False, label="Secure Login")
    secure_login_2fa = forms.BooleanField(required=False, label="Secure Login")
    pin_length = forms.IntegerField(label="Specify the PIN length", required=False)
    pin_generation = forms.ChoiceField(choices=PinGeneration.choices, widget=forms.RadioSelect,
                                       label="Select a PIN generation option")
    pin_expires = forms.ChoiceField(choices=[("never", "Never expires"), ("after", "Expires after")],
                                    widget=forms.RadioSelect, required=False, label="Set the PIN expiration")
    pin_expiration_value = forms.CharField(required=False, label="Expires after")
    pin_expiration_unit = forms.ChoiceField(choices=ExpirationUnit.choices, required=False, label="Unit")

    def __init__(self, *args, organization, config=None, **kwargs):
        self.organization = organization
        if config is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "mode": config.mode, "badge": config.badge, "pin": config.pin,
                "secure_login": config.secure_login and config.mode == LoginMode.STANDARD,
                "secure_login_2fa": config.secure_login and config.mode == LoginMode.BADGE_PIN,
                "pin_length": config.pin_length, "pin_generation": config.pin_generation,
                "pin_expires": "after" if config.pin_expires else "never",
                "pin_expiration_value": config.pin_expiration_value or 5,
                "pin_expiration_unit": config.pin_expiration_unit or ExpirationUnit.DAYS,
            }
        super().__init__(*args, **kwargs)
        self.fields["pin_length"].widget.attrs.update(min=PIN_LENGTH_MIN, max=PIN_LENGTH_MAX)

    def values(self) -> dict:
        data = self.cleaned_data
        badge_pin = data.get("mode") == LoginMode.BADGE_PIN
        return {
            "mode": data.get("mode"),
            "badge": data.get("badge"), "pin": data.get("pin"),
            "secure_login": data.get("secure_login_2fa") if badge_pin else data.get("secure_login"),
            "pin_length": data.get("pin_length"),
            "pin_generation": data.get("pin_generation"),
            "pin_expires": data.get("pin_expires") == "after",
            "pin_expiration_value": data.get("pin_expiration_value"),
            "pin_expiration_unit": data.get("pin_expiration_unit") or "",
        }

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.normalized = pins.validate_configuration(self.organization, self.values())
            except ValidationError as error:
                apply_errors(self, error)
        return cleaned

    def generation_options(self):
        """The PIN generation radios with the guide's help texts."""
        return [{"radio": radio, "help": GENERATION_HELP[radio.data["value"]]}
                for radio in self["pin_generation"]]


class PinField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("strip", True)
        super().__init__(label="PIN code", max_length=PIN_LENGTH_MAX + 8, **kwargs)
        self.widget = forms.PasswordInput(render_value=True, attrs={"inputmode": "numeric", "autocomplete": "off"})


class PinGenerateForm(forms.Form):
    """Manage Badge/PIN > PINs > Generate: E-mail (and PIN code unless PINs are generated)."""

    email = forms.CharField(label="E-mail", max_length=254)
    pin = PinField(required=False)

    def __init__(self, *args, config, **kwargs):
        self.config = config
        super().__init__(*args, **kwargs)
        self.typed = config.pin_generation != PinGeneration.AUTO_EMAIL
        if self.typed:
            self.fields["pin"].required = True
        else:
            del self.fields["pin"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_pin(self):
        pin = self.cleaned_data.get("pin", "")
        try:
            return pins.validate_pin(self.config, pin)
        except ValidationError as error:
            raise ValidationError(error.message_dict["pin"]) from None


class MyPinForm(forms.Form):
    """My Account, "User set": type the new PIN, then Generate PIN."""

    pin = PinField()

    def __init__(self, *args, config, **kwargs):
        self.config = config
        super().__init__(*args, **kwargs)

    def clean_pin(self):
        try:
            return pins.validate_pin(self.config, self.cleaned_data["pin"])
        except ValidationError as error:
            raise ValidationError(error.message_dict["pin"]) from None
