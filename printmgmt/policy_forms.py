"""Forms of Print Policies and Print Policy Assignments. They read and shape the input (a setting hidden
behind an unchecked box is dropped); the rules are printmgmt.services.policies'."""
from django import forms

from .choices import DuplexBinding, DuplexScope, PolicyDays
from .forms import TIME_INPUT
from .services.policies import DAY_NAMES, MAX_MIN_PAGES

PAGES_INPUT = forms.NumberInput(attrs={"min": 1, "max": MAX_MIN_PAGES, "style": "width:6rem"})
# "Only ... jobs with at least a specific number of pages" boxes and the number each one shows.
MINIMUMS = {"mono_min": "mono_min_pages", "duplex_mono_min": "duplex_mono_min_pages",
            "duplex_color_min": "duplex_color_min_pages"}


def _pages():
    return forms.IntegerField(label="Minimum number of pages", required=False, min_value=1,
                              max_value=MAX_MIN_PAGES, widget=PAGES_INPUT)


def _time(label):
    return forms.TimeField(label=label, required=False, widget=TIME_INPUT)


class PrintPolicyForm(forms.Form):
    name = forms.CharField(label="Policy name", max_length=100, required=False)   # the service says what is missing
    force_mono = forms.BooleanField(label="Force color jobs to mono", required=False)
    mono_min = forms.BooleanField(label="Only jobs with at least a specific number of pages", required=False)
    mono_min_pages = _pages()
    force_duplex = forms.BooleanField(label="Force jobs to use two-sided printing", required=False)
    duplex_binding = forms.ChoiceField(label="Two-sided printing", choices=DuplexBinding.choices,
                                       initial=DuplexBinding.LONG_EDGE, widget=forms.RadioSelect,
                                       required=False)
    duplex_scope = forms.ChoiceField(label="Apply to", choices=DuplexScope.choices, initial=DuplexScope.ALL,
                                     widget=forms.RadioSelect, required=False)
    duplex_mono_min = forms.BooleanField(label="Only mono jobs with at least a specific number of pages",
                                         required=False)
    duplex_mono_min_pages = _pages()
    duplex_color_min = forms.BooleanField(label="Only color jobs with at least a specific number of pages",
                                          required=False)
    duplex_color_min_pages = _pages()
    limit_times = forms.BooleanField(label="Limit printing to specific days and times", required=False)
    days = forms.ChoiceField(label="Select days", choices=PolicyDays.choices, initial=PolicyDays.ALL,
                             widget=forms.RadioSelect, required=False)
    start = _time("Start time")
    end = _time("End time")

    def __init__(self, *args, policy_values: dict | None = None, **kwargs):
        """`policy_values`: printmgmt.services.policies.settings_of(policy), shown as the initial values."""
        super().__init__(*args, **kwargs)
        for day, name in enumerate(DAY_NAMES):
            self.fields[f"day_{day}"] = forms.BooleanField(label=name, required=False)
            self.fields[f"start_{day}"] = _time("Start time")
            self.fields[f"end_{day}"] = _time("End time")
        if policy_values and not self.is_bound:
            self.initial.update(self._initial(policy_values))

    @staticmethod
    def _initial(values: dict) -> dict:
        initial = {k: v for k, v in values.items() if k not in ("windows",)}
        for box, number in MINIMUMS.items():
            initial[box] = values.get(number) is not None
        for day, start, end in values.get("windows") or ():
            initial.update({f"day_{day}": True, f"start_{day}": start, f"end_{day}": end})
        return initial

    def day_rows(self):
        """(checkbox, start, end) per weekday, for the Custom schedule."""
        return [(self[f"day_{d}"], self[f"start_{d}"], self[f"end_{d}"]) for d in range(7)]

    def clean(self):
        data = super().clean()
        for box, number in MINIMUMS.items():
            if data.get(box) and data.get(number) is None and number not in self.errors:
                self.add_error(number, "Type the minimum number of pages.")
        return data

    def values(self) -> dict:
        """The policy as printmgmt.services.policies.create_policy/update_policy take it."""
        data = self.cleaned_data
        values = {name: data.get(name) for name in ("name", "force_mono", "force_duplex", "duplex_binding",
                                                     "duplex_scope", "limit_times", "days", "start", "end")}
        for box, number in MINIMUMS.items():
            values[number] = data.get(number) if data.get(box) else None
        values["windows"] = [(d, data.get(f"start_{d}"), data.get(f"end_{d}")) for d in range(7)
                             if data.get(f"day_{d}")]
        return values


class AssignPolicyForm(forms.Form):
    """Assign Policy: the typed cost center, department or e-mail (besides the selected rows) and the policy."""

    target = forms.CharField(label="E-mail", required=False, max_length=254)
    policy = forms.ModelChoiceField(label="Select print policy", queryset=None, empty_label="Select a policy",
                                    error_messages={"required": "Select a print policy.",
                                                    "invalid_choice": "Select a print policy of this organization."})

    def __init__(self, *args, policies=None, target_label="E-mail", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = policies
        self.fields["target"].label = target_label
