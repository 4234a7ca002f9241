"""Impact evaluation runs: list them, read one with its results, start one.

Runs span the portfolio, so, as on the web, only the roles allowed portfolio-wide
evaluation (auditors and commissioners) may read or start them. A started run is
queued for the workers (``mutuals worker``); poll the run until its status is
``done`` or ``failed``.
"""

from __future__ import annotations

import math

from django.http import HttpResponse
from ninja import Path, Query, Router, Status

from mutuals.accounts.permissions import may
from mutuals.api import schemas
from mutuals.api.auth import EVALUATE, READ, caller
from mutuals.api.errors import ApiProblem, not_found
from mutuals.api.listing import PageParams, page
from mutuals.api.routers.register import MAX_ID, organisation_ref
from mutuals.evaluation import replication, services
from mutuals.evaluation.models import EvaluationResult, EvaluationRun
from mutuals.reports import impact

router = Router(tags=["Evaluation"])


def _require(request, action: str) -> None:
    if not may(caller(request).viewer, action, "evaluation"):
        verb = "start" if action == "create" else "read"
        raise ApiProblem(
            403,
            "forbidden",
            f"Your roles do not let you {verb} evaluation runs: auditors and commissioners may.",
        )


def run_json(run: EvaluationRun) -> dict:
    fields = (
        "status",
        "created_at",
        "started_at",
        "finished_at",
        "configuration",
        "code_version",
        "fingerprint",
        "steps_done",
        "steps_total",
        "progress_percent",
        "error",
        "multiplicity",
    )
    return {"id": run.pk, **{name: getattr(run, name) for name in fields}}


def finite(value):
    """JSON has no NaN or infinity: such numbers become null, inside lists and objects too."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def result_json(result: EvaluationResult) -> dict:
    numbers = ("att", "se", "ci_low", "ci_high", "ci_level", "p_value", "p_value_adjusted", "mde")
    counts = ("treated_units", "comparison_units", "pre_periods", "post_periods", "grade")
    return {
        "id": result.pk,
        "programme": result.programme.code,
        "cohort": result.cohort,
        "metric": result.metric.code,
        "method": result.method,
        "organisation": organisation_ref(result.organisation),
        **{name: getattr(result, name) for name in counts},
        "comparators": result.comparison_units,
        **{name: finite(getattr(result, name)) for name in numbers},
        "verdict": result.verdict,
        "below_threshold": result.below_threshold,
        "reason": result.reason,
        "reading": impact.reading_of(result),
        "assessable_from": result.assessable_from or None,
        "grade_reasons": finite(result.grade_reasons),
        "details": finite(result.details),
    }


@router.get(
    "/evaluations",
    response=schemas.responses({200: schemas.EvaluationRunPage}),
    auth=READ,
    summary="List evaluation runs",
)
def list_evaluations(request, paging: Query[PageParams]):
    """Runs, newest first (by id)."""
    _require(request, "view")
    return page(request, EvaluationRun.objects.order_by("-pk"), paging, run_json)


@router.get(
    "/evaluations/{id}",
    response=schemas.responses({200: schemas.EvaluationRunDetail}),
    auth=READ,
    summary="Read an evaluation run with its results",
)
def get_evaluation(request, id: int = Path(..., ge=1, le=MAX_ID)):
    _require(request, "view")
    run = EvaluationRun.objects.filter(pk=id).first()
    if run is None:
        raise not_found(f"evaluation run {id}")
    results = (
        EvaluationResult.objects.filter(run=run)
        .select_related("programme", "metric", "organisation")
        .order_by("pk")
    )
    return {**run_json(run), "results": [result_json(result) for result in results]}


@router.get(
    "/evaluations/{id}/replication.zip",
    response=schemas.responses({200: None}, 409),
    auth=READ,
    summary="Download an evaluation run's replication package",
    openapi_extra={
        "responses": {
            200: {
                "description": "A zip: every panel the run read, its results, configuration, "
                "code version and fingerprint, and scripts that reproduce its "
                "difference-in-differences estimates in csdid or R's did.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def get_replication_package(request, id: int = Path(..., ge=1, le=MAX_ID)):
    """The panels are providers' returns, so only those who may read every provider's
    returns (auditors) may have it; 409 when the returns have changed since the run."""
    _require(request, "view")
    if not may(caller(request).viewer, "view", "observation"):
        raise ApiProblem(
            403,
            "forbidden",
            "A replication package holds every provider's returns the run read: only those "
            "who may see every provider's returns (auditors) may download it.",
        )
    run = EvaluationRun.objects.filter(pk=id).first()
    if run is None:
        raise not_found(f"evaluation run {id}")
    try:
        package = replication.build(run)
    except replication.ReplicationError as error:
        raise ApiProblem(409, "replication-unavailable", str(error)) from None
    response = HttpResponse(package, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{replication.package_name(run)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.post(
    "/evaluations",
    response=schemas.responses({202: schemas.EvaluationRun}),
    auth=EVALUATE,
    summary="Start an evaluation run",
)
def start_evaluation(request, body: schemas.EvaluationRequest, response: HttpResponse):
    """Queue a run over some programmes and metrics (all when empty) for the workers; 202
    with the queued run, whose ``Location`` to poll."""
    _require(request, "create")
    config = services.EvaluationConfig(
        programmes=tuple(body.programmes),
        metrics=tuple(body.metrics),
        as_of=body.as_of.upper() if body.as_of else None,
    )
    run = services.create_run(config, user=caller(request).user)
    services.start(run)
    response["Location"] = f"/api/v1/evaluations/{run.pk}"
    return Status(202, run_json(run))
