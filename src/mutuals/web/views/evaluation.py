"""Impact evaluation on the web: start a run, watch its progress, read its results.

A run started here is queued for the workers (``mutuals worker``; see
:func:`mutuals.evaluation.services.start`), which share its steps; its page
shows how far it has got and, when finished, every estimate with its interval,
verdict and evidence grade. Runs span the portfolio, so only the roles allowed
portfolio-wide evaluation (auditors, commissioners) see these pages.
"""

from __future__ import annotations

import functools

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from mutuals.accounts.permissions import may, viewer_for
from mutuals.evaluation import replication, services
from mutuals.evaluation.models import EvaluationResult, EvaluationRun, RunStatus
from mutuals.evaluation.services import EvaluationConfig, EvaluationError, create_run
from mutuals.registry.models import Programme
from mutuals.reports import impact
from mutuals.returns.models import Metric
from mutuals.returns.periods import PeriodError, quarter_index
from mutuals.web.kept import fragments
from mutuals.web.results_table import ResultFilterForm, filtered, results_csv

RUNS_SHOWN = 50
ALL = ""


class RunForm(forms.Form):
    programme = forms.ChoiceField(label="Programme", required=False)
    metric = forms.ChoiceField(label="Metric", required=False)
    as_of = forms.CharField(
        label="Use returns up to",
        required=False,
        max_length=7,
        help_text="A quarter, for example 2013-Q1. Leave empty to use every return.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [(ALL, "Every programme")] + list(
            Programme.objects.order_by("name").values_list("code", "name")
        )
        self.fields["metric"].choices = [(ALL, "Every metric")] + list(
            Metric.objects.order_by("name").values_list("code", "name")
        )

    def clean_as_of(self) -> str | None:
        value = self.cleaned_data["as_of"].strip().upper()
        if not value:
            return None
        try:
            quarter_index(value)
        except (PeriodError, ValueError):
            raise forms.ValidationError("Enter a quarter like 2013-Q1") from None
        return value

    def config(self) -> EvaluationConfig:
        data = self.cleaned_data
        return EvaluationConfig(
            programmes=(data["programme"],) if data["programme"] else (),
            metrics=(data["metric"],) if data["metric"] else (),
            as_of=data["as_of"],
        )


def _require(request, action: str):
    viewer = viewer_for(request)
    if not may(viewer, action, "evaluation"):
        raise PermissionDenied
    return viewer


def run_list(request):
    viewer = _require(request, "view")
    form = RunForm(request.POST or None)
    if request.method == "POST":
        if not may(viewer, "create", "evaluation"):
            raise PermissionDenied
        if form.is_valid():
            try:
                run = create_run(form.config(), user=request.user)
            except EvaluationError as error:
                form.add_error(None, str(error))
            else:
                services.start(run)
                return redirect(run)
    runs = EvaluationRun.objects.select_related("started_by")[:RUNS_SHOWN]
    return render(
        request,
        "mutuals/evaluation/runs.html",
        {
            "form": form,
            "runs": runs,
            "may_create": may(viewer, "create", "evaluation"),
            "breadcrumbs": [("Home", reverse("home"))],
        },
        status=400 if form.errors else 200,
    )


def run_detail(request, pk: int):
    viewer = _require(request, "view")
    run = get_object_or_404(EvaluationRun.objects.select_related("started_by"), pk=pk)
    # Only the filters' own fields: the page is the same for any other query string.
    query = QueryDict(mutable=True)
    for name in ResultFilterForm.base_fields:
        query.setlist(name, request.GET.getlist(name))
    if request.GET.get("download") == "csv":
        every_result = EvaluationResult.objects.filter(run=run)
        filters = ResultFilterForm(query, results=every_result).filters()
        return results_csv(run, _ordered(filtered(every_result, filters)))
    may_replicate = run.status == RunStatus.DONE and may(viewer, "view", "observation")
    parts = (run.pk, run.status, sorted(query.lists()), may_replicate)
    template = "mutuals/evaluation/run_results.html"
    make = functools.partial(_run_results, run, query, may_replicate)
    # Kept for the filters' own choices; a value they refuse is shown live, so no one can
    # fill the cache with variants.
    every_result = EvaluationResult.objects.filter(run=run)
    if ResultFilterForm(query, results=every_result).is_valid():
        results_html = fragments("evaluation-run", parts, template, make)
    else:
        results_html = [mark_safe(render_to_string(template, make()))]
    return render(
        request,
        "mutuals/evaluation/run.html",
        {
            "run": run,
            "results_html": results_html,
            "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
            "breadcrumbs": [("Home", reverse("home")), ("Evaluation", reverse("evaluations"))],
        },
    )


def _ordered(results):
    return results.select_related("programme", "metric", "organisation").order_by(
        "programme__name", "method", "cohort", "metric__name", "organisation__name"
    )


def _run_results(run: EvaluationRun, query: QueryDict, may_replicate: bool) -> dict:
    """The run's results section: its filters, the matching results and their meanings."""
    every_result = EvaluationResult.objects.filter(run=run)
    filter_form = ResultFilterForm(query, results=every_result)
    filters = filter_form.filters()
    results = list(_ordered(filtered(every_result, filters)))
    download = query.copy()
    download["download"] = "csv"
    return {
        "run": run,
        "results": results,
        "has_results": bool(results) or every_result.exists(),
        "filter_form": filter_form,
        "filtered": any(filters.values()),
        "download_href": "?" + download.urlencode(),
        "multiplicity_sentence": impact.multiplicity_sentence(run.multiplicity),
        "verdict_meanings": impact.VERDICT_MEANINGS,
        "grade_scale": impact.GRADE_SCALE,
        "placebo_test": impact.PLACEBO_TEST,
        "may_replicate": may_replicate,
        "finished": run.status in (RunStatus.DONE, RunStatus.FAILED),
    }


@require_GET
def run_replication(request, pk: int):
    """The run's replication package: every panel it read, its results and the scripts to
    reproduce them. The panels are providers' returns, so only those who may read every
    provider's returns (auditors) may download it."""
    viewer = _require(request, "view")
    if not may(viewer, "view", "observation"):
        raise PermissionDenied
    run = get_object_or_404(EvaluationRun, pk=pk)
    try:
        package = replication.build(run)
    except replication.ReplicationError as error:
        return render(
            request,
            "mutuals/evaluation/replication_refused.html",
            {"run": run, "message": str(error), "breadcrumbs": _run_crumbs(run)},
            status=409,
        )
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{replication.package_name(run)}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _run_crumbs(run: EvaluationRun) -> list:
    return [
        ("Home", reverse("home")),
        ("Evaluation", reverse("evaluations")),
        (f"Run {run.pk}", run.get_absolute_url()),
    ]


@require_GET
def run_progress(request, pk: int):
    """The run's status as JSON, for the page's progress script."""
    _require(request, "view")
    run = get_object_or_404(EvaluationRun, pk=pk)
    return JsonResponse(
        {
            "status": run.status,
            "status_text": run.get_status_display(),
            "steps_done": run.steps_done,
            "steps_total": run.steps_total,
            "percent": run.progress_percent,
        }
    )
