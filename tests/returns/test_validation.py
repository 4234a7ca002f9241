import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuals.returns.tables import ROW
from mutuals.returns.validation import Lookups, validate

LOOKUPS = Lookups(
    organisations={"NQX01": 1, "07123456": 1, "RS007001": 2},
    metrics={"sickness-absence": (10, False), "operating-margin": (11, True)},
)


def table(rows, columns=("organisation", "metric", "period", "value")):
    frame = pl.DataFrame([list(row) for row in rows], schema=list(columns), orient="row")
    return frame.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))


def reasons(rows, **kwargs):
    return [str(problem) for problem in validate(table(rows, **kwargs), LOOKUPS).problems]


def test_clean_rows_resolve_ids_and_periods():
    outcome = validate(
        table(
            [
                ("NQX01", "sickness-absence", "2011-Q2", "4.5"),
                ("RS007001", "operating-margin", "2011/12", "-2.5"),
            ]
        ),
        LOOKUPS,
    )
    assert outcome.problems == []
    assert outcome.valid.select("organisation_id", "metric_id", "period", "value").rows() == [
        (1, 10, "2011-Q2", 4.5),
        (2, 11, "2011/12", -2.5),
    ]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ("XXXXX", "sickness-absence", "2011-Q2", "1"),
            "row 2, column organisation: no organisation has the ODS code, Companies House "
            "number or charity number 'XXXXX'",
        ),
        (
            ("NQX01", "beds", "2011-Q2", "1"),
            "row 2, column metric: 'beds' is not a metric code in the catalogue",
        ),
        (
            ("NQX01", "sickness-absence", "2011-Q5", "1"),
            "row 2, column period: '2011-Q5' is not a period: use a quarter (2011-Q2), a month "
            "(2011-06) or a financial year (2011/12)",
        ),
        (
            ("NQX01", "sickness-absence", "2011-Q2", "twelve"),
            "row 2, column value: 'twelve' is not a number",
        ),
        (
            ("NQX01", "sickness-absence", "2011-Q2", "nan"),
            "row 2, column value: 'nan' is not a finite number: enter the number itself",
        ),
        (
            ("NQX01", "sickness-absence", "2011-Q2", "-3"),
            "row 2, column value: -3 is negative, and this metric cannot be",
        ),
        (
            ("NQX01", "sickness-absence", "2011-Q2", "=SUM(A1:A4)"),
            "row 2, column value: '=SUM(A1:A4)' looks like a spreadsheet formula: enter the "
            "value itself",
        ),
        (
            ("@cmd", "sickness-absence", "2011-Q2", "1"),
            "row 2, column organisation: '@cmd' looks like a spreadsheet formula: enter the "
            "value itself",
        ),
        (("NQX01", "sickness-absence", "2011-Q2", ""), "row 2, column value: this cell is empty"),
    ],
)
def test_each_rule_names_row_column_and_reason(row, expected):
    assert reasons([row]) == [expected]


def test_negative_allowed_where_the_metric_allows_it():
    assert reasons([("NQX01", "operating-margin", "2011-Q2", "-3")]) == []


def test_duplicates_within_the_file_point_at_the_first():
    rows = [("NQX01", "sickness-absence", "2011-Q2", "1")] * 2
    rows.append(("07123456", "sickness-absence", "2011-q2", "1"))  # same org, same quarter
    assert reasons(rows) == [
        "row 3, column period: repeats row 2 (same organisation, metric and period)",
        "row 4, column period: repeats row 2 (same organisation, metric and period)",
    ]


def test_numerator_and_denominator_are_checked_when_present():
    rows = [("NQX01", "sickness-absence", "2011-Q2", "5", "-1", "0")]
    columns = ("organisation", "metric", "period", "value", "numerator", "denominator")
    assert reasons(rows, columns=columns) == [
        "row 2, column numerator: -1 is negative: a count cannot be",
        "row 2, column denominator: 0 is not above zero: a denominator must be",
    ]


def test_missing_required_column_is_reported_once_for_the_file():
    outcome = validate(
        table([("NQX01", "x", "1")], columns=("organisation", "metric", "value")), LOOKUPS
    )
    assert [str(problem) for problem in outcome.problems] == [
        "column period: this required column is missing"
    ]


def test_every_problem_in_a_row_is_listed():
    problems = reasons([("XXXXX", "beds", "soon", "lots")])
    assert len(problems) == 4
    assert [p.split(":")[0] for p in problems] == [
        "row 2, column organisation",
        "row 2, column metric",
        "row 2, column period",
        "row 2, column value",
    ]


# The screen passes a row only when every rule would: checked against the rules applied to
# every row, on rows of good cells mixed with cells that trip parsers up (spaces, signs,
# formula text, nan).
GOOD = {
    "organisation": ["NQX01", "07123456", "RS007001"],
    "metric": ["sickness-absence", "operating-margin"],
    "period": ["2011-Q2", "2011-06", "2011/12", "2012-Q1", "2012-Q2", "2012-07"],
    "value": ["1", "4.5", "0"],
    "numerator": ["", "2"],
    "denominator": ["", "3"],
}
TRICKY = {
    "organisation": ["NQX01", " NQX01 ", "07123456", "RS007001", "XXXXX", "", "=A1", "@x", None],
    "metric": ["sickness-absence", "operating-margin", " operating-margin", "beds", "", "+x"],
    "period": ["2011-Q2", "2011-q2", " 2011-Q2", "2011-06", "2011/12", "2011-Q5", "", "-"],
    "value": ["1", "-3", " 4.5", "4.5 ", "+5", "-inf", "inf", "nan", "1e400", "=1", "-", "", None],
    "numerator": ["", "0", "-1", " 2", "x", "+.5", "-.5", None],
    "denominator": ["", "0", "-1", "3", "1e-300", " 3", "NaN", None],
}


