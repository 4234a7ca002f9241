"""Forms of the publishing pages: filters, comments, moderation reasons, drafts,
withdrawals and subscriptions. Error messages are the GOV.UK style: what to do, not what
went wrong."""

from __future__ import annotations

from django import forms

from mutuals.accounts.forms import DisplayNameField
from mutuals.evaluation.models import AlertKind
from mutuals.publishing import withdrawal
from mutuals.publishing.comments import MAX_LENGTH, MAX_REASON
from mutuals.publishing.errors import WithdrawalRejected
from mutuals.publishing.models import Frequency, ItemKind
from mutuals.web.forms import LenientFilterForm


class PublishedFilterForm(LenientFilterForm):
    provider = forms.TypedChoiceField(
        label="Provider", required=False, coerce=int, empty_value=None
    )
    programme = forms.ChoiceField(label="Programme", required=False)
    kind = forms.ChoiceField(label="Kind of material", required=False)

    def __init__(self, *args, providers, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "All providers"), *providers]
        self.fields["programme"].choices = [("", "All programmes"), *programmes]
        self.fields["kind"].choices = [("", "All kinds"), *ItemKind.choices]


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Your comment",
        help_text="Plain text only. Be respectful: moderators hide comments that break the rules.",
        max_length=MAX_LENGTH,
        error_messages={
            "required": "Enter your comment",
            "max_length": f"Your comment must be {MAX_LENGTH:,} characters or fewer",
        },
    )

    def __init__(self, *args, ask_name: bool = False, **kwargs):
        """``ask_name``: the person has no name to be shown under yet, so ask for one."""
        super().__init__(*args, **kwargs)
        if ask_name:
            self.fields = {
                "display_name": DisplayNameField(
                    label="Your name, as shown with your comments",
                    help_text="For example, your first name and surname.",
                    required_message="Enter the name to show with your comments",
                ),
                **self.fields,
            }


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_REASON,
        error_messages={
            "required": "Give the reason",
            "max_length": f"The reason must be {MAX_REASON} characters or fewer",
        },
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why it is being withdrawn",
        help_text=(
            f"Readers see this with the notice on every page of it. Plain text, "
            f"{withdrawal.MIN_REASON} to {withdrawal.MAX_REASON:,} characters."
        ),
        required=False,  # clean_reason names what is missing, too short or too long
        strip=False,
    )

    def clean_reason(self) -> str:
        try:
            return withdrawal.clean_reason(self.cleaned_data["reason"])
        except WithdrawalRejected as error:
            raise forms.ValidationError(str(error)) from None


class PrepareForm(forms.Form):
    kind = forms.ChoiceField(
        label="What to publish",
        choices=ItemKind.choices,
        error_messages={"required": "Choose what to publish"},
    )
    provider = forms.TypedChoiceField(
        label="Provider (for a scorecard)", required=False, coerce=int, empty_value=None
    )
    programme = forms.ChoiceField(label="Programme (for an evaluation)", required=False)
    title = forms.CharField(
        label="Title", required=False, max_length=200, help_text="Leave empty for the usual title."
    )
    summary = forms.CharField(
        label="Introduction",
        required=False,
        max_length=2000,
        help_text="A few sentences shown above the material.",
    )

    def __init__(self, *args, providers, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "Choose a provider"), *providers]
        self.fields["programme"].choices = [("", "Every programme"), *programmes]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == ItemKind.SCORECARD and not cleaned.get("provider"):
            self.add_error("provider", "Choose the provider the scorecard is about")
        return cleaned


class SubscribeForm(forms.Form):
    follow = forms.ChoiceField(
        label="What to follow", error_messages={"required": "Choose what to follow"}
    )
    frequency = forms.ChoiceField(
        label="How often",
        choices=Frequency.choices,
        initial=Frequency.WEEKLY,
        error_messages={"required": "Choose how often: daily or weekly"},
    )
    email = forms.EmailField(
        label="Email address",
        required=False,
        help_text="We will send a link to confirm it.",
        error_messages={
            "invalid": "Enter an email address in the correct format, like name@example.com"
        },
    )

    def __init__(self, *args, programmes, providers, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose")]
        choices += [(f"programme:{code}", f"Programme: {name}") for code, name in programmes]
        choices += [(f"provider:{pk}", f"Provider: {name}") for pk, name in providers]
        if signed_in:
            choices += [
                (f"alert_kind:{value}", f"Alerts: {label}") for value, label in AlertKind.choices
            ]
        self.fields["follow"].choices = choices
        self.signed_in = signed_in
        if signed_in:
            del self.fields["email"]

    def clean(self):
        cleaned = super().clean()
        if not self.signed_in and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter your email address")
        return cleaned
