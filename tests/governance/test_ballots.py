# ruff: noqa: F811  (pytest fixtures imported from ballot_world are redefined as arguments)
"""A ballot's life: who may vote and when, one vote each, receipts, tally and tick."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from governance.ballot_world import (  # noqa: F401
    ELECTORATE_DAY,
    add_person,
    draft,
    open_ballot,
    option,
    provider,
    staff,
)
from mutuals.accounts.models import AuditEvent
from mutuals.governance import ballots
from mutuals.governance.models import (
    BallotEvent,
    BallotStatus,
    Elector,
    RoleGroup,
    StaffVoteRecord,
    Vote,
)


def test_the_electorate_is_staff_employed_on_the_day(provider, staff):
    left = add_person(provider, employed_until=ELECTORATE_DAY)
    joined_later = add_person(provider, employed_from=ELECTORATE_DAY + dt.timedelta(days=1))
    investor = add_person(provider, role_group=RoleGroup.NON_STAFF)
    ballot = ballots.freeze(ballots.create_ballot(draft(provider)).pk)
    electors = set(Elector.objects.filter(ballot=ballot).values_list("person_id", flat=True))
    assert electors == {person.pk for person in staff}
    assert not electors & {left.pk, joined_later.pk, investor.pk}
    assert ballot.electorate_size == 6 and len(ballot.electorate_hash) == 64
    freeze = BallotEvent.objects.get(ballot=ballot, kind="freeze")
    assert freeze.payload["electorate_hash"] == ballot.electorate_hash


def test_members_only_ballots_need_membership_on_the_day(provider, staff):
    member = add_person(provider, member_from=dt.date(2022, 5, 1))
    ballot = ballots.create_ballot(draft(provider, members_only=True))
    ballot = ballots.freeze(ballot.pk)
    assert list(Elector.objects.filter(ballot=ballot).values_list("person", flat=True)) == [
        member.pk
    ]


def test_a_non_member_is_refused(open_ballot, provider):
    outsider = get_user_model().objects.create_user(username="outsider@example.org")
    investor = add_person(provider, role_group=RoleGroup.NON_STAFF)
    for user in (outsider, investor.user, None):
        with pytest.raises(ballots.NotInElectorate, match="not in this ballot's electorate"):
            ballots.cast_vote(open_ballot.pk, user, option(open_ballot, "Yes"))
    assert Vote.objects.count() == 0


def test_someone_added_to_the_register_after_the_freeze_is_refused(open_ballot, provider):
    newcomer = add_person(provider, employed_from=dt.date(2019, 1, 1))
    with pytest.raises(ballots.NotInElectorate):
        ballots.cast_vote(open_ballot.pk, newcomer.user, option(open_ballot, "Yes"))
    assert not Elector.objects.filter(person=newcomer).exists()


def test_a_closed_ballot_refuses_votes(open_ballot, staff):
    ballots.close_ballot(open_ballot.pk)
    with pytest.raises(ballots.NotOpen, match="closed at"):
        ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"))
    ballots.tally(open_ballot.pk)
    with pytest.raises(ballots.NotOpen, match="closed at"):
        ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"))


def test_votes_outside_the_window_are_refused(open_ballot, staff):
    late = open_ballot.closes_at + dt.timedelta(seconds=1)
    with pytest.raises(ballots.NotOpen, match="closed at"):
        ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"), now=late)
    assert not Elector.objects.filter(has_voted=True).exists()


def test_a_ballot_not_yet_open_refuses_votes(provider, staff):
    ballot = ballots.freeze(ballots.create_ballot(draft(provider)).pk)
    with pytest.raises(ballots.NotOpen, match="not opened yet"):
        ballots.cast_vote(ballot.pk, staff[0].user, option(ballot, "Yes"))


def test_one_vote_each_with_a_receipt_and_no_audit_event(open_ballot, staff):
    audited = AuditEvent.objects.count()
    receipt = ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "No"))
    assert receipt.option_label == "No" and len(receipt.code) == 19
    with pytest.raises(ballots.AlreadyVoted):
        ballots.cast_vote(open_ballot.pk, staff[0].user, option(open_ballot, "Yes"))
    vote = Vote.objects.get()
    assert vote.receipt_digest == receipt.digest and vote.option.label == "No"
    assert receipt.code not in str(list(Vote.objects.values()))
    assert AuditEvent.objects.count() == audited
    cast = BallotEvent.objects.get(ballot=open_ballot, kind="cast")
    assert cast.at is None and cast.payload == {}
    assert ballots.has_voted(open_ballot, staff[0].user) is True
    assert ballots.has_voted(open_ballot, staff[1].user) is False


def test_an_option_of_another_ballot_is_refused(open_ballot, provider, staff):
    other = ballots.create_ballot(draft(provider, options=["Keep", "Change"]))
    with pytest.raises(ballots.UnknownOption, match="Yes, No, Abstain"):
        ballots.cast_vote(open_ballot.pk, staff[0].user, option(other, "Keep"))
    assert ballots.has_voted(open_ballot, staff[0].user) is False


def test_tally_publishes_counts_turnout_and_receipts(open_ballot, staff):
    choices = ["Yes", "Yes", "No", "Abstain"]
    receipts = [
        ballots.cast_vote(open_ballot.pk, person.user, option(open_ballot, label))
        for person, label in zip(staff, choices, strict=False)
    ]
    assert ballots.result(open_ballot) is None
    ballots.close_ballot(open_ballot.pk)
    ballot = ballots.tally(open_ballot.pk)
    found = ballots.result(ballot)
    assert [(c.label, c.votes) for c in found.counts] == [("Yes", 2), ("No", 1), ("Abstain", 1)]
    assert found.votes == 4 and found.electorate == 6
    assert found.turnout == pytest.approx(4 / 6)
    listed = list(ballots.published_receipts(ballot))
    assert sorted(r.digest for r in receipts) == [digest for digest, _, _ in listed]
    for receipt in receipts:
        assert ballots.find_receipt(ballot, receipt.code.lower()) == receipt.option_label
    with pytest.raises(ballots.ReceiptNotFound, match="No vote in this ballot"):
        ballots.find_receipt(ballot, "AAAA-AAAA-AAAA-AAAA")
    with pytest.raises(ballots.ReceiptNotFound, match="as it was shown"):
        ballots.find_receipt(ballot, "not a code")
    record = StaffVoteRecord.objects.get(ballot=ballot)
    assert (record.votes_for, record.votes_against, record.abstentions) == (2, 1, 1)
    assert record.electorate == 6 and record.subject == "spin_out"
    assert ballots.verify(ballot.pk).ok


def test_stages_come_in_order(provider, staff):
    ballot = ballots.create_ballot(draft(provider))
    with pytest.raises(ballots.WrongStage, match="freeze its electorate"):
        ballots.open_ballot(ballot.pk)
    with pytest.raises(ballots.WrongStage, match="only an open one closes"):
        ballots.close_ballot(ballot.pk)
    ballots.freeze(ballot.pk)
    with pytest.raises(ballots.WrongStage, match="only a draft is frozen"):
        ballots.freeze(ballot.pk)
    with pytest.raises(ballots.WrongStage, match="not closed yet"):
        ballots.tally(ballot.pk)
    ballots.open_ballot(ballot.pk)
    ballots.close_ballot(ballot.pk)
    ballots.tally(ballot.pk)
    with pytest.raises(ballots.WrongStage, match="already published"):
        ballots.tally(ballot.pk)
    kinds = list(BallotEvent.objects.filter(ballot=ballot).values_list("kind", flat=True))
    assert kinds == ["create", "freeze", "open", "close", "tally"]


def test_freezing_needs_a_known_register_and_somebody_in_it(provider, staff):
    future = timezone.localdate() + dt.timedelta(days=3)
    ballot = ballots.create_ballot(
        draft(
            provider,
            electorate_date=future,
            opens_at=timezone.now() + dt.timedelta(days=5),
            closes_at=timezone.now() + dt.timedelta(days=9),
        )  # fmt: skip
    )
    with pytest.raises(ballots.WrongStage, match="still to come"):
        ballots.freeze(ballot.pk)
    early = ballots.create_ballot(draft(provider, electorate_date=dt.date(2001, 1, 1)))
    with pytest.raises(ballots.WrongStage, match="Nobody on Larkspur"):
        ballots.freeze(early.pk)
    assert not Elector.objects.exists()


def test_bad_ballots_are_refused_with_every_problem_named(provider):
    now = timezone.now()
    with pytest.raises(ballots.BallotInvalid) as refused:
        ballots.create_ballot(
            draft(
                provider,
                question=" ",
                options=["Yes", "yes"],
                subject="coup",
                closes_at=now - dt.timedelta(days=1),
            )  # fmt: skip
        )
    assert set(refused.value.problems) == {"question", "options", "subject", "closes_at"}
    assert "Each option must be different" in str(refused.value)


def test_tick_opens_and_closes_ballots_whose_time_has_come(provider, staff):
    now = timezone.now()
    soon = ballots.freeze(
        ballots.create_ballot(
            draft(
                provider,
                opens_at=now + dt.timedelta(hours=1),
                closes_at=now + dt.timedelta(hours=2),
            )  # fmt: skip
        ).pk
    )
    draft_only = ballots.create_ballot(draft(provider, question="Adopt the new rules?"))
    assert ballots.tick(now=now).opened == []
    report = ballots.tick(now=now + dt.timedelta(minutes=61))
    assert [b.pk for b in report.opened] == [soon.pk]
    assert [b.pk for b, _ in report.waiting] == [draft_only.pk]
    ballots.cast_vote(
        soon.pk, staff[0].user, option(soon, "Yes"), now=now + dt.timedelta(minutes=90)
    )
    report = ballots.tick(now=now + dt.timedelta(hours=3))
    assert [b.pk for b in report.closed] == [soon.pk]
    soon.refresh_from_db()
    assert soon.status == BallotStatus.TALLIED
    assert ballots.result(soon).votes == 1


def test_opening_early_and_closing_early_move_the_times_and_log_it(provider, staff):
    now = timezone.now()
    ballot = ballots.create_ballot(
        draft(provider, opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=2))
    )
    ballots.freeze(ballot.pk)
    ballot = ballots.open_ballot(ballot.pk, now=now)
    assert ballot.opens_at == now
    ballot = ballots.close_ballot(ballot.pk, now=now + dt.timedelta(hours=1))
    assert ballot.closes_at == now + dt.timedelta(hours=1)
    payloads = dict(BallotEvent.objects.filter(ballot=ballot).values_list("kind", "payload"))
    assert payloads["open"]["early"] and payloads["close"]["early"]
