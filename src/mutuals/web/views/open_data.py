"""Open data: the published tables as CSV and Parquet, and contracts as OCDS JSON.

Only what the public may see (``visible(ANONYMOUS, ...)``): organisations, programmes,
contracts with their objectives audit, objectives and the metric catalogue. Never returns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from mutuals.accounts.permissions import ANONYMOUS, visible
from mutuals.contracts.audit import audit_contracts
from mutuals.contracts.ocds import export_release_package
from mutuals.exports import neutralise_frame
from mutuals.registry.models import ProgrammeMembership
from mutuals.returns.models import Metric
from mutuals.web.kept import kept

FORMATS = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def organisations_table() -> pl.DataFrame:
    rows = visible(ANONYMOUS, "organisation").order_by("pk").values(
        "id", "name", "kind", "legal_form", "ods_code", "company_number", "charity_number",
        "parent_id", "spinout_date", "exit_date", "staff_count", "region",
    )  # fmt: skip
    return _frame(rows, ORGANISATION_SCHEMA)


def programmes_table() -> pl.DataFrame:
    organisations = visible(ANONYMOUS, "organisation").values("pk")
    rows = (
        ProgrammeMembership.objects.filter(organisation__in=organisations)
        .order_by("programme__code", "organisation_id")
        .values(
            "organisation_id",
            programme_code=F("programme__code"),
            programme_name=F("programme__name"),
            programme_kind=F("programme__kind"),
            organisation_name=F("organisation__name"),
            membership_role=F("role"),
        )
    )
    return _frame(
        rows, {name: pl.String for name in PROGRAMME_COLUMNS} | {"organisation_id": pl.Int64}
    )


def contracts_table() -> pl.DataFrame:
    contracts = visible(ANONYMOUS, "contract").prefetch_related("services")
    services = {c.pk: "; ".join(s.name for s in c.services.all()) for c in contracts}
    terms = {c.pk: c for c in contracts}
    rows = []
    for audit in audit_contracts(visible(ANONYMOUS, "contract")):
        contract = terms[audit.contract_id]
        rows.append(
            {
                "reference": audit.reference,
                "title": audit.title,
                "status": audit.status,
                "start_date": audit.start_date,
                "end_date": audit.end_date,
                "annual_value": float(audit.annual_value),
                "provider_id": audit.provider.id,
                "provider_name": audit.provider.name,
                "commissioners": "; ".join(c.name for c in audit.commissioners),
                "programmes": "; ".join(p.code for p in audit.programmes),
                "services": services[audit.contract_id],
                "savings_requirement_pct": _float(contract.savings_requirement_pct),
                "social_value_weight_pct": _float(contract.social_value_weight_pct),
                "extra_benefits": contract.extra_benefits,
                "continuity_plan": contract.continuity_plan,
                "evaluation_plan": contract.evaluation_plan,
                **{f"audit_{test.code}": test.passed for test in audit.tests},
            }
        )
    return pl.DataFrame(rows) if rows else pl.DataFrame(schema={"reference": pl.String})


def objectives_table() -> pl.DataFrame:
    rows = visible(ANONYMOUS, "objective").order_by("contract__reference", "pk").values(
        "description", "direction", "target", "deadline", "measurement",
        contract_reference=F("contract__reference"), metric_code=F("metric__code"),
    )  # fmt: skip
    return _frame(rows, OBJECTIVE_SCHEMA)


def metrics_table() -> pl.DataFrame:
    rows = Metric.objects.order_by("code").values(
        "code", "name", "unit", "direction", "domain", "description"
    )
    return _frame(rows, {name: pl.String for name in METRIC_COLUMNS})


def engagement_table() -> pl.DataFrame:
    """Published survey results (scored once per set of answers: see
    :func:`mutuals.engagement.results.survey_results`)."""
    from mutuals.engagement.queries import visible_results
    from mutuals.engagement.results import results_table

    return results_table(visible_results(ANONYMOUS))


def learning_events_table() -> pl.DataFrame:
    from mutuals.events.open_data import learning_events_table as table

    return table()


def _float(value) -> float | None:
    return None if value is None else float(value)


def _frame(rows, schema: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema)


ORGANISATION_SCHEMA = {
    "id": pl.Int64, "name": pl.String, "kind": pl.String, "legal_form": pl.String,
    "ods_code": pl.String, "company_number": pl.String, "charity_number": pl.String,
    "parent_id": pl.Int64, "spinout_date": pl.Date, "exit_date": pl.Date,
    "staff_count": pl.Int64, "region": pl.String,
}  # fmt: skip
PROGRAMME_COLUMNS = (
    "programme_code", "programme_name", "programme_kind", "organisation_id",
    "organisation_name", "membership_role",
)  # fmt: skip
OBJECTIVE_SCHEMA = {
    "description": pl.String, "direction": pl.String, "target": pl.Float64,
    "deadline": pl.Date, "measurement": pl.String, "contract_reference": pl.String,
    "metric_code": pl.String,
}  # fmt: skip
METRIC_COLUMNS = ("code", "name", "unit", "direction", "domain", "description")


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    build: Callable[[], pl.DataFrame]


TABLES = {
    table.name: table
    for table in (
        Table("organisations", "Organisations", "Commissioners, spin-out providers and "
              "in-house comparators, with their identifiers.", organisations_table),
        Table("programmes", "Programmes", "Each programme's spin-outs and matched "
              "comparators, one row per membership.", programmes_table),
        Table("contracts", "Contracts", "Each contract's terms, and whether it passes each "
              "question of the objectives audit.", contracts_table),
        Table("objectives", "Objectives", "What each contract set out to achieve: metric, "
              "direction, target and deadline.", objectives_table),
        Table("metrics", "Metrics", "The catalogue of metrics that returns and objectives "
              "use.", metrics_table),
        Table("staff-engagement", "Staff engagement", "Published staff survey engagement "
              "scores by provider, year and group; groups too small to show are left out.",
              engagement_table),
        Table("learning-events", "Learning events", "Published learning events: when and "
              "where, places, places taken and ticket prices; never who booked.",
              learning_events_table),
    )
}  # fmt: skip


def open_data(request):
    return render(
        request,
        "mutuals/open_data/index.html",
        {"tables": TABLES.values(), "breadcrumbs": [("Home", reverse("home"))]},
    )


def download(request, table: str, format_: str):
    """A table of open data: the same for everyone, so each file is made once per version
    of the data behind it and kept (:mod:`mutuals.web.kept`)."""
    if table not in TABLES or format_ not in FORMATS:
        raise Http404("No such table")
    body = kept("open-data", (table, format_), lambda: frame_file(TABLES[table].build(), format_))
    return _attachment(body, FORMATS[format_], f"{table}.{format_}")


def frame_download(frame: pl.DataFrame, format_: str, stem: str) -> HttpResponse:
    """``frame`` as a CSV or Parquet attachment named ``stem.format_`` (a key of FORMATS)."""
    return _attachment(frame_file(frame, format_), FORMATS[format_], f"{stem}.{format_}")


def frame_file(frame: pl.DataFrame, format_: str) -> bytes:
    """``frame`` as a CSV or Parquet file. CSV is opened in spreadsheets, so its
    formula-like text is neutralised; Parquet is read by programs, which are given the text
    as it is."""
    buffer = io.BytesIO()
    if format_ == "csv":
        neutralise_frame(frame).write_csv(buffer)
    else:
        frame.write_parquet(buffer)
    return buffer.getvalue()


def ocds_package(request):
    """Every published contract as an OCDS release package, dated when it was made: kept
    until the data behind it changes (:mod:`mutuals.web.kept`)."""
    body = kept("open-data", ("ocds",), _ocds_file)
    return _attachment(body, "application/json", "contracts.ocds.json")


def _ocds_file() -> bytes:
    package = export_release_package(visible(ANONYMOUS, "contract"), viewer=ANONYMOUS)
    return json.dumps(package, indent=2, ensure_ascii=False).encode()


def _attachment(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
