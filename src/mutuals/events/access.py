"""Who may see, organise and book which events, and see whose bookings: the permission
matrix (:data:`mutuals.accounts.permissions.MATRIX`) applied to events.

Learning events (kind ``learning_event``) and staff consultation meetings (kind
``consultation``) are one model with two sets of rules, so each set is applied to its own
events only. On top of the matrix:

- a draft is seen only by those who may change it, and nobody books one;
- a booker always sees their own bookings (``booking`` rules cover everyone else's);
- staff places (every consultation meeting, and any rate for a provider's staff) need the
  register too: :func:`mutuals.events.booking.staff_person` when booking, and
  :func:`register_lets_book` for what lists of events to book (home page, digests) offer.

Every page, API operation and command reads events and bookings through these functions.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from mutuals.accounts.permissions import (
    PATHS,
    ModelPaths,
    Viewer,
    allowed_in,
    may,
    scope,
    scope_via,
)
from mutuals.events.models import Booking, Event, EventKind, EventStatus
from mutuals.governance.models.register import STAFF_GROUPS, Person, employed_on
from mutuals.registry.models import Organisation, OrganisationKind

KIND_RULES = {EventKind.LEARNING: "learning_event", EventKind.CONSULTATION: "consultation"}


def _condition(viewer: Viewer, action: str) -> Q:
    """Events of either kind that the matrix lets the viewer ``action``."""
    combined = Q(pk__in=[])
    for kind, rules in KIND_RULES.items():
        combined |= Q(kind=kind) & scope(viewer, rules, action)
    return combined


def events(viewer: Viewer, action: str = "view") -> QuerySet[Event]:
    """Events the viewer may ``action`` (view, book, change): drafts only to organisers."""
    changeable = _condition(viewer, "change")
    if action == "change":
        condition = changeable
    elif action == "book":
        condition = _condition(viewer, "book") & Q(status=EventStatus.PUBLISHED)
    else:
        condition = (_condition(viewer, action) & ~Q(status=EventStatus.DRAFT)) | changeable
    return Event.objects.filter(condition)


def may_change(viewer: Viewer, event: Event) -> bool:
    return events(viewer, "change").filter(pk=event.pk).exists()


def may_book(viewer: Viewer, event: Event) -> bool:
    """Whether the matrix lets the viewer book this event (the register may still refuse a
    staff place)."""
    return events(viewer, "book").filter(pk=event.pk).exists()


def register_lets_book(viewer: Viewer, event: Event) -> bool:
    """Whether the register lets the viewer take a place: for a consultation meeting, it
    must show them as staff of the provider employed on the meeting's day (the role alone
    is not enough); any learning event, yes."""
    if not event.is_consultation:
        return True
    if viewer.user_id is None:
        return False
    day = timezone.localdate(event.starts_at)
    return (
        Person.objects.filter(
            organisation_id=event.provider_id, user_id=viewer.user_id, role_group__in=STAFF_GROUPS
        )
        .filter(employed_on(day))
        .exists()
    )


def bookings(viewer: Viewer, action: str = "view") -> QuerySet[Booking]:
    """Bookings the viewer may ``action``: an organiser's events' bookings (view: the list;
    change: attendance), and, to view, the viewer's own."""
    condition = scope(viewer, "booking", action)
    if condition == Q():  # every booking (an empty Q would narrow an "or" to its other side)
        return Booking.objects.all()
    if action == "view" and viewer.user_id is not None:
        condition |= Q(user_id=viewer.user_id)
    return Booking.objects.filter(condition)


def may_see_bookings(viewer: Viewer, event: Event) -> bool:
    """Whether the viewer may see the event's list of bookings (its organisers)."""
    return _booking_rule(viewer, "view", event)


def may_mark_attendance(viewer: Viewer, event: Event) -> bool:
    return _booking_rule(viewer, "change", event)


# The ``booking`` rule asked of an event rather than of its bookings (it may have none yet).
_BOOKINGS_OF_EVENT = ModelPaths(PATHS["booking"].model, "provider", "host")


def _booking_rule(viewer: Viewer, action: str, event: Event) -> bool:
    condition = scope_via(viewer, "booking", action, _BOOKINGS_OF_EVENT)
    return Event.objects.filter(condition, pk=event.pk).exists()


def organisable_hosts(viewer: Viewer) -> list[Organisation | None]:
    """Under whose name the viewer may organise a learning event: None (no host) for an
    auditor, each commissioning body they hold a commissioner's role at."""
    hosts: list[Organisation | None] = []
    if may(viewer, "create", "learning_event"):
        hosts.append(None)
    commissioners = Organisation.objects.filter(
        pk__in=viewer.holding("commissioner"), kind=OrganisationKind.COMMISSIONER
    ).order_by("name")
    hosts += [o for o in commissioners if allowed_in(viewer, "create", "learning_event", o.pk)]
    return hosts


def organisable_providers(viewer: Viewer) -> list[Organisation]:
    """Providers whose staff consultation meetings the viewer may organise."""
    ids = [
        pk
        for pk in viewer.holding("provider_manager")
        if allowed_in(viewer, "create", "consultation", pk)
    ]
    return list(
        Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.PROVIDER).order_by("name")
    )


def may_organise(viewer: Viewer) -> bool:
    return bool(organisable_hosts(viewer) or organisable_providers(viewer))
