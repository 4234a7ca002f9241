"""The shapes the API reads and writes, as the OpenAPI document states them.

Inputs are strict: a number must be a JSON number (``true`` or ``"12"`` is refused, the
field named), text must be a JSON string, and unknown fields are refused rather than
ignored, so a misspelt ``denominator`` cannot vanish silently.
"""

from __future__ import annotations

import datetime as dt
from typing import (
    Annotated,
    Any,
    NotRequired,  # pydantic needs these before 3.12
)

from ninja import Schema
from pydantic import ConfigDict, Field, TypeAdapter, create_model, with_config
from typing_extensions import TypedDict

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Code = Annotated[str, Field(strict=True, pattern=r"^[-a-zA-Z0-9_]+$", max_length=60)]
Quarter = Annotated[str, Field(strict=True, pattern=r"^\d{4}-[Qq][1-4]$")]


class StrictInput(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


# Problems ---------------------------------------------------------------------------------


class ProblemDetail(Schema):
    row: int | None = Field(
        description="For returns: the row (the n-th JSON row, or the CSV line as a "
        "spreadsheet numbers it, the header being line 1)."
    )
    field: str | None = Field(description="The field, column or parameter at fault.")
    message: str
    pointer: str | None = Field(None, description="JSON pointer to the value, for JSON bodies.")


class Problem(Schema):
    """An RFC 9457 problem (application/problem+json)."""

    type: str = Field(description="A path under /api/v1/problems/ naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do about it.")
    instance: str = Field(description="The request's path and query.")
    errors: list[ProblemDetail] = Field(description="One entry per invalid value; may be empty.")


# The register -----------------------------------------------------------------------------


class OrganisationRef(Schema):
    id: int
    name: str
    identifier: str | None = Field(
        description="ODS code, else Companies House number, else charity number."
    )


class Membership(Schema):
    programme: str = Field(description="The programme's code.")
    role: str = Field(description="spin_out or comparator")


class Organisation(Schema):
    id: int
    name: str
    kind: str = Field(description="commissioner, provider or comparator")
    legal_form: str
    identifier: str | None
    ods_code: str | None
    company_number: str | None
    charity_number: str | None
    parent_id: int | None
    spinout_date: dt.date | None
    exit_date: dt.date | None
    staff_count: int | None
    region: str
    services: list[str]
    programmes: list[Membership]


class Programme(Schema):
    code: str
    name: str
    kind: str
    description: str


class ProgrammeMember(Schema):
    organisation: OrganisationRef
    role: str = Field(description="spin_out or comparator")


class ProgrammeDetail(Programme):
    members: list[ProgrammeMember]


class Metric(Schema):
    code: str
    name: str
    unit: str
    direction: str = Field(description="higher, lower or neutral: which way is better")
    domain: str
    description: str
    allows_negative: bool


# Contracts --------------------------------------------------------------------------------


class Objective(Schema):
    id: int
    description: str
    metric: str | None = Field(description="The metric's code.")
    direction: str = Field(description="increase, decrease or maintain")
    target: float | None
    deadline: dt.date | None
    measurement: str
    is_measurable: bool = Field(description="Has a metric, a target and a deadline.")


class Baseline(Schema):
    annual_cost: str = Field(description="Pounds, as a decimal string.")
    annual_activity: str
    activity_unit: str
    quality_metric: str | None
    quality_value: float | None
    price_year: int


class Contract(Schema):
    id: int
    reference: str
    title: str
    status: str = Field(description="draft, active, ended or terminated")
    provider: OrganisationRef
    commissioners: list[OrganisationRef]
    services: list[str]
    start_date: dt.date
    end_date: dt.date
    annual_value: str = Field(description="Pounds a year, as a decimal string.")
    savings_requirement_pct: str | None
    social_value_weight_pct: str | None
    extra_benefits: str
    continuity_plan: str
    evaluation_plan: str
    baseline: Baseline | None
    objectives: list[Objective]


# Returns ----------------------------------------------------------------------------------


class Observation(Schema):
    id: int
    organisation_id: int
    organisation: str | None = Field(description="The organisation's identifier.")
    metric: str = Field(description="The metric's code.")
    period: str = Field(description="2011-Q2, 2011-06 or 2011/12")
    period_start: dt.date
    period_kind: str
    value: float
    numerator: float | None
    denominator: float | None
    version: int = Field(description="1 for the first submission of this figure, then 2, ...")
    submission_id: int


# Typed dictionaries rather than models: 100,000 rows check in a fraction of a second.
@with_config(ConfigDict(extra="forbid", strict=True))
class ReturnRow(TypedDict):
    """One figure for one organisation, metric and period."""

    organisation: Annotated[
        str, Field(description="ODS code, Companies House number or charity number.")
    ]
    metric: Annotated[str, Field(description="A metric code from /api/v1/metrics.")]
    period: Annotated[
        str, Field(description="A quarter 2011-Q2, month 2011-06 or financial year 2011/12.")
    ]
    value: Number
    numerator: NotRequired[Number | None]
    denominator: NotRequired[Number | None]


@with_config(ConfigDict(extra="forbid", strict=True, title="ReturnsSubmission"))
class ReturnsSubmission(TypedDict):
    rows: Annotated[list[ReturnRow], Field(min_length=1)]


RETURNS_SUBMISSION = TypeAdapter(ReturnsSubmission)


class SubmissionAccepted(Schema):
    submission_id: int
    rows: int = Field(description="Rows received.")
    imported: int = Field(description="Rows stored (all of them: a submission is all or nothing).")
    new_versions: int = Field(description="Rows that replaced an earlier figure.")


class Submission(Schema):
    id: int
    submitted_at: dt.datetime
    source: str = Field(description="upload, api, cli or demo")
    filename: str
    row_count: int


# Evaluation and monitoring ----------------------------------------------------------------


class EvaluationRequest(StrictInput):
    programmes: list[Code] = Field(default_factory=list, description="Codes; empty for all.")
    metrics: list[Code] = Field(default_factory=list, description="Codes; empty for all.")
    as_of: Quarter | None = Field(None, description="Use returns up to this quarter.")


class EvaluationRun(Schema):
    id: int
    status: str = Field(description="queued, running, done or failed")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    configuration: dict[str, Any]
    code_version: str
    fingerprint: str
    steps_done: int
    steps_total: int
    progress_percent: int
    error: str
    multiplicity: dict[str, Any] = Field(
        description="The run's multiplicity control: method, alpha, tests (counted), findings, "
        "interval_level, expected_by_chance (findings chance alone would give at alpha "
        "without the control), not_counted (tests that could never reach the level)."
    )


class EvaluationResult(Schema):
    id: int
    programme: str
    cohort: str
    metric: str
    method: str = Field(description="did or synth")
    organisation: OrganisationRef | None
    treated_units: int
    comparison_units: int
    comparators: int = Field(description="Control (DiD) or donor (synthetic control) units.")
    pre_periods: int
    post_periods: int
    att: float | None = Field(description="The effect, in the metric's unit; null if none.")
    se: float | None
    ci_low: float | None = Field(description="Interval after the run's multiplicity control.")
    ci_high: float | None
    ci_level: float | None = Field(description="Confidence level of ci_low to ci_high.")
    p_value: float | None
    p_value_adjusted: float | None = Field(
        description="Benjamini–Hochberg adjusted p-value within the run; null if not counted."
    )
    mde: float | None
    verdict: str = Field(
        description="improved, worsened, increased, decreased (neither direction better), "
        "no_important_effect, inconclusive, too_early or cannot_assess."
    )
    below_threshold: bool = Field(
        description="Improved or worsened by less than the smallest effect that matters."
    )
    reason: str = Field(description="Why the verdict is what it is, in words.")
    reading: str = Field(description="The estimate and its interval in a sentence.")
    assessable_from: str | None
    grade: int | None = Field(description="Maryland Scientific Methods Scale level, 1 to 5.")
    grade_reasons: list[Any]
    details: dict[str, Any]


class EvaluationRunDetail(EvaluationRun):
    results: list[EvaluationResult]


class Alert(Schema):
    id: int
    organisation: OrganisationRef
    metric: str
    kind: str = Field(description="concern or failing")
    period: str
    rule: str
    value: float | None
    target: float | None
    detected_at: dt.datetime
    is_open: bool


# Pages ------------------------------------------------------------------------------------


def page_of(item: type[Schema]) -> type[Schema]:
    """A page of ``item``s: ``results`` in a stable order, and links to the neighbours."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Schema,
        results=(list[item], ...),
        limit=(int, ...),
        offset=(int, ...),
        next=(str | None, Field(description="The next page's URL; null on the last page.")),
        previous=(str | None, Field(description="The previous page's URL; null on the first.")),
    )


OrganisationPage = page_of(Organisation)
ProgrammePage = page_of(Programme)
MetricPage = page_of(Metric)
ContractPage = page_of(Contract)
ObservationPage = page_of(Observation)
EvaluationRunPage = page_of(EvaluationRun)
AlertPage = page_of(Alert)


PROBLEM_STATUSES = (400, 401, 403, 404, 422, 429)


def responses(success: dict[int, Any], *more: int) -> dict[int, Any]:
    """An operation's responses: its success, and a problem for every way it can fail."""
    return {**success, **{status: Problem for status in (*PROBLEM_STATUSES, *more)}}
