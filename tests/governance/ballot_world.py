"""Ballot test world: a provider with a staff register, sign-ins for its staff, and
ballots at each stage. Test modules import the fixtures they use from here."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from mutuals.governance import ballots
from mutuals.governance.models import Person, RoleGroup
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region

ELECTORATE_DAY = dt.date(2024, 3, 1)
_numbers = itertools.count(1)


@pytest.fixture
def provider(db):
    return Organisation.objects.create(
        name="Larkspur Community Health CIC",
        kind=OrganisationKind.PROVIDER,
        legal_form=LegalForm.CIC_GUARANTEE,
        region=Region.NORTH_WEST,
        ods_code="NLK01",
    )


def add_person(organisation, *, role_group=RoleGroup.FRONTLINE, employed_from=dt.date(2020, 1, 1),
               employed_until=None, member_from=None, with_user=True, name=None):  # fmt: skip
    n = next(_numbers)
    user = None
    if with_user:
        user = get_user_model().objects.create_user(username=f"person{n}@example.org")
    return Person.objects.create(
        organisation=organisation,
        reference=f"P{n:05d}",
        name=name or f"Staff member {n}",
        role_group=role_group,
        employed_from=employed_from,
        employed_until=employed_until,
        member_from=member_from,
        user=user,
    )


def demo_staff(organisation, *, others: int):
    """``others`` register entries without a sign-in, then the demo's staff member
    (``staff@demo.invalid``, a provider staff member), all employed since 2005: the
    register the demo's ballots are held on. Returns the staff member's entry."""
    from mutuals.accounts.models import Role

    for _ in range(others):
        add_person(organisation, employed_from=dt.date(2005, 1, 1), with_user=False)
    staff = add_person(organisation, employed_from=dt.date(2005, 1, 1))
    staff.user.username = "staff@demo.invalid"
    staff.user.save()
    Role.objects.create(user=staff.user, role="provider_staff", organisation=organisation)
    return staff


@pytest.fixture
def staff(provider):
    """Six staff employed on the electorate day, each with a sign-in."""
    groups = [RoleGroup.FRONTLINE] * 4 + [RoleGroup.MANAGER, RoleGroup.SENIOR]
    return [add_person(provider, role_group=group) for group in groups]


def draft(organisation, **changes) -> ballots.BallotDraft:
    now = timezone.now()
    fields = {
        "organisation": organisation,
        "question": "Should the service leave the trust and become a staff-owned CIC?",
        "options": ["Yes", "No", "Abstain"],
        "electorate_date": ELECTORATE_DAY,
        "opens_at": now - dt.timedelta(hours=1),
        "closes_at": now + dt.timedelta(days=7),
        "subject": "spin_out",
    }
    fields |= changes
    if fields["subject"] in ("spin_out", "constitution"):
        # The first option counts as for and the second as against unless a test says.
        fields.setdefault("for_option", fields["options"][0])
        fields.setdefault("against_option", fields["options"][1])
    return ballots.BallotDraft(**fields)


@pytest.fixture
def open_ballot(provider, staff):
    ballot = ballots.create_ballot(draft(provider))
    ballots.freeze(ballot.pk)
    return ballots.open_ballot(ballot.pk)


def option(ballot, label: str) -> int:
    return ballot.options.get(label=label).pk
