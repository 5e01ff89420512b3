"""Forms of the Groups pages."""
from django import forms

from .organizations import apply_errors  # noqa: F401  (shared by the group views)


class GroupForm(forms.Form):
    name = forms.CharField(label="Group name", max_length=150,
                           help_text="Type a unique group name. The characters ! @ # $ % ^ & * ; + ? / \\ [ ] "
                                     "are replaced with an underscore ( _ ).")
