"""A token that changes whenever the data behind the portfolio's figures changes.

The dashboard's figures (contracts and their audit, savings, failure risk, staff control,
the latest evaluation) take a few hundred milliseconds to work out from the database, and
change only when someone writes. So they are kept in the cache under a key made of this
token, the returns' version (:mod:`mutuals.returns.summary`) and whatever else they
depend on (the run, the "as of" date, today).

The token is kept by the database itself, not by the application: a trigger on each
table in :data:`TRACKED` replaces it on every insert, update or delete, however the write
was made (a page, an import's bulk insert, the admin, a script, another machine). A
reader that sees the old token is looking at data from before the write was committed, so
figures are never stored under a token newer than their data. The observations table is
left out: its version is the returns' own, read from its primary key.

Ballot votes, electors and logs, survey answers, sessions and task-queue tables are not
tracked: the figures do not read them, and they are written often and concurrently.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connections

from mutuals.operations.models import DataGeneration

# Models whose tables the portfolio's figures and the pages' kept parts read (beside the
# observations). Tests (tests/operations/test_generation.py, tests/web/test_kept_pages.py)
# fail when they read a table not here.
TRACKED = (
    "registry.Service",
    "registry.Organisation",
    "registry.Programme",
    "registry.ProgrammeMembership",
    "contracts.Contract",
    "contracts.Baseline",
    "contracts.Objective",
    "contracts.CommissioningRelationship",
    "governance.Person",
    "governance.ShareClass",
    "governance.Holding",
    "governance.BoardSeat",
    "governance.Constitution",
    "governance.StaffVoteRecord",
    "governance.Ballot",
    "evaluation.EvaluationRun",
    "evaluation.EvaluationResult",
    "evaluation.Alert",
    "events.Event",
    "events.Booking",
    "returns.Metric",
    # Written as a survey is made, opened, closed or published; never by an answer.
    "engagement.Survey",
)
TABLE = DataGeneration._meta.db_table
PREFIX = "mutuals_generation"


def tracked_tables() -> list[str]:
    """The tracked models' tables, with their many-to-many tables."""
    tables = []
    for label in TRACKED:
        model = apps.get_model(label)
        tables.append(model._meta.db_table)
        tables += [
            field.remote_field.through._meta.db_table
            for field in model._meta.local_many_to_many
            if field.remote_field.through._meta.auto_created
        ]
    return tables


def install(using: str = "default") -> None:
    """Create (or replace) the triggers on every tracked table, and the token's row."""
    connection = connections[using]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(TABLE)} WHERE id = 1")
        if not cursor.fetchone()[0]:
            cursor.execute(f"INSERT INTO {quote(TABLE)} (id, token) VALUES (1, '0')")
        if connection.vendor == "postgresql":
            _install_postgres(cursor, quote)
        else:
            _install_sqlite(cursor, quote)


def _existing(tables: list[str], cursor) -> list[str]:
    present = set(cursor.db.introspection.table_names(cursor))
    return [table for table in tables if table in present]


def _install_sqlite(cursor, quote) -> None:
    bump = f"UPDATE {quote(TABLE)} SET token = lower(hex(randomblob(16))) WHERE id = 1"
    for table in _existing(tracked_tables(), cursor):
        for operation in ("INSERT", "UPDATE", "DELETE"):
            name = quote(f"{PREFIX}_{table}_{operation.lower()}")
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER {operation} ON {quote(table)} BEGIN {bump}; END"
            )


def _install_postgres(cursor, quote) -> None:
    cursor.execute(
        f"CREATE OR REPLACE FUNCTION {PREFIX}_bump() RETURNS trigger AS $$ BEGIN "
        f"UPDATE {quote(TABLE)} SET token = md5(random()::text || clock_timestamp()::text) "
        "WHERE id = 1; RETURN NULL; END $$ LANGUAGE plpgsql"
    )
    for table in _existing(tracked_tables(), cursor):
        # Once per statement, however many rows it writes.
        cursor.execute(
            f"CREATE OR REPLACE TRIGGER {PREFIX} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION {PREFIX}_bump()"
        )


def token(using: str = "default") -> str | None:
    """The current token; None before the triggers are installed (nothing may then be kept
    under it, as nothing would change it)."""
    row = DataGeneration.objects.using(using).filter(pk=1).values_list("token", flat=True)
    return row.first()
