# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as arguments)
"""The ballot pages: a manager runs a ballot, staff vote and find their votes, and every page
keeps the site's conventions."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.ballot_world import ELECTORATE_DAY, add_person
from mutuals.accounts.models import Role
from mutuals.governance.models import Ballot, Vote
from web.conftest import _fresh_cache, world  # noqa: F401
from web.date_boxes import date_boxes, moment_boxes
from web.test_page_conventions import check_conventions

VOTERS = 4


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def people(world):
    health = world["health"]
    voters = [add_person(health) for _ in range(VOTERS)]
    for person in voters:
        Role.objects.create(user=person.user, role="provider_staff", organisation=health)
    manager = get_user_model().objects.create_user(username="manager@example.org")
    Role.objects.create(user=manager, role="provider_manager", organisation=health)
    outsider = get_user_model().objects.create_user(username="not-on-register@example.org")
    Role.objects.create(user=outsider, role="provider_staff", organisation=health)
    return {"voters": voters, "manager": manager, "outsider": outsider}


CHECKED: set[str] = set()


def _ok(response, status=200) -> str:
    """The page's HTML, checked against the site's conventions the first time each page
    (by its title) is seen in this run."""
    assert response.status_code == status, response.content.decode()[:2000]
    html = response.content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    if title not in CHECKED:
        check_conventions(html)
        CHECKED.add(title)
    return html


def _create(manager_client, health) -> Ballot:
    now = timezone.localtime()
    form = {
        "question": "Should we become a staff-owned mutual?",
        "options": "Yes\nNo\n",
        "subject": "spin_out",
        "for_option": "Yes",
        "against_option": "No",
        **date_boxes("electorate_date", ELECTORATE_DAY),
        "members_only": "no",
        **moment_boxes("opens_on", "opens_time", now - dt.timedelta(hours=1)),
        **moment_boxes("closes_on", "closes_time", now + dt.timedelta(days=3)),
    }
    response = manager_client.post(reverse("ballot-new", args=[health.pk]), form)
    assert response.status_code == 302
    return Ballot.objects.get(question=form["question"])


def _vote(client, ballot, label) -> str:
    choice = ballot.options.get(label=label).pk
    url = reverse("ballot-vote", args=[ballot.pk])
    _ok(client.post(url, {"choice": choice}))
    html = _ok(client.post(url, {"choice": choice, "confirm": "yes"}))
    return re.search(r'class="mutuals-receipt">([A-Z0-9-]{19})<', html).group(1)


def test_a_ballot_from_creation_to_result_on_the_web(world, people):
    health = world["health"]
    manager = _client_for(people["manager"])
    _ok(manager.get(reverse("ballots", args=[health.pk])))
    _ok(manager.get(reverse("ballot-new", args=[health.pk])))
    refused = _ok(
        manager.post(reverse("ballot-new", args=[health.pk]), {"options": "Only one"}), 400
    )
    assert "Enter the question" in refused and "Enter the electorate date" in refused
    ballot = _create(manager, health)
    for step in ("freeze", "open"):
        response = manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": step})
        assert response.status_code == 302
    _ok(manager.get(ballot.get_absolute_url()))

    voter = _client_for(people["voters"][0].user)
    assert "Vote</a>" in _ok(voter.get(ballot.get_absolute_url()))
    assert "Yes (counts as in favour)" in _ok(manager.get(ballot.get_absolute_url()))
    _ok(voter.get(reverse("ballot-vote", args=[ballot.pk])))
    missing = _ok(voter.post(reverse("ballot-vote", args=[ballot.pk]), {}), 400)
    assert "Select the option you vote for" in missing
    code = _vote(voter, ballot, "No")
    again = voter.post(
        reverse("ballot-vote", args=[ballot.pk]),
        {"choice": ballot.options.get(label="Yes").pk, "confirm": "yes"},
    )
    assert "You have already voted" in _ok(again, 409)
    assert "You have already voted" in _ok(voter.get(reverse("ballot-vote", args=[ballot.pk])))
    assert "You have voted" in _ok(voter.get(ballot.get_absolute_url()))
    for person, label in zip(people["voters"][1:], ["Yes", "Yes"], strict=False):
        _vote(_client_for(person.user), ballot, label)

    response = manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "close"})
    assert response.status_code == 302
    result = _ok(voter.get(reverse("ballot-result", args=[ballot.pk])))
    assert "75%" in result  # turnout: 3 of 4
    # the result in words: Yes counts as for, No as against
    assert "Carried: 2 for, 1 against; turnout 75% (3 of 4)." in result
    digest = Vote.objects.get(option__label="No").receipt_digest
    assert digest[:16] in result
    lookup = reverse("ballot-receipt", args=[ballot.pk])
    _ok(voter.get(lookup))
    assert "It is a vote for No" in _ok(voter.post(lookup, {"code": code.lower()}))
    assert "No vote in this ballot" in _ok(voter.post(lookup, {"code": "AAAA-AAAA-AAAA-AAAA"}), 400)
    closed = voter.post(
        reverse("ballot-vote", args=[ballot.pk]),
        {"choice": ballot.options.get(label="Yes").pk, "confirm": "yes"},
    )
    assert "closed at" in _ok(closed, 409)


def test_someone_not_in_the_electorate_is_told_why(world, people):
    ballot = _create(_client_for(people["manager"]), world["health"])
    manager = _client_for(people["manager"])
    manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "freeze"})
    manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "open"})
    outsider = _client_for(people["outsider"])
    page = _ok(outsider.get(reverse("ballot-vote", args=[ballot.pk])))
    assert "not in this ballot" in page and 'name="choice"' not in page
    response = outsider.post(
        reverse("ballot-vote", args=[ballot.pk]),
        {"choice": ballot.options.first().pk, "confirm": "yes"},
    )
    assert "not in this ballot" in _ok(response, 409)
    assert Vote.objects.count() == 0


def test_steps_out_of_order_are_explained(world, people):
    manager = _client_for(people["manager"])
    ballot = _create(manager, world["health"])
    response = manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "open"})
    assert "freeze its electorate before opening it" in _ok(response, 409)


def test_who_may_see_and_run_ballots(world, people):
    manager = _client_for(people["manager"])
    ballot = _create(manager, world["health"])
    staff = _client_for(people["voters"][0].user)
    assert staff.get(reverse("ballot-new", args=[world["health"].pk])).status_code == 403
    response = staff.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "freeze"})
    assert response.status_code == 403
    assert Client().get(ballot.get_absolute_url()).status_code == 404
    elsewhere = get_user_model().objects.create_user(username="elsewhere@example.org")
    Role.objects.create(user=elsewhere, role="provider_manager", organisation=world["practice"])
    other = _client_for(elsewhere)
    assert other.get(ballot.get_absolute_url()).status_code == 404
    assert (
        other.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "freeze"}).status_code
        == 404
    )
    assert other.get(reverse("ballots", args=[world["health"].pk])).status_code == 403
    assert staff.get(reverse("ballot-result", args=[ballot.pk])).status_code == 404


def test_a_ballot_left_closed_offers_to_publish_its_result(world, people):
    from mutuals.governance import ballots

    manager = _client_for(people["manager"])
    ballot = _create(manager, world["health"])
    for step in ("freeze", "open"):
        manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": step})
    ballots.close_ballot(ballot.pk)  # closed, but its tally never ran
    page = _ok(manager.get(ballot.get_absolute_url()))
    assert 'value="tally"' in page and "Publish the result" in page
    response = manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "tally"})
    assert response.status_code == 302
    ballot.refresh_from_db()
    assert ballot.status == "tallied"
    _ok(manager.get(reverse("ballot-result", args=[ballot.pk])))


def test_the_form_asks_which_spin_out_option_is_for_and_against(world, people):
    manager = _client_for(people["manager"])
    now = timezone.localtime()
    form = {
        "question": "Should we leave the trust?",
        "options": "No\nYes\n",
        "subject": "spin_out",
        "for_option": "Aye",
        "against_option": "",
        **date_boxes("electorate_date", ELECTORATE_DAY),
        "members_only": "no",
        **moment_boxes("opens_on", "opens_time", now - dt.timedelta(hours=1)),
        **moment_boxes("closes_on", "closes_time", now + dt.timedelta(days=3)),
    }
    url = reverse("ballot-new", args=[world["health"].pk])
    page = _ok(manager.post(url, form), 400)
    assert "&#x27;Aye&#x27; is not one of No, Yes" in page
    assert "Enter the option that counts as against" in page
    assert (
        manager.post(url, form | {"for_option": "Yes", "against_option": "No"}).status_code == 302
    )
    ballot = Ballot.objects.get(question=form["question"])
    assert dict(ballot.options.values_list("label", "counts_as")) == {"No": "against", "Yes": "for"}


def test_the_result_page_publishes_the_log_and_checks_a_copy_against_it(world, people):
    from mutuals.governance.models import BallotEvent, Elector, SealedHead

    manager = _client_for(people["manager"])
    ballot = _create(manager, world["health"])
    for step in ("freeze", "open"):
        manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": step})
    for person, label in zip(people["voters"], ["Yes", "No"], strict=False):
        _vote(_client_for(person.user), ballot, label)
    sealed = SealedHead.objects.filter(ballot=ballot)
    copied = sealed.values("entries", "head_hash", "seal").get()
    manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": "close"})
    url = reverse("ballot-result", args=[ballot.pk])
    tally = BallotEvent.objects.get(ballot=ballot, kind="tally")
    page = _ok(manager.get(url))
    assert f"{tally.sequence} entries" in page and tally.entry_hash in page
    held = {"log_entries": tally.sequence, "log_head": tally.entry_hash}
    assert "The log still holds the result you have" in _ok(manager.get(url, held))
    wrong = _ok(manager.get(url, {"log_entries": "seven", "log_head": "abc"}), 400)
    assert "Enter the log head as the 64 letters and digits" in wrong

    # Rolled back to before the close, with the seal row copied then: the page itself
    # still tells someone holding the published result that entries were removed.
    BallotEvent.objects.filter(ballot=ballot, sequence__gt=copied["entries"]).delete()
    Ballot.objects.filter(pk=ballot.pk).update(status="open")
    sealed.update(**copied)
    assert Elector.objects.filter(ballot=ballot, has_voted=True).count() == 2
    assert manager.get(url).status_code == 404
    page = _ok(manager.get(url, held))
    assert (
        f"The log ends at entry #{copied['entries']} but the published result says it "
        f"had {tally.sequence} entries"
    ) in page


def test_checking_a_vote_has_a_back_link_to_the_choices(world, people):
    manager = _client_for(people["manager"])
    ballot = _create(manager, world["health"])
    for step in ("freeze", "open"):
        manager.post(reverse("ballot-manage", args=[ballot.pk]), {"step": step})
    voter = _client_for(people["voters"][0].user)
    url = reverse("ballot-vote", args=[ballot.pk])
    check = _ok(voter.post(url, {"choice": ballot.options.get(label="Yes").pk}))
    assert "Check your vote" in check
    assert f'<a href="{url}" class="govuk-back-link">Back' in check
