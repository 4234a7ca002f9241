"""``mutuals events``: organise events from the command line, as a named person.

Every verb acts as the person given with ``--as`` and reads through the permission matrix,
exactly as the web pages do: a provider's managers organise its staff consultation
meetings, auditors and commissioners learning events.
"""

from __future__ import annotations

import sys
from argparse import ArgumentTypeError
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mutuals.accounts.permissions import viewer_for_user
from mutuals.events import access, attendance, exports, organising
from mutuals.events.errors import EventError, EventInvalid
from mutuals.events.models import Event, EventKind
from mutuals.governance.models import Ballot
from mutuals.registry.lookup import organisation_by_key

VERBS = ("list", "create", "publish", "cancel", "bookings", "attend")


def moment(text: str) -> datetime:
    """YYYY-MM-DDTHH:MM (or with a space) in UK time."""
    for pattern in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            return timezone.make_aware(datetime.strptime(text.strip(), pattern))
        except ValueError:
            continue
    raise ArgumentTypeError(f"{text!r} is not a date and time: write it like 2026-06-04T10:00")


def rate(text: str) -> organising.RateDraft:
    """NAME:PRICE or NAME:PRICE:BOOK_BY, such as "Early bird:45:2026-05-01T23:59"."""
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0].strip():
        raise ArgumentTypeError(f"{text!r}: write a rate as NAME:PRICE[:BOOK_BY]")
    try:
        price = Decimal(parts[1].strip())
    except InvalidOperation:
        raise ArgumentTypeError(f"{text!r}: the price {parts[1]!r} is not a number") from None
    book_by = moment(parts[2]) if len(parts) == 3 else None
    return organising.RateDraft(parts[0].strip(), price, book_by=book_by)


