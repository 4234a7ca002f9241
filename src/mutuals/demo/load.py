"""Writing a demo :class:`~mutuals.demo.world.World` into the database, all or nothing.

The catalogue (metrics, services, programmes) is upserted by code or name.
Organisations, memberships, contracts and returns are inserted in bulk; the
returns go through :func:`mutuals.returns.loading.load_observations`, the same
path the importer uses. With ``replace=True`` the registry, contracts and
returns are wiped first; without it, a database that already holds
organisations is refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import polars as pl
from django.db import transaction

from mutuals.contracts.models import (
    Baseline,
    CommissioningRelationship,
    Contract,
    Objective,
    RelationshipStatus,
)
from mutuals.demo.world import World
from mutuals.engagement.demo import load_demo_surveys
from mutuals.governance.demo import load_registers, wipe_registers
from mutuals.registry.models import Organisation, Programme, ProgrammeMembership, Service
from mutuals.returns.loading import load_observations
from mutuals.returns.models import Metric, Observation, Submission
from mutuals.returns.summary import refresh as refresh_summary

_ORGANISATION_FIELDS = (
    "name",
    "kind",
    "legal_form",
    "ods_code",
    "company_number",
    "charity_number",
    "spinout_date",
    "exit_date",
    "staff_count",
    "region",
)


class DemoWorldExistsError(Exception):
    """The database already holds organisations and replacing them was not asked for."""


@dataclass(frozen=True)
class LoadSummary:
    organisations: int
    memberships: int
    contracts: int
    objectives: int
    observations: int


def load_world(world: World, *, replace: bool = False) -> LoadSummary:
    """Write ``world`` into the database in one transaction."""
    with transaction.atomic():
        existing = Organisation.objects.count()
        if existing and not replace:
            raise DemoWorldExistsError(
                f"The database already holds {existing:,} organisations. Run again with "
                "--replace to delete the registry, contracts and returns and load the demo "
                "world in their place."
            )
        if replace:
            wipe()
        metrics = _upsert_metrics(world)
        services = _upsert_services(world)
        programmes = _upsert_programmes(world)
        organisations = _insert_organisations(world, services)
        memberships = _insert_memberships(world, programmes, organisations)
        contracts, objectives = _insert_contracts(world, organisations, services, metrics)
        result = load_observations(
            _observation_frame(world, organisations, metrics),
            source=Submission.Source.DEMO,
            filename=f"demo world, {world.scale} scale, seed {world.seed}",
        )
        load_demo_surveys(world.seed)  # staff surveys, after the returns they relate to
        load_registers(world.seed)  # member registers, boards, constitutions, spin-out votes
    refresh_summary()  # what the pages read about all returns, made once here
    return LoadSummary(len(organisations), memberships, contracts, objectives, result.inserted)


def wipe() -> None:
    """Delete the registry's organisations, every contract and every return."""
    Observation.objects.all().delete()
    Submission.objects.all().delete()
    Objective.objects.all().delete()
    Baseline.objects.all().delete()
    Contract.objects.all().delete()
    ProgrammeMembership.objects.all().delete()
    from mutuals.governance.ballots.demo import wipe_ballots

    wipe_ballots()  # a ballot's log, votes and electorate protect it and its register
    wipe_registers()
    Organisation.objects.update(parent=None)
    Organisation.objects.all().delete()


def _upsert_metrics(world: World) -> dict[str, int]:
    ids = {}
    for spec in world.metrics:
        metric, _ = Metric.objects.update_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "unit": spec.unit,
                "direction": spec.direction,
                "domain": spec.domain,
                "description": spec.description,
                "allows_negative": spec.allows_negative,
            },
        )
        ids[spec.code] = metric.pk
    return ids


def _upsert_services(world: World) -> dict[str, int]:
    return {name: Service.objects.get_or_create(name=name)[0].pk for name in world.services}


def _upsert_programmes(world: World) -> dict[str, int]:
    ids = {}
    for spec in world.programmes:
        programme, _ = Programme.objects.update_or_create(
            code=spec.code,
            defaults={"name": spec.name, "kind": spec.kind, "description": spec.description},
        )
        ids[spec.code] = programme.pk
    return ids


def _insert_organisations(world: World, services: dict[str, int]) -> dict[int, int]:
    """Insert parents first, then the rest; returns world key → database id."""
    ids: dict[int, int] = {}
    frame = world.organisations
    for stage in (
        frame.filter(pl.col("parent_key").is_null()),
        frame.filter(pl.col("parent_key").is_not_null()),
    ):
        rows = list(stage.iter_rows(named=True))
        created = Organisation.objects.bulk_create(
            Organisation(
                parent_id=ids[row["parent_key"]] if row["parent_key"] is not None else None,
                **{name: row[name] for name in _ORGANISATION_FIELDS},
            )
            for row in rows
        )
        ids.update((row["key"], org.pk) for row, org in zip(rows, created, strict=True))
    through = Organisation.services.through
    through.objects.bulk_create(
        through(organisation_id=ids[row["key"]], service_id=services[name])
        for row in frame.select("key", "services").iter_rows(named=True)
        for name in row["services"]
    )
    return ids


