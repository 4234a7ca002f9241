from datetime import date

import pytest

from mutuals.returns.periods import (
    PeriodError,
    parse_period,
    quarter_from_index,
    quarter_index,
    quarter_label,
)


@pytest.mark.parametrize(
    ("text", "kind", "label", "start"),
    [
        ("2011-Q2", "quarter", "2011-Q2", date(2011, 4, 1)),
        (" 2011-q4 ", "quarter", "2011-Q4", date(2011, 10, 1)),
        ("2011-06", "month", "2011-06", date(2011, 6, 1)),
        ("2011/12", "year", "2011/12", date(2011, 4, 1)),
        ("1999/00", "year", "1999/00", date(1999, 4, 1)),
    ],
)
def test_accepted_forms(text, kind, label, start):
    period = parse_period(text)
    assert (period.kind, period.label, period.start) == (kind, label, start)


@pytest.mark.parametrize("text", ["2011-Q5", "2011-13", "2011/13", "Q2 2011", "", "2011"])
def test_rejected_forms_name_the_accepted_ones(text):
    with pytest.raises(PeriodError, match="2011-Q2|financial year"):
        parse_period(text)


def test_quarter_arithmetic():
    assert quarter_label(date(2011, 4, 1)) == "2011-Q2"
    assert quarter_index("2013-Q2") - quarter_index("2011-Q2") == 8
    assert quarter_from_index(quarter_index("2009-Q4")) == "2009-Q4"


@pytest.mark.parametrize("text", ["0000-Q1", "0000-01", "0000/01"])
def test_year_zero_is_a_named_error_not_a_crash(text):
    with pytest.raises(PeriodError, match="0001 or later"):
        parse_period(text)
