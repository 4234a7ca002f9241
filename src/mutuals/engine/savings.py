"""Savings over and above an honest counterfactual.

The National Audit Office asked for efficiencies "over and above what would
have been achieved if the services had remained" in-house. The in-house
service would not have stood still: it was expected to find efficiencies
too (the NHS planned on 4% a year in 2011). So the counterfactual cost of
year t, in real base-year prices, is

    counterfactual_t = baseline unit cost × activity_t × (1 − efficiency)^(t − base year)

and the provider's actual nominal cost is deflated to the same prices with a
GDP-deflator-like index, real_t = nominal_t × deflator[base] / deflator[t].
Savings over and above = counterfactual − actual (real). Cumulative savings
are also discounted to a present value on the HM Treasury Green Book
schedule (3.5% real for years 1–30, 3.0% for 31–75, 2.5% 76–125, 2.0%
126–200, 1.5% 201–300, 1.0% beyond); the discount factor is the product of
the yearly factors, so the rate steps down at each boundary without
re-valuing earlier years. Because the efficiency rate is an assumption, the
result is also given for a band of rates (default 2%–6%).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from mutuals.engine._results import ResultMixin, require_columns
from mutuals.engine.errors import (
    DuplicatePeriodError,
    InvalidOptionError,
    MissingYearError,
    ValueOutOfRangeError,
)

RequirementBasis = Literal["real", "present_value"]
# (last year the rate applies to, rate); years after the last bound use 1.0%
GREEN_BOOK_SCHEDULE: tuple[tuple[int, float], ...] = (
    (30, 0.035), (75, 0.030), (125, 0.025), (200, 0.020), (300, 0.015),
)  # fmt: skip
GREEN_BOOK_LONG_RUN = 0.010


def green_book_rate(year: int) -> float:
    """The Green Book real discount rate that applies in year ``year`` (≥ 0)."""
    for last, rate in GREEN_BOOK_SCHEDULE:
        if year <= last:
            return rate
    return GREEN_BOOK_LONG_RUN


def green_book_discount_factors(years: Sequence[int] | np.ndarray) -> np.ndarray:
    """Discount factors D_t = Π_{s=1..t} 1 / (1 + r_s) for years t ≥ 0 from the base.

    D_0 = 1; D_30 = 1.035^-30; D_31 = D_30 / 1.03: each year is discounted at
    its own rate, so crossing a boundary changes only the later years.
    """
    t = np.asarray(years, dtype=int)
    if t.size and t.min() < 0:
        raise InvalidOptionError("Discounting starts at the base year: years must be ≥ 0.")
    horizon = int(t.max()) if t.size else 0
    rates = np.array([green_book_rate(s) for s in range(1, horizon + 1)])
    factors = np.concatenate([[1.0], np.cumprod(1.0 / (1.0 + rates))])
    return factors[t]


@dataclass(frozen=True)
class SavingsConfig:
    """Validated options. Build it through :func:`savings`."""

    baseline_unit_cost: float
    base_year: int
    efficiency: float = 0.04
    band: tuple[float, float] = (0.02, 0.06)
    requirement: float | None = None
    requirement_basis: RequirementBasis = "real"
    year: str = "year"
    activity: str = "activity"
    actual_cost: str = "actual_cost"

    def __post_init__(self) -> None:
        for rate in (self.efficiency, *self.band):
            if not 0 <= rate < 1:
                raise InvalidOptionError(
                    f"Efficiency rates are yearly fractions in [0, 1), e.g. 0.04 for 4%; got {rate}."
                )
        if self.band[0] > self.band[1]:
            raise InvalidOptionError(f"band must be (low, high); got {self.band}.")
        if self.requirement_basis not in ("real", "present_value"):
            raise InvalidOptionError(
                f"requirement_basis={self.requirement_basis!r}: use 'real' or 'present_value'."
            )
        if not (math.isfinite(self.baseline_unit_cost) and self.baseline_unit_cost > 0):
            raise InvalidOptionError(
                "baseline_unit_cost must be a positive cost per unit; "
                f"got {self.baseline_unit_cost}."
            )
        if self.requirement is not None and not math.isfinite(self.requirement):
            raise InvalidOptionError(
                f"requirement must be a cumulative saving in money; got {self.requirement}."
            )


@dataclass(frozen=True)
class SavingsResult(ResultMixin):
    """Per-year table (``by_year``) and totals per efficiency scenario (``tidy()``)."""

    by_year: pl.DataFrame
    totals: pl.DataFrame
    config: SavingsConfig
    requirement_status: Literal["met", "not_met"] | None
    shortfall: float | None

    def tidy(self) -> pl.DataFrame:
        """One row per efficiency scenario (central, low, high): totals."""
        return self.totals

    @property
    def total_savings(self) -> float:
        """Central cumulative savings over and above the counterfactual (real)."""
        return float(self.totals["savings_real"][0])

    @property
    def present_value(self) -> float:
        return float(self.totals["savings_present_value"][0])


def savings(
    data: pl.DataFrame | Mapping[str, Any],
    *,
    baseline_unit_cost: float,
    base_year: int,
    deflator: pl.DataFrame | Mapping[int, float] | None = None,
    efficiency: float = 0.04,
    band: tuple[float, float] = (0.02, 0.06),
    requirement: float | None = None,
    requirement_basis: RequirementBasis = "real",
    year: str = "year",
    activity: str = "activity",
    actual_cost: str = "actual_cost",
) -> SavingsResult:
    """Savings against the in-house counterfactual, by financial year.

    ``data`` has one row per financial year (``year`` an integer such as
    2011 for 2011/12; numpy arrays in a dict are accepted) with ``activity``
    and the provider's nominal ``actual_cost``. ``baseline_unit_cost`` is the
    in-house cost per unit of activity in ``base_year`` prices. ``deflator``
    maps year → index (a DataFrame with columns ``year`` and ``deflator`` or
    a dict); None means costs are already in base-year prices.
    ``requirement`` is the contracted cumulative saving, compared with the
    central estimate in real terms or as a present value.

    Inputs that would give a wrong figure rather than an error are refused
    before any arithmetic, naming the financial year: a year given twice
    (:class:`DuplicatePeriodError`), activity or cost that is negative,
    missing or not finite (:class:`ValueOutOfRangeError`; a negative cost
    would turn a loss into a saving) and a deflator index that is not a
    finite number above zero for a year used or the base year
    (:class:`InvalidOptionError`).
    """
    config = SavingsConfig(
        baseline_unit_cost, base_year, efficiency, tuple(band), requirement,
        requirement_basis, year, activity, actual_cost,
    )  # fmt: skip
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(dict(data))
    return _estimate(frame, _deflator_map(deflator), config)


def _deflator_map(deflator: pl.DataFrame | Mapping[int, float] | None) -> dict[int, float] | None:
    """The deflator as year → index. A year without a value is left out, so it is reported
    as missing rather than failing in the arithmetic."""
    if deflator is None:
        return None
    if isinstance(deflator, Mapping):
        return {int(k): float(v) for k, v in deflator.items() if v is not None}
    require_columns(deflator, ["year", "deflator"], numeric=["year", "deflator"])
    _require_one_row_per_year(
        deflator["year"].to_list(), "The deflator", "keep one index value per financial year"
    )
    pairs = zip(deflator["year"].to_list(), deflator["deflator"].to_list(), strict=True)
    return {int(y): float(v) for y, v in pairs if v is not None}


# --- checking the inputs, before any arithmetic ----------------------------------------------


def _fy(year: int) -> str:
    """A financial year by its first calendar year, as people write it: 2012 → '2012/13'."""
    return f"{year}/{(year + 1) % 100:02d}"


def _fys(years: Sequence[int]) -> str:
    labels = [_fy(int(y)) for y in years]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"


def _figure(value: float) -> str:
    """A value as a person would write it: −12,400 / 0.5 / NaN / infinity."""
    if math.isnan(value):
        return "NaN"
    sign = "\u2212" if value < 0 else ""
    size = abs(value)
    if math.isinf(size):
        return f"{sign}infinity"
    if 0 < size < 0.01:
        return f"{sign}{size:.3g}"
    text = f"{size:,.2f}".rstrip("0").rstrip(".")
    return f"{sign}{text}"


def _require_one_row_per_year(years: Sequence[Any], what: str, remedy: str) -> None:
    """A repeated year would be counted twice (or, in the deflator, one value silently lost)."""
    if any(y is None or (isinstance(y, float) and not math.isfinite(y)) for y in years):
        raise ValueOutOfRangeError(
            f"{what} has a row with no year; give every row its financial year."
        )
    repeated = sorted(int(y) for y, n in Counter(years).items() if n > 1)
    if repeated:
        raise DuplicatePeriodError(f"{what} has more than one row for {_fys(repeated)}; {remedy}.")


def measure_problem(value: float | None) -> str | None:
    """Why an activity or cost figure cannot be right ("is negative (−3)"), or None when it
    can. Public so that callers building the data describe bad figures in the same words."""
    if value is None:
        return "is missing"
    if math.isnan(value):
        return "is not a number (NaN)"
    if math.isinf(value):
        return f"is not a finite number ({_figure(value)})"
    if value < 0:
        return f"is negative ({_figure(value)})"
    return None


def _require_valid_measures(data: pl.DataFrame, cfg: SavingsConfig) -> None:
    """Activity and cost are counts and money spent: a negative cost would count as a saving."""
    years = data[cfg.year].cast(pl.Int64).to_list()
    problems = []
    for column, what in ((cfg.activity, "activity"), (cfg.actual_cost, "actual cost")):
        values = data[column].cast(pl.Float64).to_list()
        for year, value in zip(years, values, strict=True):
            problem = measure_problem(value)
            if problem:
                problems.append((year, f"{_fy(year)}: the {what} ({column!r}) {problem}."))
    if problems:
        listed = " ".join(text for _, text in sorted(problems, key=lambda p: p[0]))
        raise ValueOutOfRangeError(
            f"{listed} Activity and actual cost must be numbers of zero or more (a negative "
            "cost would count as a saving): correct the year(s) named."
        )


def _require_years_from_base(years: np.ndarray, base_year: int) -> None:
    early = sorted({int(y) for y in years if y < base_year})
    if early:
        raise InvalidOptionError(
            f"Years before the base year {_fy(base_year)} cannot be compared: {_fys(early)}. "
            "Leave them out or choose an earlier base year."
        )


def _require_usable_deflator(
    years: np.ndarray, deflator: dict[int, float] | None, base: int
) -> None:
    """Every year used, and the base year, needs a finite index above zero: a zero divides
    by zero and a negative one turns a cost into a saving."""
    if deflator is None:
        return
    needed = sorted({base, *(int(y) for y in years)})
    missing = [y for y in needed if y not in deflator]
    if missing:
        raise MissingYearError(
            f"The deflator has no value for {_fys(missing)}; add an index for each."
        )
    unusable = [y for y in needed if not (math.isfinite(deflator[y]) and deflator[y] > 0)]
    if unusable:
        values = "; ".join(f"{_fy(y)} is {_figure(deflator[y])}" for y in unusable)
        raise InvalidOptionError(
            f"The deflator must be a finite index above zero for the base year and every year "
            f"of data, but {values}. Correct the index for {_fys(unusable)}."
        )


def _real_factor(years: np.ndarray, deflator: dict[int, float] | None, base: int) -> np.ndarray:
    """Multiplier turning nominal costs of each year into base-year prices."""
    if deflator is None:
        return np.ones(len(years))
    return np.array([deflator[base] / deflator[int(y)] for y in years])


def _validated(
    data: pl.DataFrame, deflator: dict[int, float] | None, cfg: SavingsConfig
) -> pl.DataFrame:
    """The data sorted by year, once every check has passed; named errors otherwise."""
    cols = [cfg.year, cfg.activity, cfg.actual_cost]
    require_columns(data, cols, numeric=cols)
    _require_one_row_per_year(
        data[cfg.year].to_list(),
        "The data",
        "keep one row per financial year, with the year's activity and costs added up",
    )
    _require_valid_measures(data, cfg)
    years = data[cfg.year].to_numpy().astype(int)
    _require_years_from_base(years, cfg.base_year)
    _require_usable_deflator(years, deflator, cfg.base_year)
    return data.sort(cfg.year)


def _estimate(
    data: pl.DataFrame, deflator: dict[int, float] | None, cfg: SavingsConfig
) -> SavingsResult:
    data = _validated(data, deflator, cfg)
    years = data[cfg.year].to_numpy().astype(int)
    elapsed = years - cfg.base_year
    activity_t = data[cfg.activity].to_numpy().astype(float)
    actual_real = data[cfg.actual_cost].to_numpy() * _real_factor(years, deflator, cfg.base_year)
    discount = green_book_discount_factors(elapsed)
    table = pl.DataFrame({
        "year": years, "years_since_base": elapsed, "activity": activity_t,
        "actual_nominal": data[cfg.actual_cost].cast(pl.Float64), "actual_real": actual_real,
        "discount_factor": discount,
    })  # fmt: skip
    scenarios = {
        "central": cfg.efficiency,
        "low_efficiency": cfg.band[0],
        "high_efficiency": cfg.band[1],
    }
    totals = []
    for name, rate in scenarios.items():
        counterfactual = cfg.baseline_unit_cost * activity_t * (1 - rate) ** elapsed
        saved = counterfactual - actual_real
        suffix = "" if name == "central" else f"_{name}"
        table = table.with_columns(
            pl.Series(f"counterfactual_real{suffix}", counterfactual),
            pl.Series(f"savings_real{suffix}", saved),
        )
        totals.append({
            "scenario": name, "efficiency": rate, "counterfactual_real": counterfactual.sum(),
            "actual_real": actual_real.sum(), "savings_real": saved.sum(),
            "savings_present_value": float((saved * discount).sum()),
        })  # fmt: skip
    table = table.with_columns(
        savings_present_value=pl.col("savings_real") * pl.col("discount_factor"),
        cumulative_savings_real=pl.col("savings_real").cum_sum(),
        cumulative_savings_present_value=(
            pl.col("savings_real") * pl.col("discount_factor")
        ).cum_sum(),
    )
    totals_df = pl.DataFrame(totals)
    status, shortfall = _against_requirement(totals_df, cfg)
    return SavingsResult(table, totals_df, cfg, status, shortfall)


def _against_requirement(
    totals: pl.DataFrame, cfg: SavingsConfig
) -> tuple[Literal["met", "not_met"] | None, float | None]:
    """Met when the central cumulative saving reaches the contracted requirement."""
    if cfg.requirement is None:
        return None, None
    column = "savings_real" if cfg.requirement_basis == "real" else "savings_present_value"
    achieved = float(totals[column][0])
    shortfall = max(0.0, cfg.requirement - achieved)
    return ("met" if shortfall == 0 else "not_met"), shortfall
