"""The tables both reports share, built from the services' result objects.

Each cell carries the figure it shows (see :class:`mutuals.reports.document.Cell`):
audit cells ``(share of value, contracts passing)``, savings cells the engine's
totals, impact cells the stored estimates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mutuals.contracts.audit import QUESTIONS, ContractAudit, PortfolioRow
from mutuals.contracts.savings import ContractSavings, SavingsUnavailable
from mutuals.evaluation.models import EvaluationResult
from mutuals.evaluation.monitoring import ASSURANCE_TEXT, MIN_POINTS, VARIATION_TEXT, SeriesSpc
from mutuals.evaluation.risk import RiskAssessment
from mutuals.reports import impact
from mutuals.reports.document import Cell, Column, Table
from mutuals.reports.formatting import (
    against_in_house,
    amount,
    financial_year,
    money,
    plain,
    saving_range,
    share,
)

UNAVAILABLE = {
    "no_baseline": "No in-house baseline recorded",
    "no_unit_cost": "The baseline gives no unit cost",
    "unit_mismatch": "The baseline counts activity in another unit",
    "no_returns": "No returns of activity and cost",
    "invalid_returns": "Returns with a negative or missing figure",
}
STATUS = {"fired": "Past threshold", "clear": "Within threshold", "unknown": "Unknown"}


def audit_groups(id_: str, caption: str, rows: Iterable[PortfolioRow], first: str) -> Table:
    """Contracts, value and, for each test, the share of value passing (contracts passing)."""
    columns = (
        Column(first),
        Column("Contracts", numeric=True),
        Column("Annual value", numeric=True),
        *(Column(q.label, numeric=True) for q in QUESTIONS),
    )
    body = tuple(
        (
            Cell(row.name, row.key),
            Cell(f"{row.contracts:,}", row.contracts),
            Cell(money(row.annual_value), row.annual_value),
            *(
                Cell(f"{share(t.share_of_value)} ({t.passed})", (t.share_of_value, t.passed))
                for t in row.tallies
            ),
        )
        for row in rows
    )
    note = (
        "Each test shows the share of annual contract value passing it, with the number of "
        "contracts passing in brackets."
    )
    return Table(id_, caption, columns, body, note)


def contract_audit(audit: ContractAudit) -> Table:
    """One contract's six tests: passed or not, and why."""
    columns = (Column("Test"), Column("Result"), Column("Detail"))
    rows = tuple(
        (
            Cell(t.label, t.code),
            Cell("Passed" if t.passed else "Not passed", t.passed),
            Cell(t.detail),
        )
        for t in audit.tests
    )
    caption = f"Objectives audit of {audit.reference}, {audit.title}: {audit.score}"
    return Table(f"audit-{audit.contract_id}", caption, columns, rows)


def savings_by_contract(
    rows: Sequence[ContractSavings], band: tuple[float, float], efficiency: float
) -> Table:
    low, high = band
    columns = (
        Column("Contract", nowrap=True),
        Column("Provider"),
        Column("Years", nowrap=True),
        Column("Counterfactual cost", numeric=True),
        Column("Actual cost", numeric=True),
        Column("Against the counterfactual", numeric=True),
        Column(f"With in-house efficiency of {low:.0%} to {high:.0%}", numeric=True),
        Column("Required", numeric=True),
        Column("Requirement"),
    )
    outcome = {"met": "Met", None: "None set"}
    body = tuple(
        (
            Cell(c.reference, c.reference),
            Cell(c.provider_name, c.provider_id),
            Cell(
                f"{financial_year(c.first_year)}–{financial_year(c.last_year)}",
                (c.first_year, c.last_year),
            ),
            Cell(money(c.counterfactual_real), c.counterfactual_real),
            Cell(money(c.actual_real), c.actual_real),
            Cell(against_in_house(c.savings_real), c.savings_real),
            Cell(
                saving_range(c.savings_at_low_efficiency, c.savings_at_high_efficiency),
                (c.savings_at_high_efficiency, c.savings_at_low_efficiency),
            ),
            Cell(money(c.requirement) if c.requirement is not None else "–", c.requirement),
            Cell(
                outcome.get(c.requirement_status) or f"Missed by {money(c.shortfall)}",
                c.requirement_status,
            ),
        )
        for c in rows
    )
    caption = (
        "What each contract cost against the in-house counterfactual, in real terms, with "
        f"in-house efficiency of {efficiency:.0%} a year and the range from {low:.0%} to "
        f"{high:.0%}"
    )
    return Table("savings-contracts", caption, columns, body)


def savings_by_year(c: ContractSavings) -> Table:
    """The engine's per-year table for one contract."""
    columns = (
        Column("Financial year"),
        Column("Activity", numeric=True),
        Column("Counterfactual cost", numeric=True),
        Column("Actual cost (real)", numeric=True),
        Column("Against the counterfactual", numeric=True),
        Column("So far", numeric=True),
    )
    body = tuple(
        (
            Cell(financial_year(r["year"]), r["year"]),
            Cell(f"{r['activity']:,.0f}", r["activity"]),
            Cell(money(r["counterfactual_real"]), r["counterfactual_real"]),
            Cell(money(r["actual_real"]), r["actual_real"]),
            Cell(against_in_house(r["savings_real"]), r["savings_real"]),
            Cell(against_in_house(r["cumulative_savings_real"]), r["cumulative_savings_real"]),
        )
        for r in c.by_year.iter_rows(named=True)
    )
    caption = (
        f"{c.reference}: savings by year in {financial_year(c.base_year)} prices "
        f"(activity in {c.activity_unit})"
    )
    return Table(f"savings-years-{c.contract_id}", caption, columns, body)


