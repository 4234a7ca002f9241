"""Organising events: create, change, publish and cancel, and the rates of a learning event.

Who may organise what is the permission matrix's (``learning_event`` and ``consultation``,
``create`` and ``change``): a provider's managers its staff consultation meetings;
auditors any learning event, commissioners those hosted by their commissioning body. Each
step is one transaction, in the audit trail. A staff consultation meeting is free and for
the provider's staff only: it gets one free staff rate, and takes no other.

Attendees hear of what concerns them: a change to the title, time, place or link of a
published event raises its SEQUENCE and sends every booked attendee an updated
invitation; a cancelled event tells everyone booked, offered or waiting, and cancels the
invitations; more places offer the new ones to the people waiting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

from mutuals.accounts import audit
from mutuals.accounts.permissions import Viewer, allowed_in, may
from mutuals.events import access, mail
from mutuals.events.errors import EventInvalid, NotAllowed, WrongState
from mutuals.events.models import (
    ACTIVE,
    Booking,
    BookingStatus,
    CalendarMethod,
    Event,
    EventKind,
    EventStatus,
    MessageKind,
    Rate,
)
from mutuals.events.waiting import fill_places, lock_event, places_held
from mutuals.governance.models import Ballot
from mutuals.registry.models import Organisation, OrganisationKind

STAFF_RATE = "Staff place"
MAX_CAPACITY = 100_000
MAX_PRICE = Decimal("99999.99")
# What attendees see of an event: a change to any of these is sent to them.
ATTENDEES_SEE = ("title", "starts_at", "ends_at", "venue", "online_url")
DETAILS = ATTENDEES_SEE + (
    "description", "capacity", "booking_deadline", "accessibility", "ballot",
)  # fmt: skip


@dataclass(frozen=True)
class RateDraft:
    name: str
    price: Decimal
    book_by: datetime | None = None
    staff_of: Organisation | None = None


@dataclass(frozen=True)
class EventDraft:
    """What an event needs; :func:`problems_in` checks it all at once."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booking_deadline: datetime
    description: str = ""
    venue: str = ""
    online_url: str = ""
    accessibility: str = ""
    provider: Organisation | None = None
    host: Organisation | None = None
    ballot: Ballot | None = None
    rates: list[RateDraft] = field(default_factory=list)


def problems_in(draft: EventDraft) -> dict[str, str]:
    problems: dict[str, str] = {}
    if draft.kind not in EventKind.values:
        problems["kind"] = "Choose a staff consultation meeting or a learning event"
    if not draft.title.strip():
        problems["title"] = "Enter the event's title"
    elif len(draft.title) > 200:
        problems["title"] = "The title must be 200 characters or fewer"
    if draft.ends_at <= draft.starts_at:
        problems["ends_at"] = "The end must be after the start"
    if draft.booking_deadline > draft.starts_at:
        problems["booking_deadline"] = "Booking must close by the time the event starts"
    if not 1 <= draft.capacity <= MAX_CAPACITY:
        problems["capacity"] = f"The number of places must be from 1 to {MAX_CAPACITY:,}"
    if not draft.venue.strip() and not draft.online_url.strip():
        problems["venue"] = "Enter the venue's address, or an online link, or both"
    if draft.online_url.strip():
        try:
            URLValidator(schemes=["https", "http"])(draft.online_url.strip())
        except ValidationError:
            problems["online_url"] = "Enter the online link as a web address, like https://…"
    return problems | _kind_problems(draft) | _rate_problems(draft.rates)


def _kind_problems(draft: EventDraft) -> dict[str, str]:
    if draft.kind == EventKind.CONSULTATION:
        if draft.provider is None or draft.provider.kind != OrganisationKind.PROVIDER:
            return {"provider": "Choose the provider whose staff are consulted"}
        if draft.ballot is not None and draft.ballot.organisation_id != draft.provider.pk:
            return {"ballot": "Choose one of this provider's ballots"}
    elif draft.host is not None and draft.host.kind != OrganisationKind.COMMISSIONER:
        return {"host": "A learning event is hosted by a commissioning body, or by nobody"}
    return {}


