"""A run's replication package: what an outside auditor needs to reproduce it elsewhere.

The package (a zip) holds every data set the run handed an estimator, exactly as
the estimator saw it — each programme × metric's difference-in-differences
panel (``unit``, ``time``, ``cohort``, ``outcome``; ``time`` a quarter index,
year × 4 + quarter − 1; ``cohort`` the first treated quarter, 0 for
comparators) and each single provider's synthetic-control panel — with the
run's configuration, code version, fingerprint and multiplicity control, its
results, a README, and scripts that reproduce the difference-in-differences
estimates in csdid (Python) and R's ``did``.

The panels are read again from the database. They are the run's only if the
returns have not changed since: the fingerprint is recomputed from them with
the run's configuration and code version, and a package whose fingerprint
differs is refused rather than passed off as the run's data. Returns are not
public, so only those who may read every provider's returns may have one.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from importlib import resources

import polars as pl

from mutuals.evaluation.estimates import plan_step, step_digest
from mutuals.evaluation.fingerprint import ESTIMATOR_LIBRARIES, _version, run_fingerprint
from mutuals.evaluation.models import EvaluationResult, EvaluationRun, RunStatus
from mutuals.evaluation.services import EvaluationConfig, steps_with_panels
from mutuals.exports import neutralise_text
from mutuals.registry.models import Organisation
from mutuals.returns.periods import quarter_from_index

RESULT_COLUMNS = (
    "programme", "cohort", "metric", "method", "organisation", "panel", "treated_units",
    "comparison_units", "pre_periods", "post_periods", "att", "se", "se_analytic", "df",
    "ci_low", "ci_high", "ci_level", "p_value", "p_value_adjusted", "verdict",
    "below_threshold", "assessable_from", "grade", "reason",
)  # fmt: skip


class ReplicationError(Exception):
    """A package that cannot be made: the run is unfinished, or its data have changed."""


def package_name(run: EvaluationRun) -> str:
    return f"mutuals-run-{run.pk}-replication.zip"


def build(run: EvaluationRun) -> bytes:
    """The run's replication package as zip bytes (see the module docstring)."""
    if run.status != RunStatus.DONE:
        raise ReplicationError(f"Evaluation run {run.pk} has not finished, so it has no results.")
    config = EvaluationConfig.from_json(run.configuration)
    digests = []
    files: dict[str, bytes] = {}
    panel_of: dict[tuple, str] = {}
    units: set[int] = set()
    for step, panel in steps_with_panels(config):
        programme, metric = step.programme, step.metric
        inputs = plan_step(programme, metric, programme.kind, panel, config.settings)
        digests.append(step_digest(step.label, panel, inputs))
        for item in inputs:
            if item.data is None:
                continue
            name = _panel_file(programme.code, metric.code, item)
            files[name] = _csv(item.data.sort("unit", "time"))
            units.update(item.data["unit"].unique().to_list())
            for estimate in item.estimates:
                panel_of[_key(programme.code, estimate.cohort_label, metric.code, estimate)] = name
    if run_fingerprint(run.configuration, run.code_version, digests) != run.fingerprint:
        raise ReplicationError(
            f"The returns have changed since evaluation run {run.pk} read them (its data "
            "fingerprint no longer matches), so its exact data cannot be packaged. Start a new "
            "run on the current returns and download its package."
        )
    files["results.csv"] = _results(run, panel_of)
    files["organisations.csv"] = _organisations(units)
    files["run.json"] = json.dumps(_run_json(run), indent=2, sort_keys=True).encode()
    for script in ("reproduce_did.py", "reproduce_did.R"):
        files[script] = (
            resources.files("mutuals.evaluation.replication_files").joinpath(script).read_bytes()
        )
    files["README.md"] = _readme(run, sum(1 for f in files if f.startswith("panels/did/"))).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(f"run-{run.pk}/{name}", files[name])
    return buffer.getvalue()


def _panel_file(programme: str, metric: str, item) -> str:
    if item.method == "did":
        return f"panels/did/{programme}__{metric}.csv"
    (estimate,) = item.estimates
    return f"panels/synth/{programme}__{metric}__{estimate.organisation_id}.csv"


def _key(programme: str, cohort: str, metric: str, e) -> tuple:
    return (programme, cohort, metric, e.method, e.organisation_id)


def _csv(frame: pl.DataFrame) -> bytes:
    return frame.select("unit", "time", "cohort", "outcome").write_csv().encode()


