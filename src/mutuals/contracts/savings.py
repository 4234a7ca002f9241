"""Savings against the in-house counterfactual for each contract, and for the portfolio.

For a contract with a baseline, the provider's current returns give activity
(:data:`ACTIVITY_METRIC`) and cost (:data:`COST_METRIC`, a cost per unit of
activity, so actual cost = unit cost × activity) for each period between the
contract's start and its end (or ``as_of``). Periods are added up by financial
year (April to March) into the frame the engine takes, and
:func:`mutuals.engine.savings.savings` does the sums: counterfactual = baseline
unit cost × activity × (1 − efficiency)^years since the baseline's price year,
actual costs deflated to those prices (:mod:`mutuals.contracts.deflator`),
Green Book discounting, and a band over the efficiency rate.

The contracted requirement is a percentage a year: each year the provider must
cost that much less than the counterfactual, so the cumulative requirement is
``requirement_pct`` % of the central counterfactual, in real terms.

Every :class:`ContractSavings` carries the engine's inputs (``frame`` and
:meth:`ContractSavings.engine_arguments`), so any figure can be recomputed by
calling the engine directly. Returns are reported by the provider as a whole:
a note says when the provider held other contracts at the same time.

A return that is negative, missing or not a finite number is never added into
a year (a negative cost would pass for a saving): the contract is listed as
unavailable (``invalid_returns``) with a reason naming the contract, the year,
the period and the metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import polars as pl
from django.conf import settings
from django.db.models import QuerySet

from mutuals.contracts.deflator import DEFAULT_INFLATION, assumed_deflator
from mutuals.contracts.models import Baseline, Contract, ContractStatus
from mutuals.engine._results import to_plain
from mutuals.engine.errors import DuplicatePeriodError, InvalidOptionError, ValueOutOfRangeError
from mutuals.engine.savings import SavingsResult, measure_problem, savings
from mutuals.returns.models import CurrentObservation, Metric
from mutuals.returns.span import returns_span

# Defaults of the settings SAVINGS_ACTIVITY_METRIC and SAVINGS_COST_METRIC (mutuals.config).
ACTIVITY_METRIC = "contacts-delivered"
COST_METRIC = "unit-cost-per-contact"
CostBasis = Literal["per_unit", "total"]
UnavailableCode = Literal[
    "no_baseline", "no_unit_cost", "unit_mismatch", "no_returns", "invalid_returns"
]
_PERIODS_PER_YEAR = {"quarter": 4, "month": 12, "year": 1}


@dataclass(frozen=True)
class SavingsOptions:
    """What the service reads and assumes. ``cost_basis`` says whether the cost metric is a
    cost per unit of activity or a total; ``deflator`` (financial year → index) replaces the
    assumed series of ``inflation`` a year."""

    activity_metric: str = ACTIVITY_METRIC
    cost_metric: str = COST_METRIC
    cost_basis: CostBasis = "per_unit"
    efficiency: float = 0.04
    band: tuple[float, float] = (0.02, 0.06)
    deflator: Mapping[int, float] | None = field(default=None, hash=False)
    inflation: float = DEFAULT_INFLATION

    def __post_init__(self) -> None:
        if self.cost_basis not in ("per_unit", "total"):
            raise InvalidOptionError(f"cost_basis={self.cost_basis!r}: use 'per_unit' or 'total'.")
        for rate in (self.efficiency, *self.band):
            if not 0 <= rate < 1:
                raise InvalidOptionError(
                    f"Efficiency rates are yearly fractions in [0, 1), e.g. 0.04 for 4%; got {rate}."
                )
        if not -1 < self.inflation < 1:
            raise InvalidOptionError(
                f"inflation is a yearly fraction such as 0.02 for 2%; got {self.inflation}."
            )
        if self.deflator is not None:
            _require_usable_index(self.deflator)


def _require_usable_index(deflator: Mapping[int, float]) -> None:
    """Refuse a supplied deflator when the options are built, naming each year whose index is
    not a finite number above zero, rather than failing once per contract: a zero divides by
    zero and a negative index turns a cost into a saving."""
    unusable = []
    for year, value in sorted(deflator.items()):
        try:
            usable = math.isfinite(float(value)) and float(value) > 0
        except (TypeError, ValueError):
            usable = False
        if not usable:
            unusable.append(f"{_fy(int(year))} is {value!r}")
    if unusable:
        raise InvalidOptionError(
            f"The deflator's index must be a finite number above zero in every year, but "
            f"{'; '.join(unusable)}. Correct those years, or leave the deflator out to assume "
            f"prices rise {DEFAULT_INFLATION:.0%} a year."
        )


def default_options() -> SavingsOptions:
    """Options with the metric codes from settings when declared, else the module defaults."""
    return SavingsOptions(
        activity_metric=getattr(settings, "SAVINGS_ACTIVITY_METRIC", ACTIVITY_METRIC),
        cost_metric=getattr(settings, "SAVINGS_COST_METRIC", COST_METRIC),
    )


@dataclass(frozen=True)
class SavingsUnavailable:
    """A contract whose savings cannot be measured, and why, in words a person can act on."""

    contract_id: int
    reference: str
    title: str
    provider_id: int
    provider_name: str
    code: UnavailableCode
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True, eq=False)
class ContractSavings:
    """One contract's savings, with the engine's inputs and its result."""

    contract_id: int
    reference: str
    title: str
    provider_id: int
    provider_name: str
    activity_unit: str
    requirement_pct: float | None
    frame: pl.DataFrame  # engine input: year, activity, actual_cost (nominal £)
    baseline_unit_cost: float
    base_year: int
    deflator: dict[int, float]
    efficiency: float
    band: tuple[float, float]
    requirement: float | None  # cumulative £, real, or None when none is contracted
    result: SavingsResult
    notes: tuple[str, ...] = ()

    def engine_arguments(self) -> dict[str, Any]:
        """Keyword arguments that, with ``frame``, reproduce :attr:`result` exactly."""
        return {
            "baseline_unit_cost": self.baseline_unit_cost,
            "base_year": self.base_year,
            "deflator": dict(self.deflator),
            "efficiency": self.efficiency,
            "band": self.band,
            "requirement": self.requirement,
            "requirement_basis": "real",
        }

    def _total(self, scenario: int, column: str) -> float:
        return float(self.result.totals[column][scenario])

    @property
    def by_year(self) -> pl.DataFrame:
        return self.result.by_year

    @property
    def first_year(self) -> int:
        return int(self.frame["year"].min())

    @property
    def last_year(self) -> int:
        return int(self.frame["year"].max())

    @property
    def counterfactual_real(self) -> float:
        return self._total(0, "counterfactual_real")

    @property
    def actual_real(self) -> float:
        return self._total(0, "actual_real")

    @property
    def savings_real(self) -> float:
        """Central cumulative saving over and above the counterfactual, in base-year prices."""
        return self.result.total_savings

    @property
    def savings_present_value(self) -> float:
        return self.result.present_value

    @property
    def savings_at_low_efficiency(self) -> float:
        """The saving if in-house efficiency would have been the band's lower rate (larger)."""
        return self._total(1, "savings_real")

    @property
    def savings_at_high_efficiency(self) -> float:
        """The saving if in-house efficiency would have been the band's upper rate (smaller)."""
        return self._total(2, "savings_real")

    @property
    def requirement_status(self) -> Literal["met", "not_met"] | None:
        return self.result.requirement_status

    @property
    def shortfall(self) -> float | None:
        return self.result.shortfall

    @property
    def summary(self) -> str:
        years = f"{_fy(self.first_year)} to {_fy(self.last_year)}"
        central = self.savings_real
        outcome = (
            f"saved £{central:,.0f} beyond the counterfactual"
            if central >= 0
            else f"cost £{-central:,.0f} more than the counterfactual"
        )
        text = (
            f"{self.reference} {outcome} over {years} ({_fy(self.base_year)} prices, "
            f"in-house efficiency {self.efficiency:.0%} a year; the saving is "
            f"£{self.savings_at_high_efficiency:,.0f} at {self.band[1]:.0%} and "
            f"£{self.savings_at_low_efficiency:,.0f} at {self.band[0]:.0%})."
        )
        if self.requirement_status == "met":
            text += f" The contracted saving of £{self.requirement:,.0f} was met."
        elif self.requirement_status == "not_met":
            text += (
                f" The contracted saving of £{self.requirement:,.0f} was missed by "
                f"£{self.shortfall:,.0f}."
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "contract_id": self.contract_id,
            "reference": self.reference,
            "title": self.title,
            "provider_id": self.provider_id,
            "provider_name": self.provider_name,
            "first_year": self.first_year,
            "last_year": self.last_year,
            "base_year": self.base_year,
            "baseline_unit_cost": self.baseline_unit_cost,
            "counterfactual_real": self.counterfactual_real,
            "actual_real": self.actual_real,
            "savings_real": self.savings_real,
            "savings_present_value": self.savings_present_value,
            "savings_at_low_efficiency": self.savings_at_low_efficiency,
            "savings_at_high_efficiency": self.savings_at_high_efficiency,
            "requirement_pct": self.requirement_pct,
            "requirement": self.requirement,
            "requirement_status": self.requirement_status,
            "shortfall": self.shortfall,
            "notes": list(self.notes),
            "by_year": to_plain(self.by_year),
        }


