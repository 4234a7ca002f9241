"""GET /api/v1/organisations/{id}/staff-control: the assessment, for anyone who may see the
organisation; never the names on the register."""

from __future__ import annotations

import datetime as dt

from mutuals.governance.models import BoardSeat, Constitution, Person, StaffVoteRecord
from web.conftest import _fresh_cache, world  # noqa: F401


def test_the_assessment_without_a_token(client, world):  # noqa: F811
    health = world["health"]
    for n in range(3):
        Person.objects.create(organisation=health, reference=f"P{n}", name=f"Hidden Name {n}",
                              role_group="frontline", employed_from=dt.date(2011, 4, 1),
                              member_from=dt.date(2011, 4, 1) if n else None)  # fmt: skip
    Constitution.objects.create(organisation=health, effective_from=dt.date(2011, 4, 1),
                                asset_lock=True, member_voting="one_member_one_vote")  # fmt: skip
    StaffVoteRecord.objects.create(organisation=health, subject="spin_out",
                                   held_on=dt.date(2011, 1, 20), question="Spin out?",
                                   electorate=4, votes_for=3, votes_against=1)  # fmt: skip
    BoardSeat.objects.create(organisation=health, holder_name="Chair", filled_by="independent",
                             held_from=dt.date(2011, 4, 1))  # fmt: skip
    response = client.get(f"/api/v1/organisations/{health.pk}/staff-control?as_of=2012-01-01")
    assert response.status_code == 200
    body = response.json()
    assert "Hidden Name" not in response.content.decode()
    assert body["as_of"] == "2012-01-01" and body["status"] == "flagged"
    assert body["vote_shares"] == {"staff_at_large": 1.0, "senior": 0.0, "not_staff": 0.0}
    assert body["equity_shares"]["senior"] is None
    assert body["take_up"] == 2 / 3 and body["asset_lock"] is True
    assert body["spin_out_vote"]["turnout"] == 1.0 and body["spin_out_vote"]["share_for"] == 0.75
    flagged = {c["code"] for c in body["checks"] if c["status"] == "flag"}
    assert flagged == {"no_staff_elected_director"}
    assert body["board_seats"] == 1 and body["staff_elected_seats"] == 0
    assert body["thresholds"]["min_turnout"] == 0.5


def test_not_a_provider_and_not_found(client, world):  # noqa: F811
    response = client.get(f"/api/v1/organisations/{world['pct'].pk}/staff-control")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert "spin-out providers only" in response.json()["errors"][0]["message"]
    assert client.get("/api/v1/organisations/999999/staff-control").status_code == 404
    empty = client.get(f"/api/v1/organisations/{world['practice'].pk}/staff-control").json()
    assert empty["status"] == "not_enough_data" and empty["people"] == 0
