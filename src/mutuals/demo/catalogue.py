"""What the demo world is made of: programmes, services and the metric catalogue.

Each metric carries, besides the fields the returns catalogue stores, the
parameters the generator uses to draw its series: a level that differs between
providers, a time trend, a seasonal pattern and AR(1) noise. ``log`` metrics
(costs, counts, money) are drawn on the log scale so that effects on them are
proportional; the others are drawn on their own scale. Log metrics are in real
terms with no common trend or season: on the log scale a common trend would
grow large providers more in pounds than small ones, and parallel trends in
levels (what the evaluation assumes) would fail between spin-outs and the
smaller comparators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

Scope = Literal["all", "health", "social"]

FIRST_QUARTER = "2007-Q1"
LAST_QUARTER = "2019-Q4"
# The world's "today": contract statuses are as of this date.
WORLD_AS_OF = date(2019, 12, 31)


@dataclass(frozen=True)
class ProgrammeSpec:
    code: str
    name: str
    kind: str
    description: str


PROGRAMMES: tuple[ProgrammeSpec, ...] = (
    ProgrammeSpec(
        "right-to-request",
        "Right to Request",
        "right_to_request",
        "Community health staff who left primary care trusts between 2009 and 2012 to run "
        "their services as social enterprises under contract to the trust (synthetic).",
    ),
    ProgrammeSpec(
        "social-work-practices",
        "Social work practices",
        "social_work_practices",
        "Five pilot practices run by social workers for looked-after children and care "
        "leavers under contract to their council, with matched comparison councils "
        "(synthetic).",
    ),
    ProgrammeSpec(
        "integrated-care",
        "Integrated care mutuals",
        "integrated_care",
        "Staff-owned providers holding pooled NHS and council contracts for adult health "
        "and social care (synthetic).",
    ),
)


@dataclass(frozen=True)
class MetricSpec:
    code: str
    name: str
    unit: str
    direction: Literal["higher", "lower", "neutral"]
    domain: str
    description: str
    scope: Scope
    allows_negative: bool = False
    # How the generator draws the series.
    scale: Literal["log", "linear"] = "linear"
    mean: float = 0.0  # level on the drawing scale (linear metrics only)
    spread: float = 0.0  # standard deviation of provider levels
    trend: float = 0.0  # change per quarter on the drawing scale
    season: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # Q1..Q4
    rho: float = 0.5
    sigma: float = 1.0
    low: float | None = None
    high: float | None = None
    decimals: int = 1


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "unit-cost-per-contact",
        "Unit cost per contact",
        "£ per contact",
        "lower",
        "cost",
        "Total cost of the services divided by contacts delivered, in cash prices.",
        "all",
        scale="log",
        spread=0.12,
        trend=0.0,
        season=(0.0, 0.0, 0.0, 0.0),
        rho=0.6,
        sigma=0.03,
        low=0.0,
        decimals=2,
    ),
    MetricSpec(
        "contacts-delivered",
        "Contacts delivered",
        "contacts",
        "higher",
        "activity",
        "Face-to-face and telephone contacts with patients or clients in the quarter.",
        "all",
        scale="log",
        spread=0.15,
        trend=0.0,
        season=(0.0, 0.0, 0.0, 0.0),
        rho=0.5,
        sigma=0.04,
        low=0.0,
        decimals=0,
    ),
    MetricSpec(
        "waiting-time-weeks",
        "Waiting time to first contact",
        "weeks",
        "lower",
        "quality",
        "Mean weeks from referral to first contact for patients seen in the quarter.",
        "health",
        mean=8.0,
        spread=2.0,
        trend=0.02,
        season=(0.5, -0.2, -0.5, 0.2),
        rho=0.7,
        sigma=0.5,
        low=0.0,
    ),
    MetricSpec(
        "patient-experience",
        "Patient experience",
        "% positive",
        "higher",
        "experience",
        "Share of patients surveyed who rated their care good or very good.",
        "health",
        mean=82.0,
        spread=4.0,
        trend=0.04,
        rho=0.5,
        sigma=1.2,
        low=0.0,
        high=100.0,
        decimals=2,
    ),
    MetricSpec(
        "sickness-absence",
        "Sickness absence rate",
        "%",
        "lower",
        "workforce",
        "Working days lost to sickness as a share of days available.",
        "all",
        mean=5.0,
        spread=0.7,
        trend=-0.004,
        season=(0.4, -0.1, -0.4, 0.1),
        rho=0.6,
        sigma=0.3,
        low=0.0,
        decimals=2,
    ),
    MetricSpec(
        "staff-turnover",
        "Staff turnover",
        "%",
        "lower",
        "workforce",
        "Leavers in the last twelve months as a share of average staff in post.",
        "all",
        mean=12.0,
        spread=2.5,
        trend=0.01,
        rho=0.6,
        sigma=0.8,
        low=0.0,
    ),
    MetricSpec(
        "income",
        "Income",
        "£",
        "neutral",
        "finance",
        "Income from all sources in the quarter.",
        "all",
        scale="log",
        spread=0.0,
        trend=0.0,
        rho=0.5,
        sigma=0.03,
        low=0.0,
        decimals=0,
    ),
    MetricSpec(
        "cash-days",
        "Cash days",
        "days",
        "higher",
        "finance",
        "Cash and equivalents divided by average daily operating expenditure.",
        "all",
        mean=30.0,
        spread=8.0,
        rho=0.7,
        sigma=3.0,
        low=0.0,
    ),
    MetricSpec(
        "operating-margin",
        "Operating margin",
        "%",
        "higher",
        "finance",
        "Operating surplus (or deficit, below zero) as a share of income.",
        "all",
        allows_negative=True,
        mean=1.0,
        spread=1.5,
        rho=0.6,
        sigma=0.9,
        decimals=2,
    ),
    MetricSpec(
        "placement-stability",
        "Placement stability",
        "%",
        "higher",
        "outcome",
        "Looked-after children in the same placement for at least two years.",
        "social",
        mean=68.0,
        spread=5.0,
        trend=0.02,
        rho=0.5,
        sigma=2.5,
        low=0.0,
        high=100.0,
    ),
    MetricSpec(
        "keyworker-continuity",
        "Key worker continuity",
        "%",
        "higher",
        "outcome",
        "Children who kept the same key worker through the quarter.",
        "social",
        mean=60.0,
        spread=6.0,
        rho=0.5,
        sigma=2.5,
        low=0.0,
        high=100.0,
    ),
    MetricSpec(
        "caseload-per-worker",
        "Caseload per social worker",
        "children per worker",
        "lower",
        "workforce",
        "Open cases divided by social workers in post (full-time "
        "equivalent) at the end of the quarter.",
        "social",
        mean=18.0,
        spread=2.5,
        trend=0.01,
        rho=0.6,
        sigma=0.8,
        low=1.0,
    ),
)

METRIC_CODES = tuple(metric.code for metric in METRICS)
HEALTH_METRICS = tuple(m.code for m in METRICS if m.scope in ("all", "health"))
SOCIAL_METRICS = tuple(m.code for m in METRICS if m.scope in ("all", "social"))

HEALTH_SERVICES: tuple[str, ...] = (
    "District nursing",
    "Health visiting",
    "School nursing",
    "Podiatry",
    "Physiotherapy",
    "Speech and language therapy",
    "Community dentistry",
    "Sexual health",
    "Community mental health",
    "Intermediate care",
    "Continence care",
    "Dietetics",
)
SOCIAL_SERVICES: tuple[str, ...] = (
    "Looked-after children's social work",
    "Care leavers' support",
)
INTEGRATED_SERVICES: tuple[str, ...] = ("Adult social care", "Reablement")
SERVICES: tuple[str, ...] = HEALTH_SERVICES + SOCIAL_SERVICES + INTEGRATED_SERVICES
