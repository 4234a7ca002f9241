"""The organisers' journey: create an event, change it and its rates, publish or cancel
it; see its bookings and waiting list, download them, and mark attendance on the day.

Who may do each is :mod:`mutuals.events.access` (the permission matrix); every step calls
:mod:`mutuals.events.organising` or :mod:`mutuals.events.attendance`, and their refusals
are shown on the page they came from.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mutuals.accounts.permissions import viewer_for
from mutuals.events import access, attendance, exports, organising
from mutuals.events.errors import EventError, EventInvalid
from mutuals.events.models import BookingStatus, Event, EventKind, EventStatus
from mutuals.governance.models import Ballot, BallotStatus
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.web.access import posted
from mutuals.web.event_forms import (
    MOMENTS,
    CancelEventForm,
    ConsultationForm,
    LearningForm,
    NewRateForm,
)
from mutuals.web.time_input import moment_initial
from mutuals.web.views.events import crumbs, event_detail, visible_event

FIELDS = ("title", "description", "venue", "online_url", "capacity", "accessibility")
# Where on the form the service's problem with a moment is shown: its date input.
MOMENT_FIELDS = {moment: day for moment, day, _time in MOMENTS}


def _organised(request, pk: int) -> Event:
    """The event, if the viewer may change it (404 if they cannot see it, 403 otherwise)."""
    event = visible_event(request, pk)
    if not access.may_change(viewer_for(request), event):
        raise PermissionDenied
    return event


def _form(request, kind: str, data=None, **kwargs):
    viewer = viewer_for(request)
    if kind == EventKind.CONSULTATION:
        providers = access.organisable_providers(viewer)
        ballots = (
            Ballot.objects.filter(organisation__in=providers)
            .exclude(status=BallotStatus.TALLIED)
            .select_related("organisation")
        )
        return ConsultationForm(data, providers=providers, ballots=ballots, **kwargs)
    return LearningForm(data, hosts=access.organisable_hosts(viewer), **kwargs)


def _draft(kind: str, data: dict, event: Event | None = None) -> organising.EventDraft:
    provider = host = ballot = None
    if kind == EventKind.CONSULTATION:
        provider = event.provider if event else Organisation.objects.get(pk=data["provider"])
        ballot = (
            Ballot.objects.filter(pk=data.get("ballot")).first() if data.get("ballot") else None
        )
    elif event is not None:
        host = event.host
    elif data.get("host"):
        host = Organisation.objects.filter(
            pk=data["host"], kind=OrganisationKind.COMMISSIONER
        ).first()
    return organising.EventDraft(
        kind=kind,
        provider=provider,
        host=host,
        ballot=ballot,
        description=data["description"],
        venue=data["venue"],
        online_url=data["online_url"] or "",
        accessibility=data["accessibility"],
        title=data["title"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        capacity=data["capacity"],
        booking_deadline=data["booking_deadline"],
    )


def _show_problems(form, error: EventInvalid) -> None:
    for field, reason in error.problems.items():
        field = MOMENT_FIELDS.get(field, field)
        form.add_error(field if field in form.fields else None, reason)


def event_new(request):
    viewer = viewer_for(request)
    kind = request.GET.get("kind", EventKind.LEARNING)
    allowed = {
        EventKind.LEARNING: bool(access.organisable_hosts(viewer)),
        EventKind.CONSULTATION: bool(access.organisable_providers(viewer)),
    }
    if not allowed.get(kind):
        raise PermissionDenied
    form = _form(request, kind, posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            event = organising.create_event(viewer, request.user, _draft(kind, form.cleaned_data))
        except EventInvalid as error:
            _show_problems(form, error)
        except EventError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "The event is saved as a draft")
            return redirect("event-rates" if kind == EventKind.LEARNING else "event", pk=event.pk)
    return render(
        request,
        "mutuals/events/edit.html",
        {
            "form": form,
            "kind": kind,
            "heading": "Create a learning event"
            if kind == EventKind.LEARNING
            else "Create a staff consultation meeting",
            "action": request.get_full_path(),
            "breadcrumbs": crumbs(),
        },
        status=400 if form.errors else 200,
    )


def event_edit(request, pk: int):
    event = _organised(request, pk)
    initial = {name: getattr(event, name) for name in FIELDS}
    for moment, day, time in MOMENTS:
        initial |= moment_initial(day, time, getattr(event, moment))
    initial |= {"provider": event.provider_id, "ballot": event.ballot_id, "host": event.host_id}
    form = _form(request, event.kind, posted(request), initial=initial)
    for fixed in ("provider", "host"):
        form.fields.pop(fixed, None)  # an event stays with its provider or host
    if request.method == "POST" and form.is_valid():
        try:
            organising.update_event(
                viewer_for(request),
                request.user,
                event,
                _draft(event.kind, form.cleaned_data, event),
            )
        except EventInvalid as error:
            _show_problems(form, error)
        except EventError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                "The event is changed; booked attendees are told of any change to its time, place or link",
            )
            return redirect(event)
    return render(
        request,
        "mutuals/events/edit.html",
        {
            "form": form,
            "event": event,
            "kind": event.kind,
            "heading": "Change the event",
            "action": request.path,
            "breadcrumbs": crumbs(event),
        },
        status=400 if form.errors else 200,
    )


def event_rates(request, pk: int):
    event = _organised(request, pk)
    providers = Organisation.objects.filter(kind=OrganisationKind.PROVIDER).order_by("name")
    form = NewRateForm(posted(request), providers=providers)
    problem = ""
    if request.method == "POST":
        if "remove" in request.POST:
            try:
                organising.remove_rate(
                    viewer_for(request), request.user, event, int(request.POST["remove"])
                )
            except (EventError, ValueError) as error:
                problem = str(error)
            else:
                messages.success(request, "The rate is removed")
                return redirect("event-rates", pk=event.pk)
        elif form.is_valid():
            data = form.cleaned_data
            rate = organising.RateDraft(
                name=data["name"],
                price=data["price"],
                book_by=data["book_by"],
                staff_of=providers.filter(pk=data["staff_of"]).first()
                if data["staff_of"]
                else None,
            )
            try:
                organising.add_rate(viewer_for(request), request.user, event, rate)
            except EventInvalid as error:
                form.add_error("name", "; ".join(error.problems.values()))
            except EventError as error:
                problem = str(error)
            else:
                messages.success(request, f"The {rate.name} rate is added")
                return redirect("event-rates", pk=event.pk)
    return render(
        request,
        "mutuals/events/rates.html",
        {
            "event": event,
            "rates": event.rates.select_related("staff_of"),
            "form": form,
            "problems": [("#main-content", problem)] if problem else [],
            "breadcrumbs": crumbs(event),
        },
        status=400 if form.errors or problem else 200,
    )


@require_POST
def event_publish(request, pk: int):
    event = _organised(request, pk)
    try:
        organising.publish_event(viewer_for(request), request.user, event)
    except EventError as error:
        return event_detail(request, pk, problem=str(error), status=409)
    messages.success(request, "The event is published: people can book it")
    return redirect(event)


def event_cancel(request, pk: int):
    event = _organised(request, pk)
    form = CancelEventForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            organising.cancel_event(
                viewer_for(request), request.user, event, form.cleaned_data["reason"]
            )
        except EventInvalid as error:
            _show_problems(form, error)
        except EventError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, "The event is cancelled, and everyone booked or waiting is told"
            )
            return redirect(event)
    return render(
        request,
        "mutuals/events/cancel_event.html",
        {"event": event, "form": form, "breadcrumbs": crumbs(event)},
        status=400 if form.errors else 200,
    )


def _organiser_of_bookings(request, pk: int) -> Event:
    event = visible_event(request, pk)
    if not access.may_see_bookings(viewer_for(request), event):
        raise PermissionDenied
    return event


def event_bookings(request, pk: int, *, problem: str = "", status: int = 200):
    event = _organiser_of_bookings(request, pk)
    viewer = viewer_for(request)
    rows = attendance.numbers(event)
    booked = event.bookings.filter(status=BookingStatus.BOOKED).order_by("name", "pk")
    return render(
        request,
        "mutuals/events/bookings.html",
        {
            "event": event,
            "rows": rows,
            "totals": attendance.totals(rows),
            "booked": booked,
            "waiting": attendance.waiting_list(event),
            "may_mark": access.may_mark_attendance(viewer, event)
            and event.status == EventStatus.PUBLISHED
            and timezone.localdate() >= timezone.localdate(event.starts_at),
            "problems": [("#attendance", problem)] if problem else [],
            "breadcrumbs": crumbs(event),
        },
        status=status,
    )


def bookings_csv(request, pk: int):
    event = _organiser_of_bookings(request, pk)
    response = HttpResponse(exports.bookings_csv(event), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="event-{event.pk}-bookings.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def mark_attendance(request, pk: int):
    event = _organiser_of_bookings(request, pk)
    references = request.POST.getlist("booking")
    attended = set(request.POST.getlist("attended"))
    if not references:
        raise Http404("No bookings to mark")
    try:
        attendance.mark_attendance(
            viewer_for(request), request.user, event, {ref: ref in attended for ref in references}
        )
    except EventError as error:
        return event_bookings(request, pk, problem=str(error), status=409)
    messages.success(request, "Attendance is saved")
    return redirect("event-bookings", pk=event.pk)
