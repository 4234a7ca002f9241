"""The demo's ballots, at the provider where the demo accounts work: its spin-out ballot,
held in Mutuals and published, and a ballot open now in which ``staff@demo.invalid`` can
vote.

Run after the register is loaded and the demo accounts are enrolled on it. The synthetic
staff of the spin-out ballot have no sign-ins, so their votes are loaded with
:func:`~mutuals.governance.ballots.casting.cast_as_elector`; choices and turnout come from
one seed, so the same seed gives the same counts (receipt codes are random, as always).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from mutuals.accounts.models import Role, RoleName
from mutuals.governance.ballots import casting, lifecycle
from mutuals.governance.ballots.tally import tally as publish_result
from mutuals.governance.models import (
    Ballot,
    BallotEvent,
    Elector,
    StaffVoteRecord,
    Vote,
)

SPIN_OUT_QUESTION = "Should the service leave the public body and become a staff-led enterprise?"
OPEN_QUESTION = "Should we pilot a staff council that proposes the annual service plan?"
STAFF_USER = "staff@demo.invalid"


def wipe_ballots() -> None:
    """Delete every ballot with its log, votes and electorate (they protect one another)."""
    StaffVoteRecord.objects.filter(ballot__isnull=False).delete()
    BallotEvent.objects.all().delete()
    Vote.objects.all().delete()
    Elector.objects.all().delete()
    Ballot.objects.all().delete()


def hold_demo_ballots(seed: int = 2011) -> list[str]:
    """Create the demo ballots if they are missing; what was done, in lines."""
    staff_user = get_user_model().objects.filter(username=STAFF_USER).first()
    role = Role.objects.filter(user=staff_user, role=RoleName.PROVIDER_STAFF).first()
    if role is None or role.organisation is None:
        return []
    provider = role.organisation
    if not provider.register.exists():
        return [f"No ballots: {provider.name} has no register."]
    done = []
    if not Ballot.objects.filter(organisation=provider, question=SPIN_OUT_QUESTION).exists():
        ballot = _spin_out_ballot(provider, np.random.default_rng([seed, 11]))
        if ballot is not None:
            done.append(f"Spin-out ballot {ballot.pk} at {provider.name}, result published.")
    if not Ballot.objects.filter(organisation=provider, question=OPEN_QUESTION).exists():
        ballot = _open_ballot(provider)
        done.append(f"Ballot {ballot.pk} open at {provider.name}; {STAFF_USER} can vote.")
    return done


def _moment(day, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@transaction.atomic
def _spin_out_ballot(provider, rng) -> Ballot | None:
    spin_out = provider.spinout_date or timezone.localdate()
    electorate_day = spin_out - timedelta(days=120)
    opens, closes = (
        _moment(electorate_day + timedelta(days=14), 9),
        _moment(electorate_day + timedelta(days=35), 17),
    )
    draft = lifecycle.BallotDraft(
        organisation=provider,
        question=SPIN_OUT_QUESTION,
        options=["Yes, spin out", "No, stay in the public body", "Abstain"],
        electorate_date=electorate_day,
        opens_at=opens,
        closes_at=closes,
        subject=StaffVoteRecord.Subject.SPIN_OUT,
        for_option="Yes, spin out",
        against_option="No, stay in the public body",
    )
    if not lifecycle.electorate(
        Ballot(organisation=provider, electorate_date=electorate_day)
    ).exists():
        return None
    ballot = lifecycle.create_ballot(draft, now=opens - timedelta(days=21))
    lifecycle.freeze(ballot.pk, now=opens - timedelta(days=14))
    lifecycle.open_ballot(ballot.pk, now=opens)
    options = list(ballot.options.order_by("position").values_list("pk", flat=True))
    people = list(
        Elector.objects.filter(ballot=ballot)
        .order_by("person_id")
        .values_list("person_id", flat=True)
    )
    turnout = rng.uniform(0.7, 0.85)
    for person_id in people:
        if rng.random() < turnout:
            choice = rng.choice(options, p=[0.74, 0.2, 0.06])
            casting.cast_as_elector(
                ballot.pk, person_id, int(choice), now=opens + timedelta(days=1)
            )
    lifecycle.close_ballot(ballot.pk, now=closes)
    # The provider's papers recorded this vote too; the ballot's own record replaces theirs.
    StaffVoteRecord.objects.filter(
        organisation=provider, subject=StaffVoteRecord.Subject.SPIN_OUT, ballot__isnull=True
    ).delete()
    return publish_result(ballot.pk, now=closes)


@transaction.atomic
def _open_ballot(provider) -> Ballot:
    now = timezone.now()
    opens = now - timedelta(minutes=5)
    draft = lifecycle.BallotDraft(
        organisation=provider,
        question=OPEN_QUESTION,
        options=["Yes", "No"],
        # The register as it stood on the opening day (which, just after midnight, is
        # yesterday).
        electorate_date=timezone.localdate(opens),
        opens_at=opens,
        closes_at=now + timedelta(days=21),
    )
    ballot = lifecycle.create_ballot(draft, now=now)
    lifecycle.freeze(ballot.pk, now=now)
    return lifecycle.open_ballot(ballot.pk, now=now)