def _fy(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def financial_year(day: date) -> int:
    """The financial year (by its first calendar year) a day falls in: April to March."""
    return day.year if day.month >= 4 else day.year - 1


# --- gathering the returns ----------------------------------------------------------------


# One provider's current figures: (metric code, period kind, period) → (start, value).
_Returns = dict[tuple[str, str, str], tuple[date, float]]


def _returns_for(provider_ids, options: SavingsOptions, as_of: date | None) -> dict[int, _Returns]:
    """Each provider's current activity and cost returns, leaving out any stored for a
    period no return can be for (:mod:`mutuals.returns.span`), which would otherwise add
    a financial year like 9999/00 to the engine's frame."""
    rows = CurrentObservation.objects.filter(
        returns_span().stored(),
        organisation_id__in=provider_ids,
        metric__code__in=[options.activity_metric, options.cost_metric],
    )
    if as_of is not None:
        rows = rows.filter(period_start__lte=as_of)
    found: dict[int, _Returns] = {pk: {} for pk in provider_ids}
    for org, code, kind, period, start, value in rows.values_list(
        "organisation_id", "metric__code", "period_kind", "period", "period_start", "value"
    ).order_by():
        found[org][(code, kind, period)] = (start, value)
    return found


def _paired_periods(returns: _Returns, options: SavingsOptions, first: date, last: date):
    """(kind, [(start, activity, cost, period)]) for the period kind with the most complete
    periods."""
    by_kind: dict[str, list[tuple[date, float, float, str]]] = {}
    for (code, kind, period), (start, activity) in returns.items():
        if code != options.activity_metric or not first <= start <= last:
            continue
        cost = returns.get((options.cost_metric, kind, period))
        if cost is not None:
            by_kind.setdefault(kind, []).append((start, activity, cost[1], period))
    if not by_kind:
        return None, []
    kind = max(by_kind, key=lambda k: (len(by_kind[k]), _PERIODS_PER_YEAR.get(k, 0)))
    return kind, sorted(by_kind[kind])


def _yearly_frame(periods, kind: str, cost_basis: CostBasis) -> tuple[pl.DataFrame, list[str]]:
    years: dict[int, list[float]] = {}
    for start, activity, cost, _period in periods:
        total = years.setdefault(financial_year(start), [0.0, 0.0, 0])
        total[0] += activity
        total[1] += cost * activity if cost_basis == "per_unit" else cost
        total[2] += 1
    expected = _PERIODS_PER_YEAR.get(kind)
    notes = [
        f"{_fy(year)} has {n} of {expected} {kind}s of returns."
        for year, (_, _, n) in sorted(years.items())
        if expected and n < expected
    ]
    frame = pl.DataFrame(
        {
            "year": sorted(years),
            "activity": [years[y][0] for y in sorted(years)],
            "actual_cost": [years[y][1] for y in sorted(years)],
        },
        schema={"year": pl.Int64, "activity": pl.Float64, "actual_cost": pl.Float64},
    )
    return frame, notes


# --- one contract ----------------------------------------------------------------------------


def _same_unit(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return text.strip().casefold().removesuffix("s")

    return norm(a) == norm(b)


def _unavailable(contract: Contract, code: UnavailableCode, reason: str) -> SavingsUnavailable:
    return SavingsUnavailable(
        contract.pk,
        contract.reference,
        contract.title,
        contract.provider_id,
        contract.provider.name,
        code,
        reason,
    )


def _baseline_problem(contract: Contract, metric_unit: str | None, options: SavingsOptions):
    try:
        baseline = contract.baseline
    except Baseline.DoesNotExist:
        return None, _unavailable(
            contract,
            "no_baseline",
            "No in-house baseline is recorded, so there is no counterfactual to compare with.",
        )
    if not baseline.annual_activity or baseline.annual_activity <= 0 or baseline.annual_cost <= 0:
        return None, _unavailable(
            contract,
            "no_unit_cost",
            "The baseline needs a cost and an activity above zero to give an in-house unit cost.",
        )
    if metric_unit is None:
        return None, _unavailable(
            contract,
            "no_returns",
            f"The metric catalogue has no '{options.activity_metric}' metric to read "
            "activity from.",
        )
    if not _same_unit(baseline.activity_unit, metric_unit):
        return None, _unavailable(
            contract,
            "unit_mismatch",
            f"The baseline counts activity in {baseline.activity_unit} but the returns count "
            f"{metric_unit} ('{options.activity_metric}'); record the baseline in "
            f"{metric_unit} to compare.",
        )
    return baseline, None


def _window(contract: Contract, as_of: date | None) -> tuple[date, date]:
    last = contract.end_date if as_of is None else min(contract.end_date, as_of)
    return contract.start_date, last


def _assess(
    contract: Contract,
    returns: _Returns,
    metric_unit: str | None,
    overlapping: list[str],
    options: SavingsOptions,
    as_of: date | None,
) -> ContractSavings | SavingsUnavailable:
    baseline, problem = _baseline_problem(contract, metric_unit, options)
    if problem:
        return problem
    first, last = _window(contract, as_of)
    kind, periods = _paired_periods(returns, options, first, last)
    notes = []
    early = [p for p in periods if financial_year(p[0]) < baseline.price_year]
    if early:
        notes.append(
            f"{len(early)} {kind}(s) before the baseline's price year {_fy(baseline.price_year)} "
            "are left out."
        )
        periods = [p for p in periods if financial_year(p[0]) >= baseline.price_year]
    if not periods:
        return _unavailable(
            contract,
            "no_returns",
            f"{contract.provider.name} has no returns of both '{options.activity_metric}' "
            f"and '{options.cost_metric}' for the same periods between {first:%-d %B %Y} "
            f"and {last:%-d %B %Y}.",
        )
    refused = _refused_returns(contract, periods, options)
    if refused:
        return refused
    frame, coverage = _yearly_frame(periods, kind, options.cost_basis)
    notes += coverage
    if overlapping:
        notes.append(
            "Returns cover the whole provider, which also held "
            f"{', '.join(overlapping)} over part of this period."
        )
    try:
        return _run_engine(contract, baseline, frame, options, tuple(notes))
    except (ValueOutOfRangeError, DuplicatePeriodError) as refusal:
        return _refused_by_engine(contract, options, refusal)


_MOST_LISTED = 5


def _refused_returns(
    contract: Contract, periods, options: SavingsOptions
) -> SavingsUnavailable | None:
    """Unavailable when a return used is negative, missing or not finite: added into a year,
    a negative cost would lower that year's cost (or flip a loss into a saving) unseen."""
    problems = [
        f"{_fy(financial_year(start))}: {contract.provider.name}'s return of '{metric}' "
        f"for {period} {problem}"
        for start, activity, cost, period in periods
        for metric, value in ((options.activity_metric, activity), (options.cost_metric, cost))
        if (problem := measure_problem(value))
    ]
    if not problems:
        return None
    listed = "; ".join(problems[:_MOST_LISTED])
    if len(problems) > _MOST_LISTED:
        listed += f"; and {len(problems) - _MOST_LISTED} more"
    return _unavailable(
        contract,
        "invalid_returns",
        f"Contract {contract.reference}, {listed}. Activity and costs cannot be below zero or "
        "missing (a negative cost would count as a saving): correct the return(s) named, then "
        "measure again.",
    )


def _refused_by_engine(
    contract: Contract, options: SavingsOptions, refusal: Exception
) -> SavingsUnavailable:
    """Unavailable when the yearly totals built from the returns are refused by the engine
    (for example a cost × activity too large to be a number)."""
    cost = (
        f"'{options.cost_metric}' × activity"
        if options.cost_basis == "per_unit"
        else f"'{options.cost_metric}'"
    )
    return _unavailable(
        contract,
        "invalid_returns",
        f"Contract {contract.reference}: the yearly totals from {contract.provider.name}'s "
        f"returns cannot be used. {refusal} Activity is the sum of '{options.activity_metric}' "
        f"and actual cost the sum of {cost} over each year's periods: check those returns.",
    )


def _run_engine(contract, baseline, frame, options, notes) -> ContractSavings:
    base_year = int(baseline.price_year)
    deflator = (
        {int(k): float(v) for k, v in options.deflator.items()}
        if options.deflator is not None
        else assumed_deflator([base_year, *frame["year"].to_list()], inflation=options.inflation)
    )
    arguments = {
        "baseline_unit_cost": float(baseline.annual_cost / baseline.annual_activity),
        "base_year": base_year,
        "deflator": deflator,
        "efficiency": options.efficiency,
        "band": tuple(options.band),
    }
    pct = contract.savings_requirement_pct
    requirement = None
    if pct is not None:
        counterfactual = savings(frame, **arguments).totals["counterfactual_real"][0]
        requirement = float(pct) / 100 * float(counterfactual)
    result = savings(frame, **arguments, requirement=requirement, requirement_basis="real")
    return ContractSavings(
        contract_id=contract.pk,
        reference=contract.reference,
        title=contract.title,
        provider_id=contract.provider_id,
        provider_name=contract.provider.name,
        activity_unit=baseline.activity_unit,
        requirement_pct=None if pct is None else float(pct),
        frame=frame,
        requirement=requirement,
        result=result,
        notes=notes,
        **arguments,
    )


def _overlaps(contracts: list[Contract]) -> dict[int, list[str]]:
    """For each contract, the references of the provider's other contracts at the same time."""
    others = (
        Contract.objects.filter(provider_id__in={c.provider_id for c in contracts})
        .exclude(status=ContractStatus.DRAFT)
        .values_list("pk", "provider_id", "reference", "start_date", "end_date")
        .order_by("reference")
    )
    rows = list(others)
    return {
        c.pk: [
            ref
            for pk, provider, ref, start, end in rows
            if provider == c.provider_id
            and pk != c.pk
            and start <= c.end_date
            and end >= c.start_date
        ]
        for c in contracts
    }


def _assess_all(
    contracts: list[Contract], options: SavingsOptions, as_of: date | None
) -> list[ContractSavings | SavingsUnavailable]:
    unit = (
        Metric.objects.filter(code=options.activity_metric).values_list("unit", flat=True).first()
    )
    returns = _returns_for(sorted({c.provider_id for c in contracts}), options, as_of)
    overlapping = _overlaps(contracts) if contracts else {}
    return [
        _assess(c, returns[c.provider_id], unit, overlapping[c.pk], options, as_of)
        for c in contracts
    ]


def contract_savings(
    contract: Contract, *, as_of: date | None = None, options: SavingsOptions | None = None
) -> ContractSavings | SavingsUnavailable:
    """Savings beyond the counterfactual over the contract's years up to ``as_of`` (default:
    every return received), or why they cannot be measured."""
    return _assess_all([contract], options or default_options(), as_of)[0]


# --- the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SavingsTotals:
    """Sums over the contracts whose savings could be measured: ``math.fsum`` of the
    per-contract engine totals, in reference order, in ``price_year`` prices (contracts
    priced in another year are re-priced with the deflator; with one price year the sums
    are of the engine's figures unchanged). Present values stay discounted to each
    contract's own base year."""

    contracts: int
    price_year: int | None
    counterfactual_real: float
    actual_real: float
    savings_real: float
    savings_present_value: float
    savings_at_low_efficiency: float
    savings_at_high_efficiency: float
    requirement: float
    contracts_with_requirement: int
    requirements_met: int

    @property
    def band(self) -> tuple[float, float]:
        low, high = self.savings_at_high_efficiency, self.savings_at_low_efficiency
        return (min(low, high), max(low, high))

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "band": list(self.band)}


@dataclass(frozen=True, eq=False)
class PortfolioSavings:
    as_of: date | None
    options: SavingsOptions
    contracts: tuple[ContractSavings, ...]
    unavailable: tuple[SavingsUnavailable, ...]
    totals: SavingsTotals

    def unavailable_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for item in self.unavailable:
            counts[item.code] = counts.get(item.code, 0) + 1
        return dict(sorted(counts.items()))

    def tidy(self) -> pl.DataFrame:
        """One row per contract measured."""
        columns = (
            "reference", "provider_name", "first_year", "last_year", "counterfactual_real",
            "actual_real", "savings_real", "savings_present_value", "savings_at_low_efficiency",
            "savings_at_high_efficiency", "requirement", "requirement_status",
        )  # fmt: skip
        rows = [{k: v for k, v in c.to_dict().items() if k in columns} for c in self.contracts]
        return pl.DataFrame(rows) if rows else pl.DataFrame(schema=dict.fromkeys(columns))

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "efficiency": self.options.efficiency,
            "band": list(self.options.band),
            "totals": self.totals.to_dict(),
            "unavailable_by_reason": self.unavailable_by_reason(),
            "contracts": [
                {k: v for k, v in c.to_dict().items() if k != "by_year"} for c in self.contracts
            ],
            "unavailable": [u.to_dict() for u in self.unavailable],
        }