def _rate_problems(rates: list[RateDraft]) -> dict[str, str]:
    names = [rate.name.strip().casefold() for rate in rates]
    if any(not name for name in names):
        return {"rates": "Give every rate a name"}
    if len(set(names)) < len(names):
        return {"rates": "Give every rate a different name"}
    for rate in rates:
        if len(rate.name) > 100:
            return {"rates": "A rate's name must be 100 characters or fewer"}
        if not Decimal(0) <= rate.price <= MAX_PRICE:
            return {"rates": f"A rate's price must be from £0 to £{MAX_PRICE:,}"}
        if rate.staff_of is not None and rate.staff_of.kind != OrganisationKind.PROVIDER:
            return {"rates": "A staff rate is for the staff of a provider"}
    return {}


def may_organise(viewer: Viewer, draft: EventDraft) -> bool:
    if draft.kind == EventKind.CONSULTATION:
        return draft.provider is not None and allowed_in(
            viewer, "create", "consultation", draft.provider.pk
        )
    if draft.host is None:
        return may(viewer, "create", "learning_event")
    return allowed_in(viewer, "create", "learning_event", draft.host.pk)


def create_event(viewer: Viewer, user, draft: EventDraft) -> Event:
    """A new event, as a draft only its organisers see."""
    if not may_organise(viewer, draft):
        raise NotAllowed("You cannot organise this event.")
    problems = problems_in(draft)
    if problems:
        raise EventInvalid(problems, "The event was not created")
    with transaction.atomic():
        event = Event.objects.create(
            kind=draft.kind,
            provider=draft.provider if draft.kind == EventKind.CONSULTATION else None,
            host=draft.host if draft.kind == EventKind.LEARNING else None,
            organiser=user if getattr(user, "is_authenticated", False) else None,
            **_details(draft),
        )
        rates = draft.rates
        if event.is_consultation:
            rates = [RateDraft(STAFF_RATE, Decimal(0), staff_of=event.provider)]
        for position, rate in enumerate(rates):
            _add_rate(event, rate, position)
        audit.record(
            "event.create",
            user=user,
            obj=event,
            organisation=event.provider,
            changes={"kind": event.kind, "title": event.title, "rates": len(rates)},
        )
    return event


def _details(draft: EventDraft) -> dict:
    values = {name: getattr(draft, name) for name in DETAILS}
    for name in ("title", "description", "venue", "online_url", "accessibility"):
        values[name] = values[name].strip()
    if draft.kind != EventKind.CONSULTATION:
        values["ballot"] = None
    return values


def _add_rate(event: Event, rate: RateDraft, position: int) -> Rate:
    return Rate.objects.create(
        event=event,
        position=position,
        name=rate.name.strip(),
        price=rate.price,
        book_by=rate.book_by,
        staff_of=rate.staff_of,
    )


def draft_of(event: Event) -> EventDraft:
    """The event's current details, to change some and pass to :func:`update_event`."""
    values = {f.name: getattr(event, f.name) for f in fields(EventDraft) if f.name != "rates"}
    return EventDraft(**values)


def _changeable(viewer: Viewer, event: Event) -> None:
    if not access.may_change(viewer, event):
        raise NotAllowed("Only the event's organisers can change it.")


def update_event(viewer: Viewer, user, event: Event, draft: EventDraft) -> Event:
    """Change the event's details (not its kind, provider or host)."""
    _changeable(viewer, event)
    draft = EventDraft(**{**draft.__dict__, "kind": event.kind, "provider": event.provider,
                          "host": event.host, "rates": []})  # fmt: skip
    problems = problems_in(draft)
    if problems:
        raise EventInvalid(problems)
    with transaction.atomic():
        event, now = lock_event(event.pk)
        if event.status == EventStatus.CANCELLED:
            raise WrongState("A cancelled event cannot be changed.")
        held = places_held(event)
        if draft.capacity < held:
            raise EventInvalid({"capacity": f"{held} places are taken: keep at least {held}"})
        before = {name: getattr(event, name) for name in DETAILS}
        for name, value in _details(draft).items():
            setattr(event, name, value)
        after = {name: getattr(event, name) for name in DETAILS}
        seen = [name for name in ATTENDEES_SEE if before[name] != after[name]]
        if seen and event.status == EventStatus.PUBLISHED:
            event.sequence += 1
            _tell_booked(event, MessageKind.UPDATE, CalendarMethod.REQUEST)
        event.save()
        if draft.capacity > before["capacity"]:
            fill_places(event, now)
        audit.record(
            "event.change",
            user=user,
            obj=event,
            organisation=event.provider,
            changes=audit.diff(before, after),
        )
        mail.send_soon()
    return event


