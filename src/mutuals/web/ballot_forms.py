"""Forms of the ballot pages. The error text a person sees lives in each field."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from mutuals.contracts.date_input import DateInputField
from mutuals.governance.models import StaffVoteRecord
from mutuals.web.time_input import TimeInputField, join_moments

# Each moment of the ballot, asked as a date input and a time beside it.
MOMENTS = (("opens_at", "opens_on", "opens_time"), ("closes_at", "closes_on", "closes_time"))


class BallotForm(forms.Form):
    question = forms.CharField(
        label="Question",
        max_length=300,
        help_text="What the staff are asked, as one question",
        error_messages={
            "required": "Enter the question",
            "max_length": "The question must be 300 characters or fewer",
        },
        widget=forms.Textarea,
    )
    options = forms.CharField(
        label="Options",
        help_text="One option a line, in the order they are shown",
        error_messages={"required": "Enter at least two options, one a line"},
        widget=forms.Textarea,
    )
    subject = forms.ChoiceField(
        label="What the ballot decides",
        choices=StaffVoteRecord.Subject.choices,
        initial=StaffVoteRecord.Subject.OTHER,
        widget=forms.RadioSelect,
        error_messages={"required": "Select what the ballot decides"},
    )
    for_option = forms.CharField(
        label="Option in favour (spin-out and constitution ballots only)",
        required=False,
        max_length=200,
        help_text="Copy the option whose votes count as for in the staff-control "
        "assessment, such as Yes. Leave blank for other ballots",
        error_messages={"max_length": "The option in favour must be 200 characters or fewer"},
    )
    against_option = forms.CharField(
        label="Option against (spin-out and constitution ballots only)",
        required=False,
        max_length=200,
        help_text="Copy the option whose votes count as against, such as No. Any other "
        "option counts as an abstention",
        error_messages={"max_length": "The option against must be 200 characters or fewer"},
    )
    electorate_date = DateInputField(
        label="Electorate date",
        help_text="Staff employed on this day can vote. For example, 1 3 2024",
    )
    members_only = forms.ChoiceField(
        label="Who can vote",
        choices=[("no", "Every member of staff"), ("yes", "Only staff who are members")],
        initial="no",
        widget=forms.RadioSelect,
        error_messages={"required": "Select who can vote"},
    )
    opens_on = DateInputField(label="Date voting opens", help_text="For example, 4 3 2024")
    opens_time = TimeInputField(label="Time voting opens")
    closes_on = DateInputField(label="Date voting closes", help_text="For example, 18 3 2024")
    closes_time = TimeInputField(label="Time voting closes")

    def clean(self):
        """Each date and time together as ``opens_at`` and ``closes_at``, in UK time."""
        return join_moments(super().clean(), MOMENTS)

    def option_labels(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]


class VoteForm(forms.Form):
    choice = forms.TypedChoiceField(
        label="Your vote",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the option you vote for",
            "invalid_choice": "Select one of the options shown",
        },
    )

    def __init__(self, *args, ballot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].label = ballot.question
        self.fields["choice"].choices = [
            (option.pk, option.label) for option in ballot.options.all()
        ]


class ReceiptForm(forms.Form):
    code = forms.CharField(
        label="Receipt code",
        max_length=40,
        help_text="The 16 letters and digits you were given when you voted, such as "
        "ABCD-EFGH-JKMN-PQRS",
        error_messages={"required": "Enter your receipt code"},
    )


def default_times() -> dict:
    """Initial values for a new ballot: opening tomorrow at 9, closing a fortnight later."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    return {
        "electorate_date": timezone.localdate(),
        "opens_on": tomorrow,
        "opens_time": "09:00",
        "closes_on": tomorrow + timedelta(days=14),
        "closes_time": "17:00",
    }
