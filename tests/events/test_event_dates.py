"""The organisers' event forms ask for each moment (start, end, booking deadline, a ticket's
book-by) with the GOV.UK date input and a time box beside it, read as UK time. A wrong date
or time re-shows the form with an error summary naming the field, highlights only the wrong
boxes, answers 400 and saves nothing."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse

from mutuals.events.models import Event, Rate
from web.date_boxes import assert_refused, highlighted, moment_boxes, page

LONDON = zoneinfo.ZoneInfo("Europe/London")
STARTS = dt.datetime(2030, 6, 4, 10, 0, tzinfo=LONDON)  # British Summer Time: 09:00 UTC
ENDS = dt.datetime(2030, 6, 4, 16, 30, tzinfo=LONDON)
DEADLINE = dt.datetime(2030, 6, 1, 17, 0, tzinfo=LONDON)
EVENT = {
    "title": "Pooled budgets in practice",
    "description": "",
    "venue": "Town hall",
    "online_url": "",
    "capacity": "20",
    "accessibility": "",
    **moment_boxes("starts_on", "starts_time", STARTS),
    **moment_boxes("ends_on", "ends_time", ENDS),
    **moment_boxes("deadline_on", "deadline_time", DEADLINE),
}
MOMENTS = [
    ("starts_on", "Date the event starts", "starts_time", "Time the event starts"),
    ("ends_on", "Date the event ends", "ends_time", "Time the event ends"),
    ("deadline_on", "Date booking closes", "deadline_time", "Time booking closes"),
]


@pytest.fixture
def organiser(client, people):
    client.force_login(people["commissioner"])
    return client


@pytest.fixture
def learning_data(world) -> dict:
    return EVENT | {"host": str(world["pct"].pk)}


def new_event(kind: str = "learning") -> str:
    return reverse("event-new") + f"?kind={kind}"


def time_box(html: str, name: str) -> str | None:
    """The value shown in the time box ``name``."""
    found = re.search(rf'id="id_{name}" name="{name}" type="text" value="([^"]*)"', html)
    return found and found[1]


def test_the_event_form_asks_each_moment_as_a_date_input_and_a_time(organiser):
    html = page(organiser.get(new_event()), 200)
    for date_name, legend, time_name, label in MOMENTS:
        assert f'<div class="govuk-date-input" id="id_{date_name}">' in html
        assert f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}' in html
        for part in ("day", "month", "year"):
            assert f'name="{date_name}-{part}"' in html
        assert f'<label class="govuk-label govuk-label--s" for="id_{time_name}">{label}' in html
        assert f'<div id="id_{time_name}-hint" class="govuk-hint">For example, 17:00</div>' in html
    for old in ("starts_at", "ends_at", "booking_deadline"):
        assert f'name="{old}"' not in html


def test_a_learning_event_posted_in_boxes_has_the_moments_given(organiser, learning_data):
    response = organiser.post(new_event(), learning_data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.starts_at, event.ends_at, event.booking_deadline) == (STARTS, ENDS, DEADLINE)
    assert event.starts_at.astimezone(dt.UTC).hour == 9  # read as UK time


def test_the_times_may_be_typed_as_people_write_them(organiser, learning_data):
    typed = {"starts_time": "10am", "ends_time": "4.30pm", "deadline_time": "5pm"}
    assert organiser.post(new_event(), learning_data | typed).status_code == 302
    event = Event.objects.get()
    assert (event.starts_at, event.ends_at, event.booking_deadline) == (STARTS, ENDS, DEADLINE)


@pytest.mark.parametrize(
    ("changes", "name", "message", "wrong"),
    [
        ({"starts_on-month": ""}, "starts_on", "The date the event starts must include a month", ["month"]),
        ({"ends_on-day": "31"}, "ends_on", "The date the event ends must be a real date", ["day"]),
        ({"ends_on-month": "13"}, "ends_on", "The date the event ends must be a real date", ["month"]),
        ({"deadline_on-year": "30"}, "deadline_on", "Year must include 4 numbers", ["year"]),
        ({"deadline_on-day": "", "deadline_on-month": "", "deadline_on-year": ""}, "deadline_on", "Enter the date booking closes", ["day", "month", "year"]),
        # The service's problems with the moments, shown on their date inputs as a whole.
        ({"ends_on-day": "3"}, "ends_on", "The end must be after the start", ["day", "month", "year"]),
        ({"deadline_on-day": "5"}, "deadline_on", "Booking must close by the time the event starts", ["day", "month", "year"]),
    ],
)  # fmt: skip
def test_a_wrong_event_date_is_named_and_nothing_is_saved(
    organiser, learning_data, changes, name, message, wrong
):
    html = page(organiser.post(new_event(), learning_data | changes), 400)
    assert_refused(html, name, message)
    assert highlighted(html, name) == wrong
    others = {date_name for date_name, *_ in MOMENTS} - {name}
    assert all(highlighted(html, other) == [] for other in others)
    assert not Event.objects.exists()


def test_a_wrong_event_time_is_named_on_its_box_and_nothing_is_saved(organiser, learning_data):
    wrong = {"starts_time": "25:00", "deadline_time": ""}
    html = page(organiser.post(new_event(), learning_data | wrong), 400)
    assert (
        '<a href="#id_starts_time">The time the event starts must be a real time, like 17:00'
        in html
    )
    assert '<a href="#id_deadline_time">Enter the time booking closes</a>' in html
    assert time_box(html, "starts_time") == "25:00"  # kept as typed
    assert not Event.objects.exists()


def test_a_consultation_meeting_with_a_wrong_date_saves_nothing(client, people, world):
    client.force_login(people["provider_manager"])
    data = EVENT | {"provider": str(world["health"].pk), "ballot": "", "starts_on-day": "x"}
    html = page(client.post(new_event("consultation"), data), 400)
    assert_refused(html, "starts_on", "The date the event starts must be a real date")
    assert highlighted(html, "starts_on") == ["day"]
    assert not Event.objects.exists()
    assert client.post(new_event("consultation"), data | {"starts_on-day": "4"}).status_code == 302
    assert Event.objects.get().starts_at == STARTS


def test_changing_an_event_shows_its_moments_in_uk_time_and_saves_the_new_ones(
    client, people, learning_event
):
    client.force_login(people["auditor"])
    url = reverse("event-edit", args=[learning_event.pk])
    html = page(client.get(url), 200)
    local = learning_event.starts_at.astimezone(LONDON)
    assert f'name="starts_on-year" type="text" inputmode="numeric" value="{local.year}"' in html
    assert f'name="starts_on-day" type="text" inputmode="numeric" value="{local.day}"' in html
    assert time_box(html, "starts_time") == f"{local:%H:%M}"
    changed = {
        "title": learning_event.title, "description": learning_event.description,
        "venue": learning_event.venue, "online_url": learning_event.online_url,
        "capacity": "10", "accessibility": learning_event.accessibility,
        **moment_boxes("starts_on", "starts_time", STARTS),
        **moment_boxes("ends_on", "ends_time", ENDS),
        **moment_boxes("deadline_on", "deadline_time", DEADLINE),
    }  # fmt: skip
    bad = page(client.post(url, changed | {"ends_on-year": "2O30"}), 400)
    assert_refused(bad, "ends_on", "The date the event ends must be a real date")
    learning_event.refresh_from_db()
    assert learning_event.starts_at != STARTS  # nothing saved
    assert client.post(url, changed).status_code == 302
    learning_event.refresh_from_db()
    assert (learning_event.starts_at, learning_event.ends_at) == (STARTS, ENDS)
    assert learning_event.booking_deadline == DEADLINE


# --- tickets -------------------------------------------------------------------------------

BOOK_BY = dt.datetime(2030, 5, 1, 23, 59, tzinfo=LONDON)
RATE = {"name": "Super early", "price": "30", "staff_of": ""}


def test_a_ticket_rate_takes_its_book_by_moment_in_boxes(client, people, learning_event):
    client.force_login(people["auditor"])
    url = reverse("event-rates", args=[learning_event.pk])
    html = page(client.get(url), 200)
    assert '<div class="govuk-date-input" id="id_book_by_on">' in html
    assert "Book-by date (optional)" in html and "Book-by time (optional)" in html
    data = RATE | moment_boxes("book_by_on", "book_by_time", BOOK_BY)
    assert client.post(url, data).status_code == 302
    assert learning_event.rates.get(name="Super early").book_by == BOOK_BY
    # Left empty, the rate is open until booking closes.
    assert client.post(url, RATE | {"name": "Late"}).status_code == 302
    assert learning_event.rates.get(name="Late").book_by is None


@pytest.mark.parametrize(
    ("changes", "anchor", "message"),
    [
        ({"book_by_time": ""}, "id_book_by_time", "Enter the book-by time, or leave the book-by date and time empty"),
        ({"book_by_on-day": "", "book_by_on-month": "", "book_by_on-year": ""}, "id_book_by_on-day", "Enter the book-by date, or leave the book-by date and time empty"),
        ({"book_by_on-day": "30", "book_by_on-month": "2"}, "id_book_by_on-day", "The book-by date must be a real date"),
        ({"book_by_time": "noonish"}, "id_book_by_time", "The book-by time must be a real time, like 17:00"),
    ],
)  # fmt: skip
def test_a_wrong_book_by_moment_is_named_and_no_rate_is_added(
    client, people, learning_event, changes, anchor, message
):
    client.force_login(people["auditor"])
    url = reverse("event-rates", args=[learning_event.pk])
    data = RATE | moment_boxes("book_by_on", "book_by_time", BOOK_BY) | changes
    html = page(client.post(url, data), 400)
    assert "There is a problem" in html
    assert f'<a href="#{anchor}">{message}</a>' in html
    assert "(optional)" not in message
    assert not Rate.objects.filter(name="Super early").exists()
