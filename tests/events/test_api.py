"""The events API: list, read, book and cancel, with the web's rules and scopes."""

from __future__ import annotations

import pytest

from api.conftest import Api
from events.event_world import (
    booker,
    staff_member,
)
from mutuals.accounts.models import ApiToken
from mutuals.accounts.permissions import ROLES, viewer_for_user
from mutuals.events import access
from mutuals.events.models import Booking, Event, Rate

PROBLEM = "application/problem+json"


def token_for(user, scopes=("read", "book-events")) -> str:
    return ApiToken.objects.issue(user, list(scopes))[1]


@pytest.fixture
def api(client):
    return Api(client)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_what_the_role_may_see(api, people, learning_event, meeting, role):
    user = people[role]
    token = token_for(user) if user else None
    listed = ids(api.get("/events", token=token))
    expected = set(access.events(viewer_for_user(user)).values_list("pk", flat=True))
    assert listed == expected
    assert (meeting.pk in listed) is (role in ("provider_manager", "provider_staff", "auditor"))
    detail = api.get(f"/events/{meeting.pk}", token=token)
    assert detail.status_code == (200 if meeting.pk in listed else 404)


def test_an_event_s_detail_gives_its_rates_and_hides_the_link(api, learning_event):
    body = api.get(f"/events/{learning_event.pk}").json()
    assert [(r["name"], r["price"], r["open"]) for r in body["rates"]] == [
        ("Early bird", "45.00", True), ("Standard", "75.00", True)
    ]  # fmt: skip
    assert body["online"] is True and body["online_url"] is None
    assert body["places_left"] == 10 and body["your_booking"] is None


def test_booking_through_the_api(api, world, learning_event):
    user = booker("commissioner", world["pct"])
    token = token_for(user)
    early = learning_event.rates.get(name="Early bird")
    body = {"rate": early.pk, "name": "Ada Quill", "organisation": "Brackenford PCT",
            "email": "ada@example.org", "access_needs": "",
            "billing": {"method": "purchase_order", "organisation": "Brackenford PCT",
                        "address": "1 Trust Way", "email": "finance@example.org",
                        "purchase_order": "PO-1"}}  # fmt: skip
    made = api.post(f"/events/{learning_event.pk}/bookings", body, token=token)
    assert made.status_code == 201, made.content
    booking = made.json()
    assert (booking["status"], booking["price"], booking["rate"]) == (
        "booked",
        "45.00",
        "Early bird",
    )
    assert booking["invoice"].startswith("EV")
    detail = api.get(f"/events/{learning_event.pk}", token=token).json()
    assert detail["your_booking"] == booking["reference"]
    assert detail["online_url"] == "https://meet.example.org/integration-day"
    again = api.post(f"/events/{learning_event.pk}/bookings", body, token=token)
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert again.json()["type"] == "/api/v1/problems/booking-refused"
    cancelled = api.post(f"/bookings/{booking['reference']}/cancel", {}, token=token)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    twice = api.post(f"/bookings/{booking['reference']}/cancel", {}, token=token)
    assert twice.status_code == 409


def test_a_closed_rate_and_missing_payment_are_named(api, world, learning_event):
    token = token_for(booker("commissioner", world["pct"]))
    early = learning_event.rates.get(name="Early bird")
    Rate.objects.filter(pk=early.pk).update(book_by=learning_event.created_at)
    body = {"rate": early.pk, "name": "A", "email": "a@example.org"}
    closed = api.post(f"/events/{learning_event.pk}/bookings", body, token=token)
    assert closed.status_code == 409 and "The Early bird rate closed" in closed.json()["detail"]
    standard = {**body, "rate": learning_event.rates.get(name="Standard").pk}
    unpaid = api.post(f"/events/{learning_event.pk}/bookings", standard, token=token)
    assert unpaid.status_code == 422
    assert unpaid.json()["errors"][0]["field"] == "billing"
    bad = api.post(
        f"/events/{learning_event.pk}/bookings", {**standard, "email": "nope"}, token=token
    )
    assert {e["field"] for e in bad.json()["errors"]} == {"email"}


def test_booking_needs_the_book_events_scope(api, world, learning_event):
    token = token_for(booker("commissioner", world["pct"]), scopes=["read"])
    rate = learning_event.rates.get(name="Standard")
    refused = api.post(f"/events/{learning_event.pk}/bookings", {"rate": rate.pk}, token=token)
    assert refused.status_code == 403 and "the book-events scope" in refused.json()["detail"]
    assert api.post(f"/events/{learning_event.pk}/bookings", {"rate": rate.pk}).status_code == 401


def test_a_staff_meeting_through_the_api_follows_the_register(api, world, people, meeting):
    rate = meeting.rates.get()
    body = {"rate": rate.pk, "name": "Sam", "email": "sam@example.org"}
    no_entry = api.post(
        f"/events/{meeting.pk}/bookings", body, token=token_for(people["provider_staff"])
    )
    assert no_entry.status_code == 403 and "member register" in no_entry.json()["detail"]
    staff = staff_member(world["health"])
    made = api.post(f"/events/{meeting.pk}/bookings", body, token=token_for(staff))
    assert made.status_code == 201 and made.json()["price"] == "0.00"
    outsider = api.post(
        f"/events/{meeting.pk}/bookings", body, token=token_for(people["commissioner"])
    )
    assert outsider.status_code == 404  # the meeting is not theirs to see


def test_a_full_event_puts_api_bookers_on_the_waiting_list(api, world, learning_event):
    Event.objects.filter(pk=learning_event.pk).update(capacity=1)
    rate = learning_event.rates.get(name="Early bird")
    statuses = []
    for n in range(2):
        token = token_for(booker("commissioner", world["pct"]))
        body = {"rate": rate.pk, "name": f"P{n}", "email": f"p{n}@example.org",
                "billing": {"method": "invoice", "organisation": "PCT", "address": "1 Way",
                            "email": "f@example.org"}}  # fmt: skip
        statuses.append(
            api.post(f"/events/{learning_event.pk}/bookings", body, token=token).json()["status"]
        )
    assert statuses == ["booked", "waiting"]
    assert Booking.objects.filter(status="waiting").get().price == 45
