"""Events and their bookings: staff consultation meetings before a spin-out ballot, and
public learning events.

- :class:`Event` — a meeting or learning event, with its times (stored in UTC, shown in UK
  time), place, capacity, booking deadline and status (draft, published, cancelled);
- :class:`Rate` — a ticket rate: its price and an optional "book by" moment, after which it
  can no longer be chosen; a rate may be only for the staff of one provider;
- :class:`Booking` — one place asked for: booked, or on the waiting list, offered a place
  freed by someone else, cancelled, or an offer that lapsed. Its price and rate are copied
  in when it is made, so later changes to the rates never change what was agreed;
- :class:`Invoice` — the invoice of a paid booking, typeset as PDF by a worker and kept
  here, so no request ever typesets one;
- :class:`EventMessage` — every email about a booking, queued in the transaction that
  caused it and sent by a worker (:mod:`mutuals.events.mail`).

Who booked is personal data: name, organisation, email, access needs and billing details
are blanked a set time after the event (:mod:`mutuals.events.retention`); the rows stay, so
numbers booked, attended and paid are kept.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from mutuals.registry.models import Organisation


class EventKind(models.TextChoices):
    CONSULTATION = "consultation", "Staff consultation meeting"
    LEARNING = "learning", "Learning event"


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


class Event(models.Model):
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    provider = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="consultation_meetings",
        help_text="Consultation meetings: the provider whose staff are consulted.",
    )
    host = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hosted_events",
        help_text="Learning events: the commissioning body hosting it (blank: an auditor).",
    )
    ballot = models.ForeignKey(
        "governance.Ballot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consultation_meetings",
        help_text="The ballot the staff are consulted before, if one is set up.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.TextField(blank=True, help_text="The address, for a meeting in person.")
    online_url = models.URLField(
        "online link",
        max_length=500,
        blank=True,
        help_text="Shown only to people with a booked place.",
    )
    capacity = models.PositiveIntegerField()
    booking_deadline = models.DateTimeField(help_text="No bookings from this moment on.")
    accessibility = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT)
    sequence = models.PositiveIntegerField(
        default=0, help_text="Changes attendees were told of: each one raises it by one."
    )
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancellation_reason = models.TextField(blank=True)
    attendees_forgotten_at = models.DateTimeField(
        null=True, blank=True, help_text="When the attendees' details were removed."
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after_it_starts"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="event_has_a_place"),
            models.CheckConstraint(
                condition=Q(kind="consultation", provider__isnull=False, host__isnull=True)
                | Q(kind="learning", provider__isnull=True, ballot__isnull=True),
                name="event_belongs_to_its_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("event", args=[self.pk])

    @property
    def is_consultation(self) -> bool:
        return self.kind == EventKind.CONSULTATION

    @property
    def organised_by(self) -> str:
        """Who runs it, in words, for pages, emails and invoices."""
        if self.provider_id:
            return self.provider.name
        if self.host_id:
            return self.host.name
        return "Mutuals learning events"


class Rate(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rates")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=8, decimal_places=2)
    book_by = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Can be chosen until this moment; blank: until booking closes.",
    )
    staff_of = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only for staff of this provider employed on the event's day (the register decides).",
    )

    class Meta:
        ordering = ["event", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "name"], name="one_rate_name_per_event"),
            models.CheckConstraint(condition=Q(price__gte=0), name="rate_price_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name

    def open_at(self, moment) -> bool:
        """Whether the rate can be chosen at ``moment`` (the database's clock, when booking)."""
        return self.book_by is None or moment < self.book_by


class BookingStatus(models.TextChoices):
    WAITING = "waiting", "On the waiting list"
    OFFERED = "offered", "Offered a place"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    LAPSED = "lapsed", "Offer lapsed"


ACTIVE = (BookingStatus.WAITING, BookingStatus.OFFERED, BookingStatus.BOOKED)
HOLDING_A_PLACE = (BookingStatus.OFFERED, BookingStatus.BOOKED)


class PaymentMethod(models.TextChoices):
    FREE = "free", "No payment"
    INVOICE = "invoice", "Invoice"
    PURCHASE_ORDER = "purchase_order", "Purchase order"


class Booking(models.Model):
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="bookings")
    rate = models.ForeignKey(Rate, on_delete=models.PROTECT, related_name="bookings")
    reference = models.CharField(max_length=16, unique=True)
    status = models.CharField(max_length=10, choices=BookingStatus.choices)
    rate_name = models.CharField(max_length=100, help_text="The rate as it was when booked.")
    price = models.DecimalField(
        max_digits=8, decimal_places=2, help_text="Fixed at the moment of booking."
    )
    booked_at = models.DateTimeField(
        help_text="The database's clock when the place (or the waiting-list place) was asked for."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_bookings",
    )
    person = models.ForeignKey(
        "governance.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="For staff rates: the booker's entry on the provider's register.",
    )
    name = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    access_needs = models.TextField(blank=True)
    payment_method = models.CharField(
        max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.FREE
    )
    purchase_order = models.CharField(max_length=100, blank=True)
    billing_organisation = models.CharField(max_length=200, blank=True)
    billing_address = models.TextField(blank=True)
    billing_email = models.EmailField(blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attended = models.BooleanField(null=True, blank=True, help_text="Blank until marked.")
    calendar_sequence = models.PositiveIntegerField(
        default=0, help_text="The SEQUENCE of the latest calendar invitation sent for it."
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["event", "booked_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "email"],
                condition=Q(status__in=ACTIVE) & ~Q(email=""),
                name="one_active_booking_per_email",
                violation_error_message="This email address already has a place or is "
                "waiting for one.",
            ),
            models.UniqueConstraint(
                fields=["event", "person"],
                condition=Q(status__in=ACTIVE, person__isnull=False),
                name="one_active_booking_per_person",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="booking_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["event", "status", "booked_at"]),
            models.Index(fields=["status", "offer_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("booking", args=[self.reference])

    @property
    def holds_a_place(self) -> bool:
        return self.status in HOLDING_A_PLACE


class Invoice(models.Model):
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="invoice")
    number = models.CharField(max_length=30, unique=True)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    issued_at = models.DateTimeField()
    pdf = models.BinaryField(null=True, blank=True)
    made_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"Invoice {self.number}"


class MessageKind(models.TextChoices):
    CONFIRMATION = "confirmation", "Booking confirmed"
    WAITING = "waiting", "On the waiting list"
    OFFER = "offer", "A place is offered"
    LAPSED = "lapsed", "The offer lapsed"
    UPDATE = "update", "The event changed"
    CANCELLED = "cancelled", "Booking cancelled"
    EVENT_CANCELLED = "event_cancelled", "Event cancelled"
    REMINDER = "reminder", "Reminder"
    INVOICE = "invoice", "Invoice"


class CalendarMethod(models.TextChoices):
    NONE = "", "No invitation"
    REQUEST = "REQUEST", "Invitation (REQUEST)"
    CANCEL = "CANCEL", "Cancellation (CANCEL)"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Handed to the mail server, not yet confirmed"
    SENT = "sent", "Sent"
    FAILED = "failed", "Refused; tried again later"
    GIVEN_UP = "given_up", "Given up"


class EventMessage(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    calendar = models.CharField(
        max_length=10, choices=CalendarMethod.choices, blank=True, default=CalendarMethod.NONE
    )
    sequence = models.PositiveIntegerField(default=0, help_text="The invitation's SEQUENCE.")
    status = models.CharField(
        max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "id"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.booking_id}"
