"""Staff control, worked by hand: each measure and each check on small registers."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from mutuals.engine.control import ControlConfig, StaffVote, assess_control
from mutuals.engine.errors import InvalidOptionError, MissingColumnError, ValueOutOfRangeError


def register(*rows):
    """rows: (role_group, employed, member, votes, equity)."""
    return pl.DataFrame(
        rows,
        schema={"role_group": pl.Utf8, "employed": pl.Boolean, "member": pl.Boolean,
                "votes": pl.Float64, "equity": pl.Float64},
        orient="row",
    )  # fmt: skip


# A co-operative of eight: six frontline staff and a manager with a vote each, a director
# with one vote too; one frontline member of staff is not a member. Equity: the director
# holds 1 share, everyone else 1 share, a trust holds 2.
COOP = register(
    *[("frontline", True, True, 1.0, 1.0)] * 5,
    ("frontline", True, False, 0.0, 0.0),
    ("manager", True, True, 1.0, 1.0),
    ("senior", True, True, 1.0, 1.0),
    ("non_staff", False, True, 0.0, 2.0),
)
GOOD_VOTE = StaffVote(electorate=8, votes_for=5, votes_against=1, abstentions=1)


def test_shares_of_votes_and_equity_by_group():
    result = assess_control(COOP, seats=["staff_elected", "appointed"], vote=GOOD_VOTE,
                            asset_lock=True)  # fmt: skip
    h = result.holdings
    assert h.total_votes == 7 and h.total_equity == 9
    assert h.vote_share("staff_at_large") == pytest.approx(6 / 7)
    assert h.vote_share("senior") == pytest.approx(1 / 7)
    assert h.vote_share("not_staff") == 0
    assert h.equity_share("staff_at_large") == pytest.approx(6 / 9)
    assert h.equity_share("senior") == pytest.approx(1 / 9)
    assert h.equity_share("not_staff") == pytest.approx(2 / 9)
    assert result.employed_staff == 8 and result.staff_members == 7
    assert result.take_up == pytest.approx(7 / 8)
    assert result.staff_elected_seats == 1 and result.staff_elected_share == 0.5
    assert result.vote.turnout == pytest.approx(7 / 8)
    assert result.vote.share_for == pytest.approx(5 / 6)
    assert result.flags == ()
    assert result.status == "no_flags"


def test_senior_majority_of_votes_is_a_buyout_risk_with_its_reason():
    people = register(
        ("senior", True, True, 60.0, 0.0),
        ("frontline", True, True, 40.0, 0.0),
    )
    check = assess_control(people).check("management_buyout_risk")
    assert check.status == "flag"
    assert check.value == pytest.approx(0.6)
    assert "hold 60% of the votes, more than 50%" in check.reason
    assert "staff at large hold 40% of the votes, less than 50%" in check.reason


def test_senior_majority_of_equity_alone_is_a_buyout_risk():
    people = register(
        ("senior", True, True, 1.0, 80.0),
        *[("frontline", True, True, 1.0, 5.0)] * 4,
    )
    check = assess_control(people).check("management_buyout_risk")
    assert check.status == "flag"
    assert "80% of the equity" in check.reason and "votes, more" not in check.reason


def test_exactly_half_is_no_majority():
    people = register(("senior", True, True, 1.0, 1.0), ("manager", True, True, 1.0, 1.0))
    assert assess_control(people).check("management_buyout_risk").status == "clear"


def test_staff_at_large_below_threshold_flags_even_without_a_senior_majority():
    people = register(
        ("senior", True, True, 30.0, 0.0),
        ("frontline", True, True, 30.0, 0.0),
        ("non_staff", False, False, 40.0, 0.0),
    )
    check = assess_control(people).check("management_buyout_risk")
    assert check.status == "flag"
    assert check.reason == "Staff at large hold 30% of the votes, less than 50%."


def test_former_staff_count_as_not_staff():
    people = register(
        ("senior", False, True, 70.0, 70.0),  # a director who has left
        ("frontline", True, True, 30.0, 30.0),
    )
    result = assess_control(people)
    assert result.holdings.vote_share("not_staff") == pytest.approx(0.7)
    assert result.holdings.vote_share("senior") == 0
    assert result.employed_staff == 1


def test_thresholds_come_from_the_config():
    people = register(("senior", True, True, 40.0, 0.0), ("frontline", True, True, 60.0, 0.0))
    assert assess_control(people).check("management_buyout_risk").status == "clear"
    strict = ControlConfig(senior_majority=0.35, staff_at_large_min=0.7)
    check = assess_control(people, config=strict).check("management_buyout_risk")
    assert check.status == "flag" and check.threshold == 0.35
    assert "more than 35%" in check.reason and "less than 70%" in check.reason


def test_staff_elected_seats():
    people = COOP
    none = assess_control(people, seats=["appointed", "independent", "commissioner_nominee"])
    check = none.check("no_staff_elected_director")
    assert check.status == "flag" and check.value == 0
    assert check.reason == "0 of 3 board seats are elected by staff, fewer than 1."
    two = assess_control(people, seats=["staff_elected"] * 2 + ["appointed"],
                         config=ControlConfig(min_staff_elected_seats=3))  # fmt: skip
    assert two.check("no_staff_elected_director").status == "flag"
    assert two.staff_elected_share == pytest.approx(2 / 3)
    assert assess_control(people).check("no_staff_elected_director").status == "unknown"


def test_membership_take_up():
    people = register(*[("frontline", True, False, 0.0, 0.0)] * 3,
                      ("frontline", True, True, 1.0, 0.0))  # fmt: skip
    check = assess_control(people).check("low_membership_take_up")
    assert check.status == "flag" and check.value == 0.25
    assert check.reason == "1 of 4 employed staff are members (25%), less than 50%."
    lenient = assess_control(people, config=ControlConfig(min_take_up=0.2))
    assert lenient.check("low_membership_take_up").status == "clear"


def test_no_spin_out_vote_is_flagged_and_turnout_unknown():
    result = assess_control(COOP)
    assert result.check("no_staff_vote").status == "flag"
    assert result.check("low_turnout").status == "unknown"
    assert result.check("spin_out_not_carried").status == "unknown"


def test_low_turnout_and_a_vote_that_did_not_carry():
    vote = StaffVote(electorate=100, votes_for=15, votes_against=15, abstentions=5,
                     held_on=date(2011, 1, 20))  # fmt: skip
    result = assess_control(COOP, vote=vote)
    turnout = result.check("low_turnout")
    assert turnout.status == "flag" and turnout.value == pytest.approx(0.35)
    assert turnout.reason == "35 of 100 staff voted (35%), less than 50%."
    carried = result.check("spin_out_not_carried")
    assert carried.status == "flag" and carried.value == 0.5
    assert "no majority" in carried.reason
    assert "20 January 2011" in result.check("no_staff_vote").reason
    assert (
        assess_control(COOP, vote=vote, config=ControlConfig(min_turnout=0.3))
        .check("low_turnout")
        .status
        == "clear"
    )


def test_asset_lock():
    assert assess_control(COOP, asset_lock=False).check("no_asset_lock").status == "flag"
    assert assess_control(COOP, asset_lock=True).check("no_asset_lock").status == "clear"
    assert assess_control(COOP).check("no_asset_lock").status == "unknown"


def test_an_empty_register_says_not_enough_data():
    result = assess_control(register())
    assert result.status == "not_enough_data" and not result.enough_data
    for code in ("management_buyout_risk", "low_membership_take_up"):
        assert result.check(code).status == "unknown"
        assert result.check(code).reason.startswith("Not enough data")
    assert result.holdings.vote_share("senior") is None and result.take_up is None


def test_tidy_has_every_measure_and_check():
    table = assess_control(COOP, seats=["staff_elected"], vote=GOOD_VOTE, asset_lock=True).tidy()
    measures = table.filter(pl.col("kind") == "measure")
    checks = table.filter(pl.col("kind") == "check")
    assert measures.height == 12 and checks.height == 7
    row = measures.filter(pl.col("code") == "votes_staff_at_large").row(0, named=True)
    assert row["value"] == pytest.approx(6 / 7)
    assert set(checks["status"]) == {"clear"}
    assert assess_control(COOP).to_dict()["checks"][0]["code"] == "management_buyout_risk"


def test_bad_input_is_named():
    with pytest.raises(MissingColumnError, match="'equity'"):
        assess_control(COOP.drop("equity"))
    with pytest.raises(InvalidOptionError, match="'chief'"):
        assess_control(register(("chief", True, True, 1.0, 1.0)))
    with pytest.raises(ValueOutOfRangeError, match="'votes' holds -1"):
        assess_control(register(("frontline", True, True, -1.0, 1.0)))
    with pytest.raises(InvalidOptionError, match="'elected'"):
        assess_control(COOP, seats=["elected"])
    with pytest.raises(ValueOutOfRangeError, match="12 votes were cast by an electorate of 10"):
        StaffVote(electorate=10, votes_for=12, votes_against=0)
    with pytest.raises(InvalidOptionError, match="min_turnout must be a fraction"):
        ControlConfig(min_turnout=50)
