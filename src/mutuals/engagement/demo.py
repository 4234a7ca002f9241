"""Synthetic staff surveys for the demo world, 2012–2019, with a planted association.

Every spin-out provider runs a closed, published survey each year from the year after
it spun out, answered by about a third of its staff (at most :data:`MAX_RESPONDENTS`),
grouped by role: frontline staff, managers, and senior managers — the last usually
fewer than the minimum group size, so the demo shows suppression (and, where the
managers are few too, complementary suppression).

The planted truth: a provider's engagement in a year is its own settled level plus
:data:`PLANTED_POINTS` engagement points for each standard deviation its quality
measure (patient experience, or key worker continuity for social work practices) is
above its own average that year, plus noise. So the engagement → quality link page
finds a modest positive within-provider association — planted from quality towards
engagement, which the link cannot tell apart from the reverse, as its caveat says.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import numpy as np
import polars as pl
from django.db import connection, transaction

from mutuals.engagement.models import ITEM_COLUMNS, Response, Survey, SurveyStatus
from mutuals.evaluation.panels import quarterly_values
from mutuals.governance.models.register import RoleGroup
from mutuals.registry.models import Organisation, OrganisationKind
from mutuals.returns.models import Metric

YEARS = range(2012, 2020)
QUALITY_CODES = ("patient-experience", "keyworker-continuity")
PLANTED_POINTS = 0.3
MAX_RESPONDENTS = 160
MIN_GROUP_SIZE = 11
ROLE_SHARES = (
    (RoleGroup.FRONTLINE.label, 0.84),
    (RoleGroup.MANAGER.label, 0.12),
    (RoleGroup.SENIOR.label, 0.04),
)


def load_demo_surveys(seed: int) -> int:
    """Create the demo surveys and their responses; returns the number of responses."""
    rng = np.random.default_rng([seed, 7])
    quality = _quality_z()
    providers = Organisation.objects.filter(
        kind=OrganisationKind.PROVIDER, spinout_date__isnull=False
    ).order_by("pk")
    surveys, drawn = [], []
    for provider in providers:
        settled = 6.6 + rng.normal(0, 0.5)
        for year in YEARS:
            if year <= provider.spinout_date.year or (
                provider.exit_date and year > provider.exit_date.year
            ):
                continue
            z = quality.get((provider.pk, year), 0.0)
            level = settled + PLANTED_POINTS * z + rng.normal(0, 0.15)
            surveys.append(_survey(provider, year))
            drawn.append(_respondents(rng, provider.staff_count or 60, level))
    with transaction.atomic():
        Survey.objects.bulk_create(surveys)
        rows = [
            (survey.pk, group, *answers)
            for survey, respondents in zip(surveys, drawn, strict=True)
            for group, answers in respondents
        ]
        _insert_responses(rows)
    return len(rows)


def _insert_responses(rows: list[tuple]) -> None:
    """Every response in one statement stream: COPY on PostgreSQL, one executemany on
    SQLite. Django's bulk_create would send 50,000 rows as hundreds of statements on
    SQLite (its limit on parameters) and take several times longer."""
    native = connection.features.has_native_uuid_field
    keys = _keys(len(rows))
    keyed = [(k if native else k.hex, *row) for k, row in zip(keys, rows, strict=True)]
    columns = ["id", "survey_id", "group", *ITEM_COLUMNS]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = Response._meta.db_table
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        statement = f"COPY {table} ({quoted}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in keyed:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})", keyed)


def _keys(n: int) -> list[uuid.UUID]:
    """Random version-4 keys, drawn from the system's randomness in one call."""
    raw = os.urandom(16 * n)
    return [uuid.UUID(bytes=raw[16 * i : 16 * i + 16], version=4) for i in range(n)]


def _survey(provider: Organisation, year: int) -> Survey:
    return Survey(
        organisation=provider,
        year=year,
        title=f"Staff engagement survey {year}",
        opens_on=dt.date(year, 10, 1),
        closes_on=dt.date(year, 11, 30),
        status=SurveyStatus.CLOSED,
        min_group_size=MIN_GROUP_SIZE,
        results_published=True,
    )


def _respondents(rng: np.random.Generator, staff: int, level: float) -> list[tuple[str, list]]:
    count = int(min(MAX_RESPONDENTS, max(8, staff * rng.uniform(0.25, 0.45))))
    labels = [label for label, _ in ROLE_SHARES]
    groups = rng.choice(len(labels), size=count, p=[share for _, share in ROLE_SHARES])
    person = level + rng.normal(0, 1.4, size=count)
    raw = person[:, None] + rng.normal(0, 1.2, size=(count, len(ITEM_COLUMNS)))
    scale = np.clip(np.rint(1 + raw / 2.5), 1, 5).astype(int)
    skipped = rng.random(size=scale.shape) < 0.03
    answers = scale.astype(object)
    answers[skipped] = None
    return list(zip((labels[g] for g in groups), answers.tolist(), strict=True))


def _quality_z() -> dict[tuple[int, int], float]:
    """(organisation id, year) → how many standard deviations the provider's quality
    measure was above its own average that year."""
    frames = []
    for metric in Metric.objects.filter(code__in=QUALITY_CODES):
        values = quarterly_values(metric.pk)
        frames.append(
            values.group_by("unit", (pl.col("time") // 4).alias("year")).agg(
                pl.col("outcome").mean()
            )
        )
    if not frames:
        return {}
    annual = (
        pl.concat(frames)
        .group_by("unit", "year", maintain_order=True)
        .agg(pl.col("outcome").first())
    )
    z = annual.with_columns(
        z=(
            (pl.col("outcome") - pl.col("outcome").mean().over("unit"))
            / pl.col("outcome").std().over("unit")
        ).fill_nan(0.0)
    )
    return {(u, y): float(v or 0.0) for u, y, v in z.select("unit", "year", "z").iter_rows()}


PULSE_TITLE = "Staff engagement pulse survey"


def open_demo_survey() -> list[str]:
    """An open survey at the demo staff member's provider, and one fresh single-use link
    to it (a new one each run, as tokens are never stored); what was done, in lines."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from mutuals.accounts.models import Role, RoleName
    from mutuals.engagement.surveys import create_survey, issue_links

    staff = get_user_model().objects.filter(username="staff@demo.invalid").first()
    role = Role.objects.filter(user=staff, role=RoleName.PROVIDER_STAFF).first()
    if role is None or role.organisation is None:
        return []
    today = timezone.localdate()
    survey = Survey.objects.filter(
        organisation=role.organisation, title=PULSE_TITLE, status=SurveyStatus.OPEN
    ).first()
    if survey is None or survey.closes_on < today:
        if Survey.objects.filter(organisation=role.organisation, year=today.year).exists():
            return []
        survey = create_survey(
            role.organisation,
            year=today.year,
            title=PULSE_TITLE,
            opens_on=today - dt.timedelta(days=7),
            closes_on=today + dt.timedelta(days=60),
            group_question="Which part of the organisation do you work in?",
            group_choices=["Community nursing", "Therapies", "Support services"],
        )
    [link] = issue_links(survey, count=1)
    return [f"Answer {role.organisation.name}'s open staff survey once at {link.path()}"]