def _price_factor(row: ContractSavings, price_year: int, options: SavingsOptions) -> float:
    """Multiplier from the contract's base-year prices to ``price_year`` prices."""
    if row.base_year == price_year:
        return 1.0
    if options.deflator is not None:
        index = {int(k): float(v) for k, v in options.deflator.items()}
    else:
        index = assumed_deflator([row.base_year, price_year], inflation=options.inflation)
    return index[price_year] / index[row.base_year]


def _totals(rows: list[ContractSavings], options: SavingsOptions) -> SavingsTotals:
    price_year = max((r.base_year for r in rows), default=None)
    factors = [_price_factor(r, price_year, options) for r in rows]

    def total(name: str) -> float:
        return math.fsum(getattr(r, name) * f for r, f in zip(rows, factors, strict=True))

    required = [(r, f) for r, f in zip(rows, factors, strict=True) if r.requirement is not None]
    return SavingsTotals(
        contracts=len(rows),
        price_year=price_year,
        counterfactual_real=total("counterfactual_real"),
        actual_real=total("actual_real"),
        savings_real=total("savings_real"),
        savings_present_value=total("savings_present_value"),
        savings_at_low_efficiency=total("savings_at_low_efficiency"),
        savings_at_high_efficiency=total("savings_at_high_efficiency"),
        requirement=math.fsum(r.requirement * f for r, f in required),
        contracts_with_requirement=len(required),
        requirements_met=sum(r.requirement_status == "met" for r, _ in required),
    )


def portfolio_savings(
    contracts: QuerySet[Contract] | None = None,
    *,
    as_of: date | None = None,
    options: SavingsOptions | None = None,
) -> PortfolioSavings:
    """Savings for every contract in ``contracts`` (default: all), in four queries, with
    totals over those that could be measured and the reasons for the rest."""
    options = options or default_options()
    queryset = Contract.objects.all() if contracts is None else contracts
    rows = list(queryset.select_related("provider", "baseline").order_by("reference", "pk"))
    results = _assess_all(rows, options, as_of)
    measured = [r for r in results if isinstance(r, ContractSavings)]
    return PortfolioSavings(
        as_of=as_of,
        options=options,
        contracts=tuple(measured),
        unavailable=tuple(r for r in results if isinstance(r, SavingsUnavailable)),
        totals=_totals(measured, options),
    )
