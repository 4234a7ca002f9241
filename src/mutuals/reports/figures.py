"""The charts in a report: which to draw, and the rows :mod:`mutuals.charts` draws them from."""

from __future__ import annotations

from collections.abc import Sequence

from mutuals import charts
from mutuals.contracts.deflator import assumed_deflator
from mutuals.contracts.savings import ContractSavings, SavingsOptions
from mutuals.evaluation.models import EvaluationResult
from mutuals.evaluation.monitoring import SeriesSpc
from mutuals.reports.document import Figure
from mutuals.reports.formatting import financial_year
from mutuals.reports.impact import DECIDED


def price_factor(row: ContractSavings, price_year: int, options: SavingsOptions) -> float:
    """Multiplier from a contract's base-year prices to ``price_year`` prices, as the savings
    service re-prices portfolio totals."""
    if row.base_year == price_year:
        return 1.0
    if options.deflator is not None:
        index = {int(k): float(v) for k, v in options.deflator.items()}
    else:
        index = assumed_deflator([row.base_year, price_year], inflation=options.inflation)
    return index[price_year] / index[row.base_year]


def savings_path(
    rows: Sequence[ContractSavings], price_year: int, options: SavingsOptions
) -> list[dict]:
    """Counterfactual and actual cost summed by financial year over ``rows``, in
    ``price_year`` prices, with the counterfactual at the band's two rates."""
    years: dict[int, list[float]] = {}
    for row in rows:
        factor = price_factor(row, price_year, options)
        for r in row.by_year.iter_rows(named=True):
            total = years.setdefault(r["year"], [0.0, 0.0, 0.0, 0.0])
            total[0] += r["counterfactual_real"] * factor
            total[1] += r["actual_real"] * factor
            total[2] += r["counterfactual_real_high_efficiency"] * factor
            total[3] += r["counterfactual_real_low_efficiency"] * factor
    return [
        {
            "year": financial_year(year),
            "counterfactual": cf,
            "actual": actual,
            "band_low": low,
            "band_high": high,
        }
        for year, (cf, actual, low, high) in sorted(years.items())
    ]


def savings_figure(
    id_: str, title: str, path: list[dict], price_year: int, options: SavingsOptions
) -> Figure:
    unit = f"£ a year, {financial_year(price_year)} prices"
    low, high = options.band
    description = (
        f"The actual cost (solid black) against what the services would have cost in-house "
        f"(dashed blue, with in-house efficiency of {options.efficiency:.0%} a year) in each "
        f"financial year, in {unit}. The shaded band is the in-house cost with efficiency "
        f"from {low:.0%} to {high:.0%} a year."
    )
    return Figure(id_, title, charts.savings_chart(path, unit), description)


def contract_savings_figure(row: ContractSavings, options: SavingsOptions) -> Figure:
    path = savings_path([row], row.base_year, options)
    title = f"{row.reference}: actual cost against the in-house counterfactual"
    return savings_figure(f"figure-savings-{row.contract_id}", title, path, row.base_year, options)


def event_study_title(result: EvaluationResult) -> str:
    return (
        f"{result.programme.name}, {result.cohort} cohort: effect on "
        f"{result.metric.name.lower()} by quarter since spin-out"
    )


def event_study_figure(result: EvaluationResult) -> Figure | None:
    rows = result.details.get("event_study") or []
    usable = [r for r in rows if r.get("ci_low") is not None and r.get("ci_high") is not None]
    if not usable:
        return None
    title = event_study_title(result)
    heading = f"{result.metric.name}, {result.cohort} cohort"
    svg = charts.event_study_chart(usable, heading, result.metric.unit)
    description = (
        f"Each point is the estimated effect on {result.metric.name.lower()} "
        f"({result.metric.unit}) that many quarters after the cohort spun out, with its 95% "
        "confidence interval; points left of the dashed line test for trends before spin-out."
    )
    return Figure(f"figure-event-{result.pk}", title, svg, description)


def chosen_event_studies(results: Sequence[EvaluationResult], limit: int = 3):
    """The largest cohort's estimates that reached a verdict (else its first), up to ``limit``."""
    if not results:
        return []
    largest = max(results, key=lambda r: (r.treated_units, r.cohort))
    key = (largest.programme_id, largest.cohort)
    cohort = [r for r in results if (r.programme_id, r.cohort) == key]
    decided = [r for r in cohort if r.verdict in DECIDED]
    return (decided or cohort)[:limit]


def spc_figure(series: SeriesSpc, provider: str | None = None) -> Figure:
    title = charts.spc_title(series)
    if provider:
        title = f"{provider}: {title[0].lower()}{title[1:]}"
    svg = charts.spc_chart(series)
    description = charts.spc_description(series)
    return Figure(f"figure-spc-{series.metric.code}-{series.period_kind}", title, svg, description)
