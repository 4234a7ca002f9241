"""Finding events: the list, an event's page, and the sections other pages show (upcoming
events on the home page, consultation meetings on a provider's page).

Everything is read through :mod:`mutuals.events.access`; the online link is shown only to
people with a booked place (and the organisers).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.permissions import allowed_in, viewer_for
from mutuals.events import access, config, consultation
from mutuals.events.booking import event_day, staff_person
from mutuals.events.models import (
    ACTIVE,
    HOLDING_A_PLACE,
    Booking,
    BookingStatus,
    Event,
    EventKind,
    EventStatus,
)
from mutuals.governance.control import vote_began
from mutuals.governance.models import StaffVoteRecord
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.web.event_forms import rate_label

UPCOMING_ON_HOME = 5


def _with_places(queryset):
    return queryset.select_related("provider", "host").annotate(
        held=Count("bookings", filter=Q(bookings__status__in=HOLDING_A_PLACE))
    )


def crumbs(event: Event | None = None) -> list[tuple[str, str]]:
    found = [("Home", reverse("home")), ("Events", reverse("events"))]
    if event is not None:
        found.append((event.title, event.get_absolute_url()))
    return found


def event_list(request):
    viewer = viewer_for(request)
    now = timezone.now()
    visible = _with_places(access.events(viewer)).order_by("starts_at", "pk")
    return render(
        request,
        "mutuals/events/list.html",
        {
            "upcoming": visible.filter(ends_at__gte=now),
            "past": visible.filter(ends_at__lt=now).order_by("-starts_at", "-pk")[:20],
            "may_organise": access.may_organise(viewer),
            "providers": access.organisable_providers(viewer),
            "breadcrumbs": crumbs()[:1],
        },
    )


def visible_event(request, pk: int, action: str = "view") -> Event:
    return get_object_or_404(_with_places(access.events(viewer_for(request), action)), pk=pk)


def event_detail(request, pk: int, *, problem: str = "", status: int = 200):
    viewer = viewer_for(request)
    event = visible_event(request, pk)
    now = timezone.now()
    own = (
        Booking.objects.filter(event=event, user_id=viewer.user_id, status__in=ACTIVE).first()
        if viewer.user_id
        else None
    )
    organiser = access.may_change(viewer, event)
    rates = list(event.rates.select_related("staff_of"))
    return render(
        request,
        "mutuals/events/detail.html",
        {
            "event": event,
            "rates": [(rate, rate_label(rate), rate.open_at(now)) for rate in rates],
            "places_left": max(event.capacity - event.held, 0),
            "open": event.status == EventStatus.PUBLISHED
            and now < event.booking_deadline
            and now < event.starts_at,
            "may_book": access.may_book(viewer, event),
            "signed_in": request.user.is_authenticated,
            "own": own,
            "show_link": organiser or (own is not None and own.status == BookingStatus.BOOKED),
            "not_staff": _not_staff(request, event),
            "organiser": organiser,
            "may_see_bookings": access.may_see_bookings(viewer, event),
            "retention_days": config.retention_days(),
            "problems": [("#organise", problem)] if problem else [],
            "breadcrumbs": crumbs(),
        },
        status=status,
    )


def _not_staff(request, event: Event) -> bool:
    """A consultation meeting the person may see but the register will not let them book."""
    if not event.is_consultation or not request.user.is_authenticated:
        return False
    return staff_person(request.user, event.provider, event_day(event)) is None


def upcoming_for(viewer, limit: int = UPCOMING_ON_HOME) -> list[Event]:
    """The home page's section: published events the viewer may book that still take
    bookings, soonest first (empty for anyone who may book none, the public included); a
    consultation meeting only if the register shows them as the provider's staff."""
    if viewer.is_public:
        return []
    now = timezone.now()
    bookable = access.events(viewer, "book").filter(booking_deadline__gt=now, starts_at__gt=now)
    found = _with_places(bookable).order_by("starts_at", "pk")
    return [event for event in found if access.register_lets_book(viewer, event)][:limit]


def provider_section(viewer, organisation: Organisation) -> dict | None:
    """The provider page's Staff consultation meetings: how many of its staff attended each
    meeting held, and whether it came before the spin-out vote. Counts only, for those who
    may see the provider's meetings; None for everyone else."""
    if organisation.kind != OrganisationKind.PROVIDER or not allowed_in(
        viewer, "view", "consultation", organisation.pk
    ):
        return None
    vote = (
        StaffVoteRecord.objects.filter(
            organisation=organisation, subject=StaffVoteRecord.Subject.SPIN_OUT
        )
        .select_related("ballot")
        .order_by("-held_on", "-pk")
        .first()
    )
    meetings = consultation.provider_meetings(organisation, vote_began(vote) if vote else None)
    upcoming = access.events(viewer).filter(
        kind=EventKind.CONSULTATION, provider=organisation, starts_at__gt=timezone.now()
    )
    return {
        "meetings": meetings,
        "vote": vote,
        "upcoming": upcoming.exclude(status=EventStatus.CANCELLED).order_by("starts_at")[:5],
        "may_organise": allowed_in(viewer, "create", "consultation", organisation.pk),
    }
