"""The booking journey: one question a page, check your answers, then confirmation.

Answers are kept in the session as each form's raw data until the check page books the
place in one call to :func:`mutuals.events.booking.book`, which decides by the database's
clock whether the rate is still open and whether a place is free (otherwise the person
joins the waiting list at that rate). Questions that do not apply are skipped: the ticket
when only one can be chosen, how to pay for a free place.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.names import display_name
from mutuals.accounts.permissions import viewer_for
from mutuals.events import booking as service
from mutuals.events import config
from mutuals.events.errors import EventError, EventInvalid, RateClosed
from mutuals.events.models import Event, PaymentMethod, Rate
from mutuals.web.event_forms import (
    AccessForm,
    AttendeeForm,
    BillingForm,
    PaymentForm,
    RateForm,
    rate_label,
)
from mutuals.web.views.events import visible_event

TITLES = {
    "rate": "Choose your ticket",
    "attendee": "Who is attending?",
    "access": "Access needs",
    "payment": "Payment",
    "billing": "Invoice details",
}


def _key(event: Event) -> str:
    return f"mutuals:booking:{event.pk}"


def _choosable(request, event: Event) -> list[Rate]:
    """Rates this person could choose now: open, and staff rates only for the staff the
    register shows (the booking itself checks both again, by the database's clock)."""
    now = timezone.now()
    day = service.event_day(event)
    rates = []
    for rate in event.rates.select_related("staff_of"):
        provider = event.provider if event.is_consultation else rate.staff_of
        if not rate.open_at(now):
            continue
        if provider is not None and service.staff_person(request.user, provider, day) is None:
            continue
        rates.append(rate)
    return rates


def _chosen_rate(raw: dict, rates: list[Rate]) -> Rate | None:
    """The rate chosen, while it can still be chosen; the only rate, if none was asked for.
    A rate chosen that has closed since is never swapped for another without asking."""
    if "rate" not in raw:
        return rates[0] if len(rates) == 1 else None
    wanted = str(raw["rate"].get("rate", ""))
    return next((rate for rate in rates if str(rate.pk) == wanted), None)


def _closed_choice(event: Event, raw: dict, rates: list[Rate]) -> Rate | None:
    """The rate the person chose if its "book by" moment has passed since."""
    wanted = str(raw.get("rate", {}).get("rate", ""))
    if not wanted.isdigit() or any(str(rate.pk) == wanted for rate in rates):
        return None
    chosen = event.rates.filter(pk=int(wanted)).first()
    if chosen is None or chosen.open_at(timezone.now()):
        return None
    return chosen


def _steps(event: Event, raw: dict, rates: list[Rate]) -> list[str]:
    # Once asked, the question stays: a ticket chosen may close and need choosing again.
    steps = ["rate"] if len(rates) > 1 or "rate" in raw else []
    steps += ["attendee", "access"]
    rate = _chosen_rate(raw, rates)
    if rate is not None and rate.price > 0:
        steps += ["payment", "billing"]
    return steps


def _form(request, event: Event, step: str, rates: list[Rate], raw: dict, data=None):
    if step == "rate":
        return RateForm(data, rates=rates)
    if step == "attendee":
        return AttendeeForm(data, staff_place=event.is_consultation)
    if step == "access":
        return AccessForm(data)
    if step == "payment":
        return PaymentForm(data)
    method = raw.get("payment", {}).get("payment_method")
    return BillingForm(data, purchase_order=method == PaymentMethod.PURCHASE_ORDER)


def _as_data(values: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    data.update(values)
    return data


def _step_url(event: Event, step: str) -> str:
    return reverse("event-book-step", args=[event.pk, step])


def _bookable(request, pk: int) -> tuple[Event, list[Rate]]:
    event = visible_event(request, pk, "book")
    rates = _choosable(request, event)
    if not rates:
        raise Http404("No ticket can be chosen")
    return event, rates


@login_required
def start(request, pk: int):
    event, rates = _bookable(request, pk)
    user = request.user
    request.session[_key(event)] = {
        "attendee": {
            "name": display_name(user) if user.first_name else "",
            "email": user.email or (user.username if "@" in user.username else ""),
        },
    }
    steps = _steps(event, {}, rates)
    return redirect(_step_url(event, steps[0]))


def _raw(request, event: Event) -> dict:
    raw = request.session.get(_key(event))
    if raw is None:
        raise Http404("No booking is being made: start again from the event's page")
    return raw


@login_required
def step(request, pk: int, step: str):
    event, rates = _bookable(request, pk)
    raw = _raw(request, event)
    steps = _steps(event, raw, rates)
    if step not in steps:
        raise Http404("No such question")
    data = request.POST if request.method == "POST" else None
    form = _form(request, event, step, rates, raw, data)
    if data is not None and form.is_valid():
        raw[step] = {name: data.get(name, "") for name in form.fields}
        request.session[_key(event)] = raw
        steps = _steps(event, raw, rates)  # choosing a paid ticket adds the payment questions
        following = steps.index(step) + 1
        if following == len(steps) or (
            request.GET.get("from") == "check" and _complete(event, raw, rates)
        ):
            return redirect("event-book-check", pk=event.pk)
        return redirect(_step_url(event, steps[following]))
    if data is None:
        form.initial = raw.get(step, {})
        if step == "rate" and (closed := _closed_choice(event, raw, rates)) is not None:
            form = _form(request, event, step, rates, raw, _as_data(raw["rate"]))
            form.is_valid()
            form.errors["rate"] = form.error_class(
                [
                    f"The {closed.name} rate closed at "
                    f"{timezone.localtime(closed.book_by):%-d %B %Y %H:%M}: choose another ticket"
                ]
            )
    position = steps.index(step)
    return render(
        request,
        "mutuals/events/book_step.html",
        {
            "event": event,
            "form": form,
            "step": step,
            "heading": TITLES[step],
            "action": request.get_full_path(),
            "back": _step_url(event, steps[position - 1]) if position else event.get_absolute_url(),
            "full": event.held >= event.capacity,
        },
        status=400 if form.errors else 200,
    )


def _complete(event: Event, raw: dict, rates: list[Rate]) -> bool:
    """Whether every question asked has a valid answer (the first one missing, otherwise)."""
    return _first_unanswered(event, raw, rates) is None


def _first_unanswered(event: Event, raw: dict, rates: list[Rate]) -> str | None:
    for name in _steps(event, raw, rates):
        if not _form(None, event, name, rates, raw, _as_data(raw.get(name, {}))).is_valid():
            return name
    return None


def _answers(event: Event, raw: dict, rates: list[Rate]):
    rate = _chosen_rate(raw, rates)
    attendee = service.Attendee(
        name=raw["attendee"].get("name", ""),
        organisation=raw["attendee"].get("organisation", ""),
        email=raw["attendee"].get("email", ""),
        access_needs=raw.get("access", {}).get("access_needs", ""),
    )
    billing = None
    if rate.price > 0:
        details = raw["billing"]
        billing = service.Billing(
            method=raw["payment"]["payment_method"],
            organisation=details.get("billing_organisation", ""),
            address=details.get("billing_address", ""),
            email=details.get("billing_email", ""),
            purchase_order=details.get("purchase_order", ""),
        )
    return rate, attendee, billing


@login_required
def check(request, pk: int):
    event, rates = _bookable(request, pk)
    raw = _raw(request, event)
    missing = _first_unanswered(event, raw, rates)
    if missing is not None:
        return redirect(_step_url(event, missing))
    rate, attendee, billing = _answers(event, raw, rates)
    problems = []
    if request.method == "POST":
        try:
            booking = service.book(
                viewer_for(request), request.user, event.pk, rate.pk, attendee, billing
            )
        except EventError as error:
            problems = _problems(event, error, rates, raw)
        else:
            del request.session[_key(event)]
            return redirect("booking-done", reference=booking.reference)
    steps = _steps(event, raw, rates)
    return render(
        request,
        "mutuals/events/book_check.html",
        {
            "event": event,
            "rate": rate,
            "rate_label": rate_label(rate),
            "attendee": attendee,
            "billing": billing,
            "payment_label": dict(PaymentForm.base_fields["payment_method"].choices).get(
                billing.method if billing else ""
            ),
            "change": {name: _step_url(event, name) + "?from=check" for name in steps},
            "full": event.held >= event.capacity,
            "action": request.path,
            "problems": problems,
            "retention_days": config.retention_days(),
            "back": _step_url(event, steps[-1]),
        },
        status=409 if problems else 200,
    )


def _problems(
    event: Event, error: EventError, rates: list[Rate], raw: dict
) -> list[tuple[str, str]]:
    """The booking's refusal on the check page, each linking to where it can be put right."""
    if isinstance(error, RateClosed):
        asked = "rate" in _steps(event, raw, rates)
        where = _step_url(event, "rate") + "?from=check" if asked else event.get_absolute_url()
        return [(where, str(error))]
    if isinstance(error, EventInvalid):
        return [("#main-content", reason) for reason in error.problems.values()]
    return [("#main-content", str(error))]
