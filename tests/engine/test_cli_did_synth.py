"""The ``mutuals did`` and ``mutuals synth`` commands: output and bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

DATA = Path(__file__).parents[1] / "data"
MPDTA = DATA / "mpdta.csv"
BASQUE = DATA / "basque.csv"
DID = ["--outcome", "lemp", "--unit", "countyreal", "--time", "year", "--cohort", "first.treat"]
SYNTH = [
    "--outcome",
    "gdpcap",
    "--unit",
    "regionname",
    "--time",
    "year",
    "--treated",
    "Basque Country (Pais Vasco)",
    "--start",
    "1970",
]


@pytest.fixture(scope="module", autouse=True)
def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutuals.settings")
    import django

    django.setup()


def _call(*argv: str) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(*argv, stdout=out)
    return out.getvalue()


def _fails(*argv: str) -> str:
    from django.core.management import CommandError

    with pytest.raises(CommandError) as info:
        _call(*argv)
    return str(info.value)


@pytest.fixture(scope="module")
def basque_no_spain(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("panels") / "basque.parquet"
    pl.read_csv(BASQUE).filter(pl.col("regionname") != "Spain (Espana)").write_parquet(path)
    return path


def test_did_json():
    payload = json.loads(_call("did", str(MPDTA), *DID, "--json"))
    assert payload["simple"]["att"] == pytest.approx(-0.039951, abs=5e-7)
    assert payload["simple"]["se"] == pytest.approx(0.012034, abs=5e-7)
    assert len(payload["att_gt"]) == 12
    assert set(payload["att_gt"][0]) == {"g", "t", "att", "se"}
    assert [row["e"] for row in payload["dynamic"]] == [-3, -2, -1, 0, 1, 2, 3]
    assert [row["g"] for row in payload["group"]] == [2004, 2006, 2007]
    assert payload["pretrend"]["df"] == 3
    assert payload["dynamic_overall"]["att"] == pytest.approx(-0.077240, abs=5e-7)


def test_did_table_and_options():
    text = _call("did", str(MPDTA), *DID, "--covariates", "lpop", "--control", "notyet")
    assert "By event time" in text and "Pre-trend test" in text
    boot = json.loads(_call("did", str(MPDTA), *DID, "--bootstrap", "99", "--seed", "1", "--json"))
    assert boot["band_critical_value"] > 1.96


def test_synth_json_parquet(basque_no_spain):
    payload = json.loads(_call("synth", str(basque_no_spain), *SYNTH, "--placebo", "--json"))
    assert set(payload) == {"weights", "pre_rmspe", "gaps", "att", "placebo_p"}
    assert sum(payload["weights"].values()) == pytest.approx(1.0)
    assert payload["placebo_p"] == pytest.approx(7 / 17)
    assert "1970" in payload["gaps"] and len(payload["gaps"]) == 43


def test_synth_table():
    text = _call("synth", str(BASQUE), *SYNTH)
    assert "Donor weights" in text and "Pre-period RMSPE" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["did", str(MPDTA), *DID[:1], "emp", *DID[2:]], "column 'emp' is missing"),
        (["did", "nowhere.csv", *DID], "does not exist"),
        (["synth", str(BASQUE), *SYNTH[:7], "Atlantis", *SYNTH[8:]], "unit 'Atlantis'"),
        (["synth", str(BASQUE), *SYNTH[:9], "1956"], "only 1 period(s) before the start"),
        (["synth", str(BASQUE), *SYNTH[:9], "soon"], "--start must be a period number"),
    ],
)
def test_bad_input_is_one_message(argv, message):
    assert message in _fails(*argv)


def test_non_numeric_outcome_and_empty_cohort(tmp_path):
    frame = pl.read_csv(MPDTA)
    text = tmp_path / "text.csv"
    frame.with_columns(pl.lit("n/a").alias("lemp")).write_csv(text)
    assert "'lemp' must hold numbers" in _fails("did", str(text), *DID)
    untreated = tmp_path / "untreated.csv"
    frame.with_columns(pl.lit(0).alias("first.treat")).write_csv(untreated)
    assert "no treated cohort" in _fails("did", str(untreated), *DID)


def test_console_script_exit_status_and_no_traceback():
    argv = ["did", str(MPDTA), *DID[:1], "emp", *DID[2:]]
    code = "from mutuals.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert "column 'emp' is missing" in done.stderr
    assert "Traceback" not in done.stderr
