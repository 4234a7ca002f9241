"""Forms of the survey pages that a provider's managers use to run a staff survey."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django import forms
from django.utils import timezone

from mutuals.contracts.date_input import DateInputField
from mutuals.engagement.surveys import MAX_GROUP_LENGTH, MAX_LINKS

RESPONSE_SUFFIXES = {".csv", ".xlsx"}


class SurveyForm(forms.Form):
    year = forms.IntegerField(
        label="Survey year",
        min_value=1990,
        max_value=2100,
        help_text="A provider runs one engagement survey a year",
        error_messages={
            "required": "Enter the survey year",
            "invalid": "Enter the survey year as a number, such as 2024",
            "min_value": "Enter a survey year from 1990",
            "max_value": "Enter a survey year before 2100",
        },
    )
    title = forms.CharField(
        label="Title",
        required=False,
        max_length=200,
        help_text="Shown to staff as they answer. Leave blank for 'Staff engagement survey' "
        "and the year",
        error_messages={"max_length": "The title must be 200 characters or fewer"},
    )
    opens_on = DateInputField(label="Opening date", help_text="For example, 1 10 2024")
    closes_on = DateInputField(
        label="Closing date",
        help_text="The last day answers are taken. For example, 30 11 2024",
    )
    group_question = forms.CharField(
        label="Group question (optional)",
        required=False,
        max_length=200,
        help_text="A question sorting respondents into groups, such as 'Which team do you "
        "work in?'. Leave blank to group people by their role on the staff register",
        error_messages={"max_length": "The group question must be 200 characters or fewer"},
    )
    group_choices = forms.CharField(
        label="Answers to the group question",
        required=False,
        help_text="One answer a line. Results for a group are shown only when enough of "
        "its people answer",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_on"), data.get("closes_on")
        if opens and closes and closes < opens:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        if "group_question" in data and "group_choices" in data:
            self._check_groups(data["group_question"].strip(), self.choices())
        return data

    def _check_groups(self, question: str, choices: list[str]) -> None:
        if question and not choices:
            self.add_error("group_choices", "Enter the answers to the group question, one a line")
        elif choices and not question:
            self.add_error("group_question", "Enter the group question, or clear its answers")
        repeated = sorted({c for c in choices if choices.count(c) > 1})
        if repeated:
            self.add_error("group_choices", f"Give each answer once: '{repeated[0]}' is repeated")
        long = [c for c in choices if len(c) > MAX_GROUP_LENGTH]
        if long:
            self.add_error(
                "group_choices",
                f"Each answer must be {MAX_GROUP_LENGTH} characters or fewer: "
                f"'{long[0][:40]}…' is longer",
            )

    def choices(self) -> list[str]:
        lines = self.cleaned_data.get("group_choices", "").splitlines()
        return [line.strip() for line in lines if line.strip()]


def survey_defaults() -> dict:
    """This year's survey, open from today for six weeks."""
    today = timezone.localdate()
    return {
        "year": today.year,
        "opens_on": today,
        "closes_on": today + timedelta(weeks=6),
    }


class LinksForm(forms.Form):
    REGISTER, COUNT = "register", "count"

    recipients = forms.ChoiceField(
        label="Who the links are for",
        choices=[
            (REGISTER, "One for each member of staff on the register on a date"),
            (COUNT, "A number of unaddressed links to hand out"),
        ],
        initial=REGISTER,
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the links are for"},
    )
    register_on = DateInputField(
        label="Date of the register",
        required=False,
        help_text="Staff employed on this day are sent a link. For example, 1 10 2024",
    )
    count = forms.IntegerField(
        label="Number of links",
        required=False,
        min_value=1,
        max_value=MAX_LINKS,
        help_text=f"Between 1 and {MAX_LINKS:,}",
        error_messages={
            "invalid": "Enter the number of links as a whole number, such as 250",
            "min_value": "Ask for at least 1 link",
            "max_value": f"Ask for at most {MAX_LINKS:,} links",
        },
    )

    def clean(self):
        data = super().clean()
        wanted = {self.REGISTER: "register_on", self.COUNT: "count"}.get(data.get("recipients"))
        if wanted and not data.get(wanted) and wanted not in self.errors:
            missing = {
                "register_on": "Enter the date of the register to use",
                "count": "Enter the number of links",
            }
            self.add_error(wanted, missing[wanted])
        return data

    def request(self) -> dict:
        """The keyword arguments for :func:`~mutuals.engagement.surveys.issue_links`."""
        if self.cleaned_data["recipients"] == self.REGISTER:
            return {"register_on": self.cleaned_data["register_on"]}
        return {"count": self.cleaned_data["count"]}


class ResponsesForm(forms.Form):
    responses_file = forms.FileField(
        label="Responses file",
        help_text="A CSV or XLSX file, one row a respondent, with the nine statement columns "
        "(q_look_forward to q_standard_of_care) and optionally group",
        error_messages={
            "required": "Select a responses file",
            "empty": "The selected file is empty",
        },
    )

    def clean_responses_file(self):
        upload = self.cleaned_data["responses_file"]
        if Path(upload.name).suffix.lower() not in RESPONSE_SUFFIXES:
            raise forms.ValidationError("The selected file must be a CSV or XLSX file")
        return upload


class CloseForm(forms.Form):
    publish = forms.BooleanField(
        label="Publish the results as the survey closes",
        required=False,
        help_text="Commissioners and the public can then read them. Groups too small to "
        "show stay hidden from everyone",
    )
