"""A small contracting world for the open-data exports: an NHS commissioner with an ODS
code, a council with no identifier, two providers, a metric with returns, and two
contracts that between them set every field OCDS can carry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mutuals.contracts.models import (
    Baseline,
    Contract,
    ContractStatus,
    Objective,
    ObjectiveDirection,
)
from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region, Service
from mutuals.returns.models import Direction, Domain, Metric, Observation, PeriodKind, Submission


def _organisation(name, kind, legal_form, **fields):
    return Organisation.objects.create(
        name=name, kind=kind, legal_form=legal_form, region=Region.NORTH_EAST, **fields
    )


@pytest.fixture
def contracts_world(db):
    commissioner = OrganisationKind.COMMISSIONER
    pct = _organisation("Brackenford PCT", commissioner, LegalForm.NHS_COMMISSIONER, ods_code="5QX")
    council = _organisation("Fenmoor County Council", commissioner, LegalForm.COUNCIL)
    health = _organisation(
        "Brackenford Community Health CIC",
        OrganisationKind.PROVIDER,
        LegalForm.CIC_GUARANTEE,
        ods_code="NQX01",
        company_number="07123456",
    )
    practice = _organisation(
        "Fenmoor Practice", OrganisationKind.PROVIDER, LegalForm.CHARITY, charity_number="1123456"
    )
    visits = Metric.objects.create(
        code="visits-on-time",
        name="Visits on time",
        unit="%",
        direction=Direction.HIGHER_IS_BETTER,
        domain=Domain.QUALITY,
    )
    nursing = Service.objects.create(name="District nursing")
    therapy = Service.objects.create(name="Therapies")
    main = Contract.objects.create(
        reference="RTR-0001",
        title="Community nursing in Brackenford",
        provider=health,
        start_date=dt.date(2011, 4, 1),
        end_date=dt.date(2016, 3, 31),
        annual_value=Decimal("12500000.10"),
        status=ContractStatus.ACTIVE,
        savings_requirement_pct=Decimal("2.50"),
        extra_benefits="Apprenticeships for local young people.",
        social_value_weight_pct=Decimal("10.00"),
        continuity_plan="Services return to the trust on 30 days' notice.",
        evaluation_plan="Matched comparison against in-house community services.",
    )
    main.commissioners.add(pct, council)
    main.services.add(nursing, therapy)
    Baseline.objects.create(
        contract=main,
        annual_cost=Decimal("12000000.00"),
        annual_activity=Decimal("240000.00"),
        activity_unit="contacts",
        quality_metric=visits,
        quality_value=91.5,
        price_year=2010,
    )
    Objective.objects.create(
        contract=main,
        description="Raise visits made on time",
        metric=visits,
        direction=ObjectiveDirection.INCREASE,
        target=95.0,
        deadline=dt.date(2014, 3, 31),
        measurement="Quarterly returns",
    )
    Objective.objects.create(
        contract=main, description="Improve staff wellbeing", direction=ObjectiveDirection.MAINTAIN
    )
    ended = Contract.objects.create(
        reference="SWP-0001",
        title="Therapies in Fenmoor",
        provider=practice,
        start_date=dt.date(2010, 9, 1),
        end_date=dt.date(2013, 8, 31),
        annual_value=Decimal("1750000.20"),
        status=ContractStatus.TERMINATED,
    )
    ended.commissioners.add(council)
    submission = Submission.objects.create(source=Submission.Source.DEMO, row_count=3)
    for period, start, value in [
        ("2011-Q2", dt.date(2011, 4, 1), 90.0),
        ("2011-Q3", dt.date(2011, 7, 1), 93.25),
        ("2017-Q1", dt.date(2017, 1, 1), 99.0),  # after the contract: not a result of it
    ]:
        Observation.objects.create(
            organisation=health,
            metric=visits,
            period=period,
            period_start=start,
            period_kind=PeriodKind.QUARTER,
            value=value,
            submission=submission,
        )
    return {"main": main, "ended": ended, "pct": pct, "council": council, "health": health}
