# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as arguments)
"""Every response of the voting journey is the same size whatever the voter chooses.

A proxy's access log records each response's size, and anyone watching the connection sees
the length of its encrypted records: if the check page were a byte longer for one option
than another, the log (joined with the sign-in audit rows) would tell who voted for what.
The journey is walked once per option, by voters whose sign-ins are the same length, with
the ballot's options of different lengths (and ids of different numbers of digits), asking
for compressed responses, so any compression that crept in would show as a difference.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from governance.ballot_world import add_person, draft
from mutuals.accounts.models import Role
from mutuals.governance import ballots
from mutuals.governance.models import BallotOption
from web.conftest import _fresh_cache, world  # noqa: F401

LABELS = ["Yes", "No", "Abstain from this vote"]
# Escaped and multi-byte text: the page sends "&amp;" for "&" and two bytes for "é".
ESCAPED = ["No", "Café & crèche <now>", "Yes"]
ASKS_FOR_COMPRESSION = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br, zstd"}


@pytest.fixture(params=[LABELS, ESCAPED], ids=["plain", "escaped"])
def ballot(world, request):
    """An open ballot with the given options, and one voter per option."""
    labels = request.param
    health = world["health"]
    voters = [add_person(health) for _ in labels]
    for n, person in enumerate(voters):
        person.user.username = f"voter-{n}@example.org"  # sign-ins of one length
        person.user.save()
        Role.objects.create(user=person.user, role="provider_staff", organisation=health)
    ballot = ballots.create_ballot(draft(health, options=labels, subject="other"))
    # Ids of 9 and 10 digits, so an id echoed as it is would differ in length too.
    for n, label in enumerate(reversed(labels)):
        BallotOption.objects.filter(ballot=ballot, label=label).update(id=999_999_999 + n)
    ballots.freeze(ballot.pk)
    ballots.open_ballot(ballot.pk)
    return ballot, dict(zip(labels, [person.user for person in voters], strict=True))


def _form_value(html: str, name: str, *, checked_label: str | None = None) -> str:
    if checked_label is None:
        return re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)
    radios = re.findall(r'value="([^"]*)">\s*<label[^>]*>([^<]*)</label>', html)
    return next(value for value, label in radios if unescape(label) == checked_label)


def _walk(ballot_id: int, user, label: str) -> list[tuple[str, str, object]]:
    """The voting journey as a browser walks it, CSRF checks on: every request's body and
    every response, in order."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    url = reverse("ballot-vote", args=[ballot_id])
    steps = []

    def post(name: str, data: dict) -> str:
        body = urlencode(data)
        response = client.post(
            url, body, content_type="application/x-www-form-urlencoded", **ASKS_FOR_COMPRESSION
        )
        steps.append((name, body, response))
        return response.content.decode()

    choose = client.get(url, **ASKS_FOR_COMPRESSION)
    steps.append(("choose", "", choose))
    html = choose.content.decode()
    token = _form_value(html, "csrfmiddlewaretoken")
    choice = _form_value(html, "choice", checked_label=label)
    post("nothing chosen", {"csrfmiddlewaretoken": token})
    check = post("check", {"csrfmiddlewaretoken": token, "choice": choice})
    echoed = _form_value(check, "choice")
    cast = {"csrfmiddlewaretoken": _form_value(check, "csrfmiddlewaretoken"), "choice": echoed}
    post("cast", cast | {"confirm": "yes"})
    post("cast again", cast | {"confirm": "yes"})
    post("check again", cast)
    steps.append(("choose again", "", client.get(url, **ASKS_FOR_COMPRESSION)))
    return steps


def _sizes(steps) -> list[tuple]:
    """Per step: its name, the request body's length, the response's status and length,
    and the length of each response header."""
    return [
        (
            name,
            len(body),
            response.status_code,
            len(response.content),
            sorted((header, len(value)) for header, value in response.headers.items()),
        )
        for name, body, response in steps
    ]


def test_every_response_of_the_vote_is_the_same_size_whatever_the_choice(ballot):
    ballot, voters = ballot
    walks = {label: _walk(ballot.pk, user, label) for label, user in voters.items()}
    first = next(iter(walks.values()))
    assert [(name, response.status_code) for name, _, response in first] == [
        ("choose", 200), ("nothing chosen", 400), ("check", 200), ("cast", 200),
        ("cast again", 409), ("check again", 200), ("choose again", 200),
    ]  # fmt: skip
    for steps in walks.values():
        assert not any(response.has_header("Content-Encoding") for _, _, response in steps)
    sizes = {label: _sizes(steps) for label, steps in walks.items()}
    differing = [
        f"{step[0]}: " + "; ".join(f"{label!r} {sizes[label][n][1:4]}" for label in sizes)
        for n, step in enumerate(_sizes(first))
        if any(sizes[label][n] != step for label in sizes)
    ]
    assert not differing, "(request body, status, response body) by choice:\n" + "\n".join(
        differing
    )
    chosen = sorted(ballot.votes.values_list("option__label", flat=True))
    assert chosen == sorted(voters)
