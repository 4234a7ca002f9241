"""Sign-in, invitation, password and name forms, with the error text people read."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from mutuals.accounts import names
from mutuals.accounts.models import RoleName
from mutuals.accounts.names import MAX_LENGTH, DisplayNameRejected, clean_display_name


class DisplayNameField(forms.CharField):
    """The name a person is shown under, checked by the rules of
    :func:`mutuals.accounts.names.clean_display_name` (never an email address). Every form
    that asks for the name uses this field; each gives its own label, hint and the message
    for an empty answer."""

    def __init__(self, *, required_message: str, **kwargs):
        super().__init__(
            max_length=MAX_LENGTH,
            error_messages={
                "required": required_message,
                "max_length": f"The name must be {MAX_LENGTH} characters or fewer",
            },
            **kwargs,
        )

    def clean(self, value):
        try:
            return clean_display_name(super().clean(value))
        except DisplayNameRejected as error:
            raise forms.ValidationError(str(error)) from None


class DisplayNameForm(forms.Form):
    """Change the name shown beside what the person writes (the account page)."""

    display_name = DisplayNameField(
        label="Your name",
        help_text=(
            "Shown to everyone beside your comments and what you publish. "
            "Do not use your email address: it is never shown to others."
        ),
        required_message="Enter the name to show beside your comments",
    )


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput,
        error_messages={"required": "Enter your password"},
    )
    error_messages = {
        "invalid_login": "Enter a correct email address and password",
        "inactive": "This account has been switched off",
    }


class ResetForm(PasswordResetForm):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )


class ChoosePasswordForm(SetPasswordForm):
    error_messages = {"password_mismatch": "The passwords do not match: enter the same one twice"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = "At least 8 characters, not a common password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].label = "Confirm the new password"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"


class AcceptInvitationForm(ChoosePasswordForm):
    """Choose a password, and the name to be shown under (never the email address)."""

    display_name = DisplayNameField(
        label="Your name",
        help_text="Shown with your comments and what you publish. Your email address is not.",
        required_message="Enter your name",
    )
    field_order = ["display_name", "new_password1", "new_password2"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        if user.first_name and "initial" not in kwargs:
            self.fields["display_name"].initial = user.get_full_name()

    def save(self, commit=True):
        user = super().save(commit=commit)
        # Through the one path that records a change of name in the audit trail.
        names.set_display_name(user, self.cleaned_data["display_name"])
        return user


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Email address of the person to invite",
        max_length=254,
        error_messages={
            "required": "Enter the email address of the person to invite",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    role = forms.ChoiceField(
        label="Role", error_messages={"required": "Select the role to give them"}
    )
    organisation = forms.TypedChoiceField(
        label="Organisation",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Select an organisation you manage"},
    )

    def __init__(self, *args, roles: list[str], organisations: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, RoleName(r).label) for r in roles]
        self.fields["organisation"].choices = [("", "None (auditors)"), *organisations]

    def clean(self):
        cleaned = super().clean()
        role, organisation = cleaned.get("role"), cleaned.get("organisation")
        if role and role != RoleName.AUDITOR and organisation is None:
            self.add_error("organisation", "Select the organisation the role is in")
        if role == RoleName.AUDITOR:
            cleaned["organisation"] = None
        return cleaned
