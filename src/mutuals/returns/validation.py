"""Row-by-row validation of returns, written as whole-column operations.

Each rule produces the rows it rejects, with the column and the reason; a cell
is reported once, for the first rule it breaks. The rules: required columns and no
unknown ones; spreadsheet formula text; unknown organisation or metric; unparseable
period, or one outside the span returns may be for (:mod:`mutuals.returns.span`);
unparseable or infinite number; impossible negatives; a zero denominator; rows repeated
within the file. Cells are quoted in messages as excerpts (:mod:`mutuals.returns.cells`).

Formula text is judged as typed, but an organisation or metric is looked up without
the quote an export puts before formula text (``'-margin`` is the metric ``-margin``:
see :mod:`mutuals.exports`), so an exported file imports as itself.

A national file has millions of rows, so validation runs in two passes that
reach the verdicts of applying every rule to every row. The screen judges each
distinct organisation, metric and period once, and reads each number as
written: a row whose names resolve, whose period parses, whose numbers are
finite as written (so carry no surrounding spaces and cannot be formula text)
and keep the sign rules breaks no rule. Any other row is suspect, and only
suspect rows go through the rules one by one for their reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from math import prod

import polars as pl

from mutuals.errors import Problem
from mutuals.exports import restored
from mutuals.returns.cells import FORMULA, NON_FINITE, excerpt_expr, formula_expr
from mutuals.returns.periods import PeriodError, parse_period
from mutuals.returns.span import PeriodSpan, returns_span
from mutuals.returns.tables import ROW, column_problems

__all__ = ["FORMULA", "Lookups", "Outcome", "validate"]

REQUIRED = ("organisation", "metric", "period", "value")
OPTIONAL_NUMBERS = ("numerator", "denominator")


@dataclass(frozen=True)
class Lookups:
    """What the validator checks names against: built once per import."""

    organisations: dict[str, int]  # ODS code, company or charity number -> id
    metrics: dict[str, tuple[int, bool]]  # code -> (id, allows negative values)
    span: PeriodSpan = field(default_factory=returns_span)  # the periods returns may be for


@dataclass(frozen=True)
class Known:
    """What :func:`validate` finds out about rows that are all valid, which the loader
    (:func:`mutuals.returns.loading.bulk_load`) would otherwise work out again: each part
    takes a national load tens of milliseconds."""

    key: pl.Series  # each row's organisation, metric and period as one number, in that order
    order: pl.Series | None  # the rows' places sorted by key (None: they are in key order)
    organisations: pl.Series  # the organisations the rows carry, each once, ascending
    periods: pl.DataFrame  # the periods the rows carry, each once: period, its start and kind


@dataclass(frozen=True)
class Outcome:
    valid: pl.DataFrame  # loading columns plus _row, for rows with no problem
    problems: list[Problem]
    rows: int
    # When every row is valid, what the checking found out that the loader needs: each row's
    # place in the order of organisation, metric and period (the returns' index order) as
    # one number, the organisations and the periods.
    known: Known | None = None

    @property
    def rejected_rows(self) -> set[int]:
        return {problem.row for problem in self.problems}


_VALID = (
    ROW,
    "organisation_id",
    "metric_id",
    "period",
    "period_start",
    "period_kind",
    "value",
    "numerator",
    "denominator",
)
_SUSPECT = "_suspect"


def validate(table: pl.DataFrame, lookups: Lookups) -> Outcome:
    problems = column_problems(table.columns, REQUIRED, OPTIONAL_NUMBERS)
    if problems:
        return Outcome(table.clear(), problems, table.height)
    for name in OPTIONAL_NUMBERS:
        if name not in table.columns:
            table = table.with_columns(pl.lit("").alias(name))
    table = table.with_columns(pl.col(*REQUIRED, *OPTIONAL_NUMBERS).cast(pl.Utf8))
    screened = _screen(table, lookups)
    key = _index_key(screened)
    order, repeated = _order_and_repeats(screened, key)
    if not repeated and not screened.get_column(_SUSPECT).any():
        return Outcome(screened.select(_VALID), [], table.height, _known(screened, key, order))
    return _judge(table, screened, lookups, repeated)


def _judge(table: pl.DataFrame, screened: pl.DataFrame, lookups: Lookups, repeated: bool):
    """Every rule applied to the suspect rows, and the repeats named, for the reasons."""
    suspect = screened.get_column(_SUSPECT)
    parsed = _parse(table.filter(suspect), lookups)
    problems = _repeat_problems(screened) if repeated else []
    problems += _cell_problems(parsed, _checks(parsed))
    problems.sort(key=lambda problem: (problem.row, _ORDER.get(problem.column, 99)))
    checked = parsed.select(
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
    bad = sorted({problem.row for problem in problems})
    valid = (
        pl.concat([screened.filter(~suspect).select(_VALID), checked])
        .filter(~pl.col(ROW).is_in(bad))
        .sort(ROW)
    )
    return Outcome(valid, problems, table.height)


# The screen ----------------------------------------------------------------------------


def _screen(table: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    """Each row's ids, period and numbers, with ``_suspect`` set where a rule might reject it."""
    numbers = table.select(
        ROW,
        # As written; one that is not finite makes its row suspect (below).
        *[pl.col(name).cast(pl.Float64, strict=False) for name in ("value", *OPTIONAL_NUMBERS)],
        *[(pl.col(name).fill_null("") != "").alias(f"_{name}_given") for name in OPTIONAL_NUMBERS],
    ).rechunk()  # in one piece, as the per-value columns are: mixed, every row-wise step
    # below realigned the pieces, a fifth of a second for a national file
    screened = pl.concat(
        [
            numbers,
            _per_value(table.get_column("organisation"), partial(_organisations, lookups=lookups)),
            _per_value(table.get_column("metric"), partial(_metrics, lookups=lookups)),
            _per_value(table.get_column("period"), partial(_period_labels, span=lookups.span)),
        ],
        how="horizontal",
    )
    suspect = pl.any_horizontal(
        ~pl.col("_organisation_ok"),
        ~pl.col("_metric_ok"),
        ~pl.col("_period_ok"),
        _not_finite("value"),  # empty, not a number as written, or not finite
        pl.col("_numerator_given") & _not_finite("numerator"),
        pl.col("_denominator_given") & _not_finite("denominator"),
        ((pl.col("value") < 0) & ~pl.col("allows_negative")).fill_null(False),
        (pl.col("numerator") < 0).fill_null(False),
        (pl.col("denominator") <= 0).fill_null(False),
    )
    return screened.with_columns(suspect.alias(_SUSPECT))


