"""Forms of the event pages: one question a page while booking, and the organisers' forms.
The error text a person sees lives in each field."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from mutuals.contracts.date_input import DateInputField
from mutuals.events.models import PaymentMethod, Rate
from mutuals.web.time_input import TimeInputField, join_moments

# Each moment of an event, asked as a date input and a time beside it (read as UK time).
MOMENTS = (
    ("starts_at", "starts_on", "starts_time"),
    ("ends_at", "ends_on", "ends_time"),
    ("booking_deadline", "deadline_on", "deadline_time"),
)


def rate_label(rate: Rate) -> str:
    price = "Free" if not rate.price else f"£{rate.price:,.2f}".replace(".00", "")
    if rate.book_by is None:
        return f"{rate.name}: {price}"
    return f"{rate.name}: {price}, book by {timezone.localtime(rate.book_by):%-d %B %Y, %H:%M}"


class RateForm(forms.Form):
    rate = forms.TypedChoiceField(
        label="Which ticket do you want?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select a ticket",
            "invalid_choice": "Select one of the tickets shown",
        },
    )

    def __init__(self, *args, rates: list[Rate], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rate"].choices = [(rate.pk, rate_label(rate)) for rate in rates]


class AttendeeForm(forms.Form):
    name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={
            "required": "Enter the full name of the person attending",
            "max_length": "The name must be 200 characters or fewer",
        },
    )
    organisation = forms.CharField(
        label="Organisation",
        max_length=200,
        help_text="Where the person attending works",
        error_messages={
            "required": "Enter the organisation the person attending works for",
            "max_length": "The organisation must be 200 characters or fewer",
        },
    )
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        help_text="We send the confirmation and calendar invitation here",
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )

    def __init__(self, *args, staff_place: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if staff_place:  # the register says where they work
            del self.fields["organisation"]


class AccessForm(forms.Form):
    access_needs = forms.CharField(
        label="Do you have any access needs?",
        required=False,
        max_length=2000,
        widget=forms.Textarea,
        help_text="For example step-free access, a hearing loop, a British Sign Language "
        "interpreter, or dietary needs. Leave this empty if you have none",
        error_messages={"max_length": "Access needs must be 2,000 characters or fewer"},
    )


class PaymentForm(forms.Form):
    payment_method = forms.ChoiceField(
        label="How will your organisation pay?",
        choices=[
            (PaymentMethod.INVOICE, "Send us an invoice"),
            (PaymentMethod.PURCHASE_ORDER, "Send us an invoice quoting our purchase order"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how your organisation will pay"},
    )


class BillingForm(forms.Form):
    billing_organisation = forms.CharField(
        label="Organisation to invoice",
        max_length=200,
        error_messages={"required": "Enter the organisation to invoice"},
    )
    billing_address = forms.CharField(
        label="Invoice address",
        widget=forms.Textarea,
        max_length=1000,
        error_messages={"required": "Enter the address to send the invoice to"},
    )
    billing_email = forms.EmailField(
        label="Email address for the invoice",
        help_text="Usually your finance team's",
        error_messages={
            "required": "Enter the email address to send the invoice to",
            "invalid": "Enter an email address in the correct format, like finance@example.org",
        },
    )
    purchase_order = forms.CharField(
        label="Purchase order number",
        max_length=100,
        error_messages={
            "required": "Enter the purchase order number",
            "max_length": "The purchase order number must be 100 characters or fewer",
        },
    )

    def __init__(self, *args, purchase_order: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not purchase_order:
            del self.fields["purchase_order"]


class EventForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={
            "required": "Enter the event's title",
            "max_length": "The title must be 200 characters or fewer",
        },
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea, max_length=5000
    )
    starts_on = DateInputField(label="Date the event starts", help_text="For example, 4 6 2026")
    starts_time = TimeInputField(label="Time the event starts")
    ends_on = DateInputField(label="Date the event ends", help_text="For example, 4 6 2026")
    ends_time = TimeInputField(label="Time the event ends")
    venue = forms.CharField(
        label="Venue",
        required=False,
        widget=forms.Textarea,
        max_length=1000,
        help_text="The address, for an event in person. Leave empty if it is online only",
    )
    online_url = forms.URLField(
        label="Online link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Shown only to people with a booked place. Leave empty if it is in person only",
        error_messages={"invalid": "Enter the online link as a web address, like https://…"},
    )
    capacity = forms.IntegerField(
        label="Number of places",
        min_value=1,
        max_value=100_000,
        error_messages={
            "required": "Enter the number of places",
            "invalid": "Enter the number of places as a whole number, such as 40",
            "min_value": "There must be at least 1 place",
            "max_value": "There can be at most 100,000 places",
        },
    )
    deadline_on = DateInputField(
        label="Date booking closes",
        help_text="No one can book after this, and it must be no later than the start. "
        "For example, 1 6 2026",
    )
    deadline_time = TimeInputField(label="Time booking closes")
    accessibility = forms.CharField(
        label="Accessibility",
        required=False,
        widget=forms.Textarea,
        max_length=2000,
        help_text="Step-free access, hearing loops, quiet rooms, toilets, how to ask for more",
    )

    def clean(self):
        """Each date and time together as ``starts_at``, ``ends_at`` and
        ``booking_deadline``, in UK time."""
        return join_moments(super().clean(), MOMENTS)


class ConsultationForm(EventForm):
    provider = forms.TypedChoiceField(
        label="Whose staff are consulted",
        coerce=int,
        error_messages={"required": "Choose the provider"},
    )
    ballot = forms.TypedChoiceField(
        label="Before which ballot (optional)", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, providers, ballots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(p.pk, p.name) for p in providers]
        self.fields["ballot"].choices = [("", "Not tied to a ballot")] + [
            (b.pk, f"{b.organisation.name}: {b.question}") for b in ballots
        ]


class LearningForm(EventForm):
    host = forms.ChoiceField(label="Hosted by", required=False)

    def __init__(self, *args, hosts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [
            (
                "" if host is None else str(host.pk),
                "Mutuals (auditors)" if host is None else host.name,
            )
            for host in hosts
        ]


class NewRateForm(forms.Form):
    name = forms.CharField(
        label="Name of the rate",
        max_length=100,
        help_text="Such as Early bird, Standard, or Free for staff of a provider",
        error_messages={"required": "Enter the rate's name"},
    )
    price = forms.DecimalField(
        label="Price in pounds",
        min_value=0,
        max_value=99999.99,
        decimal_places=2,
        help_text="0 for a free rate",
        error_messages={
            "required": "Enter the price, or 0 for a free rate",
            "invalid": "Enter the price as a number of pounds, such as 45 or 45.50",
            "min_value": "The price cannot be negative",
            "max_decimal_places": "Enter the price in pounds and pence, such as 45.50",
        },
    )
    book_by_on = DateInputField(
        label="Book-by date (optional)",
        required=False,
        help_text="The ticket can be chosen until this date and time. Leave both empty for a "
        "ticket open until booking closes. For example, 1 5 2026",
    )
    book_by_time = TimeInputField(label="Book-by time (optional)", required=False)
    staff_of = forms.TypedChoiceField(
        label="Only for staff of (optional)", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff_of"].choices = [("", "Anyone may choose it")] + [
            (p.pk, p.name) for p in providers
        ]

    def clean(self):
        """The book-by date and time together as ``book_by`` (None if both are empty)."""
        cleaned = join_moments(super().clean(), [("book_by", "book_by_on", "book_by_time")])
        cleaned.setdefault("book_by", None)
        for given, missing, other in [
            ("book_by_on", "book_by_time", "book-by time"),
            ("book_by_time", "book_by_on", "book-by date"),
        ]:
            if cleaned.get(given) and not self.has_error(missing) and not cleaned.get(missing):
                self.add_error(
                    missing, f"Enter the {other}, or leave the book-by date and time empty"
                )
        return cleaned


class CancelEventForm(forms.Form):
    reason = forms.CharField(
        label="Why is the event cancelled?",
        widget=forms.Textarea,
        min_length=5,
        max_length=1000,
        help_text="Everyone with a place or waiting for one reads this in their email",
        error_messages={
            "required": "Enter the reason the event is cancelled",
            "min_length": "Enter the reason in at least 5 characters",
            "max_length": "The reason must be 1,000 characters or fewer",
        },
    )