def _tell_booked(event: Event, kind: str, method: str) -> None:
    """Queue a new invitation (a higher SEQUENCE, the same UID) for every booked place."""
    booked = Booking.objects.filter(event=event, status=BookingStatus.BOOKED)
    booked.update(calendar_sequence=F("calendar_sequence") + 1)
    for booking in booked.only("pk", "calendar_sequence"):
        mail.queue(booking, kind, calendar_method=method, sequence=booking.calendar_sequence)


def add_rate(viewer: Viewer, user, event: Event, rate: RateDraft) -> Rate:
    _changeable(viewer, event)
    if event.is_consultation:
        raise WrongState("A staff consultation meeting is free for the provider's staff: it "
                         "takes no other rate.")  # fmt: skip
    existing = [RateDraft(r.name, r.price) for r in event.rates.all()]
    problems = _rate_problems([*existing, rate])
    if problems:
        raise EventInvalid(problems, "The rate was not added")
    with transaction.atomic():
        created = _add_rate(event, rate, event.rates.count())
        audit.record("event.rate-add", user=user, obj=event, organisation=event.provider,
                     changes={"rate": created.name, "price": str(created.price),
                              "book_by": str(created.book_by or "")})  # fmt: skip
    return created


def remove_rate(viewer: Viewer, user, event: Event, rate_id: int) -> None:
    _changeable(viewer, event)
    rate = event.rates.filter(pk=rate_id).first()
    if rate is None:
        raise EventInvalid({"rate": "Choose one of this event's rates"}, "The rate was not removed")
    if event.is_consultation or rate.bookings.exists():
        raise WrongState(f"The {rate.name} rate has bookings (or is the meeting's only rate): "
                         "it cannot be removed.")  # fmt: skip
    with transaction.atomic():
        rate.delete()
        audit.record("event.rate-remove", user=user, obj=event, organisation=event.provider,
                     changes={"rate": rate.name})  # fmt: skip


def publish_event(viewer: Viewer, user, event: Event) -> Event:
    """Open a draft for booking."""
    _changeable(viewer, event)
    with transaction.atomic():
        event, now = lock_event(event.pk)
        if event.status != EventStatus.DRAFT:
            raise WrongState(f"The event is {event.get_status_display().lower()}, not a draft.")
        if not event.rates.exists():
            raise WrongState("Add at least one rate before publishing the event.")
        if now >= event.booking_deadline:
            raise WrongState("Booking would already be closed: move the booking deadline first.")
        event.status = EventStatus.PUBLISHED
        event.published_at = now
        event.save(update_fields=["status", "published_at"])
        audit.record("event.publish", user=user, obj=event, organisation=event.provider)
    return event


def cancel_event(viewer: Viewer, user, event: Event, reason: str) -> Event:
    """Cancel the event: everyone with a place, an offer or a waiting-list place is told,
    and booked places' invitations are cancelled."""
    _changeable(viewer, event)
    reason = reason.strip()
    if not 5 <= len(reason) <= 1000:
        raise EventInvalid({"reason": "Give the reason attendees will read, in 5 to 1,000 "
                                      "characters"}, "The event was not cancelled")  # fmt: skip
    with transaction.atomic():
        event, now = lock_event(event.pk)
        if event.status == EventStatus.CANCELLED:
            raise WrongState("The event is already cancelled.")
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now
        event.cancellation_reason = reason
        event.sequence += 1
        event.save(update_fields=["status", "cancelled_at", "cancellation_reason", "sequence"])
        _tell_booked(event, MessageKind.EVENT_CANCELLED, CalendarMethod.CANCEL)
        others = Booking.objects.filter(event=event, status__in=ACTIVE).exclude(
            status=BookingStatus.BOOKED
        )
        for booking in others:
            mail.queue(booking, MessageKind.EVENT_CANCELLED)
        told = Booking.objects.filter(event=event, status__in=ACTIVE).update(
            status=BookingStatus.CANCELLED, cancelled_at=now
        )
        audit.record("event.cancel", user=user, obj=event, organisation=event.provider,
                     changes={"reason": reason, "bookings_cancelled": told})  # fmt: skip
        mail.send_soon()
    return event
