"""The register's forms: upload the tables, record a constitution, record a staff vote."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from django import forms

from mutuals.contracts.date_input import DateInputField
from mutuals.governance.models.register import Constitution, MemberVoting, StaffVoteRecord
from mutuals.governance.register.records import ConstitutionFacts, RecordedVote

SUFFIXES = {".csv", ".xlsx"}
YES_NO = [("yes", "Yes"), ("no", "No")]


def _table(label: str, columns: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        required=False,
        help_text=f"CSV or XLSX with the columns {columns}",
        error_messages={"empty": "The selected file is empty"},
    )


class RegisterUploadForm(forms.Form):
    people = _table(
        "People",
        "reference, name, role_group and optionally employed_from, employed_until, "
        "member_from, member_until, user",
    )
    holdings = _table(
        "Holdings",
        "reference, share_class, shares, valid_from and optionally valid_until, "
        "votes_per_share, carries_equity",
    )
    board = _table(
        "Board seats",
        "holder_name, filled_by, held_from and optionally held_until, is_executive, reference",
    )

    def clean(self):
        cleaned = super().clean()
        given = [name for name in ("people", "holdings", "board") if cleaned.get(name)]
        for name in given:
            if Path(cleaned[name].name).suffix.lower() not in SUFFIXES:
                self.add_error(
                    name, f"The {self.fields[name].label.lower()} file must be CSV or XLSX"
                )
        if not given and not self.errors:
            self.add_error("people", "Select at least one file to upload")
        return cleaned


def _yes_no(label: str, required_message: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": required_message, "invalid_choice": required_message},
    )


class ConstitutionForm(forms.Form):
    effective_from = DateInputField(label="Date it took effect")
    asset_lock = _yes_no(
        "Does it lock the assets for community or public benefit?",
        "Select whether the constitution has an asset lock",
    )
    member_voting = forms.ChoiceField(
        label="How do members vote?",
        choices=MemberVoting.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how members vote"},
    )
    staff_membership_open = _yes_no(
        "May every employee become a member?", "Select whether every employee may join"
    )
    profit_reinvested_min = forms.DecimalField(
        label="Least share of profit reinvested (%)",
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=1,
        help_text="Leave empty if the constitution sets none",
        error_messages={
            "invalid": "The share of profit reinvested must be a number, like 65",
            "min_value": "The share of profit reinvested must be 0 or more",
            "max_value": "The share of profit reinvested must be 100 or less",
            "max_decimal_places": "The share of profit reinvested can have 1 decimal place",
        },
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea)

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        taken = Constitution.objects.filter(organisation=self.organisation, effective_from=day)
        if self.organisation is not None and taken.exists():
            raise forms.ValidationError(
                f"A constitution from {day:%-d %B %Y} is already recorded: give the date the "
                "new one took effect"
            )
        return day

    def facts(self) -> ConstitutionFacts:
        data = self.cleaned_data
        share = data["profit_reinvested_min"]
        return ConstitutionFacts(
            effective_from=data["effective_from"],
            asset_lock=data["asset_lock"] == "yes",
            member_voting=data["member_voting"],
            staff_membership_open=data["staff_membership_open"] == "yes",
            profit_reinvested_min=None if share is None else (share / Decimal(100)),
            notes=data["notes"],
        )


def _count(label: str, what: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        error_messages={
            "required": f"Enter {what}",
            "invalid": f"Enter {what} as a whole number, like 120",
            "min_value": f"Enter {what} as 0 or more",
        },
    )


class StaffVoteForm(forms.Form):
    subject = forms.ChoiceField(
        label="What was the vote about?",
        choices=StaffVoteRecord.Subject.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the vote was about"},
    )
    held_on = DateInputField(label="Date of the vote")
    question = forms.CharField(
        label="Question put to staff",
        max_length=300,
        error_messages={"required": "Enter the question put to staff"},
    )
    electorate = _count("Staff entitled to vote", "the number of staff entitled to vote")
    votes_for = _count("Votes for", "the votes for")
    votes_against = _count("Votes against", "the votes against")
    abstentions = _count("Abstentions", "the abstentions")
    source = forms.CharField(
        label="Where the figures come from",
        max_length=200,
        help_text="For example, the returning officer's report of 20 January 2011",
        error_messages={"required": "Say where the figures come from"},
    )

    def clean(self):
        cleaned = super().clean()
        counts = [cleaned.get(n) for n in ("votes_for", "votes_against", "abstentions")]
        electorate = cleaned.get("electorate")
        if electorate is not None and None not in counts and sum(counts) > electorate:
            self.add_error(
                "electorate",
                f"{sum(counts)} votes were cast, more than the {electorate} staff entitled to "
                "vote: check the figures",
            )
        return cleaned

    def vote(self) -> RecordedVote:
        data = self.cleaned_data
        return RecordedVote(**{name: data[name] for name in RecordedVote.__dataclass_fields__})