def _not_finite(name: str) -> pl.Expr:
    return ~pl.col(name).is_finite().fill_null(False)


def _per_value(column: pl.Series, judge: Callable[[pl.Series], pl.DataFrame]) -> pl.DataFrame:
    """``judge`` applied once to each distinct (stripped) value, spread back over the rows.

    A file's names mostly come in runs (a metric's rows together, a provider's within
    them): when there are few, each run's value is looked up, not each row's, which
    spares two passes of hashing millions of strings."""
    raw = column.fill_null("")
    if (runs := _runs_if_few(raw)) is not None:
        firsts = runs.diff().fill_null(1) != 0
        return _per_value(raw.filter(firsts), judge)[runs]
    distinct = raw.unique()
    return judge(distinct.str.strip_chars())[raw.cast(pl.Enum(distinct)).to_physical()]


_FEW_RUNS = 8  # runs are "few" when they average this many rows or more
_SAMPLE = 4096  # the rows first looked at, to spare counting the runs of a column with many


def _runs_if_few(column: pl.Series) -> pl.Series | None:
    """Each row's run number (0 for the first run of one value, 1 for the next …) if the
    column has few runs, judged first by its first rows; else None."""
    for sample in (column.head(_SAMPLE), column):
        runs = sample.rle_id()
        if runs.is_empty() or (int(runs[-1]) + 1) * _FEW_RUNS > runs.len():
            return None
    return runs


def _organisations(text: pl.Series, lookups: Lookups) -> pl.DataFrame:
    ids = restored(text).replace_strict(lookups.organisations, default=None, return_dtype=pl.Int64)
    return pl.DataFrame(
        {
            "organisation_id": ids,
            "_organisation_code": ids.rank("dense"),
            "_organisation_ok": _plain(text) & ids.is_not_null(),
        }
    )


