"""Contracts for the demo world's spin-outs, shaped by what the NAO found.

Most contracts set no measurable objectives (none at all, or aims with no
target or deadline) and require no savings; a few exemplary ones have
measurable objectives, a savings requirement, contracted extra benefits, a
continuity plan and an evaluation plan. Most record the in-house baseline,
taken from the provider's own returns in the year before it spun out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import polars as pl

from mutuals.demo.catalogue import WORLD_AS_OF
from mutuals.demo.organisations import council_for_pct

_PREFIX = {"right-to-request": "RTR", "social-work-practices": "SWP", "integrated-care": "ICM"}
_TITLES = {
    "right-to-request": "Community health services",
    "social-work-practices": "Social work for looked-after children and care leavers",
    "integrated-care": "Integrated adult health and social care",
}


@dataclass(frozen=True)
class BaselineSpec:
    annual_cost: float
    annual_activity: float
    activity_unit: str
    quality_metric: str | None
    quality_value: float | None
    price_year: int = 2010


@dataclass(frozen=True)
class ObjectiveSpec:
    description: str
    direction: str
    metric: str | None = None
    target: float | None = None
    deadline: date | None = None
    measurement: str = ""


@dataclass(frozen=True)
class ContractSpec:
    reference: str
    title: str
    provider: int
    commissioners: tuple[int, ...]
    services: tuple[str, ...]
    start_date: date
    end_date: date
    annual_value: float
    status: str
    savings_requirement_pct: float | None = None
    extra_benefits: str = ""
    social_value_weight_pct: float | None = None
    continuity_plan: str = ""
    evaluation_plan: str = ""
    baseline: BaselineSpec | None = None
    objectives: tuple[ObjectiveSpec, ...] = ()


def _years_later(day: date, years: int) -> date:
    return date(day.year + years, day.month, day.day) - timedelta(days=1)


def _status(end: date) -> str:
    return "ended" if end < WORLD_AS_OF else "active"


def build_contracts(
    organisations: pl.DataFrame, observations: pl.DataFrame, rng: np.random.Generator
) -> tuple[ContractSpec, ...]:
    providers = organisations.filter(pl.col("kind") == "provider").sort("key")
    baselines = _baseline_figures(providers, observations)
    exemplary = set(rng.choice(providers.height, size=5, replace=False).tolist())
    contracts: list[ContractSpec] = []
    counters = dict.fromkeys(_PREFIX, 0)
    for i, org in enumerate(providers.iter_rows(named=True)):
        programme = org["programme"]
        counters[programme] += 1
        first = _first_contract(org, f"DEMO-{_PREFIX[programme]}-{counters[programme]:03d}", rng)
        if i in exemplary:
            first = _exemplary(first, org, baselines.get(org["key"]), rng)
        else:
            first = _typical(first, org, rng)
        if rng.random() < 0.8 or i in exemplary:
            first = replace(first, baseline=_baseline(org, baselines.get(org["key"])))
        contracts.append(first)
        if programme == "right-to-request" and first.end_date < date(2015, 1, 1):
            contracts.append(_renewal(first, rng))
    return tuple(contracts)


def _first_contract(org: dict, reference: str, rng) -> ContractSpec:
    start, programme = org["spinout_date"], org["programme"]
    commissioners = (org["parent_key"],)
    if programme == "integrated-care":
        commissioners += (council_for_pct(org["parent_key"]),)
    if programme == "right-to-request":
        end = _years_later(start, int(rng.choice([3, 5, 7, 10], p=[0.2, 0.3, 0.3, 0.2])))
    elif programme == "social-work-practices":
        end = _years_later(start, 3)
    else:
        end = _years_later(start, 10)
    status = _status(end)
    if org["exit_date"] is not None:
        end, status = org["exit_date"] - timedelta(days=1), "terminated"
    return ContractSpec(
        reference=reference,
        title=f"{_TITLES[programme]} ({org['name']})",
        provider=org["key"],
        commissioners=commissioners,
        services=tuple(org["services"]),
        start_date=start,
        end_date=end,
        annual_value=float(org["annual_income"]),
        status=status,
        continuity_plan=_handback(org) if org["exit_date"] is not None else "",
    )


def _handback(org: dict) -> str:
    if org["programme"] == "integrated-care":
        return (
            "Commissioners gave notice; services moved to the local NHS foundation trust "
            "and staff returned to the council on the exit date."
        )
    return "The council took the children's cases back in-house when the pilot ended."


def _renewal(first: ContractSpec, rng) -> ContractSpec:
    start = first.end_date + timedelta(days=1)
    end = _years_later(start, 7)
    return ContractSpec(
        reference=first.reference + "/2",
        title=first.title + ", after open tender",
        provider=first.provider,
        commissioners=first.commissioners,
        services=first.services,
        start_date=start,
        end_date=end,
        annual_value=round(first.annual_value * float(rng.uniform(0.95, 1.1)), -3),
        status=_status(end),
        objectives=(ObjectiveSpec("Continue to deliver the services", "maintain"),),
    )


_VAGUE = (
    ("Improve the patient experience", "increase", "patient-experience"),
    ("Reduce waiting times", "decrease", "waiting-time-weeks"),
    ("Engage staff in running the service", "increase", None),
    ("Deliver value for money", "maintain", None),
    ("Reduce sickness absence", "decrease", "sickness-absence"),
    ("Innovate in how services are delivered", "increase", None),
)


def _typical(contract: ContractSpec, org: dict, rng) -> ContractSpec:
    """No measurable objectives: none at all, or aims without a target or deadline."""
    count = int(rng.choice([0, 1, 2, 3], p=[0.45, 0.25, 0.2, 0.1]))
    picks = rng.choice(len(_VAGUE), size=count, replace=False)
    objectives = tuple(
        ObjectiveSpec(
            _VAGUE[p][0], _VAGUE[p][1], metric=_VAGUE[p][2] if rng.random() < 0.5 else None
        )
        for p in sorted(picks)
    )
    return replace(
        contract,
        objectives=objectives,
        continuity_plan=contract.continuity_plan
        or (
            "The commissioner will step in if the provider cannot continue."
            if rng.random() < 0.2
            else ""
        ),
        extra_benefits="Local recruitment where possible." if rng.random() < 0.15 else "",
    )


def _exemplary(contract: ContractSpec, org: dict, figures: dict | None, rng) -> ContractSpec:
    deadline = _years_later(contract.start_date, 3) + timedelta(days=1)
    if org["programme"] == "social-work-practices":
        objectives = (
            ObjectiveSpec(
                "Caseloads of at most 15 children per social worker",
                "decrease",
                "caseload-per-worker",
                15.0,
                deadline,
                "Quarterly returns.",
            ),
            ObjectiveSpec(
                "At least 70% of children keep their key worker",
                "increase",
                "keyworker-continuity",
                70.0,
                deadline,
                "Quarterly returns.",
            ),
        )
    else:
        objectives = (
            ObjectiveSpec(
                "Sickness absence at most 4%",
                "decrease",
                "sickness-absence",
                4.0,
                deadline,
                "Quarterly workforce returns.",
            ),
            ObjectiveSpec(
                "Mean wait to first contact at most 6 weeks",
                "decrease",
                "waiting-time-weeks",
                6.0,
                deadline,
                "Quarterly returns.",
            ),
            ObjectiveSpec(
                "At least 85% of patients rate their care positively",
                "increase",
                "patient-experience",
                85.0,
                deadline,
                "Quarterly patient survey.",
            ),
        )
    return replace(
        contract,
        objectives=objectives,
        savings_requirement_pct=float(rng.choice([1.5, 2.0, 3.0])),
        extra_benefits="Apprenticeships for local young people; a community health fund of "
        "1% of surplus.",
        social_value_weight_pct=10.0,
        continuity_plan=contract.continuity_plan
        or "Step-in rights for the commissioner; staff "
        "and assets transfer back within 90 days if the provider fails.",
        evaluation_plan="Difference-in-differences against in-house comparators, reported "
        "annually from the third year.",
    )


def _baseline_figures(providers: pl.DataFrame, observations: pl.DataFrame) -> dict[int, dict]:
    """Each provider's contacts, unit cost and quality in the four quarters before spin-out."""
    window = providers.select(
        pl.col("key").alias("organisation"),
        pl.col("spinout_date").dt.offset_by("-1y").alias("from"),
        pl.col("spinout_date").alias("to"),
    )
    rows = (
        observations.join(window, on="organisation")
        .filter(
            (pl.col("period_start") >= pl.col("from")) & (pl.col("period_start") < pl.col("to"))
        )
        .group_by("organisation", "metric")
        .agg(pl.col("value").sum().alias("total"), pl.col("value").mean().alias("mean"))
    )
    figures: dict[int, dict] = {}
    for row in rows.iter_rows(named=True):
        figures.setdefault(row["organisation"], {})[row["metric"]] = row
    return figures


def _baseline(org: dict, figures: dict | None) -> BaselineSpec | None:
    if not figures or "contacts-delivered" not in figures:
        return None
    contacts = figures["contacts-delivered"]["total"]
    cost = contacts * figures["unit-cost-per-contact"]["mean"]
    quality = "keyworker-continuity" if org["children"] else "patient-experience"
    if org["children"]:
        activity, unit = float(org["children"]), "children and young people"
    else:
        activity, unit = contacts, "contacts"
    return BaselineSpec(
        annual_cost=round(cost, 2),
        annual_activity=round(activity, 2),
        activity_unit=unit,
        quality_metric=quality,
        quality_value=round(figures[quality]["mean"], 2),
    )
