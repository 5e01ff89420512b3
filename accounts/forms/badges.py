"""Forms of the badge pages: Register Badge (with or without the E-mail field) and Import Badges.

Forms only validate; the pages hand the cleaned data to accounts.services.badges / badge_import."""
from django import forms
from django.core.exceptions import ValidationError

from ..services.badges import BADGE_ID_MAX, DESCRIPTION_MAX


class BadgeRegisterForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254,
                             help_text="The user's email address must already exist in the organization.",
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    badge_id = forms.CharField(label="Badge ID", max_length=BADGE_ID_MAX,
                               widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off",
                                                                                    "spellcheck": "false"}))
    description = forms.CharField(label="Badge description", max_length=DESCRIPTION_MAX, required=False)
    temporary = forms.BooleanField(label="Temporary Badge", required=False,
                                   help_text="Temporary badges expire after 24 hours.")

    def __init__(self, *args, with_email: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_email:
            del self.fields["email"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def apply_service_error(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class BadgeImportForm(forms.Form):
    file = forms.FileField(label="CSV or TXT file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}))
