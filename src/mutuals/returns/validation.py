"""Row-by-row validation of returns, written as whole-column operations.

Each rule produces the rows it rejects, with the column and the reason; a cell
is reported once, for the first rule it breaks. The rules: required columns;
spreadsheet formula text; unknown organisation or metric; unparseable period
or number; impossible negatives; a zero denominator; rows repeated within the
file.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from mutuals.errors import Problem
from mutuals.returns.periods import PeriodError, parse_period
from mutuals.returns.tables import ROW

REQUIRED = ("organisation", "metric", "period", "value")
OPTIONAL_NUMBERS = ("numerator", "denominator")
# A leading =, + or - followed by something that is not a number, or a leading @:
# what spreadsheets execute as a formula when the file is opened.
FORMULA = r"^\s*(?:[=@]|[+\-](?:[^0-9.\s]|$))"


@dataclass(frozen=True)
class Lookups:
    """What the validator checks names against: built once per import."""

    organisations: dict[str, int]  # ODS code, company or charity number -> id
    metrics: dict[str, tuple[int, bool]]  # code -> (id, allows negative values)


@dataclass(frozen=True)
class Outcome:
    valid: pl.DataFrame  # loading columns plus _row, for rows with no problem
    problems: list[Problem]
    rows: int

    @property
    def rejected_rows(self) -> set[int]:
        return {problem.row for problem in self.problems}


def validate(table: pl.DataFrame, lookups: Lookups) -> Outcome:
    missing = [name for name in REQUIRED if name not in table.columns]
    if missing:
        problems = [Problem(0, name, "this required column is missing") for name in missing]
        return Outcome(table.clear(), problems, table.height)
    for name in OPTIONAL_NUMBERS:
        if name not in table.columns:
            table = table.with_columns(pl.lit("").alias(name))
    parsed = _parse(table, lookups)
    checks = _checks(parsed)
    problems = _problems(parsed, checks)
    bad = {problem.row for problem in problems}
    valid = parsed.filter(~pl.col(ROW).is_in(list(bad))).select(
        ROW,
        "organisation_id",
        "metric_id",
        pl.col("period_label").alias("period"),
        "period_start",
        "period_kind",
        pl.col("value_number").alias("value"),
        pl.col("numerator_number").alias("numerator"),
        pl.col("denominator_number").alias("denominator"),
    )
    return Outcome(valid, problems, table.height)


def _parse(table: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    text = [pl.col(name).fill_null("").str.strip_chars() for name in (*REQUIRED, *OPTIONAL_NUMBERS)]
    table = table.with_columns(text)
    metric_ids = {code: ids[0] for code, ids in lookups.metrics.items()}
    negatives = {ids[0]: ids[1] for ids in lookups.metrics.values()}
    table = table.with_columns(
        pl.col("organisation")
        .replace_strict(lookups.organisations, default=None, return_dtype=pl.Int64)
        .alias("organisation_id"),
        pl.col("metric")
        .replace_strict(metric_ids, default=None, return_dtype=pl.Int64)
        .alias("metric_id"),
        *[_number(name) for name in ("value", *OPTIONAL_NUMBERS)],
    )
    table = table.with_columns(
        pl.col("metric_id")
        .replace_strict(negatives, default=False, return_dtype=pl.Boolean)
        .alias("allows_negative")
    )
    return table.join(_periods(table["period"]), on="period", how="left")


def _number(name: str) -> pl.Expr:
    number = pl.col(name).cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number).otherwise(None).alias(f"{name}_number")


def _periods(labels: pl.Series) -> pl.DataFrame:
    """Parse each distinct label once: a file has millions of rows but few periods."""
    rows = []
    for label in labels.unique().to_list():
        try:
            period = parse_period(label)
        except PeriodError as error:
            rows.append((label, None, None, None, str(error)))
        else:
            rows.append((label, period.label, period.start, period.kind, None))
    schema = {
        "period": pl.Utf8,
        "period_label": pl.Utf8,
        "period_start": pl.Date,
        "period_kind": pl.Utf8,
        "period_error": pl.Utf8,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _checks(table: pl.DataFrame) -> list[tuple[str, pl.Expr, pl.Expr]]:
    """(column, failing condition, reason) in the order a cell is judged."""
    checks: list[tuple[str, pl.Expr, pl.Expr]] = []
    for name in (*REQUIRED, *OPTIONAL_NUMBERS):
        checks.append(
            (
                name,
                pl.col(name).str.contains(FORMULA),
                pl.format(
                    "'{}' looks like a spreadsheet formula: enter the value itself", pl.col(name)
                ),
            )
        )
    for name in REQUIRED:
        checks.append((name, pl.col(name) == "", pl.lit("this cell is empty")))
    checks += [
        (
            "organisation",
            pl.col("organisation_id").is_null(),
            pl.format(
                "no organisation has the ODS code, Companies House number or charity number '{}'",
                pl.col("organisation"),
            ),
        ),
        (
            "metric",
            pl.col("metric_id").is_null(),
            pl.format("'{}' is not a metric code in the catalogue", pl.col("metric")),
        ),
        ("period", pl.col("period_error").is_not_null(), pl.col("period_error")),
    ]
    for name in ("value", *OPTIONAL_NUMBERS):
        checks.append(
            (
                name,
                (pl.col(name) != "") & pl.col(f"{name}_number").is_null(),
                pl.format("'{}' is not a number", pl.col(name)),
            )
        )
    checks += [
        (
            "value",
            (pl.col("value_number") < 0) & ~pl.col("allows_negative"),
            pl.format("{} is negative, and this metric cannot be", pl.col("value")),
        ),
        (
            "numerator",
            pl.col("numerator_number") < 0,
            pl.format("{} is negative: a count cannot be", pl.col("numerator")),
        ),
        (
            "denominator",
            pl.col("denominator_number") <= 0,
            pl.format("{} is not above zero: a denominator must be", pl.col("denominator")),
        ),
    ]
    return checks


def _problems(table: pl.DataFrame, checks) -> list[Problem]:
    first_row = pl.col(ROW).first().over("organisation_id", "metric_id", "period_label")
    duplicates = (
        table.with_columns(first_row.alias("_first"))
        .filter(
            pl.col("organisation_id").is_not_null()
            & pl.col("metric_id").is_not_null()
            & pl.col("period_label").is_not_null()
            & (pl.col("_first") != pl.col(ROW))
        )
        .select(
            ROW,
            pl.format("repeats row {} (same organisation, metric and period)", "_first").alias(
                "reason"
            ),
        )
    )
    found: list[Problem] = [
        Problem(row, "period", reason) for row, reason in duplicates.iter_rows()
    ]
    reported: set[tuple[int, str]] = set()
    for column, failing, reason in checks:
        hits = table.filter(failing.fill_null(False)).select(ROW, reason.alias("reason"))
        for row, text in hits.iter_rows():
            if (row, column) not in reported:
                reported.add((row, column))
                found.append(Problem(row, column, text))
    return sorted(found, key=lambda problem: (problem.row, _ORDER.get(problem.column, 99)))


_ORDER = {name: index for index, name in enumerate((*REQUIRED, *OPTIONAL_NUMBERS))}
