"""Calendar invitations (RFC 5545), built with the ``icalendar`` library.

Each booking has one UID for good (its reference at the site's domain), so a calendar
that received its invitation updates that entry when a later one arrives with a higher
SEQUENCE (``METHOD:REQUEST``: the event moved, or its place or link changed) and removes
it on ``METHOD:CANCEL`` (the event, or the booking, was cancelled). Times are written in
UK time with the Europe/London time zone included, so calendars show the right hour
either side of a clock change. The online link is in the invitation: only people with a
booked place get one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.utils import timezone

from mutuals.events.models import Booking, CalendarMethod

UK = ZoneInfo("Europe/London")
PRODUCT = "-//Mutuals//Events//EN"
YEAR = timedelta(days=366)


def domain() -> str:
    return urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"


def uid(booking: Booking) -> str:
    """The booking's calendar UID: the same in every invitation about it."""
    return f"booking-{booking.reference.lower()}@{domain()}"


def invitation(
    booking: Booking, method: str, sequence: int, *, stamp: datetime | None = None
) -> bytes:
    """The booking's invitation (``method`` REQUEST or CANCEL; PUBLISH for a download)."""
    event = booking.event
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = icalendar.Event()
    entry.add("uid", uid(booking))
    entry.add("sequence", sequence)
    entry.add("dtstamp", stamp or timezone.now())
    entry.add("dtstart", event.starts_at.astimezone(UK))
    entry.add("dtend", event.ends_at.astimezone(UK))
    entry.add("summary", event.title)
    entry.add("description", _description(booking))
    entry.add("location", event.venue.replace("\n", ", ") if event.venue else "Online")
    if event.online_url:
        entry.add("url", event.online_url)
    cancelled = method == CalendarMethod.CANCEL
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    entry.add("transp", "OPAQUE")
    organiser = icalendar.vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL}")
    organiser.params["cn"] = icalendar.vText(event.organised_by)
    entry.add("organizer", organiser)
    if booking.email:
        attendee = icalendar.vCalAddress(f"mailto:{booking.email}")
        attendee.params["cn"] = icalendar.vText(booking.name or booking.email)
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("DECLINED" if cancelled else "ACCEPTED")
        attendee.params["rsvp"] = icalendar.vText("FALSE")
        entry.add("attendee", attendee)
    calendar.add_component(entry)
    # The time zone's rules around the event only, not since 1970.
    calendar.add_missing_timezones(
        first_date=(event.starts_at - YEAR).date(), last_date=(event.ends_at + YEAR).date()
    )
    return calendar.to_ical()


def _description(booking: Booking) -> str:
    event = booking.event
    lines = [f"Booking reference {booking.reference}.", ""]
    if event.online_url:
        lines += [f"Join online: {event.online_url}", ""]
    if event.venue:
        lines += [f"Venue: {event.venue}", ""]
    lines.append(f"Your booking: {settings.PUBLIC_BASE_URL}{booking.get_absolute_url()}")
    return "\n".join(lines)
