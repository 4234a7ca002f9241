"""Filter forms for the list pages. They read GET parameters and never reject a request:
a value that fails validation is dropped, so a bad link shows unfiltered results."""

from __future__ import annotations

from typing import Any

from django import forms

from mutuals.contracts.models import ContractStatus
from mutuals.registry.models import OrganisationKind


class LenientFilterForm(forms.Form):
    def filters(self) -> dict[str, Any]:
        """The valid values, with each invalid or missing field at its empty value."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned.get(name, field.to_python(None)) for name, field in self.fields.items()
        }


class OrganisationFilterForm(LenientFilterForm):
    q = forms.CharField(
        label="Name or identifier",
        help_text="Part of a name, or an NHS ODS code or Companies House number",
        required=False,
        max_length=200,
    )
    programme = forms.ChoiceField(label="Programme", required=False)
    kind = forms.MultipleChoiceField(
        label="Kind of organisation", choices=OrganisationKind.choices, required=False
    )

    def __init__(self, *args, programmes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", "All programmes"), *programmes]


class ContractFilterForm(LenientFilterForm):
    status = forms.MultipleChoiceField(
        label="Status", choices=ContractStatus.choices, required=False
    )
    programme = forms.ChoiceField(label="Programme", required=False)

    def __init__(self, *args, programmes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", "All programmes"), *programmes]
