"""Consultation meetings as staff-control evidence: were staff consulted before the vote?"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from mutuals.events.models import Booking, Event, EventKind, Rate
from mutuals.governance import control, summary
from mutuals.governance.models import Ballot, BallotStatus, Person, StaffVoteRecord
from web.test_page_conventions import check_conventions

VOTE_DAY = dt.date(2011, 1, 31)
CODE = "no_consultation_before_vote"


def moment(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def held_meeting(provider, day: dt.date, attended: int, *, came=None, status="published"):
    """A meeting already held, with ``attended`` staff marked as attending (and one absent)."""
    event = Event.objects.create(
        kind=EventKind.CONSULTATION, title=f"Consultation on {day:%-d %B}", provider=provider,
        starts_at=moment(day, 12), ends_at=moment(day, 13), booking_deadline=moment(day, 9),
        capacity=50, venue="Staff room", status=status,
    )  # fmt: skip
    rate = Rate.objects.create(event=event, name="Staff place", price=Decimal(0), staff_of=provider)
    for n in range(attended + 1):
        Booking.objects.create(
            event=event, rate=rate, reference=f"T{event.pk:03d}-{n:04d}", status="booked",
            rate_name=rate.name, price=0, booked_at=moment(day, 9), attended=n < attended,
        )  # fmt: skip
    return event


def vote(provider, *, in_mutuals: bool):
    ballot = None
    if in_mutuals:
        ballot = Ballot.objects.create(
            organisation=provider, question="Should we spin out?", subject="spin_out",
            electorate_date=VOTE_DAY - dt.timedelta(days=20), status=BallotStatus.TALLIED,
            opens_at=moment(VOTE_DAY - dt.timedelta(days=14), 9), closes_at=moment(VOTE_DAY, 17),
        )  # fmt: skip
    return StaffVoteRecord.objects.create(
        organisation=provider, subject="spin_out", held_on=VOTE_DAY, question="Spin out?",
        electorate=100, votes_for=60, votes_against=20, ballot=ballot,
    )  # fmt: skip


def check(provider):
    result = control.assess(provider, dt.date(2012, 1, 1))
    return result, result.check(CODE)


def test_unknown_without_a_vote(world):
    result, found = check(world["health"])
    assert found.status == "unknown" and "no staff vote" in found.reason
    assert dict((c, v) for c, _, v in result.measures())["consultation_meetings"] is None


def test_a_vote_from_papers_without_meetings_is_unknown_not_flagged(world):
    vote(world["health"], in_mutuals=False)
    assert check(world["health"])[1].status == "unknown"


def test_a_ballot_in_mutuals_without_a_meeting_before_it_is_flagged(world):
    vote(world["health"], in_mutuals=True)
    held_meeting(world["health"], VOTE_DAY + dt.timedelta(days=3), attended=9)  # after: no use
    held_meeting(world["health"], VOTE_DAY - dt.timedelta(days=40), attended=5, status="cancelled")
    result, found = check(world["health"])
    assert found.status == "flag" and CODE in {c.code for c in result.flags}
    assert (
        "No staff consultation meeting was held before the vote on 31 January 2011" in found.reason
    )


def test_meetings_before_the_ballot_opened_count_their_attendance(world):
    vote(world["health"], in_mutuals=True)
    held_meeting(world["health"], VOTE_DAY - dt.timedelta(days=30), attended=12)
    held_meeting(world["health"], VOTE_DAY - dt.timedelta(days=21), attended=7)
    held_meeting(world["health"], VOTE_DAY - dt.timedelta(days=3), attended=40)  # voting was open
    result, found = check(world["health"])
    assert found.status == "clear" and found.value == 19
    assert (
        found.reason
        == "19 staff attendances at 2 consultation meetings before the vote on 31 January 2011."
    )
    measures = {code: value for code, _, value in result.measures()}
    assert (measures["consultation_meetings"], measures["consultation_attended"]) == (2, 19)
    assert (
        "Staff consultation meetings",
        "2 meetings before the vote, with 19 staff attendances in all",
    ) in summary.summary_rows(result)


def test_a_meeting_nobody_attended_is_flagged(world):
    vote(world["health"], in_mutuals=False)
    held_meeting(world["health"], VOTE_DAY - dt.timedelta(days=10), attended=0)
    found = check(world["health"])[1]
    assert found.status == "flag" and "no staff attendance is recorded" in found.reason


def test_the_assessment_of_many_providers_reads_meetings_once(world, django_assert_num_queries):
    for name in ("health", "practice"):
        vote(world[name], in_mutuals=False)
        held_meeting(world[name], VOTE_DAY - dt.timedelta(days=10), attended=3)
    with django_assert_num_queries(5):
        results = control.assess_many([world["health"], world["practice"]], dt.date(2012, 1, 1))
    assert [r.check(CODE).value for _, r in results] == [3, 3]


@pytest.mark.parametrize(("role", "sees_meetings"), [("public", False), ("provider_staff", True),
                                                     ("provider_manager", True), ("auditor", True),
                                                     ("commissioner", False)])  # fmt: skip
def test_the_provider_page_shows_staff_attendance_at_each_meeting(
    client, sign_in, world, role, sees_meetings
):
    Person.objects.create(organisation=world["health"], reference="P1", name="Ada Quill",
                          role_group="frontline", employed_from=VOTE_DAY, member_from=VOTE_DAY)  # fmt: skip
    vote(world["health"], in_mutuals=True)
    held_meeting(world["health"], VOTE_DAY - dt.timedelta(days=30), attended=12)
    held_meeting(world["health"], VOTE_DAY + dt.timedelta(days=30), attended=4)
    html = sign_in(role).get(world["health"].get_absolute_url()).content.decode()
    check_conventions(html)
    # Everyone reads the assessment's summary; the meetings' table is for the provider's own.
    assert "1 meeting before the vote, with 12 staff attendances in all" in html
    assert ("Staff consultation meetings</h2>" in html) is sees_meetings
    if sees_meetings:
        assert "No, after it" in html and "Consultation on 1 January" in html
