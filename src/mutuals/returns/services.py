"""Importing and exporting returns: the one path the CLI, web upload and API share."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from django.db import transaction

from mutuals.accounts import audit
from mutuals.errors import ImportRejected, Problem
from mutuals.exports import neutralise_frame, neutralise_text
from mutuals.registry.models import Organisation
from mutuals.returns.loading import COLUMNS, bulk_load
from mutuals.returns.models import CurrentObservation, Metric, Submission
from mutuals.returns.signals import returns_imported
from mutuals.returns.tables import ROW, read_table, require_rows
from mutuals.returns.validation import Lookups, Outcome, validate


@dataclass(frozen=True)
class ImportReport:
    rows: int
    imported: int
    new_versions: int
    problems: list[Problem]
    submission_id: int | None
    rejects_path: Path | None = None


def lookups(organisation_ids: Iterable[int] | None = None) -> Lookups:
    """Identifiers to ids. With ``organisation_ids``, only those organisations are known, so
    a file naming any other is rejected as naming an unknown organisation (which reveals
    nothing about organisations the submitter may not see)."""
    organisations: dict[str, int] = {}
    candidates = Organisation.objects.all()
    if organisation_ids is not None:
        candidates = candidates.filter(pk__in=list(organisation_ids))
    identifiers = candidates.values_list("pk", "ods_code", "company_number", "charity_number")
    for pk, *codes in identifiers:
        for code in codes:
            if code:
                organisations[code] = pk
    metrics = {
        code: (pk, negative)
        for pk, code, negative in Metric.objects.values_list("pk", "code", "allows_negative")
    }
    return Lookups(organisations, metrics)


def import_returns(
    path: Path | str,
    *,
    skip_invalid: bool = False,
    source: str = "cli",
    user=None,
    filename: str | None = None,
    organisation_ids: Iterable[int] | None = None,
) -> ImportReport:
    """Validate a returns file and load it.

    All or nothing by default: any problem raises :class:`ImportRejected`
    listing every problem, and nothing is written. With ``skip_invalid`` the
    good rows are loaded and the rejected ones written beside the file, with
    their reasons, as ``FILE.rejects.csv``. With ``organisation_ids`` only rows for
    those organisations are accepted (a provider submits for itself only).
    """
    path = Path(path)
    table = read_table(path)
    outcome = validate(table, lookups(organisation_ids))
    return _load(outcome, table, path, skip_invalid, source, user, filename or path.name)


def import_returns_table(
    table: pl.DataFrame, *, source: str, user=None, filename: str = ""
) -> ImportReport:
    """The same rules for a table that arrived another way (an API call)."""
    outcome = validate(table, lookups())
    return _load(outcome, table, None, False, source, user, filename)


def _load(outcome: Outcome, table, path, skip_invalid, source, user, filename) -> ImportReport:
    if outcome.problems and not skip_invalid:
        raise ImportRejected(outcome.problems, outcome.rows)
    if any(problem.row == 0 for problem in outcome.problems):
        raise ImportRejected(outcome.problems, outcome.rows)
    require_rows(table)  # after the headings' problems, which say more
    rejects = None
    if outcome.problems and path is not None:
        rejects = write_rejects(table, outcome.problems, path)
    if outcome.valid.height == 0:
        return ImportReport(outcome.rows, 0, 0, outcome.problems, None, rejects)
    valid = outcome.valid.select(COLUMNS)
    with bulk_load(
        valid, source=source, filename=filename, user=user, known=outcome.known
    ) as result:
        audit.record(
            "returns.import",
            user=user,
            obj=Submission(pk=result.submission_id),
            organisation=_single_organisation(result.organisation_ids),
            changes={
                "rows": [None, outcome.rows],
                "imported": [None, result.inserted],
                "new_versions": [None, result.new_versions],
                "filename": [None, filename],
            },
        )
    organisation_ids = list(result.organisation_ids)
    transaction.on_commit(
        lambda: returns_imported.send(
            Submission, organisation_ids=organisation_ids, submission_id=result.submission_id
        )
    )
    return ImportReport(
        outcome.rows,
        result.inserted,
        result.new_versions,
        outcome.problems,
        result.submission_id,
        rejects,
    )


def _single_organisation(ids: tuple[int, ...]) -> Organisation | None:
    """The organisation a submission is about, when it is about one (the usual case)."""
    return Organisation.objects.filter(pk=ids[0]).first() if len(ids) == 1 else None


def write_rejects(table: pl.DataFrame, problems: list[Problem], path: Path) -> Path:
    """The rejected rows beside ``path``, with their reasons, as ``FILE.rejects.csv``.

    The rows echo what was uploaded, formula text included, into a file people open to
    fix, so its text is neutralised (numbers as written are left alone). Shared by the
    returns import and the table imports of :mod:`mutuals.tabular`.
    """
    reasons: dict[int, list[str]] = {}
    for problem in problems:
        reasons.setdefault(problem.row, []).append(f"{problem.column}: {problem.reason}")
    reason_frame = pl.DataFrame(
        {ROW: list(reasons), "reasons": ["; ".join(items) for items in reasons.values()]},
        schema={ROW: pl.Int64, "reasons": pl.Utf8},
    )
    rejected = table.join(reason_frame, on=ROW, how="inner").sort(ROW)
    target = path.with_name(path.name + ".rejects.csv")
    neutralise_frame(rejected.rename({ROW: "row"})).write_csv(target)
    return target


EXPORT_COLUMNS = ("organisation", "metric", "period", "value", "numerator", "denominator")


def export_returns(out: Path | str) -> int:
    """Write every current observation in the import columns; returns the row count.

    Names are neutralised (a metric code may begin with ``-``), so the file is safe to open
    in a spreadsheet; the importer takes the quote off again. Numbers are written as is."""
    rows = (
        CurrentObservation.objects.order_by("organisation_id", "metric_id", "period_start")
        .values_list(
            "organisation__ods_code",
            "organisation__company_number",
            "organisation__charity_number",
            "metric__code",
            "period",
            "value",
            "numerator",
            "denominator",
        )
        .iterator(chunk_size=20_000)
    )
    count = 0
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for ods, company, charity, metric, period, value, numerator, denominator in rows:
            writer.writerow(
                (
                    neutralise_text(ods or company or charity),
                    neutralise_text(metric),
                    neutralise_text(period),
                    repr(value),
                    _blank(numerator),
                    _blank(denominator),
                )
            )
            count += 1
    return count


def _blank(number: float | None) -> str:
    return "" if number is None else repr(number)
