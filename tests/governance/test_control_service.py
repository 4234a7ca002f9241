"""The staff-control service: the register on a date, read into the engine."""

from __future__ import annotations

import datetime as dt

import pytest

from mutuals.engine.control import ControlConfig
from mutuals.governance import control
from mutuals.governance.models import (
    BoardSeat,
    Constitution,
    Holding,
    Person,
    ShareClass,
    StaffVoteRecord,
)
from web.conftest import _fresh_cache, world  # noqa: F401

START = dt.date(2011, 4, 1)


def person(org, ref, group, *, employed=True, member=True, left=None):
    return Person.objects.create(
        organisation=org, reference=ref, name=ref, role_group=group,
        employed_from=START if employed else None, employed_until=left,
        member_from=START if member else None,
    )  # fmt: skip


@pytest.fixture
def health(world):  # noqa: F811
    """A director with 60 shares, four frontline staff with 10 each (one not a member),
    and an investor's 20 non-voting, equity-carrying shares."""
    org = world["health"]
    ordinary = ShareClass.objects.create(organisation=org, name="Ordinary")
    investor = ShareClass.objects.create(
        organisation=org, name="Investor", votes_per_share=0, carries_equity=True
    )
    director = person(org, "D1", "senior")
    Holding.objects.create(person=director, share_class=ordinary, shares=60, valid_from=START)
    for n in range(4):
        staff = person(org, f"F{n}", "frontline", member=n < 3)
        Holding.objects.create(person=staff, share_class=ordinary, shares=10, valid_from=START)
    fund = person(org, "I1", "non_staff", employed=False, member=False)
    Holding.objects.create(person=fund, share_class=investor, shares=20, valid_from=START)
    BoardSeat.objects.create(organisation=org, holder_name="D1", filled_by="appointed",
                             held_from=START)  # fmt: skip
    return org


def test_votes_follow_shares_without_a_constitution(health):
    result = control.assess(health, dt.date(2012, 1, 1))
    assert result.holdings.vote_share("senior") == pytest.approx(0.6)
    assert result.holdings.equity_share("senior") == pytest.approx(0.5)
    assert result.holdings.equity_share("not_staff") == pytest.approx(20 / 120)
    assert result.take_up == pytest.approx(4 / 5)
    codes = {check.code for check in result.flags}
    assert codes == {"management_buyout_risk", "no_staff_elected_director", "no_staff_vote"}
    assert result.asset_lock is None


def test_one_member_one_vote_counts_members_not_shares(health):
    Constitution.objects.create(organisation=health, effective_from=START, asset_lock=True,
                                member_voting="one_member_one_vote")  # fmt: skip
    result = control.assess(health, dt.date(2012, 1, 1))
    assert result.holdings.total_votes == 4  # the director and three members of staff
    assert result.holdings.vote_share("senior") == pytest.approx(0.25)
    assert result.check("no_asset_lock").status == "clear"
    # equity still follows shares: the director's half of it is no majority
    assert result.holdings.equity_share("senior") == pytest.approx(0.5)
    assert result.check("management_buyout_risk").status == "clear"


def test_the_register_is_read_on_the_date_with_its_history(health):
    director = Person.objects.get(reference="D1")
    current = Holding.objects.get(person=director)
    current.valid_until = dt.date(2014, 4, 1)
    current.save()
    Holding.objects.create(person=director, share_class=current.share_class, shares=5,
                           valid_from=dt.date(2014, 4, 1))  # fmt: skip
    before = control.assess(health, dt.date(2013, 1, 1))
    after = control.assess(health, dt.date(2015, 1, 1))
    assert before.holdings.vote_share("senior") == pytest.approx(0.6)
    assert after.holdings.vote_share("senior") == pytest.approx(5 / 45)
    assert control.assess(health, dt.date(2010, 1, 1)).status == "not_enough_data"


def test_a_director_who_left_counts_as_not_staff(health):
    Person.objects.filter(reference="D1").update(employed_until=dt.date(2013, 1, 1))
    result = control.assess(health, dt.date(2014, 1, 1))
    assert result.holdings.vote_share("not_staff") == pytest.approx(0.6)
    assert result.employed_staff == 4


def test_the_latest_spin_out_vote_on_or_before_the_date(health):
    StaffVoteRecord.objects.create(organisation=health, subject="spin_out", held_on=dt.date(2010, 6, 1),
                                   question="Spin out?", electorate=100, votes_for=20,
                                   votes_against=10)  # fmt: skip
    StaffVoteRecord.objects.create(organisation=health, subject="spin_out", held_on=dt.date(2011, 1, 1),
                                   question="Spin out?", electorate=100, votes_for=70,
                                   votes_against=10)  # fmt: skip
    assert control.assess(health, dt.date(2010, 12, 1)).check("low_turnout").status == "flag"
    result = control.assess(health, dt.date(2012, 1, 1))
    assert result.vote.turnout == 0.8 and result.check("low_turnout").status == "clear"


def test_thresholds_come_from_the_settings(health, settings):
    settings.MUTUALS_CONTROL_SENIOR_MAJORITY = 0.7
    settings.MUTUALS_CONTROL_STAFF_AT_LARGE_MIN = 0.3
    settings.MUTUALS_CONTROL_MIN_STAFF_ELECTED_SEATS = 0
    settings.MUTUALS_CONTROL_MIN_TAKE_UP = 0.9
    result = control.assess(health, dt.date(2012, 1, 1))
    assert result.check("management_buyout_risk").status == "clear"
    assert result.check("no_staff_elected_director").status == "clear"
    assert result.check("low_membership_take_up").status == "flag"
    assert result.config.senior_majority == 0.7
    settings.MUTUALS_CONTROL_MIN_TURNOUT = 0.41
    settings.MUTUALS_CONTROL_MIN_SHARE_FOR = 0.62
    assert control.control_config() == ControlConfig(
        senior_majority=0.7, staff_at_large_min=0.3, min_turnout=0.41, min_share_for=0.62,
        min_take_up=0.9, min_staff_elected_seats=0,
    )  # fmt: skip
