"""Provider-failure risk: each factor firing and not, the rating, and the portfolio."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from mutuals.contracts.models import Contract
from mutuals.evaluation.models import Alert
from mutuals.evaluation.risk import (
    DEFAULT_THRESHOLDS,
    failure_risk,
    period_end,
    portfolio_risk,
    returns_as_of,
)
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric, Observation, Submission
from mutuals.returns.periods import parse_period

AS_OF = date(2019, 12, 31)


def _org(name, kind="provider", **fields):
    return Organisation.objects.create(
        name=name, kind=kind, legal_form="company", region="north_east", **fields
    )


@pytest.fixture
def world(db):
    metrics = {
        code: Metric.objects.create(
            code=code, name=code.title(), unit="x", direction="higher", domain="finance"
        )
        for code in ("cash-days", "operating-margin", "income", "waiting-time-weeks")
    }
    return {
        "metrics": metrics,
        "a": _org("Alderley PCT", "commissioner"),
        "b": _org("Bexmoor Council", "commissioner"),
        "provider": _org("Fenmoor Health CIC"),
        "submission": Submission.objects.create(source="cli"),
    }


def report(world, code, label, value, organisation=None, current=True, version=1):
    period = parse_period(label)
    Observation.objects.create(
        organisation=organisation or world["provider"],
        metric=world["metrics"][code],
        period=period.label,
        period_start=period.start,
        period_kind=period.kind,
        value=value,
        is_current=current,
        version=version,
        submission=world["submission"],
    )


def contract(world, reference, value, commissioners, end=date(2023, 3, 31), **fields):
    made = Contract.objects.create(
        reference=reference,
        title=reference,
        provider=fields.pop("provider", world["provider"]),
        start_date=fields.pop("start", date(2016, 4, 1)),
        end_date=end,
        annual_value=Decimal(value),
        status=fields.pop("status", "active"),
        continuity_plan=fields.pop("continuity_plan", "Step-in rights."),
    )
    made.commissioners.set([world[c] for c in commissioners])
    return made


def healthy(world):
    """Figures inside every threshold."""
    report(world, "cash-days", "2019-Q4", 30.0)
    report(world, "operating-margin", "2019-Q4", 2.0)
    contract(world, "A1", "700000", ["a"])
    contract(world, "B1", "300000", ["b"])


def assess(world, **thresholds):
    return failure_risk(
        world["provider"], AS_OF, thresholds=replace(DEFAULT_THRESHOLDS, **thresholds)
    )


def test_a_healthy_provider_is_low_risk(world):
    healthy(world)
    risk = assess(world)
    assert risk.rating == "low"
    assert [f.status for f in risk.factors] == ["clear"] * 5
    assert risk.reasons == ()
    assert risk.summary == "Low risk: no factor is past its threshold."
    assert risk.live_contract_value == Decimal("1000000.00")
    concentration = risk.factor("income_concentration")
    assert concentration.value == pytest.approx(0.7) and concentration.threshold == 0.75
    assert concentration.sentence == (
        "70% of the provider's £1.0m a year of live contract income comes from Alderley PCT; "
        "more than 75% from one commissioner is a risk."
    )
    assert risk.continuity.sentence == "All 2 live contracts have a continuity plan."


def test_income_concentration_fires_above_three_quarters(world):
    report(world, "cash-days", "2019-Q4", 30.0)
    report(world, "operating-margin", "2019-Q4", 2.0)
    contract(world, "A1", "800000", ["a"])
    contract(world, "B1", "200000", ["b"])
    risk = assess(world)
    factor = risk.factor("income_concentration")
    assert (factor.status, factor.value) == ("fired", pytest.approx(0.8))
    assert risk.rating == "medium"
    assert risk.summary == "Medium risk: income concentration."


def test_a_shared_contract_is_split_and_other_income_dilutes(world):
    contract(world, "AB1", "1000000", ["a", "b"])
    assert assess(world).factor("income_concentration").value == pytest.approx(0.5)
    contract(world, "A2", "1000000", ["a"])  # A: 1.5m of 2m
    assert assess(world).factor("income_concentration").value == pytest.approx(0.75)
    for label in ("2019-Q1", "2019-Q2", "2019-Q3", "2019-Q4"):
        report(world, "income", label, 750_000.0)
    report(world, "income", "2018-Q4", 9_000_000.0)  # more than a year before: ignored
    factor = assess(world).factor("income_concentration")
    assert factor.value == pytest.approx(1.5 / 3.0)
    assert "£3.0m a year of income returned over the last twelve months" in factor.sentence


def test_cash_days_fire_below_15_and_are_severe_below_10(world):
    healthy(world)
    report(world, "cash-days", "2019-Q3", 5.0)  # older than the latest: ignored
    report(world, "cash-days", "2020-Q1", 5.0)  # after the as-of date: ignored
    assert assess(world).factor("cash_days").status == "clear"
    Observation.objects.filter(metric__code="cash-days", period="2019-Q4").update(value=12.0)
    risk = assess(world)
    factor = risk.factor("cash_days")
    assert (factor.status, factor.value, factor.severe) == ("fired", 12.0, False)
    assert risk.rating == "medium"
    assert factor.sentence == (
        "Cash would cover 12 days of spending (2019-Q4 return); fewer than 15 days is a risk "
        "and fewer than 10 a high risk."
    )
    Observation.objects.filter(metric__code="cash-days", period="2019-Q4").update(value=8.0)
    risk = assess(world)
    assert risk.factor("cash_days").severe and risk.rating == "high"


def test_superseded_stale_and_missing_returns(world):
    healthy(world)
    report(world, "cash-days", "2019-Q4", 3.0, current=False, version=0)  # superseded
    assert assess(world).factor("cash_days").value == 30.0
    Observation.objects.filter(metric__code="operating-margin").update(
        period="2018-Q3", period_start=date(2018, 7, 1)
    )
    margin = assess(world).factor("operating_margin")
    assert (margin.status, margin.value) == ("unknown", None)
    assert "latest 'operating-margin' return is for 2018-Q3, more than a year old" in (
        margin.sentence
    )
    Observation.objects.filter(metric__code="operating-margin").delete()
    margin = assess(world).factor("operating_margin")
    assert margin.sentence == "No 'operating-margin' return has been received, so this is unknown."
    assert assess(world).rating == "low"  # unknown factors do not raise the rating


def test_operating_margin_fires_on_a_deficit_and_is_severe_below_minus_3(world):
    healthy(world)
    Observation.objects.filter(metric__code="operating-margin").update(value=-1.5)
    factor = assess(world).factor("operating_margin")
    assert (factor.status, factor.severe) == ("fired", False)
    assert factor.sentence.startswith("The provider reported a deficit of 1.5% of income")
    Observation.objects.filter(metric__code="operating-margin").update(value=-4.0)
    assert assess(world).rating == "high"
    Observation.objects.filter(metric__code="operating-margin").update(value=0.0)
    assert assess(world).factor("operating_margin").status == "clear"


def test_expiry_cliff_fires_when_half_the_value_ends_within_a_year(world):
    healthy(world)  # A1 700k and B1 300k, ending in 2023
    contract(world, "A2", "400000", ["a"], end=date(2020, 12, 31))  # 400k of 1.4m: 29%
    factor = assess(world).factor("expiry_cliff")
    assert (factor.status, factor.value) == ("clear", pytest.approx(0.4 / 1.4))
    contract(world, "B2", "600000", ["b"], end=date(2020, 6, 30))  # 1.0m of 2.0m: 50%
    contract(world, "GONE", "900000", ["b"], end=date(2019, 12, 30))  # not live
    factor = assess(world).factor("expiry_cliff")
    assert (factor.status, factor.value) == ("fired", pytest.approx(0.5))
    contract(world, "B3", "600000", ["b"], end=date(2021, 1, 1))  # a day too late: 1.0 of 2.6
    risk = assess(world, expiry_share=0.35)
    assert risk.factor("expiry_cliff").fired
    assert risk.factor("expiry_cliff").sentence == (
        "38% of live contract value ends by 31 December 2020 (A2, B2); 35% or more ending "
        "within 12 months is a risk."
    )


def test_spc_concerns_fire_on_open_concerns_only(world):
    healthy(world)
    waits = world["metrics"]["waiting-time-weeks"]
    provider = world["provider"]
    Alert.objects.create(
        organisation=provider,
        metric=waits,
        kind="concern",
        period="2019-Q3",
        rule="x",
        is_open=False,
    )
    Alert.objects.create(
        organisation=provider, metric=waits, kind="failing", period="2019-Q3", rule="y"
    )
    assert assess(world).factor("spc_concerns").status == "clear"
    Alert.objects.create(
        organisation=provider, metric=waits, kind="concern", period="2019-Q4", rule="z"
    )
    factor = assess(world).factor("spc_concerns")
    assert (factor.status, factor.value, factor.threshold) == ("fired", 1.0, 1.0)
    assert factor.sentence == (
        "1 open special-cause concern(s) in the returns (Waiting-Time-Weeks); 1 or more is a risk."
    )


def test_three_factors_together_are_high_risk(world):
    report(world, "cash-days", "2019-Q4", 12.0)
    report(world, "operating-margin", "2019-Q4", -1.0)
    contract(world, "A1", "1000000", ["a"], continuity_plan="")
    risk = assess(world)
    assert [f.code for f in risk.reasons] == [
        "income_concentration",
        "cash_days",
        "operating_margin",
    ]
    assert not any(f.severe for f in risk.reasons)
    assert risk.rating == "high"
    assert risk.continuity.all_covered is False
    assert risk.continuity.sentence.startswith("The live contract A1 has no continuity plan")
    assert assess(world, high_when_fired=4).rating == "medium"


def test_no_live_contracts(world):
    healthy(world)
    Contract.objects.update(end_date=date(2019, 6, 30))
    risk = assess(world)
    assert risk.factor("income_concentration").status == "unknown"
    assert risk.factor("expiry_cliff").status == "unknown"
    assert risk.continuity.all_covered is None
    assert risk.live_contract_value == Decimal("0.00")


def test_portfolio_assesses_current_providers_high_first(world, django_assert_num_queries):
    healthy(world)
    weak = _org("Weak Care CIC", spinout_date=date(2011, 4, 1))
    report(world, "cash-days", "2019-Q4", 4.0, organisation=weak)
    _org("Gone CIC", spinout_date=date(2011, 4, 1), exit_date=date(2016, 10, 1))
    _org("Future CIC", spinout_date=date(2020, 4, 1))
    with django_assert_num_queries(6):
        result = portfolio_risk(AS_OF)
    assert [(a.organisation.name, a.rating) for a in result.assessments] == [
        ("Weak Care CIC", "high"),
        ("Fenmoor Health CIC", "low"),
    ]
    assert result.counts == {"high": 1, "medium": 0, "low": 1}
    assert [a.organisation.name for a in result.high] == ["Weak Care CIC"]
    assert result.tidy().height == 2 * 5
    assert result.to_dict()["counts"]["high"] == 1
    # one provider's assessment is the same alone as in the portfolio
    assert failure_risk(weak, AS_OF) == result.assessments[0]


def test_the_default_as_of_is_the_end_of_the_latest_period_returned(world):
    assert returns_as_of(today=date(2025, 1, 1)) == date(2025, 1, 1)
    report(world, "cash-days", "2019-Q3", 30.0)
    assert returns_as_of(today=date(2025, 1, 1)) == date(2019, 9, 30)
    assert returns_as_of(today=date(2019, 8, 1)) == date(2019, 8, 1)
    assert portfolio_risk().as_of == date(2019, 9, 30)
    assert period_end(date(2019, 4, 1), "year") == date(2020, 3, 31)
    assert period_end(date(2019, 12, 1), "month") == date(2019, 12, 31)
    assert period_end(date(2019, 10, 1), "quarter") == date(2019, 12, 31)