def _metrics(text: pl.Series, lookups: Lookups) -> pl.DataFrame:
    codes = restored(text)
    ids = codes.replace_strict(
        {code: pk for code, (pk, _) in lookups.metrics.items()},
        default=None,
        return_dtype=pl.Int64,
    )
    negatives = codes.replace_strict(
        {code: allowed for code, (_, allowed) in lookups.metrics.items()},
        default=False,
        return_dtype=pl.Boolean,
    )
    return pl.DataFrame(
        {
            "metric_id": ids,
            "allows_negative": negatives,
            "_metric_code": ids.rank("dense"),
            "_metric_ok": _plain(text) & ids.is_not_null(),
        }
    )


def _period_labels(text: pl.Series, span: PeriodSpan) -> pl.DataFrame:
    periods = pl.DataFrame({"period": text}).join(
        _periods(text, span), on="period", how="left", maintain_order="left"
    )
    return periods.select(
        pl.col("period_label").alias("period"),
        "period_start",
        "period_kind",
        pl.col("period_label").rank("dense").alias("_period_code"),
        (_plain(text) & periods.get_column("period_error").is_null()).alias("_period_ok"),
    )


def _plain(text: pl.Series) -> pl.Series:
    """Neither empty nor formula text."""
    return (text != "") & ~text.str.contains(FORMULA)


_CODES = ("_organisation_code", "_metric_code", "_period_code")


def _index_key(screened: pl.DataFrame) -> pl.Series | None:
    """Each row's organisation, metric and period as one number, in that order (null where
    one is unknown); None when there are too many to number."""
    sizes = [(screened.get_column(name).max() or 0) + 1 for name in _CODES]
    if prod(sizes) >= 2**63:
        return None
    organisation, metric, period = (pl.col(name).cast(pl.Int64) for name in _CODES)
    return screened.select((organisation * sizes[1] + metric) * sizes[2] + period).to_series()


def _known(screened: pl.DataFrame, key: pl.Series | None, order) -> Known | None:
    """What the loader needs of rows that are all valid, from the codes the screen gave them."""
    if key is None:
        return None
    first_of_each = partial(_first_of_each, screened)
    return Known(
        key=key,
        order=order,
        organisations=first_of_each("_organisation_code").get_column("organisation_id").sort(),
        periods=first_of_each("_period_code").select("period", "period_start", "period_kind"),
    )


def _first_of_each(screened: pl.DataFrame, code: str) -> pl.DataFrame:
    return screened.gather(screened.get_column(code).arg_unique())


def _order_and_repeats(screened: pl.DataFrame, key: pl.Series | None):
    """The rows' places sorted by ``key`` (None if they are in its order already, or it has
    gaps), and whether two rows name one organisation, metric and period (however written).

    Sorted, a repeat sits beside what it repeats; the loader then writes the rows in this
    order, rather than sort them again."""
    if key is None:  # too many to number: compare the three codes
        return None, screened.select(_CODES).drop_nulls().is_duplicated().any()
    if key.has_nulls():  # rows with problems: no load follows
        known = key.drop_nulls()
        return None, known.n_unique() < known.len()
    order = None if key.is_sorted() else key.arg_sort()
    in_order = key if order is None else key.gather(order)
    return order, bool(in_order.diff().eq(0).any())


# The rules, row by row -----------------------------------------------------------------


def _parse(table: pl.DataFrame, lookups: Lookups) -> pl.DataFrame:
    text = [pl.col(name).fill_null("").str.strip_chars() for name in (*REQUIRED, *OPTIONAL_NUMBERS)]
    table = table.with_columns(text)
    metric_ids = {code: ids[0] for code, ids in lookups.metrics.items()}
    negatives = {ids[0]: ids[1] for ids in lookups.metrics.values()}
    table = table.with_columns(
        restored(pl.col("organisation"))
        .replace_strict(lookups.organisations, default=None, return_dtype=pl.Int64)
        .alias("organisation_id"),
        restored(pl.col("metric"))
        .replace_strict(metric_ids, default=None, return_dtype=pl.Int64)
        .alias("metric_id"),
        *[_finite(pl.col(name)).alias(f"{name}_number") for name in ("value", *OPTIONAL_NUMBERS)],
    )
    table = table.with_columns(
        pl.col("metric_id")
        .replace_strict(negatives, default=False, return_dtype=pl.Boolean)
        .alias("allows_negative")
    )
    periods = _periods(table["period"], lookups.span)
    return table.join(periods, on="period", how="left", maintain_order="left")


