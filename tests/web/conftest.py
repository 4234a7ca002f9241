"""A small world for the web pages: two commissioners, three providers, two comparators,
one programme, three contracts and a few returns, one of them resubmitted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache

from mutuals.contracts.models import (
    Baseline,
    CommissioningRelationship,
    Contract,
    ContractStatus,
    Objective,
    ObjectiveDirection,
    RelationshipStatus,
)
from mutuals.registry.models import (
    LegalForm,
    Organisation,
    OrganisationKind,
    Programme,
    ProgrammeKind,
    ProgrammeMembership,
    Region,
    Service,
)
from mutuals.returns.models import Direction, Domain, Metric, Observation, PeriodKind, Submission

PROVIDER = OrganisationKind.PROVIDER


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The demo-data flag is cached; each test starts from an empty cache."""
    cache.clear()
    yield
    cache.clear()


def _organisation(name, kind, legal_form, region=Region.NORTH_EAST, **fields):
    return Organisation.objects.create(
        name=name, kind=kind, legal_form=legal_form, region=region, **fields
    )


@pytest.fixture
def world(db):
    pct = _organisation(
        "Brackenford Primary Care Trust",
        OrganisationKind.COMMISSIONER,
        LegalForm.NHS_COMMISSIONER,
        ods_code="5QX",
    )
    council = _organisation(
        "Fenmoor County Council",
        OrganisationKind.COMMISSIONER,
        LegalForm.COUNCIL,
        region=Region.SOUTH_WEST,
    )
    nursing = Service.objects.create(name="District nursing")
    leavers = Service.objects.create(name="Care leavers' support")
    health = _organisation(
        "Brackenford Community Health CIC",
        PROVIDER,
        LegalForm.CIC_GUARANTEE,
        ods_code="NQX01",
        company_number="07123456",
        parent=pct,
        spinout_date=dt.date(2011, 4, 1),
        staff_count=1200,
    )
    health.services.add(nursing)
    practice = _organisation(
        "Fenmoor Social Work Practice",
        PROVIDER,
        LegalForm.COOPERATIVE,
        region=Region.SOUTH_WEST,
        company_number="RS007001",
        parent=council,
        spinout_date=dt.date(2010, 9, 1),
        staff_count=45,
    )
    practice.services.add(leavers)
    exited = _organisation(
        "Oakhollow Therapies CIC",
        PROVIDER,
        LegalForm.CIC_SHARES,
        company_number="07999999",
        parent=pct,
        spinout_date=dt.date(2011, 4, 1),
        exit_date=dt.date(2014, 3, 31),
        staff_count=80,
    )
    comparators = [
        _organisation(
            f"Comparator Community Services {n}",
            OrganisationKind.COMPARATOR,
            LegalForm.IN_HOUSE_UNIT,
            ods_code=f"CMP{n}",
            staff_count=900,
        )
        for n in (1, 2)
    ]
    programme = Programme.objects.create(
        code="right-to-request", name="Right to Request", kind=ProgrammeKind.RIGHT_TO_REQUEST
    )
    for organisation in (health, exited):
        ProgrammeMembership.objects.create(programme=programme, organisation=organisation)
    ProgrammeMembership.objects.create(
        programme=programme,
        organisation=comparators[0],
        role=ProgrammeMembership.Role.COMPARATOR,
    )
    # A provider in two programmes must count once in each, never twice in one.
    integrated = Programme.objects.create(
        code="integrated-care", name="Integrated care mutuals", kind=ProgrammeKind.INTEGRATED_CARE
    )
    ProgrammeMembership.objects.create(programme=integrated, organisation=health)

    metrics = {
        "visits": Metric.objects.create(
            code="visits-on-time",
            name="Visits on time",
            unit="%",
            direction=Direction.HIGHER_IS_BETTER,
            domain=Domain.QUALITY,
        ),
        "sickness": Metric.objects.create(
            code="sickness-absence",
            name="Sickness absence",
            unit="%",
            direction=Direction.LOWER_IS_BETTER,
            domain=Domain.WORKFORCE,
        ),
    }

    health_contract = Contract.objects.create(
        reference="RTR-0001",
        title="Community nursing in Brackenford",
        provider=health,
        start_date=dt.date(2011, 4, 1),
        end_date=dt.date(2016, 3, 31),
        annual_value=Decimal("12500000.10"),
        status=ContractStatus.ACTIVE,
        savings_requirement_pct=Decimal("2.00"),
        extra_benefits="Apprenticeships for local young people.",
        continuity_plan="Services return to the trust on 30 days' notice.",
        evaluation_plan="Matched comparison against in-house community services.",
    )
    health_contract.commissioners.add(pct)
    health_contract.services.add(nursing)
    Baseline.objects.create(
        contract=health_contract,
        annual_cost=Decimal("12000000.00"),
        annual_activity=Decimal("240000"),
        activity_unit="contacts",
        quality_metric=metrics["visits"],
        quality_value=91.5,
        price_year=2010,
    )
    Objective.objects.create(
        contract=health_contract,
        description="Raise visits made on time",
        metric=metrics["visits"],
        direction=ObjectiveDirection.INCREASE,
        target=95,
        deadline=dt.date(2014, 3, 31),
        measurement="Quarterly returns",
    )
    Objective.objects.create(
        contract=health_contract,
        description="Improve staff wellbeing",
        direction=ObjectiveDirection.INCREASE,
    )
    practice_contract = Contract.objects.create(
        reference="SWP-0001",
        title="Care leavers in Fenmoor",
        provider=practice,
        start_date=dt.date(2010, 9, 1),
        end_date=dt.date(2013, 8, 31),
        annual_value=Decimal("1750000.20"),
        status=ContractStatus.ACTIVE,
    )
    practice_contract.commissioners.add(council)
    ended = Contract.objects.create(
        reference="RTR-0002",
        title="Therapies in Brackenford",
        provider=exited,
        start_date=dt.date(2011, 4, 1),
        end_date=dt.date(2014, 3, 31),
        annual_value=Decimal("900000.00"),
        status=ContractStatus.TERMINATED,
    )
    ended.commissioners.add(pct)
    # Each provider confirmed its commissioners long ago, so they read its returns.
    for commissioner, provider in ((pct, health), (pct, exited), (council, practice)):
        CommissioningRelationship.objects.create(
            commissioner=commissioner, provider=provider, status=RelationshipStatus.CONFIRMED
        )

    demo = Submission.objects.create(source=Submission.Source.DEMO, row_count=5)
    resubmission = Submission.objects.create(source=Submission.Source.UPLOAD, row_count=1)

    def observe(metric, period, start, value, version=1, current=True, submission=demo):
        return Observation.objects.create(
            organisation=health,
            metric=metrics[metric],
            period=period,
            period_start=start,
            period_kind=PeriodKind.QUARTER,
            value=value,
            version=version,
            is_current=current,
            submission=submission,
        )

    observe("visits", "2011-Q2", dt.date(2011, 4, 1), 90.0)
    observe("visits", "2011-Q3", dt.date(2011, 7, 1), 92.0, current=False)
    observe("visits", "2011-Q3", dt.date(2011, 7, 1), 93.25, version=2, submission=resubmission)
    observe("sickness", "2011-Q2", dt.date(2011, 4, 1), 4.5)
    observe("sickness", "2011-Q3", dt.date(2011, 7, 1), 4.1)

    return {
        "pct": pct,
        "council": council,
        "health": health,
        "practice": practice,
        "exited": exited,
        "comparators": comparators,
        "programme": programme,
        "integrated": integrated,
        "health_contract": health_contract,
        "practice_contract": practice_contract,
        "ended_contract": ended,
        **metrics,
    }


@pytest.fixture
def auditor(world):
    """A signed-in-able auditor: may read everything, returns included."""
    from django.contrib.auth import get_user_model

    from mutuals.accounts.models import Role

    user = get_user_model().objects.create_user(
        username="auditor@example.org", email="auditor@example.org"
    )
    Role.objects.create(user=user, role="auditor")
    return user


@pytest.fixture
def auditor_client(client, auditor):
    client.force_login(auditor)
    return client
