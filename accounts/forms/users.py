"""Forms of the Users pages: Create User and the Personal Information editor.

Forms only validate; the pages hand the cleaned data to accounts.services.users."""
from django import forms
from django.core.exceptions import ValidationError

from ..models import User
from ..passwords import password_problems

LINK = "link"
MANUAL = "manual"


class _ProfileFields(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254, help_text="E-mail must be unique.",
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(label="First Name", max_length=150, required=False)
    last_name = forms.CharField(label="Last Name", max_length=150, required=False)
    display_name = forms.CharField(label="Display Name", max_length=150, required=False)
    department = forms.CharField(label="Department", max_length=150, required=False)
    cost_center = forms.CharField(label="Cost Center", max_length=150, required=False)

    PROFILE = ("first_name", "last_name", "display_name", "department", "cost_center")

    def __init__(self, *args, instance: User | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs["initial"] = {**{name: getattr(instance, name) for name in ("email", *self.PROFILE)},
                                 **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        taken = User.objects.filter(email=email)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError("E-mail must be unique.")
        return email

    def profile(self) -> dict:
        return {name: self.cleaned_data[name].strip() for name in self.PROFILE}

    def apply_service_error(self, error: ValidationError) -> None:
        """Show a ValidationError raised by a service on the matching field (or on the form)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)


class UserCreateForm(_ProfileFields):
    set_password = forms.ChoiceField(
        label="Set Password",
        choices=[(LINK, "E-mail a link to change the password"), (MANUAL, "Set password manually")],
        initial=LINK, widget=forms.RadioSelect,
    )
    password = forms.CharField(label="Password", required=False, strip=False,
                               widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "new-password"}))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("set_password") == MANUAL:
            password = cleaned.get("password") or ""
            if not password:
                self.add_error("password", "Type a password, or choose to e-mail a link to change the password.")
            else:
                problems = password_problems(password)
                if problems:
                    self.add_error("password", problems)
        else:
            cleaned["password"] = ""
        return cleaned


class UserEditForm(_ProfileFields):
    pass