class Command(BaseCommand):
    help = (
        "Organise events as a named person (--as EMAIL): list the events you may see; create "
        "a learning event or staff consultation meeting from options (as a draft; --rate "
        "NAME:PRICE[:BOOK_BY] repeated); publish it; cancel it with a reason (everyone booked "
        "is told); write its bookings and waiting list as CSV; mark attendance by booking "
        "reference."
    )

    def add_arguments(self, parser):
        parser.add_argument("verb", choices=VERBS, help="what to do")
        parser.add_argument(
            "event", nargs="?", type=int, help="the event's id (not for list or create)"
        )
        parser.add_argument(
            "--as", dest="username", required=True, help="who is acting (user name or email)"
        )
        parser.add_argument(
            "--kind",
            choices=EventKind.values,
            default=EventKind.LEARNING,
            help="create: learning or consultation",
        )
        parser.add_argument("--title", help="create: the event's title")
        parser.add_argument("--description", default="", help="create: what it is about")
        parser.add_argument(
            "--starts",
            type=moment,
            metavar="YYYY-MM-DDTHH:MM",
            help="create: when it starts (UK time)",
        )
        parser.add_argument(
            "--ends", type=moment, metavar="YYYY-MM-DDTHH:MM", help="create: when it ends"
        )
        parser.add_argument(
            "--deadline",
            type=moment,
            metavar="YYYY-MM-DDTHH:MM",
            help="create: when booking closes (default: the start)",
        )
        parser.add_argument("--capacity", type=int, help="create: how many places")
        parser.add_argument(
            "--venue", default="", help="create: the address, for an event in person"
        )
        parser.add_argument(
            "--online-url",
            dest="online_url",
            default="",
            help="create: the link, shown only to booked attendees",
        )
        parser.add_argument("--accessibility", default="", help="create: access at the venue")
        parser.add_argument(
            "--provider", help="create, consultation: the provider (id, ODS code or company number)"
        )
        parser.add_argument(
            "--ballot", type=int, help="create, consultation: the ballot it comes before"
        )
        parser.add_argument("--host", help="create, learning: the commissioning body hosting it")
        parser.add_argument(
            "--rate",
            type=rate,
            action="append",
            default=[],
            metavar="NAME:PRICE[:BOOK_BY]",
            help="create, learning: a ticket rate (repeat for more)",
        )
        parser.add_argument("--reason", default="", help="cancel: the reason attendees will read")
        parser.add_argument("--out", help="bookings: write the CSV here (default: standard output)")
        parser.add_argument(
            "--attended",
            action="append",
            default=[],
            metavar="REFERENCE",
            help="attend: a booking that attended (repeat)",
        )
        parser.add_argument("--absent", action="append", default=[], metavar="REFERENCE", help="attend: a booking that did not (repeat)")  # fmt: skip

    def handle(self, *args, verb, event, username, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        self.user, self.viewer = user, viewer_for_user(user)
        try:
            if verb == "list":
                return self._list()
            if verb == "create":
                return self._create(options)
            if event is None:
                raise CommandError(f"Name the event: mutuals events {verb} ID --as {username}.")
            found = access.events(self.viewer).filter(pk=event).first()
            if found is None:
                raise CommandError(f"There is no event {event} that {username} may see.")
            getattr(self, f"_{verb}")(found, options)
        except EventInvalid as error:
            raise CommandError(
                "; ".join(f"--{f.replace('_', '-')}: {r}" for f, r in error.problems.items())
            ) from None
        except EventError as error:
            raise CommandError(str(error)) from None

    def _list(self) -> None:
        for event in access.events(self.viewer).order_by("starts_at", "pk"):
            numbers = attendance.totals(attendance.numbers(event))
            self.stdout.write(
                f"{event.pk:>6}  {event.status:<9} {event.kind:<12} "
                f"{timezone.localtime(event.starts_at):%Y-%m-%d %H:%M}  {event.title}  "
                f"({numbers.booked}/{event.capacity} booked, {numbers.waiting} waiting)"
            )

    def _create(self, options) -> None:
        missing = [f"--{n}" for n in ("title", "starts", "ends", "capacity") if not options[n]]
        if missing:
            raise CommandError(f"create needs {', '.join(missing)}.")
        consultation = options["kind"] == EventKind.CONSULTATION
        provider = host = ballot = None
        if consultation:
            if not options["provider"]:
                raise CommandError("A consultation meeting needs --provider.")
            provider = organisation_by_key(
                options["provider"], provider_because="staff are consulted at a provider"
            )
            if options["ballot"]:
                ballot = Ballot.objects.filter(pk=options["ballot"], organisation=provider).first()
                if ballot is None:
                    raise CommandError(f"{provider.name} has no ballot {options['ballot']}.")
        elif options["host"]:
            host = organisation_by_key(options["host"])
        draft = organising.EventDraft(
            kind=options["kind"], title=options["title"], description=options["description"],
            starts_at=options["starts"], ends_at=options["ends"], capacity=options["capacity"],
            booking_deadline=options["deadline"] or options["starts"], venue=options["venue"],
            online_url=options["online_url"], accessibility=options["accessibility"],
            provider=provider, host=host, ballot=ballot, rates=options["rate"],
        )  # fmt: skip
        event = organising.create_event(self.viewer, self.user, draft)
        rates = ", ".join(f"{r.name} £{r.price}" for r in event.rates.all()) or "no rates yet"
        self.stdout.write(f"Created event {event.pk} (a draft): {event.title}; {rates}.")

    def _publish(self, event: Event, options) -> None:
        organising.publish_event(self.viewer, self.user, event)
        self.stdout.write(f"Published event {event.pk}: {event.get_absolute_url()}")

    def _cancel(self, event: Event, options) -> None:
        organising.cancel_event(self.viewer, self.user, event, options["reason"])
        self.stdout.write(f"Cancelled event {event.pk}; everyone booked or waiting is emailed.")

    def _bookings(self, event: Event, options) -> None:
        if not access.may_see_bookings(self.viewer, event):
            raise CommandError(f"Only the organisers of event {event.pk} may see its bookings.")
        data = exports.bookings_csv(event)
        if options["out"]:
            Path(options["out"]).write_bytes(data)
            self.stdout.write(f"Wrote {options['out']}.")
        else:
            sys.stdout.flush()
            self.stdout.write(data.decode(), ending="")

    def _attend(self, event: Event, options) -> None:
        marks = {ref: True for ref in options["attended"]} | {
            ref: False for ref in options["absent"]
        }
        if not marks:
            raise CommandError("Give --attended or --absent with booking references.")
        done = attendance.mark_attendance(self.viewer, self.user, event, marks)
        came = sum(done.values())
        self.stdout.write(
            f"Marked {came} attended and {len(done) - came} absent at event {event.pk}."
        )