def unavailable(rows: Sequence[SavingsUnavailable]) -> Table:
    columns = (Column("Contract"), Column("Why savings cannot be measured"))
    body = tuple(
        (Cell(f"{u.reference} ({u.provider_name})", u.reference), Cell(u.reason, u.code))
        for u in rows
    )
    return Table("savings-unavailable", "Contracts whose savings cannot be measured", columns, body)


def evidence_cell(result: EvaluationResult) -> Cell:
    """The verdict, the result read out in words and, where the reading does not say why,
    the reason: what a commissioner needs from the row without a statistician."""
    label = impact.verdict_text(result.verdict, result.assessable_from)
    parts = [f"{label}.", impact.reading_of(result)]
    why = impact.explanation_of(result)
    if why:
        parts.append(why)
    return Cell(" ".join(parts), result.verdict)


def _grade_cell(result: EvaluationResult) -> Cell:
    return Cell(str(result.grade) if result.grade is not None else "–", result.grade)


def cohort_results(results: Sequence[EvaluationResult], id_: str = "impact-cohorts") -> Table:
    """Difference-in-differences estimates, one row per cohort and metric."""
    columns = (
        Column("Programme"),
        Column("Cohort", nowrap=True),
        Column("Metric"),
        Column("Effect", numeric=True),
        Column("What the evidence says"),
        Column("Grade", numeric=True),
    )
    body = tuple(
        (
            Cell(r.programme.name, r.programme.code),
            Cell(f"{r.cohort} ({r.treated_units})", r.cohort),
            Cell(f"{r.metric.name} ({r.metric.unit})", r.metric.code),
            Cell(amount(r.att, r.metric.unit, sign=True), r.att),
            evidence_cell(r),
            _grade_cell(r),
        )
        for r in results
    )
    caption = (
        "Impact of each spin-out cohort (number of providers in brackets): "
        "difference-in-differences against the programme's in-house comparators, in each "
        "metric's own unit"
    )
    return Table(id_, caption, columns, body, _IMPACT_NOTE)


def provider_results(results: Sequence[EvaluationResult], id_: str = "impact-providers") -> Table:
    """Synthetic-control estimates, one row per provider and metric."""
    columns = (
        Column("Programme"),
        Column("Provider"),
        Column("From", nowrap=True),
        Column("Metric"),
        Column("Effect", numeric=True),
        Column("What the evidence says"),
        Column("Grade", numeric=True),
    )
    body = tuple(
        (
            Cell(r.programme.name, r.programme.code),
            Cell(r.organisation.name if r.organisation else "–", r.organisation_id),
            Cell(r.cohort, r.cohort),
            Cell(f"{r.metric.name} ({r.metric.unit})", r.metric.code),
            Cell(amount(r.att, r.metric.unit, sign=True), r.att),
            evidence_cell(r),
            _grade_cell(r),
        )
        for r in results
    )
    caption = (
        "Impact on single providers: synthetic control from in-house comparators, with "
        "placebo-in-space tests"
    )
    return Table(id_, caption, columns, body, f"{_IMPACT_NOTE} {impact.PLACEBO_TEST}")


_IMPACT_NOTE = impact.GRADE_SCALE


def risk_factors(assessment: RiskAssessment) -> Table:
    columns = (Column("Factor"), Column("Status"), Column("Detail"))
    body = tuple(
        (
            Cell(f.label, f.code),
            Cell(STATUS[f.status] + (" (severe)" if f.severe and f.fired else ""), f.status),
            Cell(f.sentence, f.value),
        )
        for f in assessment.factors
    )
    caption = f"Failure risk of {assessment.organisation.name}: {assessment.rating} risk"
    return Table(f"risk-{assessment.organisation.id}", caption, columns, body)


def risk_counts(counts: dict[str, int], total: int) -> Table:
    columns = (Column("Rating"), Column("Providers", numeric=True), Column("Share", numeric=True))
    body = tuple(
        (
            Cell(rating.capitalize(), rating),
            Cell(f"{n:,}", n),
            Cell(share(n / total if total else None), n / total if total else None),
        )
        for rating, n in counts.items()
    )
    return Table("risk-counts", "Providers by failure-risk rating", columns, body)


def spc_summary(series: Sequence[SeriesSpc]) -> Table:
    columns = (
        Column("Metric"),
        Column("Points", numeric=True),
        Column("Latest", numeric=True),
        Column("Mean", numeric=True),
        Column("Process limits", numeric=True),
        Column("Variation"),
        Column("Assurance"),
    )
    body = []
    for s in series:
        last = s.last
        judged = s.enough_points
        body.append(
            (
                Cell(f"{s.metric.name} ({s.metric.unit})", s.metric.code),
                Cell(str(len(s.points)), len(s.points)),
                Cell(f"{plain(last.value)} in {last.period}", last.value),
                Cell(plain(last.mean), last.mean),
                Cell(
                    f"{plain(last.lower_limit)} to {plain(last.upper_limit)}",
                    (last.lower_limit, last.upper_limit),
                ),
                Cell(VARIATION_TEXT[s.variation] if judged else _not_judged(), s.variation),
                Cell(ASSURANCE_TEXT[s.assurance] if judged else _not_judged(), s.assurance),
            )
        )
    caption = "Statistical process control of each series the provider returns"
    return Table("spc-summary", caption, columns, tuple(body))


def _not_judged() -> str:
    return f"Not judged: fewer than {MIN_POINTS} points"
