"""Returns must be for periods that exist: from RETURNS_FIRST_PERIOD to the current quarter
(or RETURNS_MAX_QUARTERS_AHEAD after it). A period outside is refused on every path, by
row and column, with the range allowed; and period arithmetic never overflows."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from mutuals.config import ConfigError, load
from mutuals.returns.models import Observation
from mutuals.returns.periods import parse_period, quarter_from_index, quarter_index, quarter_label


def _write(path, periods):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["organisation", "metric", "period", "value"])
        writer.writerows(["NQX01", "sickness-absence", period, "4.5"] for period in periods)
    return path


def _next_quarter(label: str) -> str:
    return quarter_from_index(quarter_index(label) + 1)


@pytest.mark.parametrize("period", ["9999-Q4", "9999/00", "9999-12", "2107-Q1", "1800-Q1"])
def test_the_cli_refuses_a_period_that_cannot_exist(catalogue, tmp_path, capsys, period):
    path = _write(tmp_path / "returns.csv", ["2011-Q2", period])
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command("import-returns", str(path))
    current = quarter_label(timezone.localdate())
    side = "before 2000-Q1" if period.startswith("1800") else f"after {current}"
    assert f"row 3, column period: '{period}' is {side}" in capsys.readouterr().err
    assert not Observation.objects.exists()


def test_the_message_names_the_range_allowed(catalogue, tmp_path, capsys):
    path = _write(tmp_path / "returns.csv", ["9999-Q4"])
    with pytest.raises(CommandError):
        call_command("import-returns", str(path))
    current = quarter_label(timezone.localdate())
    assert (
        f"row 2, column period: '9999-Q4' is after {current}, the current quarter: returns "
        f"can be for periods from 2000-Q1 to {current}"
    ) in capsys.readouterr().err


def test_the_current_quarter_is_allowed_and_the_next_only_when_configured(
    catalogue, tmp_path, settings
):
    current = quarter_label(timezone.localdate())
    call_command("import-returns", str(_write(tmp_path / "now.csv", [current])))
    assert Observation.objects.filter(period=current).exists()
    later = _write(tmp_path / "later.csv", [_next_quarter(current)])
    with pytest.raises(CommandError):
        call_command("import-returns", str(later))
    settings.RETURNS_MAX_QUARTERS_AHEAD = 1
    call_command("import-returns", str(later))
    assert Observation.objects.count() == 2


def test_the_first_period_is_a_setting(catalogue, tmp_path, settings):
    from mutuals.returns.span import returns_span

    settings.RETURNS_FIRST_PERIOD = "2011-Q3"
    with pytest.raises(CommandError):
        call_command("import-returns", str(_write(tmp_path / "r.csv", ["2011-Q2"])))
    assert returns_span().problem(parse_period("2011-06")) == (
        f"'2011-06' is before 2011-Q3: returns can be for periods from 2011-Q3 to "
        f"{quarter_label(timezone.localdate())}"
    )


@pytest.mark.parametrize("raw", ["2000", "2000-Q5", "0000-Q1", "spring"])
def test_a_first_period_that_is_not_a_quarter_is_refused_at_start(raw):
    with pytest.raises(ConfigError, match="RETURNS_FIRST_PERIOD"):
        load({"RETURNS_FIRST_PERIOD": raw, "SECRET_KEY": "x"})


def test_period_arithmetic_reaches_the_last_day_there_is():
    assert parse_period("9999-Q4").end == date(9999, 12, 31)
    assert parse_period("9999/00").end == date(9999, 12, 31)  # would run into 10000
    assert parse_period("2011/12").end == date(2012, 3, 31)
    assert parse_period("0999-Q1").label == "0999-Q1"  # a label that parses back
    assert quarter_from_index(quarter_index("0999-Q1")) == "0999-Q1"
