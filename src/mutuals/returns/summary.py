"""What pages need from all the returns, worked out once for each version of the returns.

The observations table grows by millions of rows, and the pages people open first (the
portfolio dashboard, a scorecard) need figures from all of it: which quarters each
organisation returned for (the "as of" date), which periods are stored, how many
observations and metrics there are. Reading those on every request made the pages' cost
grow with the table. So they are read once, when the returns change, and kept in one
small row (:class:`~mutuals.returns.models.ReturnsSummary`) under the **version** of the
returns they were read from: the newest observation's id and the newest submission's id,
each read from its primary key alone. Every import and every new version of a figure adds
rows, so either id moves whenever the returns do.

An import queues the new summary (:mod:`mutuals.returns.tasks`); a reader that finds the
stored one out of date (the queue has not reached it yet, or rows were written another
way) works it out itself and stores it, so the answer is always the returns' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Min

from mutuals.returns.models import Observation, ReturnsSummary, Submission

KEY = "portfolio"


@dataclass(frozen=True)
class Summary:
    """Figures about all current returns, as of one version of them."""

    version: str
    # Organisations returning for each quarter label (months mapped to their quarter;
    # labels that are not periods kept as they are, for the reader to leave out).
    quarters: tuple[tuple[str, int], ...]
    periods: tuple[str, ...]  # every distinct period label with a current return
    current_observations: int
    all_versions: int
    metrics: int  # distinct metrics with a current return
    first_period: date | None  # earliest period start with a current return
    last_period: date | None

    def as_json(self) -> dict:
        return {
            "quarters": [list(row) for row in self.quarters],
            "periods": list(self.periods),
            "current_observations": self.current_observations,
            "all_versions": self.all_versions,
            "metrics": self.metrics,
            "first_period": _iso(self.first_period),
            "last_period": _iso(self.last_period),
        }

    @classmethod
    def from_json(cls, version: str, data: dict) -> Summary:
        return cls(
            version=version,
            quarters=tuple((label, int(count)) for label, count in data["quarters"]),
            periods=tuple(data["periods"]),
            current_observations=data["current_observations"],
            all_versions=data["all_versions"],
            metrics=data["metrics"],
            first_period=_day(data["first_period"]),
            last_period=_day(data["last_period"]),
        )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def returns_version() -> str:
    """The returns' version: two primary-key lookups, never a scan of the table."""
    newest_row = Observation.objects.order_by().aggregate(n=Max("pk"))["n"]
    newest_submission = Submission.objects.order_by().aggregate(n=Max("pk"))["n"]
    return version_of(newest_row, newest_submission)


def version_of(newest_row: int | None, newest_submission: int | None) -> str:
    """The returns' version from the newest observation's and submission's ids."""
    return f"{newest_row or 0}.{newest_submission or 0}"


def current_summary() -> Summary:
    """The summary of the returns as they are now: the stored one when it is of this
    version, else worked out now (and stored for the next reader)."""
    version = returns_version()
    stored = ReturnsSummary.objects.filter(key=KEY, version=version).first()
    if stored is not None:
        return Summary.from_json(version, stored.payload)
    return refresh(version)


def refresh(version: str | None = None) -> Summary:
    """Work the summary out from the returns and store it; returns it."""
    with transaction.atomic():
        # One snapshot: on PostgreSQL the version and the figures are read in the same
        # transaction, so a summary is never stored under a version it was not read from.
        version = version or returns_version()
        summary = _read(version)
    try:
        with transaction.atomic():
            ReturnsSummary.objects.update_or_create(
                key=KEY, defaults={"version": version, "payload": summary.as_json()}
            )
    except IntegrityError:
        pass  # another process stored it at the same moment; either row is right
    return summary


def _read(version: str) -> Summary:
    current = Observation.objects.filter(is_current=True).order_by()
    span = current.aggregate(first=Min("period_start"), last=Max("period_start"))
    with connection.cursor() as cursor:
        cursor.execute(organisations_by_quarter_sql())
        quarters = tuple(sorted((str(label), int(n)) for label, n in cursor.fetchall()))
    return Summary(
        version=version,
        quarters=quarters,
        periods=tuple(sorted(current.values_list("period", flat=True).distinct())),
        current_observations=current.count(),
        all_versions=Observation.objects.order_by().count(),
        metrics=current.aggregate(n=Count("metric", distinct=True))["n"],
        first_period=span["first"],
        last_period=span["last"],
    )


def organisations_by_quarter_sql() -> str:
    """One aggregate query: organisations per quarter, from current quarterly and monthly
    returns. Raw SQL because the distinct (organisation, period) pairs are taken first,
    in the observations' index order, and only those few are mapped to quarters (on
    the national demo world, SQLite, 0.7 s where the ORM's COUNT(DISTINCT) with the
    mapping done on every row took 1.2 s)."""
    quote = connection.ops.quote_name
    fields = Observation._meta
    table = quote(fields.db_table)
    organisation = quote(fields.get_field("organisation").column)
    period = quote(fields.get_field("period").column)
    current = quote(fields.get_field("is_current").column)
    # A quarter's label is 2019-Q1; a month's, 2019-02, is mapped to its quarter's label.
    # Any other label stays as it is (no CAST, which PostgreSQL fails on text that is not
    # a number), for the reader to leave out and name.
    month = f"SUBSTR({period}, 6, 2)"
    months = "".join(
        f"WHEN LENGTH({period}) = 7 AND {month} IN ({', '.join(repr(m) for m in members)}) "
        f"THEN SUBSTR({period}, 1, 5) || 'Q{number}' "
        for number, members in _MONTHS_OF_QUARTERS
    )
    quarter = f"CASE WHEN SUBSTR({period}, 6, 1) = 'Q' THEN {period} {months}ELSE {period} END"
    return (
        f"SELECT quarter, COUNT(DISTINCT organisation) FROM ("
        f"SELECT {quarter} AS quarter, {organisation} AS organisation FROM ("
        f"SELECT DISTINCT {organisation}, {period} FROM {table} WHERE {current}"
        f") AS returned WHERE SUBSTR({period}, 5, 1) <> '/'"  # financial years: 2019/20
        f") AS by_quarter GROUP BY quarter"
    )


_MONTHS_OF_QUARTERS = [
    (number, [f"{month:02d}" for month in range(3 * number - 2, 3 * number + 1)])
    for number in (1, 2, 3, 4)
]