def _finite(text: pl.Expr) -> pl.Expr:
    number = text.cast(pl.Float64, strict=False)
    return pl.when(number.is_finite()).then(number).otherwise(None)


def _non_finite(text: pl.Expr) -> pl.Expr:
    """Text that reads as a number, but an infinite one or not-a-number (``-inf``, ``1e999``)."""
    number = text.cast(pl.Float64, strict=False)
    return text.str.contains(NON_FINITE) | (number.is_not_null() & ~number.is_finite())


def _periods(labels: pl.Series, span: PeriodSpan) -> pl.DataFrame:
    """Parse each distinct label once: a file has millions of rows but few periods. A
    period outside ``span`` is an error like an unparseable one."""
    rows = []
    for label in labels.unique().to_list():
        try:
            period = parse_period(label)
        except PeriodError as error:
            rows.append((label, None, None, None, str(error)))
            continue
        if problem := span.problem(period):
            rows.append((label, None, None, None, problem))
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
                formula_expr(pl.col(name)),
                pl.format(
                    "'{}' looks like a spreadsheet formula: enter the value itself",
                    excerpt_expr(pl.col(name)),
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
                excerpt_expr(pl.col("organisation")),
            ),
        ),
        (
            "metric",
            pl.col("metric_id").is_null(),
            pl.format("'{}' is not a metric code in the catalogue", excerpt_expr(pl.col("metric"))),
        ),
        ("period", pl.col("period_error").is_not_null(), pl.col("period_error")),
    ]
    for name in ("value", *OPTIONAL_NUMBERS):
        checks.append(
            (
                name,
                (pl.col(name) != "") & pl.col(f"{name}_number").is_null(),
                pl.when(_non_finite(pl.col(name)))
                .then(
                    pl.format(
                        "'{}' is not a finite number: enter the number itself",
                        excerpt_expr(pl.col(name)),
                    )
                )
                .otherwise(pl.format("'{}' is not a number", excerpt_expr(pl.col(name)))),
            )
        )
    checks += [
        (
            "value",
            (pl.col("value_number") < 0) & ~pl.col("allows_negative"),
            pl.format("{} is negative, and this metric cannot be", excerpt_expr(pl.col("value"))),
        ),
        (
            "numerator",
            pl.col("numerator_number") < 0,
            pl.format("{} is negative: a count cannot be", excerpt_expr(pl.col("numerator"))),
        ),
        (
            "denominator",
            pl.col("denominator_number") <= 0,
            pl.format(
                "{} is not above zero: a denominator must be", excerpt_expr(pl.col("denominator"))
            ),
        ),
    ]
    return checks


def _repeat_problems(screened: pl.DataFrame) -> list[Problem]:
    """Each row that repeats an earlier row's organisation, metric and period."""
    keys = ("organisation_id", "metric_id", "period")
    repeats = (
        screened.with_columns(pl.col(ROW).first().over(keys).alias("_first"))
        .filter(
            pl.all_horizontal(pl.col(name).is_not_null() for name in keys)
            & (pl.col("_first") != pl.col(ROW))
        )
        .select(
            ROW,
            pl.format("repeats row {} (same organisation, metric and period)", "_first").alias(
                "reason"
            ),
        )
    )
    return [Problem(row, "period", reason) for row, reason in repeats.iter_rows()]


def _cell_problems(table: pl.DataFrame, checks) -> list[Problem]:
    """Each cell's first broken rule."""
    found: list[Problem] = []
    reported: set[tuple[int, str]] = set()
    for column, failing, reason in checks:
        hits = table.filter(failing.fill_null(False)).select(ROW, reason.alias("reason"))
        for row, text in hits.iter_rows():
            if (row, column) not in reported:
                reported.add((row, column))
                found.append(Problem(row, column, text))
    return found


_ORDER = {name: index for index, name in enumerate((*REQUIRED, *OPTIONAL_NUMBERS))}
