# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as arguments)
"""The ballots API: lists and results as the web shows them, to those who may see them."""

from __future__ import annotations

import pytest

from accounts.conftest import _fast_hashing, make_user, people  # noqa: F401
from api.conftest import api, as_role, tokens  # noqa: F401
from governance.ballot_world import add_person, draft, option
from mutuals.governance import ballots
from web.conftest import _fresh_cache, world  # noqa: F401


@pytest.fixture
def tallied(world):
    health = world["health"]
    voters = [add_person(health) for _ in range(3)]
    ballot = ballots.create_ballot(draft(health))
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    for person, label in zip(voters, ["Yes", "No", "Yes"], strict=True):
        ballots.cast_vote(ballot.pk, person.user, option(ballot, label))
    ballots.close_ballot(ballot.pk)
    return ballots.tally(ballot.pk)


def test_staff_read_the_result_and_the_receipts(as_role, tallied):
    staff = as_role("provider_staff")
    listed = staff.get("/ballots").json()
    assert [b["id"] for b in listed["results"]] == [tallied.pk]
    body = staff.get(f"/ballots/{tallied.pk}").json()
    assert body["status"] == "tallied" and body["electorate_size"] == 3
    assert [(o["label"], o["votes"]) for o in body["options"]] == [
        ("Yes", 2), ("No", 1), ("Abstain", 0),
    ]  # fmt: skip
    assert body["result"]["turnout"] == 1.0 and len(body["log_head"]) == 64
    receipts = staff.get(f"/ballots/{tallied.pk}/receipts", limit=2).json()
    assert len(receipts["results"]) == 2 and receipts["next"]
    digests = [r["receipt_digest"] for r in receipts["results"]]
    assert digests == sorted(digests)


def test_others_see_no_ballot(as_role, api, tallied):
    assert as_role("commissioner").get(f"/ballots/{tallied.pk}").status_code == 404
    assert api.get(f"/ballots/{tallied.pk}").status_code == 401
    assert as_role("commissioner").get("/ballots").json()["results"] == []
    assert as_role("auditor").get(f"/ballots/{tallied.pk}").status_code == 200


def test_an_open_ballot_has_no_result_and_no_receipts(as_role, world):
    health = world["health"]
    add_person(health)
    ballot = ballots.create_ballot(draft(health))
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    body = as_role("provider_manager").get(f"/ballots/{ballot.pk}").json()
    assert body["result"] is None and {o["votes"] for o in body["options"]} == {None}
    assert as_role("provider_manager").get(f"/ballots/{ballot.pk}/receipts").json()["results"] == []
