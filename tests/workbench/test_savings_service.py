"""Savings against the counterfactual from contracts, baselines and returns.

The hand-computed case (contract C1, 1 April 2011 to 31 March 2013):

- baseline: £100,000 for 1,000 contacts in 2010/11 prices → £100 a contact; 1% a year
  saving required;
- 2011/12: four quarters of 250 contacts at £102 → 1,000 contacts costing £102,000,
  i.e. £100,000 in 2010/11 prices (assumed deflator: 2% a year, 102 / 100);
- 2012/13: four quarters of 300 contacts at £93.636 → 1,200 contacts costing
  £112,363.20, i.e. £108,000 in 2010/11 prices (÷ 1.0404);
- counterfactual at 4% a year: 100 × 1,000 × 0.96 = £96,000 and
  100 × 1,200 × 0.9216 = £110,592;
- savings: −£4,000 and +£2,592, −£1,408 in all;
- requirement: 1% of £206,592 = £2,065.92, missed by £3,473.92.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from mutuals.contracts.deflator import assumed_deflator
from mutuals.contracts.models import Baseline, Contract
from mutuals.contracts.savings import (
    ContractSavings,
    SavingsOptions,
    SavingsUnavailable,
    contract_savings,
    default_options,
    financial_year,
    portfolio_savings,
)
from mutuals.engine.errors import InvalidOptionError
from mutuals.engine.savings import savings
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric, Observation, Submission
from mutuals.returns.periods import parse_period

QUARTERS_2011 = ("2011-Q2", "2011-Q3", "2011-Q4", "2012-Q1")
QUARTERS_2012 = ("2012-Q2", "2012-Q3", "2012-Q4", "2013-Q1")


def _org(name, kind="provider"):
    return Organisation.objects.create(
        name=name, kind=kind, legal_form="company", region="north_east"
    )


def _metric(code, unit):
    return Metric.objects.create(
        code=code, name=code, unit=unit, direction="neutral", domain="cost"
    )


class Returns:
    """Writes current (and superseded) observations for one provider."""

    def __init__(self, organisation):
        self.organisation = organisation
        self.submission = Submission.objects.create(source="cli")

    def add(self, metric, label, value, *, version=1, current=True):
        period = parse_period(label)
        Observation.objects.create(
            organisation=self.organisation,
            metric=metric,
            period=period.label,
            period_start=period.start,
            period_kind=period.kind,
            value=value,
            version=version,
            is_current=current,
            submission=self.submission,
        )


def _contract(reference, provider, commissioner, start, end, *, pct=None, baseline=None):
    contract = Contract.objects.create(
        reference=reference,
        title=f"Services {reference}",
        provider=provider,
        start_date=start,
        end_date=end,
        annual_value=Decimal("100000.00"),
        status="active",
        savings_requirement_pct=pct,
    )
    contract.commissioners.set([commissioner])
    if baseline:
        cost, activity, unit, year = baseline
        Baseline.objects.create(
            contract=contract,
            annual_cost=Decimal(cost),
            annual_activity=Decimal(activity),
            activity_unit=unit,
            price_year=year,
        )
    return contract


@pytest.fixture
def world(db):
    contacts = _metric("contacts-delivered", "contacts")
    unit_cost = _metric("unit-cost-per-contact", "£ per contact")
    pct = _org("Fenmoor PCT", "commissioner")
    provider = _org("Fenmoor Health CIC")
    returns = Returns(provider)
    for label in QUARTERS_2011:
        returns.add(contacts, label, 250.0)
        returns.add(unit_cost, label, 102.0)
    for label in QUARTERS_2012:
        returns.add(contacts, label, 300.0)
        returns.add(unit_cost, label, 93.636)
    # a superseded figure, a quarter before the contract and one after it: all ignored
    returns.add(unit_cost, "2011-Q2", 500.0, version=0, current=False)
    for label in ("2011-Q1", "2013-Q2"):
        returns.add(contacts, label, 9_999.0)
        returns.add(unit_cost, label, 9_999.0)
    # monthly activity with no monthly cost: no complete month, so the quarters are used
    returns.add(contacts, "2011-06", 80.0)
    c1 = _contract(
        "C1",
        provider,
        pct,
        date(2011, 4, 1),
        date(2013, 3, 31),
        pct=Decimal("1.00"),
        baseline=("100000.00", "1000.00", "contacts", 2010),
    )
    return {"c1": c1, "provider": provider, "pct": pct, "contacts": contacts, "cost": unit_cost}


def test_the_hand_computed_case(world):
    result = contract_savings(world["c1"])
    assert isinstance(result, ContractSavings)
    assert result.frame["year"].to_list() == [2011, 2012]
    assert result.frame["activity"].to_list() == [1000.0, 1200.0]
    assert result.frame["actual_cost"].to_list() == pytest.approx([102_000.0, 112_363.2])
    assert result.baseline_unit_cost == 100.0 and result.base_year == 2010
    assert result.by_year["actual_real"].to_list() == pytest.approx([100_000.0, 108_000.0])
    assert result.by_year["counterfactual_real"].to_list() == pytest.approx([96_000, 110_592])
    assert result.by_year["savings_real"].to_list() == pytest.approx([-4_000, 2_592])
    assert result.savings_real == pytest.approx(-1_408)
    assert result.savings_present_value == pytest.approx(-4_000 / 1.035 + 2_592 / 1.035**2)
    # band: at 2%, 98,000 + 115,248 − 208,000 = 5,248; at 6%, 94,000 + 106,032 − 208,000
    assert result.savings_at_low_efficiency == pytest.approx(5_248)
    assert result.savings_at_high_efficiency == pytest.approx(-7_968)
    assert result.requirement == pytest.approx(2_065.92)
    assert result.requirement_status == "not_met"
    assert result.shortfall == pytest.approx(3_473.92)
    assert result.notes == ()
    assert result.summary.startswith("C1 cost £1,408 more than the counterfactual over 2011/12")


def test_the_result_reconciles_exactly_with_the_engine(world):
    result = contract_savings(world["c1"])
    again = savings(result.frame, **result.engine_arguments())
    assert again.totals.equals(result.result.totals)
    assert again.by_year.equals(result.result.by_year)
    assert (again.requirement_status, again.shortfall) == ("not_met", result.shortfall)
    # and with the inputs written out by hand
    direct = savings(
        pl.DataFrame(
            {"year": [2011, 2012], "activity": [1000, 1200], "actual_cost": [102_000.0, 112_363.2]}
        ),
        baseline_unit_cost=100.0,
        base_year=2010,
        deflator={2010: 100.0, 2011: 102.0, 2012: 104.04},
        requirement=2_065.92,
    )
    assert direct.total_savings == pytest.approx(result.savings_real)
    assert direct.shortfall == pytest.approx(result.shortfall)


def test_as_of_cuts_the_returns(world):
    result = contract_savings(world["c1"], as_of=date(2012, 9, 30))
    assert result.frame["year"].to_list() == [2011, 2012]
    assert result.frame["activity"].to_list() == [1000.0, 600.0]
    assert result.notes == ("2012/13 has 2 of 4 quarters of returns.",)
    first_year = contract_savings(world["c1"], as_of=date(2012, 3, 31))
    assert first_year.savings_real == pytest.approx(-4_000)


def test_why_savings_cannot_be_measured(world):
    provider, pct = world["provider"], world["pct"]
    no_baseline = _contract("N1", provider, pct, date(2011, 4, 1), date(2013, 3, 31))
    children = _contract(
        "N2",
        provider,
        pct,
        date(2011, 4, 1),
        date(2013, 3, 31),
        baseline=("900000.00", "30.00", "children and young people", 2010),
    )
    idle = _contract(
        "N3",
        provider,
        pct,
        date(2011, 4, 1),
        date(2013, 3, 31),
        baseline=("900000.00", "0.00", "contacts", 2010),
    )
    later = _contract(
        "N4",
        provider,
        pct,
        date(2015, 4, 1),
        date(2016, 3, 31),
        baseline=("100000.00", "1000.00", "Contacts", 2010),
    )
    results = {c.reference: contract_savings(c) for c in (no_baseline, children, idle, later)}
    assert all(isinstance(r, SavingsUnavailable) for r in results.values())
    assert {k: r.code for k, r in results.items()} == {
        "N1": "no_baseline",
        "N2": "unit_mismatch",
        "N3": "no_unit_cost",
        "N4": "no_returns",
    }
    assert "counts activity in children and young people but the returns count contacts" in (
        results["N2"].reason
    )
    assert results["N4"].reason == (
        "Fenmoor Health CIC has no returns of both 'contacts-delivered' and "
        "'unit-cost-per-contact' for the same periods between 1 April 2015 and 31 March 2016."
    )
    assert results["N1"].provider_name == "Fenmoor Health CIC"


def test_years_before_the_price_year_and_overlapping_contracts_are_noted(world):
    provider, pct = world["provider"], world["pct"]
    early = _contract(
        "E1",
        provider,
        pct,
        date(2011, 4, 1),
        date(2013, 3, 31),
        baseline=("102000.00", "1000.00", "contacts", 2011),
    )
    result = contract_savings(early)
    assert result.frame["year"].to_list() == [2011, 2012]  # nothing dropped
    assert result.notes == (
        "Returns cover the whole provider, which also held C1 over part of this period.",
    )
    late = _contract(
        "E2",
        provider,
        pct,
        date(2011, 4, 1),
        date(2013, 3, 31),
        baseline=("102000.00", "1000.00", "contacts", 2012),
    )
    result = contract_savings(late)
    assert result.frame["year"].to_list() == [2012]
    assert result.notes[0] == "4 quarter(s) before the baseline's price year 2012/13 are left out."


def test_portfolio_totals_add_up_the_contracts_in_four_queries(world, django_assert_num_queries):
    provider, pct = world["provider"], world["pct"]
    _contract("N1", provider, pct, date(2011, 4, 1), date(2013, 3, 31))
    other = _org("Bexmoor Care")
    returns = Returns(other)
    for label in QUARTERS_2011:
        returns.add(world["contacts"], label, 500.0)
        returns.add(world["cost"], label, 51.0)
    _contract(
        "B1",
        other,
        pct,
        date(2011, 4, 1),
        date(2012, 3, 31),
        baseline=("100000.00", "2000.00", "contacts", 2010),
    )
    with django_assert_num_queries(4):
        result = portfolio_savings()
    assert [c.reference for c in result.contracts] == ["B1", "C1"]
    assert [u.reference for u in result.unavailable] == ["N1"]
    assert result.unavailable_by_reason() == {"no_baseline": 1}
    b1, c1 = result.contracts
    # B1: 2,000 contacts at £51 = £102,000, £100,000 real; counterfactual 50 × 2,000 × 0.96
    assert b1.savings_real == pytest.approx(96_000 - 100_000)
    totals = result.totals
    assert totals.contracts == 2 and totals.price_year == 2010
    assert totals.savings_real == b1.savings_real + c1.savings_real
    assert totals.savings_present_value == b1.savings_present_value + c1.savings_present_value
    assert totals.savings_at_low_efficiency == pytest.approx(5_248 + 100_000 * 0.98 - 100_000)
    assert totals.savings_at_high_efficiency == pytest.approx(-7_968 + 94_000 - 100_000)
    assert totals.band == (totals.savings_at_high_efficiency, totals.savings_at_low_efficiency)
    assert totals.counterfactual_real == pytest.approx(206_592 + 96_000)
    assert (totals.contracts_with_requirement, totals.requirements_met) == (1, 0)
    assert totals.requirement == pytest.approx(2_065.92)
    assert result.tidy().height == 2
    assert result.to_dict()["totals"]["contracts"] == 2


def test_portfolio_totals_reprice_other_price_years(world):
    provider = _org("Later Care")
    returns = Returns(provider)
    for label in QUARTERS_2012:
        returns.add(world["contacts"], label, 250.0)
        returns.add(world["cost"], label, 100.0)
    _contract(
        "L1",
        provider,
        world["pct"],
        date(2012, 4, 1),
        date(2013, 3, 31),
        baseline=("100000.00", "1000.00", "contacts", 2012),
    )
    result = portfolio_savings()
    c1, l1 = result.contracts
    assert l1.base_year == 2012 and l1.savings_real == pytest.approx(0.0)
    assert result.totals.price_year == 2012
    # C1's 2010/11 prices × 1.02² to 2012/13 prices
    assert result.totals.savings_real == pytest.approx(-1_408 * 1.0404)


def test_options_metrics_cost_basis_and_deflator(world):
    total = _metric("total-cost", "£")
    returns = Returns(world["provider"])
    for label in QUARTERS_2011:
        returns.add(total, label, 25_500.0)
    options = SavingsOptions(
        cost_metric="total-cost", cost_basis="total", deflator={2010: 1, 2011: 1}
    )
    result = contract_savings(world["c1"], options=options, as_of=date(2012, 3, 31))
    # £102,000 not deflated; counterfactual 96,000
    assert result.actual_real == pytest.approx(102_000)
    assert result.savings_real == pytest.approx(-6_000)
    assert result.deflator == {2010: 1.0, 2011: 1.0}
    with pytest.raises(InvalidOptionError, match="0.04 for 4%"):
        SavingsOptions(efficiency=4)
    with pytest.raises(InvalidOptionError, match="cost_basis"):
        SavingsOptions(cost_basis="average")


def test_metric_codes_come_from_settings_when_declared(settings):
    assert default_options().activity_metric == "contacts-delivered"
    settings.SAVINGS_ACTIVITY_METRIC = "visits"
    settings.SAVINGS_COST_METRIC = "cost-per-visit"
    options = default_options()
    assert (options.activity_metric, options.cost_metric) == ("visits", "cost-per-visit")


def test_assumed_deflator_and_financial_years():
    assert assumed_deflator([2012, 2010, 2011]) == pytest.approx(
        {2010: 100.0, 2011: 102.0, 2012: 104.04}
    )
    assert assumed_deflator([2011], inflation=0.0) == {2011: 100.0}
    assert financial_year(date(2012, 3, 31)) == 2011
    assert financial_year(date(2012, 4, 1)) == 2012


def _contract_with_returns(world, reference, provider_name, cost_by_quarter, activity=300.0):
    """A contract for 2012/13 (baseline £100 a contact in 2010/11 prices) at a new provider
    whose quarterly returns give ``activity`` contacts at the costs given."""
    provider = _org(provider_name)
    returns = Returns(provider)
    for label, cost in cost_by_quarter.items():
        returns.add(world["contacts"], label, activity)
        returns.add(world["cost"], label, cost)
    return _contract(
        reference,
        provider,
        world["pct"],
        date(2012, 4, 1),
        date(2013, 3, 31),
        baseline=("100000.00", "1000.00", "contacts", 2010),
    )


def test_a_negative_cost_return_is_unavailable_not_a_saving(world):
    # The importer refuses a negative unit cost, so it is written straight to the database,
    # as a metric that allows negatives (or a bad load) could leave it.
    costs = dict(zip(QUARTERS_2012, (93.636, 93.636, -500.0, 93.636), strict=True))
    negative = _contract_with_returns(world, "R1", "Rookmoor Care", costs)
    alone = contract_savings(negative)
    assert isinstance(alone, SavingsUnavailable) and alone.code == "invalid_returns"
    assert alone.reason == (
        "Contract R1, 2012/13: Rookmoor Care's return of 'unit-cost-per-contact' for 2012-Q4 "
        "is negative (\u2212500). Activity and costs cannot be below zero or missing (a negative "
        "cost would count as a saving): correct the return(s) named, then measure again."
    )
    result = portfolio_savings()
    assert [c.reference for c in result.contracts] == ["C1"]
    assert [(u.reference, u.code) for u in result.unavailable] == [("R1", "invalid_returns")]
    assert result.unavailable_by_reason() == {"invalid_returns": 1}
    (c1,) = result.contracts
    assert result.totals.contracts == 1
    assert result.totals.savings_real == c1.savings_real == pytest.approx(-1_408)
    assert result.totals.actual_real == pytest.approx(208_000)


def test_a_negative_quarter_within_a_positive_year_is_still_refused(world):
    """Added into the year it would only lower the cost, so the year's total looks fine."""
    costs = dict(zip(QUARTERS_2012, (93.636, -1.0, 93.636, 93.636), strict=True))
    result = contract_savings(_contract_with_returns(world, "R2", "Rookmoor Care", costs))
    assert result.code == "invalid_returns"
    assert "2012/13: Rookmoor Care's return of 'unit-cost-per-contact' for 2012-Q3" in (
        result.reason
    )


def test_yearly_totals_the_engine_refuses_are_unavailable(world):
    # each return is a finite number, but cost × activity overflows to infinity
    costs = dict.fromkeys(QUARTERS_2012, 1e300)
    result = contract_savings(
        _contract_with_returns(world, "R3", "Rookmoor Care", costs, activity=1e10)
    )
    assert isinstance(result, SavingsUnavailable) and result.code == "invalid_returns"
    assert result.reason.startswith(
        "Contract R3: the yearly totals from Rookmoor Care's returns cannot be used. 2012/13: "
        "the actual cost ('actual_cost') is not a finite number (infinity)."
    )
    assert "'unit-cost-per-contact' × activity" in result.reason


def test_a_supplied_deflator_must_be_above_zero():
    with pytest.raises(InvalidOptionError, match="2011/12 is 0.0; 2012/13 is -1"):
        SavingsOptions(deflator={2010: 100, 2011: 0.0, 2012: -1})
    with pytest.raises(InvalidOptionError, match="2011/12 is nan"):
        SavingsOptions(deflator={2010: 100, 2011: float("nan")})
    with pytest.raises(InvalidOptionError, match="0.02 for 2%"):
        SavingsOptions(inflation=2)
