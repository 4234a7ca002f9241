"""The answering form: the nine statements on a five-point scale, and the group question."""

from __future__ import annotations

from django import forms

from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey

SCALE = [
    ("1", "Strongly disagree"),
    ("2", "Disagree"),
    ("3", "Neither agree nor disagree"),
    ("4", "Agree"),
    ("5", "Strongly agree"),
]
RATHER_NOT_SAY = "not-said"
PARTS = {
    "motivation": "Your work",
    "involvement": "Your say in your work",
    "advocacy": "Your organisation",
}


class AnswerForm(forms.Form):
    def __init__(self, *args, survey: Survey, ask_group: bool, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ITEM_COLUMNS:
            label = Response._meta.get_field(name).verbose_name
            self.fields[name] = forms.ChoiceField(label=label, choices=SCALE, required=False)
        if ask_group:
            self.fields["group"] = forms.ChoiceField(
                label=survey.group_question,
                choices=[(choice, choice) for choice in survey.groups]
                + [(RATHER_NOT_SAY, "I would rather not say")],
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(name) for name in ITEM_COLUMNS):
            raise forms.ValidationError("Answer at least one of the statements")
        return cleaned

    def answers(self) -> dict[str, int | None]:
        return {
            name: int(self.cleaned_data[name]) if self.cleaned_data.get(name) else None
            for name in ITEM_COLUMNS
        }

    def group(self) -> str:
        chosen = self.cleaned_data.get("group") or ""
        return "" if chosen == RATHER_NOT_SAY else chosen

    def parts(self):
        """(heading, the part's fields) for each of the three sub-scores."""
        from mutuals.engine.engagement import ENGAGEMENT_ITEMS

        return [
            (PARTS[part], [self[name] for name in names])
            for part, names in ENGAGEMENT_ITEMS.items()
        ]

    def item_fields(self):
        return [self[name] for name in ITEM_COLUMNS]
