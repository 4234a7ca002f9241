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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from mutuals.engine._results import ResultMixin, require_columns
from mutuals.engine.errors import InvalidOptionError, MissingYearError

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
        if self.baseline_unit_cost <= 0:
            raise InvalidOptionError("baseline_unit_cost must be a positive cost per unit.")


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
    """
    config = SavingsConfig(
        baseline_unit_cost, base_year, efficiency, tuple(band), requirement,
        requirement_basis, year, activity, actual_cost,
    )  # fmt: skip
    frame = data if isinstance(data, pl.DataFrame) else pl.DataFrame(dict(data))
    return _estimate(frame, _deflator_map(deflator), config)


def _deflator_map(deflator: pl.DataFrame | Mapping[int, float] | None) -> dict[int, float] | None:
    if deflator is None or isinstance(deflator, Mapping):
        return None if deflator is None else {int(k): float(v) for k, v in deflator.items()}
    require_columns(deflator, ["year", "deflator"], numeric=["year", "deflator"])
    return dict(zip(deflator["year"].to_list(), deflator["deflator"].to_list(), strict=True))


def _real_factor(years: np.ndarray, deflator: dict[int, float] | None, base: int) -> np.ndarray:
    """Multiplier turning nominal costs of each year into base-year prices."""
    if deflator is None:
        return np.ones(len(years))
    missing = sorted({base, *years.tolist()} - set(deflator))
    if missing:
        raise MissingYearError(f"The deflator has no value for year(s) {missing}; add them.")
    return np.array([deflator[base] / deflator[int(y)] for y in years])


def _estimate(
    data: pl.DataFrame, deflator: dict[int, float] | None, cfg: SavingsConfig
) -> SavingsResult:
    cols = [cfg.year, cfg.activity, cfg.actual_cost]
    require_columns(data, cols, numeric=cols)
    data = data.sort(cfg.year)
    years = data[cfg.year].to_numpy().astype(int)
    if (years < cfg.base_year).any():
        raise InvalidOptionError(f"Years before the base year {cfg.base_year} cannot be compared.")
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
