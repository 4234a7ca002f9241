"""The questions of the contract journey, one form per page, with the error text people read."""

from __future__ import annotations

from django import forms

from mutuals.contracts.date_input import DateInputField
from mutuals.contracts.models import ContractStatus, ObjectiveDirection
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.returns.models import Metric


def _date(label: str, required: bool = True) -> DateInputField:
    return DateInputField(label=label, required=required)


def _shown_with(field: forms.Field, *, prefix: str = "", suffix: str = "", width: str = ""):
    """Mark a field to be shown with a GOV.UK input prefix (£), suffix (%) or fixed width."""
    field.govuk_prefix, field.govuk_suffix, field.govuk_width = prefix, suffix, width
    return field


def _money(label: str, what: str, required: bool = True) -> forms.DecimalField:
    field = forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=required,
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"{what[0].upper()}{what[1:]} must be a number of pounds, like 1250000",
            "min_value": f"{what[0].upper()}{what[1:]} must be £0 or more",
            "max_decimal_places": f"{what[0].upper()}{what[1:]} can have at most 2 decimal places",
        },
    )
    return _shown_with(field, prefix="£", width="govuk-input--width-10")


class TermsForm(forms.Form):
    reference = forms.CharField(
        label="Contract reference",
        max_length=40,
        error_messages={"required": "Enter the contract's reference"},
    )
    title = forms.CharField(
        label="Title", max_length=200, error_messages={"required": "Enter the contract's title"}
    )
    provider = forms.TypedChoiceField(
        label="Provider",
        coerce=int,
        error_messages={"required": "Select the provider", "invalid_choice": "Select the provider"},
    )
    start_date = _date("Start date")
    end_date = _date("End date")
    annual_value = _money("Annual value in pounds", "the contract's annual value")
    status = forms.ChoiceField(
        label="Status",
        choices=ContractStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select the contract's status"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).order_by("name")
        self.fields["provider"].choices = [
            ("", "Choose a provider"),
            *providers.values_list("pk", "name"),
        ]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be the same as or after the start date")
        return cleaned


class CommissionersForm(forms.Form):
    commissioners = forms.TypedMultipleChoiceField(
        label="Which of your organisations commission this contract?",
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one commissioning organisation"},
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commissioners"].choices = choices


class BaselineForm(forms.Form):
    annual_cost = _money(
        "In-house annual cost in pounds", "the in-house annual cost", required=False
    )
    annual_activity = forms.DecimalField(
        label="In-house annual activity",
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        error_messages={"invalid": "The annual activity must be a number, like 240000"},
    )
    activity_unit = forms.CharField(
        label="Unit of activity", required=False, max_length=60, help_text="For example, contacts"
    )
    price_year = forms.IntegerField(
        label="Price year",
        required=False,
        min_value=1990,
        max_value=2100,
        help_text="The first calendar year of the financial year the costs are priced in, like 2010",
        error_messages={"invalid": "The price year must be a year, like 2010"},
    )

    def clean(self):
        cleaned = super().clean()
        given = [name for name in self.fields if cleaned.get(name) not in (None, "")]
        if given and len(given) < len(self.fields):
            for name in self.fields:
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    label = self.fields[name].label.lower()
                    self.add_error(name, f"Enter the {label}, or leave the whole baseline empty")
        return cleaned


class ObjectiveForm(forms.Form):
    description = forms.CharField(
        label="Objective",
        max_length=300,
        error_messages={"required": "Enter the objective"},
    )
    metric = forms.TypedChoiceField(label="Metric", coerce=int, required=False, empty_value=None)
    direction = forms.ChoiceField(
        label="Direction",
        choices=ObjectiveDirection.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether the metric should rise, fall or hold"},
    )
    target = forms.FloatField(
        label="Target",
        required=False,
        error_messages={"invalid": "The target must be a number, like 95"},
    )
    deadline = _date("Deadline", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [
            ("", "No metric"),
            *Metric.objects.order_by("name").values_list("pk", "name"),
        ]


class RemoveObjectiveForm(forms.Form):
    """The Remove button on the objectives page: the objective's place in the list."""

    remove = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose the objective to remove",
            "invalid_choice": "That objective is not on the list: check the objectives "
            "and remove it again if it is still there",
        },
    )

    def __init__(self, *args, count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove"].choices = [(str(n), str(n)) for n in range(count)]


class ValueForm(forms.Form):
    savings_requirement_pct = forms.DecimalField(
        label="Savings required beyond the counterfactual, as a percentage a year",
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text="Leave empty if the contract requires no saving",
        error_messages={
            "invalid": "The savings requirement must be a percentage, like 2",
            "min_value": "The savings requirement must be 0% or more",
            "max_value": "The savings requirement must be 100% or less",
        },
    )
    _shown_with(savings_requirement_pct, suffix="%", width="govuk-input--width-5")
    extra_benefits = forms.CharField(
        label="Extra benefits (social value)", required=False, widget=forms.Textarea
    )
    continuity_plan = forms.CharField(
        label="Continuity and exit plan", required=False, widget=forms.Textarea
    )
    evaluation_plan = forms.CharField(
        label="Evaluation plan", required=False, widget=forms.Textarea
    )
