"""Open data for public learning events (never attendees), and ``mutuals events``."""

from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from events.event_world import book, booker, soon
from mutuals.events.models import Booking, Event


def test_open_data_lists_published_learning_events_and_no_attendee(client, learning_event, meeting):
    booking = book(booker(), learning_event)
    response = client.get(reverse("open-data-table", args=["learning-events", "csv"]))
    assert response.status_code == 200
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["title"] for row in rows] == [learning_event.title]  # no meeting, no draft
    assert rows[0]["places_taken"] == "1" and "Early bird £45.00 until" in rows[0]["rates"]
    assert booking.email not in text and booking.name not in text and booking.reference not in text
    assert "meet.example.org" not in text  # the link is for booked attendees only
    parquet = client.get(reverse("open-data-table", args=["learning-events", "parquet"]))
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == 1
    assert "Learning events" in client.get(reverse("open-data")).content.decode()


def run(*args) -> str:
    out = io.StringIO()
    call_command("events", *args, stdout=out)
    return out.getvalue()


def test_organisers_run_events_from_the_command_line(people, world, tmp_path):
    start = soon(days=20).strftime("%Y-%m-%dT10:00")
    created = run(
        "create", "--as", "c@example.org", "--title", "Joint commissioning clinic",
        "--starts", start, "--ends", start.replace("T10", "T12"), "--capacity", "2",
        "--venue", "Town hall", "--host", "5QX", "--deadline", start.replace("T10", "T08"),
        "--rate", "Early bird:20:" + soon(days=5).strftime("%Y-%m-%dT%H:%M"),
        "--rate", "Standard:30",
    )  # fmt: skip
    event = Event.objects.get(title="Joint commissioning clinic")
    assert f"Created event {event.pk}" in created and event.host == world["pct"]
    assert "Published" in run("publish", str(event.pk), "--as", "c@example.org")
    attendee = book(booker(), event, "Early bird")
    # Text that would run as a formula in a spreadsheet is neutralised in the CSV.
    Booking.objects.filter(pk=attendee.pk).update(organisation='=HYPERLINK("http://x","y")')
    out = tmp_path / "bookings.csv"
    run("bookings", str(event.pk), "--as", "c@example.org", "--out", str(out))
    (row,) = csv.DictReader(out.open())
    assert row["organisation"] == '\'=HYPERLINK("http://x","y")' and row["price"] == "20.0"
    assert str(event.pk) in run("list", "--as", "c@example.org")
    # Attendance is marked from the day of the event.
    with pytest.raises(CommandError, match="from the day of the event"):
        run("attend", str(event.pk), "--as", "c@example.org", "--attended", attendee.reference)
    Event.objects.filter(pk=event.pk).update(starts_at=soon(minutes=-5))
    assert "Marked 1 attended" in run("attend", str(event.pk), "--as", "c@example.org",
                                      "--attended", attendee.reference)  # fmt: skip
    # Someone else's event cannot be organised, and problems are named by option.
    with pytest.raises(CommandError, match="Only the event.s organisers can change it"):
        run("publish", str(event.pk), "--as", "pm@example.org")
    with pytest.raises(CommandError, match="--reason"):
        run("cancel", str(event.pk), "--as", "c@example.org", "--reason", "no")
    assert "Cancelled" in run("cancel", str(event.pk), "--as", "c@example.org",
                              "--reason", "The hall is closed.")  # fmt: skip


def test_a_manager_creates_a_consultation_meeting(people, world):
    start = soon(days=9).strftime("%Y-%m-%dT12:00")
    run("create", "--as", "pm@example.org", "--kind", "consultation", "--provider", "NQX01",
        "--title", "Questions on spinning out", "--starts", start,
        "--ends", start.replace("T12", "T13"), "--capacity", "25", "--venue", "Staff room")  # fmt: skip
    event = Event.objects.get()
    assert event.provider == world["health"] and event.rates.get().price == 0
    with pytest.raises(CommandError, match="cannot organise"):
        run("create", "--as", "pm@example.org", "--kind", "consultation", "--provider",
            "RS007001", "--title", "Not ours", "--starts", start,
            "--ends", start.replace("T12", "T13"), "--capacity", "5", "--venue", "Room")  # fmt: skip


def test_digests_hear_of_events_published_in_their_period(people, world, learning_event, meeting):
    from events.event_world import staff_member
    from mutuals.accounts.permissions import ANONYMOUS, viewer_for_user
    from mutuals.events.digest import published_in

    since, until = soon(days=-1), soon(minutes=1)
    assert published_in(ANONYMOUS, since, until) == []  # the public cannot book
    staff = viewer_for_user(staff_member(world["health"]))
    assert {line.title for line in published_in(staff, since, until)} == {
        learning_event.title, meeting.title,
    }  # fmt: skip
    commissioner = viewer_for_user(people["commissioner"])
    assert [line.title for line in published_in(commissioner, since, until)] == [
        learning_event.title
    ]
    assert published_in(staff, soon(days=-3), soon(days=-2)) == []
