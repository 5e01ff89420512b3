"""Forms of Administration > Quota Definitions, Quota Assignments and User Quota Status. They read and shape
input; the rules (limits, names, targets) are printmgmt.services.quotas'."""
from django import forms

from .choices import AssignmentType, QuotaColor, QuotaStatus, QuotaTotal
from .services.quotas import DEFAULT_KIND, KIND_LABELS, MONTHS

SAME, CUSTOM = "same", "custom"
NUMBER = {"min": 1, "style": "width:8rem", "inputmode": "numeric"}


class QuotaDefinitionForm(forms.Form):
    name = forms.CharField(label="Quota definition name", max_length=100, required=False)
    limits_mode = forms.ChoiceField(label="Specify quota limits", widget=forms.RadioSelect, initial=SAME,
                                    choices=[(SAME, "Same limits for each month"),
                                             (CUSTOM, "Custom limits for each month")])
    months = forms.TypedMultipleChoiceField(label="Select one or more months", required=False, coerce=int,
                                            choices=MONTHS, widget=forms.CheckboxSelectMultiple)


class QuotaLimitsForm(forms.Form):
    """One set of limits: every month's (Same limits) or the selected months' (Set Quota Limits)."""

    total = forms.ChoiceField(label="Total quota", widget=forms.RadioSelect,
                              choices=QuotaTotal.choices, initial=QuotaTotal.UNLIMITED)
    total_limit = forms.IntegerField(label="Printing limit (pages)", required=False, min_value=1,
                                     widget=forms.NumberInput(attrs=NUMBER))
    color = forms.ChoiceField(label="Color printing", widget=forms.RadioSelect, choices=QuotaColor.choices,
                              initial=QuotaColor.ALLOW,
                              help_text="The color printing limit is part of the total quota limit. If this limit "
                                        "is reached, then users can no longer print in color but can still use the "
                                        "remaining total quota for black and white printing.")
    color_limit = forms.IntegerField(label="Color printing limit (pages)", required=False, min_value=1,
                                     widget=forms.NumberInput(attrs=NUMBER))

    def values(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in ("total", "total_limit", "color", "color_limit")}


class AssignQuotaForm(forms.Form):
    kind = forms.ChoiceField(choices=AssignmentType.choices, widget=forms.HiddenInput)
    target = forms.CharField(label="User e-mail address", max_length=254)
    definition = forms.ModelChoiceField(label="Quota definition", queryset=None, empty_label="Select a quota definition")

    LABELS = {AssignmentType.COST_CENTER: ("Cost center name", "The cost center name must match a cost center "
                                                               "found in Account Management for the organization."),
              AssignmentType.DEPARTMENT: ("Department name", "The department name must match a department found "
                                                             "in Account Management for the organization."),
              AssignmentType.PERSONAL: ("User e-mail address", "")}

    def __init__(self, *args, definitions, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].queryset = definitions
        self.fields["kind"].initial = kind
        label, help_text = self.LABELS.get(kind, self.LABELS[AssignmentType.PERSONAL])
        self.fields["target"].label, self.fields["target"].help_text = label, help_text
        if kind == AssignmentType.PERSONAL:
            self.fields["target"].widget.attrs.update(type="email", autocomplete="off")


class AssignmentFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False,
                        widget=forms.TextInput(attrs={"placeholder": "Name or e-mail", "type": "search"}))
    definition = forms.ChoiceField(label="Quota definition", required=False)

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, auto_id="filter_%s", **kwargs)   # beside the Assign Quota form's fields
        self.fields["definition"].choices = [("", "All")] + [(str(d.pk), d.name) for d in definitions]


class QuotaStatusFilterForm(forms.Form):
    status = forms.ChoiceField(label="Quota Status", required=False, choices=[("", "All"), *QuotaStatus.choices])
    definition = forms.ChoiceField(label="Quota Definition", required=False)
    type = forms.ChoiceField(label="Assignment Type", required=False,
                             choices=[("", "All"), *AssignmentType.choices, (DEFAULT_KIND, KIND_LABELS[DEFAULT_KIND])])

    def __init__(self, *args, definitions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["definition"].choices = [("", "All")] + [(str(d.pk), d.name) for d in definitions]