def _results(run: EvaluationRun, panel_of: dict[tuple, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, RESULT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    rows = (
        EvaluationResult.objects.filter(run=run)
        .select_related("programme", "metric")
        .order_by("programme__code", "metric__code", "method", "cohort", "organisation_id")
    )
    for r in rows:
        key = (r.programme.code, r.cohort, r.metric.code, r.method, r.organisation_id)
        writer.writerow(
            {
                "programme": r.programme.code, "cohort": r.cohort, "metric": r.metric.code,
                "method": r.method, "organisation": r.organisation_id or "",
                "panel": panel_of.get(key, ""), "treated_units": r.treated_units,
                "comparison_units": r.comparison_units, "pre_periods": r.pre_periods,
                "post_periods": r.post_periods, "att": _number(r.att), "se": _number(r.se),
                "se_analytic": _number(r.details.get("se_analytic")),
                "df": _number(r.details.get("df")), "ci_low": _number(r.ci_low),
                "ci_high": _number(r.ci_high), "ci_level": _number(r.ci_level),
                "p_value": _number(r.p_value), "p_value_adjusted": _number(r.p_value_adjusted),
                "verdict": r.verdict, "below_threshold": r.below_threshold,
                "assessable_from": r.assessable_from, "grade": r.grade or "",
                "reason": r.reason,
            }
        )  # fmt: skip
    return out.getvalue().encode()


def _number(value) -> str:
    return "" if value is None else repr(float(value))


def _organisations(units: set[int]) -> bytes:
    """Who each panel unit is: its id, identifier (ODS code, company or charity number),
    name and kind."""
    out = io.StringIO()
    writer = csv.writer(out)  # names are people's text: quoted for spreadsheets
    writer.writerow(["unit", "identifier", "name", "kind"])
    for o in Organisation.objects.filter(pk__in=units).order_by("pk"):
        writer.writerow([o.pk, neutralise_text(o.identifier), neutralise_text(o.name), o.kind])
    return out.getvalue().encode()


def _run_json(run: EvaluationRun) -> dict:
    return {
        "run": run.pk,
        "configuration": run.configuration,
        "code_version": run.code_version,
        "fingerprint": run.fingerprint,
        "multiplicity": run.multiplicity,
        "created_at": run.created_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "libraries": {name: _version(name) for name in ESTIMATOR_LIBRARIES},
        "time_index": "year * 4 + quarter - 1; e.g. 2011-Q2 is "
        f"{2011 * 4 + 1} ({quarter_from_index(2011 * 4 + 1)})",
    }


def _readme(run: EvaluationRun, did_panels: int) -> str:
    summary = run.multiplicity or {}
    return f"""# Replication package for evaluation run {run.pk}

Made by Mutuals from the returns the run read. The data fingerprint of these panels,
recomputed when the package was made, equals the run's:

    {run.fingerprint}

Code version: {run.code_version}. Returns are not public: keep this package as you keep
the returns themselves.

## What is here

- `panels/did/` — {did_panels} difference-in-differences panel(s), one per programme and
  metric, exactly as the estimator saw them. Columns: `unit` (an organisation id),
  `time` (a quarter index, year × 4 + quarter − 1), `cohort` (the first treated quarter
  on the same index, 0 for in-house comparators), `outcome` (the metric's value).
- `panels/synth/` — each single provider's synthetic-control panel: the provider
  (`cohort` > 0) and its donors (`cohort` = 0) over the provider's window.
- `organisations.csv` — who each `unit` is: identifier, name and kind.
- `results.csv` — every result of the run, with the panel it came from. `att` and `se`
  are the run's cohort effect and its small-sample standard error; `se_analytic` is the
  standard error R's `did` and csdid report (without the small-sample correction);
  `ci_low`–`ci_high` is the interval at `ci_level`, after the run's multiplicity control.
- `run.json` — the configuration, code and library versions, and the multiplicity control
  ({summary.get("method_name", "Benjamini–Hochberg")}, {summary.get("tests", 0)} tests).

## Reproducing the difference-in-differences estimates

Each cohort effect is Callaway and Sant'Anna's (2021) group-time ATTs aggregated by
cohort (`aggte(type = "group")`), against never-treated comparators, with no covariates.

In Python, with csdid (`pip install csdid`):

    python reproduce_did.py

In R, with the `did` package:

    Rscript reproduce_did.R

Each prints, for every cohort effect, the run's figure beside its own and the largest
difference, and exits with an error if any differs by more than 1e-6.

The synthetic controls can be refitted from their panels with any implementation that
takes all pre-period outcomes as predictors with equal weights (pysyncon, R's Synth).
"""
