"""An evaluation run's results, filtered by programme, metric, verdict and method, and as CSV.

The choices offered are those the run's results hold, so every option finds something; the
CSV has every result the filters keep, each figure as the estimator wrote it and every text
cell neutralised against formula injection (:mod:`mutuals.exports`)."""

from __future__ import annotations

import io

import polars as pl
from django import forms
from django.db.models import QuerySet
from django.http import HttpResponse

from mutuals.evaluation.models import EvaluationResult, EvaluationRun, Method, Verdict
from mutuals.exports import neutralise_frame
from mutuals.web.forms import LenientFilterForm


class ResultFilterForm(LenientFilterForm):
    programme = forms.ChoiceField(label="Programme", required=False)
    metric = forms.ChoiceField(label="Metric", required=False)
    verdict = forms.ChoiceField(label="Verdict", required=False)
    method = forms.ChoiceField(label="Method", required=False)

    def __init__(self, *args, results: QuerySet[EvaluationResult], **kwargs):
        super().__init__(*args, **kwargs)
        held = results.order_by()
        self.fields["programme"].choices = [
            ("", "All programmes"),
            *held.values_list("programme__code", "programme__name")
            .distinct()
            .order_by("programme__name"),
        ]
        self.fields["metric"].choices = [
            ("", "All metrics"),
            *held.values_list("metric__code", "metric__name").distinct().order_by("metric__name"),
        ]
        verdicts = set(held.values_list("verdict", flat=True).distinct())
        self.fields["verdict"].choices = [("", "All verdicts")] + [
            (value, label) for value, label in Verdict.choices if value in verdicts
        ]
        methods = set(held.values_list("method", flat=True).distinct())
        self.fields["method"].choices = [("", "Both methods")] + [
            (value, label) for value, label in Method.choices if value in methods
        ]


def filtered(results: QuerySet[EvaluationResult], filters: dict) -> QuerySet[EvaluationResult]:
    if filters["programme"]:
        results = results.filter(programme__code=filters["programme"])
    if filters["metric"]:
        results = results.filter(metric__code=filters["metric"])
    if filters["verdict"]:
        results = results.filter(verdict=filters["verdict"])
    if filters["method"]:
        results = results.filter(method=filters["method"])
    return results


TEXT = pl.String
NUMBER = pl.Float64
CSV_SCHEMA = {
    "programme": TEXT,
    "method": TEXT,
    "cohort": TEXT,
    "provider": TEXT,
    "metric": TEXT,
    "unit": TEXT,
    "effect": NUMBER,
    "standard_error": NUMBER,
    "interval_low": NUMBER,
    "interval_high": NUMBER,
    "interval_level": NUMBER,
    "p_value": NUMBER,
    "p_value_adjusted": NUMBER,
    "minimum_detectable_effect": NUMBER,
    "verdict": TEXT,
    "reason": TEXT,
    "evidence_grade": pl.Int64,
    "treated_units": pl.Int64,
    "comparison_units": pl.Int64,
}


def results_csv(run: EvaluationRun, results: QuerySet[EvaluationResult]) -> HttpResponse:
    verdicts = dict(Verdict.choices)
    methods = dict(Method.choices)
    frame = pl.DataFrame(
        [
            {
                "programme": r.programme.name,
                "method": methods.get(r.method, r.method),
                "cohort": r.cohort,
                "provider": r.organisation.name if r.organisation else None,
                "metric": r.metric.name,
                "unit": r.metric.unit,
                "effect": r.att,
                "standard_error": r.se,
                "interval_low": r.ci_low,
                "interval_high": r.ci_high,
                "interval_level": r.ci_level,
                "p_value": r.p_value,
                "p_value_adjusted": r.p_value_adjusted,
                "minimum_detectable_effect": r.mde,
                "verdict": verdicts.get(r.verdict, r.verdict),
                "reason": r.reason,
                "evidence_grade": r.grade,
                "treated_units": r.treated_units,
                "comparison_units": r.comparison_units,
            }
            for r in results
        ],
        schema=CSV_SCHEMA,
    )
    buffer = io.BytesIO()
    neutralise_frame(frame).write_csv(buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="evaluation-run-{run.pk}.csv"'
    return response