def _insert_memberships(world: World, programmes, organisations) -> int:
    created = ProgrammeMembership.objects.bulk_create(
        ProgrammeMembership(
            programme_id=programmes[row["programme"]],
            organisation_id=organisations[row["organisation"]],
            role=row["role"],
        )
        for row in world.memberships.iter_rows(named=True)
    )
    return len(created)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(f"{value:.2f}")


def _insert_contracts(world: World, organisations, services, metrics) -> tuple[int, int]:
    specs = world.contracts
    contracts = Contract.objects.bulk_create(
        Contract(
            reference=spec.reference,
            title=spec.title[:200],
            provider_id=organisations[spec.provider],
            start_date=spec.start_date,
            end_date=spec.end_date,
            annual_value=_decimal(spec.annual_value),
            status=spec.status,
            savings_requirement_pct=_decimal(spec.savings_requirement_pct),
            extra_benefits=spec.extra_benefits,
            social_value_weight_pct=_decimal(spec.social_value_weight_pct),
            continuity_plan=spec.continuity_plan,
            evaluation_plan=spec.evaluation_plan,
        )
        for spec in specs
    )
    pairs = list(zip(specs, contracts, strict=True))
    commissioners = Contract.commissioners.through
    commissioners.objects.bulk_create(
        commissioners(contract_id=contract.pk, organisation_id=organisations[key])
        for spec, contract in pairs
        for key in spec.commissioners
    )
    _insert_relationships(pairs, organisations)
    contract_services = Contract.services.through
    contract_services.objects.bulk_create(
        contract_services(contract_id=contract.pk, service_id=services[name])
        for spec, contract in pairs
        for name in spec.services
    )
    Baseline.objects.bulk_create(
        Baseline(
            contract_id=contract.pk,
            annual_cost=_decimal(spec.baseline.annual_cost),
            annual_activity=_decimal(spec.baseline.annual_activity),
            activity_unit=spec.baseline.activity_unit,
            quality_metric_id=metrics.get(spec.baseline.quality_metric),
            quality_value=spec.baseline.quality_value,
            price_year=spec.baseline.price_year,
        )
        for spec, contract in pairs
        if spec.baseline is not None
    )
    objectives = Objective.objects.bulk_create(
        Objective(
            contract_id=contract.pk,
            description=objective.description,
            metric_id=metrics.get(objective.metric) if objective.metric else None,
            direction=objective.direction,
            target=objective.target,
            deadline=objective.deadline,
            measurement=objective.measurement,
        )
        for spec, contract in pairs
        for objective in spec.objectives
    )
    return len(contracts), len(objectives)


def _insert_relationships(pairs, organisations) -> None:
    """The demo's commissioners were confirmed by their providers long ago: on the day
    their first contract together started, so their returns are open to them."""
    first: dict[tuple[int, int], dt.date] = {}
    for spec, contract in pairs:
        for key in spec.commissioners:
            pair = (organisations[key], contract.provider_id)
            first[pair] = min(first.get(pair, spec.start_date), spec.start_date)
    CommissioningRelationship.objects.bulk_create(
        CommissioningRelationship(
            commissioner_id=commissioner,
            provider_id=provider,
            status=RelationshipStatus.CONFIRMED,
            requested_at=when,
            decided_at=when,
        )
        for (commissioner, provider), start in sorted(first.items())
        for when in [dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)]
    )


def _observation_frame(world: World, organisations, metrics) -> pl.DataFrame:
    """The world's returns with database ids, in the columns the returns loader takes."""
    organisation_ids = pl.DataFrame(
        {"organisation": list(organisations), "organisation_id": list(organisations.values())},
        schema={"organisation": pl.Int64, "organisation_id": pl.Int64},
    )
    metric_ids = pl.DataFrame(
        {"metric": list(metrics), "metric_id": list(metrics.values())},
        schema={"metric": pl.Utf8, "metric_id": pl.Int64},
    )
    return (
        world.observations.join(organisation_ids, on="organisation", how="left")
        .join(metric_ids, on="metric", how="left")
        .select(
            "organisation_id",
            "metric_id",
            "period",
            "period_start",
            pl.lit("quarter").alias("period_kind"),
            "value",
            "numerator",
            "denominator",
        )
    )
