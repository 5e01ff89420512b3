"""Forms of the Organization pages: create a child organization, confirm the deletion of one."""
from django import forms
from django.core.exceptions import ValidationError


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class ChildOrganizationForm(forms.Form):
    name = forms.CharField(label="Organization name", max_length=100,
                           help_text="Type a unique name. Special characters are not supported.")


class DeleteOrganizationForm(forms.Form):
    confirm_name = forms.CharField(label="Type the name of the child organization to delete", max_length=100)
