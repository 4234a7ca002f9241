# ruff: noqa: F811  (pytest fixtures imported from ballot_world are redefined as arguments)
"""The demo's ballots: a published spin-out ballot and an open one the demo staff member
can vote in."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from governance.ballot_world import demo_staff, option, provider  # noqa: F401
from mutuals.governance import ballots
from mutuals.governance.ballots.demo import (
    OPEN_QUESTION,
    SPIN_OUT_QUESTION,
    hold_demo_ballots,
    wipe_ballots,
)
from mutuals.governance.models import Ballot, BallotStatus, StaffVoteRecord


def test_demo_ballots_are_held_once_and_the_demo_staff_member_can_vote(provider):
    provider.spinout_date = dt.date(2011, 4, 1)
    provider.save()
    user = demo_staff(provider, others=30).user
    StaffVoteRecord.objects.create(
        organisation=provider, subject="spin_out", held_on=dt.date(2010, 12, 1),
        question="From the papers", electorate=31, votes_for=20, votes_against=2,
    )  # fmt: skip

    assert len(hold_demo_ballots(2011)) == 2
    assert hold_demo_ballots(2011) == []
    spin_out = Ballot.objects.get(question=SPIN_OUT_QUESTION)
    assert spin_out.status == BallotStatus.TALLIED and spin_out.electorate_size == 31
    assert ballots.verify(spin_out.pk).ok
    record = StaffVoteRecord.objects.get(organisation=provider, subject="spin_out")
    assert record.ballot_id == spin_out.pk and record.electorate == 31
    assert 0.5 < record.turnout <= 1
    assert list(spin_out.options.values_list("counts_as", flat=True)) == [
        "for",
        "against",
        "abstain",
    ]
    counts = {c.label: c.votes for c in ballots.result(spin_out).counts}
    assert record.votes_for == counts["Yes, spin out"]
    assert record.votes_against == counts["No, stay in the public body"]
    assert spin_out.events.get(kind="open").at.date() == spin_out.opens_at.date()

    open_now = Ballot.objects.get(question=OPEN_QUESTION)
    assert open_now.status == BallotStatus.OPEN
    receipt = ballots.cast_vote(open_now.pk, user, option(open_now, "Yes"))
    assert receipt.option_label == "Yes"

    wipe_ballots()
    assert not Ballot.objects.exists()


def test_no_demo_ballots_without_the_demo_staff_member(provider):
    get_user_model().objects.create_user(username="staff@demo.invalid")
    assert hold_demo_ballots(2011) == []


def test_the_open_demo_ballot_can_be_held_just_after_midnight(provider, monkeypatch):
    """It opens five minutes ago, which at 00:02 is yesterday: its electorate is yesterday's."""
    from django.utils import timezone

    midnight = timezone.make_aware(dt.datetime(2026, 12, 7, 0, 2))
    monkeypatch.setattr(timezone, "now", lambda: midnight)
    provider.spinout_date = dt.date(2011, 4, 1)
    provider.save()
    demo_staff(provider, others=3)

    hold_demo_ballots(2011)

    open_now = Ballot.objects.get(question=OPEN_QUESTION)
    assert open_now.status == BallotStatus.OPEN
    assert open_now.electorate_date == dt.date(2026, 12, 6)