def every_row_judged(frame):
    """The rules applied to every row, as validation worked before it had a screen."""
    from mutuals.returns import validation

    parsed = validation._parse(frame, LOOKUPS)
    problems = validation._repeat_problems(
        parsed.rename({"period": "_text"}).rename({"period_label": "period"})
    )
    problems += validation._cell_problems(parsed, validation._checks(parsed))
    problems.sort(key=lambda problem: (problem.row, validation._ORDER.get(problem.column, 99)))
    valid = parsed.filter(~pl.col(ROW).is_in(sorted({p.row for p in problems}))).select(
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
    return problems, valid


def one_odd_cell_each():
    for metric in ("sickness-absence", "operating-margin"):
        good = dict(zip(GOOD, ("NQX01", metric, "2011-Q2", "1", "", ""), strict=True))
        for name, cells in TRICKY.items():
            yield from ({**good, name: cell} for cell in cells)


@pytest.mark.parametrize("row", list(one_odd_cell_each()), ids=str)
def test_a_row_passes_the_screen_only_when_it_passes_every_rule(row):
    check_screen([row])


def test_rows_the_screen_passes_beside_suspect_rows_still_meet_every_rule():
    check_screen(list(one_odd_cell_each()))


@given(
    st.lists(
        st.fixed_dictionaries(
            {name: st.sampled_from(GOOD[name]) | st.sampled_from(TRICKY[name]) for name in GOOD}
        ),
        max_size=12,
    )
)
@settings(max_examples=100, deadline=None)
def test_the_screen_reaches_the_verdicts_of_every_rule_on_every_row(rows):
    check_screen(rows)


@given(
    st.lists(
        st.tuples(
            st.fixed_dictionaries(
                {name: st.sampled_from(GOOD[name]) | st.sampled_from(TRICKY[name]) for name in GOOD}
            ),
            st.integers(1, 20),
        ),
        max_size=6,
    )
)
@settings(max_examples=100, deadline=None)
def test_cells_in_long_runs_reach_the_same_verdicts(runs):
    """A file's names come in runs (a metric's rows together), judged a run at a time when
    the runs are long: the verdicts are those of every rule on every row, repeats included."""
    check_screen([row for row, length in runs for _ in range(length)])


def test_odd_cells_in_long_runs_reach_the_same_verdicts(monkeypatch):
    from mutuals.returns import validation

    judged_by_run = []
    runs_if_few = validation._runs_if_few

    def noted(column):
        runs = runs_if_few(column)
        judged_by_run.append(runs is not None)
        return runs

    monkeypatch.setattr(validation, "_runs_if_few", noted)
    check_screen([row for row in one_odd_cell_each() for _ in range(9)])
    # organisation, metric and period each judged by run (and then their runs' values, one by one)
    assert judged_by_run.count(True) == 3


def check_screen(rows):
    frame = table([list(row.values()) for row in rows], columns=tuple(GOOD))
    frame = frame.with_columns(pl.col(name).cast(pl.Utf8) for name in GOOD)
    outcome = validate(frame, LOOKUPS)
    problems, valid = every_row_judged(frame)
    assert outcome.problems == problems
    assert outcome.valid.equals(valid)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["NQX01", "07123456", "RS007001"]),
            st.sampled_from(["sickness-absence", "operating-margin"]),
            st.sampled_from(["2011-Q2", "2011-Q1", "2010/11", "2011-06", "2011-05"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_numbering_of_valid_rows_is_the_loaders_index_order(keys):
    from mutuals.returns.loading import COLUMNS, _Ordered, _periods_of

    seen, rows = set(), []
    for organisation, metric, period in keys:
        if (LOOKUPS.organisations[organisation], metric, period) not in seen:
            seen.add((LOOKUPS.organisations[organisation], metric, period))
            rows.append((organisation, metric, period, str(len(rows))))
    outcome = validate(table(rows), LOOKUPS)
    assert outcome.problems == [] and outcome.known is not None
    valid = outcome.valid.select(COLUMNS)

    ordered = _Ordered.of(valid, outcome.known).whole()

    assert ordered.equals(valid.sort("organisation_id", "metric_id", "period"))
    # What else validation tells the loader is what the loader would find for itself.
    assert outcome.known.organisations.to_list() == sorted(set(valid["organisation_id"]))
    assert sorted(outcome.known.periods.rows()) == sorted(_periods_of(valid).rows())


def test_rows_with_problems_are_not_numbered():
    outcome = validate(table([("NQX01", "sickness-absence", "2011-Q2", "four")]), LOOKUPS)
    assert outcome.problems and outcome.known is None
