"""Figures recomputed from the contracts, the returns and the engine, independently of the
services the reports read, so a report can be held against them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import polars as pl

from mutuals.contracts.deflator import assumed_deflator
from mutuals.contracts.models import Baseline, Contract
from mutuals.engine.did import did
from mutuals.engine.savings import SavingsResult, savings
from mutuals.evaluation.panels import members, programme_panel, quarterly_values
from mutuals.registry.models import Programme, ProgrammeMembership
from mutuals.returns.models import CurrentObservation, Metric
from mutuals.returns.periods import quarter_index

TESTS = ("objectives", "savings", "baseline", "extra_benefits", "continuity", "evaluation")
ACTIVITY, UNIT_COST = "contacts-delivered", "unit-cost-per-contact"


def tests_passed(contract: Contract) -> dict[str, bool]:
    """The six objectives-audit tests, straight from the contract's fields."""
    baseline = Baseline.objects.filter(contract=contract).first()
    pct = contract.savings_requirement_pct
    return {
        "objectives": any(
            o.metric_id is not None and o.target is not None and o.deadline is not None
            for o in contract.objectives.all()
        ),
        "savings": pct is not None and pct > 0,
        "baseline": baseline is not None
        and bool(baseline.annual_activity)
        and baseline.annual_activity > 0
        and baseline.annual_cost is not None
        and baseline.annual_cost > 0,
        "extra_benefits": bool(contract.extra_benefits.strip()),
        "continuity": bool(contract.continuity_plan.strip()),
        "evaluation": bool(contract.evaluation_plan.strip()),
    }


def audit_groups() -> dict[str, dict[str, list[Contract]]]:
    """Contracts by programme code ('' for none), by commissioner id, and in total."""
    by_programme: dict[str, list[Contract]] = defaultdict(list)
    by_commissioner: dict[str, list[Contract]] = defaultdict(list)
    spin_outs = defaultdict(set)
    for org, code in ProgrammeMembership.objects.filter(
        role=ProgrammeMembership.Role.SPIN_OUT
    ).values_list("organisation_id", "programme__code"):
        spin_outs[org].add(code)
    contracts = list(Contract.objects.prefetch_related("commissioners", "objectives"))
    for contract in contracts:
        for code in spin_outs[contract.provider_id] or {""}:
            by_programme[code].append(contract)
        for commissioner in contract.commissioners.all():
            by_commissioner[str(commissioner.pk)].append(contract)
    return {
        "programme": dict(by_programme),
        "commissioner": dict(by_commissioner),
        "total": {"all": contracts},
    }


def shares(contracts: list[Contract]) -> dict[str, tuple[float | None, int]]:
    """For each test: (share of annual value passing, contracts passing)."""
    value = sum((c.annual_value for c in contracts), Decimal(0))
    outcomes = [(c, tests_passed(c)) for c in contracts]
    result = {}
    for code in TESTS:
        passing = [c for c, passed in outcomes if passed[code]]
        passed_value = sum((c.annual_value for c in passing), Decimal(0))
        result[code] = (float(passed_value / value) if value else None, len(passing))
    return result


def _financial_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def savings_frame(contract: Contract, as_of: date) -> pl.DataFrame:
    """Activity and nominal cost by financial year from the provider's quarterly returns
    over the contract (to ``as_of``), from the baseline's price year on."""
    baseline = contract.baseline
    last = min(contract.end_date, as_of)
    rows = CurrentObservation.objects.filter(
        organisation=contract.provider_id,
        metric__code__in=[ACTIVITY, UNIT_COST],
        period_kind="quarter",
        period_start__gte=contract.start_date,
        period_start__lte=last,
    ).values_list("metric__code", "period_start", "value")
    figures: dict[date, dict[str, float]] = defaultdict(dict)
    for code, start, value in rows:
        figures[start][code] = value
    years: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for start, pair in sorted(figures.items()):
        if len(pair) < 2 or _financial_year(start) < baseline.price_year:
            continue
        years[_financial_year(start)][0] += pair[ACTIVITY]
        years[_financial_year(start)][1] += pair[ACTIVITY] * pair[UNIT_COST]
    ordered = sorted(years)
    return pl.DataFrame(
        {
            "year": ordered,
            "activity": [years[y][0] for y in ordered],
            "actual_cost": [years[y][1] for y in ordered],
        },
        schema={"year": pl.Int64, "activity": pl.Float64, "actual_cost": pl.Float64},
    )


def contract_savings(contract: Contract, as_of: date) -> tuple[pl.DataFrame, SavingsResult]:
    """The engine's savings for a contract, on inputs rebuilt from the returns."""
    baseline = contract.baseline
    frame = savings_frame(contract, as_of)
    base = int(baseline.price_year)
    arguments = {
        "baseline_unit_cost": float(baseline.annual_cost / baseline.annual_activity),
        "base_year": base,
        "deflator": assumed_deflator([base, *frame["year"].to_list()]),
        "efficiency": 0.04,
        "band": (0.02, 0.06),
    }
    requirement = None
    if contract.savings_requirement_pct is not None:
        central = savings(frame, **arguments).totals["counterfactual_real"][0]
        requirement = float(contract.savings_requirement_pct) / 100 * central
    return frame, savings(frame, **arguments, requirement=requirement)


def did_for(programme_code: str, metric_code: str, cohorts: list[str]):
    """The engine's difference-in-differences on the programme's panel, as the evaluation
    estimates the given cohorts: never-treated comparators, the small-sample correction."""
    programme = Programme.objects.get(code=programme_code)
    metric = Metric.objects.get(code=metric_code)
    panel = programme_panel(
        programme.code,
        programme.pk,
        metric.code,
        quarterly_values(metric.pk),
        members(programme.pk),
    )
    usable = [quarter_index(c) for c in cohorts]
    data = panel.frame.filter(pl.col("cohort").is_in([0, *usable]))
    return did(
        data, outcome="outcome", unit="unit", time="time", cohort="cohort", alpha=0.05,
        small_sample=True,
    )  # fmt: skip
