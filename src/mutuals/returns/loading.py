"""Writing validated observations to the database, fast and all at once.

The importer, the API and the demo generator all end here. A load is one
transaction: it records a :class:`Submission` and the organisations it carries,
retires the current version of every observation it resubmits and inserts the new
versions. A process killed midway leaves the database as it was.

A national world's returns run to millions of rows, so they bypass the ORM,
and go in sorted as the table's unique indexes hold them, so that each insert
lands beside the last. PostgreSQL takes them by ``COPY``. For SQLite the ADBC
driver writes them straight from Arrow memory, in C, to scratch databases
attached to Django's own connection, slice by slice in a background thread
(and in the loader's own, rather than wait for a slice); as each slice is written,
one ``INSERT ... SELECT`` (and, for a resubmission, the retiring of the versions it
replaces) copies it into the table in Django's transaction, beside the caller's
other writes (its audit record), while the next slice is being written. No second connection ever touches the database
itself. A caller already inside a transaction, where SQLite refuses to attach,
has its rows staged in a temporary table instead: slower, the same result.
A staged row carries its period as a number into a small table of the load's periods
(label, start and kind), so no text is written per row but the label's own.

ADBC carries its own copy of SQLite, and two copies in one process do not see each
other's locks. So ADBC opens only the scratch files, never the database, and the order of
work, not locking, keeps the two apart: the main connection reads a slice only after
ADBC has written it and closed the file, and on starting to read it checks its cache
against the file's change counter, which ADBC's commit moved on.
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import connection, transaction

from mutuals.returns.models import Observation, Submission, SubmissionOrganisation
from mutuals.returns.validation import Known

COLUMNS = (
    "organisation_id",
    "metric_id",
    "period",
    "period_start",
    "period_kind",
    "value",
    "numerator",
    "denominator",
)
_CHUNK = 500
_TABLE = Observation._meta.db_table


@dataclass(frozen=True)
class LoadResult:
    submission_id: int
    inserted: int
    new_versions: int
    organisation_ids: tuple[int, ...] = ()  # the organisations the load carried, in order


def load_observations(
    frame: pl.DataFrame, *, source: str, filename: str = "", user=None
) -> LoadResult:
    """Insert ``frame`` (columns :data:`COLUMNS`, already validated) as one submission."""
    with bulk_load(frame, source=source, filename=filename, user=user) as result:
        return result


@contextmanager
def bulk_load(
    frame: pl.DataFrame,
    *,
    source: str,
    filename: str = "",
    user=None,
    known: Known | None = None,
) -> Iterator[LoadResult]:
    """Load ``frame`` as one submission, in a transaction that stays open for the ``with`` body.

    The caller's own writes in the body (an audit record) commit with the load, and an
    exception there undoes it. ``known``: what the caller knows of the rows, if it has it.
    """
    frame = frame.select(COLUMNS)
    rows = _Ordered.of(frame, known)
    # Worked out once: a national load's 2.4 million rows take tens of milliseconds each time.
    if known is not None:
        organisations, periods = known.organisations, known.periods
    else:
        organisations, periods = frame.get_column("organisation_id").unique().sort(), None
    with (
        _staging(rows, periods) as staged,
        _durable(frame.height),
        _deferred_begin(),
        transaction.atomic(),
    ):
        submission = Submission.objects.create(
            source=source, filename=filename[:255], submitted_by=user, row_count=frame.height
        )
        _note_carried(submission.pk, organisations)
        ids = organisations.to_list()
        if staged is None:
            new_versions = _load_postgres(rows.whole(), submission.pk, ids)
        else:
            new_versions = _load_sqlite(staged, frame, submission.pk, ids)
        yield LoadResult(submission.pk, frame.height, new_versions, tuple(ids))


@contextmanager
def _durable(rows: int) -> Iterator[None]:
    """On SQLite, a load that commits its own transaction is on disk when it returns.

    The site's connections run WAL with ``synchronous=NORMAL``: a commit is atomic and
    the database stays whole through a power cut, but the last commits before one may be
    lost, and a submission someone was told is imported must not be. So the load's commit
    syncs in full (``synchronous=FULL``), and the connection goes back to its setting
    after. Set outside the transaction; a caller already in one owns its commit.

    A big load (:data:`BULK_ROWS` rows or more) also moves to a rollback journal for its
    length, if it can (see :func:`bulk_journal`).
    """
    if connection.vendor != "sqlite" or not connection.get_autocommit():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous = FULL")
    try:
        if rows >= BULK_ROWS:
            with bulk_journal():
                yield
        else:
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {int(before)}")


# Loads this big write their pages once, in a rollback journal, when they can (a national
# world's returns are 2.4 million rows; a provider's quarter, a few hundred).
BULK_ROWS = 200_000
_BYTES_PER_ROW = 160  # a row's share of the table's and its indexes' pages, and room to spare
_MOST_CACHE = 1 << 30


def cache_kib(rows: int) -> int:
    """The page cache a load of ``rows`` rows is given on SQLite, in KiB: room for its new
    pages, at least 256 MiB and at most 1 GiB (see :func:`bulk_journal`)."""
    return min(_MOST_CACHE, max(rows * _BYTES_PER_ROW, 256 << 20)) >> 10


@contextmanager
def bulk_journal() -> Iterator[bool]:
    """A rollback journal for a big load on SQLite, if no other connection is open; whether
    it was had. WAL is put back after.

    In WAL every new page is written twice, to the log and then, at the commit's
    checkpoint, to the database; a big load's commit so took as long as a third of its
    copying. A rollback journal writes a new page once, into the database, and journals only
    the few pages that existed before.

    What the others see meanwhile:

    - Leaving WAL needs every other connection closed, so it is tried without waiting, and
      a load that cannot have it stays in WAL (slower, the same result).
    - A connection opened during the load cannot put the database back in WAL, and works in
      the rollback journal (see :mod:`mutuals.operations.sqlite`): it reads what was
      committed before the load, as in WAL.
    - The load keeps its new pages in memory (a cache sized for them, up to 1 GiB), so it
      does not take the database for itself until its commit; the commit then waits for
      reads in progress to end, and new reads wait for it (the busy timeout) for as long as
      it takes to write the pages once, about a quarter of the load's time. A load too big
      for the cache takes the database when the cache spills, and reads wait from then on.
    - If a connection opened during the load is still in a transaction as it ends, WAL
      cannot be put back at once; the next connection made puts it back.
    """
    with connection.cursor() as cursor:
        raw = cursor.cursor.connection
        (timeout,) = raw.execute("PRAGMA busy_timeout").fetchone()
        raw.execute("PRAGMA busy_timeout = 0")
        try:
            (mode,) = raw.execute("PRAGMA main.journal_mode = DELETE").fetchone()
        except sqlite3.OperationalError:  # another connection is open
            mode = "wal"
        finally:
            raw.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    try:
        yield mode == "delete"
    finally:
        if mode == "delete":
            from mutuals.operations.sqlite import wal

            with connection.cursor() as cursor:
                wal(cursor.cursor.connection)


@contextmanager
def _deferred_begin() -> Iterator[None]:
    """A plain ``BEGIN`` for a transaction started in the body, not SQLite's ``IMMEDIATE``.

    ``BEGIN IMMEDIATE`` opens a write transaction on every attached database at once,
    the scratch files still being written among them: the connection would read their
    first page before ADBC has finished, and ADBC's copy of SQLite would not see its
    locks (see the module's note). A plain ``BEGIN`` touches a scratch file only when a
    statement reads it, after its slice is written. The load's first statement is a
    write (its submission), so the database itself is locked as soon as with
    ``IMMEDIATE``, and a wait for another writer goes through the busy timeout; a read
    placed before that write would bring back ``SQLITE_BUSY`` without waiting.
    """
    mode = getattr(connection, "transaction_mode", None)
    connection.transaction_mode = None
    try:
        yield
    finally:
        connection.transaction_mode = mode


def _note_carried(submission_id: int, organisations: pl.Series) -> None:
    """Record the organisations a submission carries (see :class:`SubmissionOrganisation`):
    a national load's thousands in a few statements, not one object each."""
    table = SubmissionOrganisation._meta.db_table
    ids = organisations.to_list()
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (submission_id, organisation_id) VALUES "
                + ", ".join(["(%s, %s)"] * len(chunk)),
                [value for pk in chunk for value in (submission_id, pk)],
            )


_KEY = ("organisation_id", "metric_id", "period")


def _in_index_order(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows in the order of the table's unique indexes, so each insert lands by the last.

    Raises ``ValueError`` if two rows have the same key: the importer's validation
    rejects such files, and the load is no place to choose between them.
    """
    return _Ordered.of(frame).whole()


@dataclass(frozen=True)
class _Ordered:
    """A load's rows in index order: ``frame`` read through ``order`` (None: as they are).

    A slice is gathered only when it is asked for, so each part of a big load is gathered
    by the thread that writes it, beside the copying of the parts before it."""

    frame: pl.DataFrame
    order: pl.Series | None

    @classmethod
    def of(cls, frame: pl.DataFrame, known: Known | None = None) -> _Ordered:
        """``frame`` in index order, as ``known`` gives it if the caller knows it."""
        if known is not None:
            if known.key.len() != frame.height:
                raise ValueError("the key must number every row")
            return cls(frame, known.order)
        if frame.height < 2 or _is_in_index_order(frame):
            return cls(frame, None)
        codes = [_dense_codes(frame.get_column(name)) for name in _KEY]
        sizes = [int(code.max()) + 1 for code in codes]
        if sizes[0] * sizes[1] * sizes[2] < 2**63:
            key = (codes[0] * sizes[1] + codes[1]) * sizes[2] + codes[2]
            order = key.arg_sort()
            repeats = key.gather(order).diff().eq(0)
        else:
            order = frame.select(pl.arg_sort_by(*_KEY)).to_series()
            keys = frame.select(_KEY)[order]
            repeats = keys.select(
                pl.all_horizontal(pl.col(name) == pl.col(name).shift(1) for name in _KEY)
            ).to_series()
        if repeats.any():
            at = repeats.arg_true()[0]
            first = frame.row(int(order[at]), named=True)
            raise ValueError(
                f"{int(repeats.sum())} rows repeat another row's organisation, metric and "
                f"period, such as organisation {first['organisation_id']}, metric "
                f"{first['metric_id']}, period {first['period']}."
            )
        return cls(frame, order)

    @property
    def height(self) -> int:
        return self.frame.height

    def slice(self, start: int, length: int, columns: Sequence[str] = COLUMNS) -> pl.DataFrame:
        frame = self.frame.select(columns)
        if self.order is None:
            return frame.slice(start, length)
        return frame[self.order.slice(start, length)]

    def whole(self) -> pl.DataFrame:
        return self.frame if self.order is None else self.frame[self.order]


def _is_in_index_order(frame: pl.DataFrame) -> bool:
    """Whether each row's key is above the one before (as a file written in order has)."""
    above = pl.lit(False)
    for name in reversed(_KEY):
        column = pl.col(name)
        previous = column.shift(1)
        above = (column > previous) | ((column == previous) & above)
    return bool(frame.select(above.slice(1).all()).item())


def _dense_codes(column: pl.Series) -> pl.Series:
    """0, 1, 2 … in the column's sort order, found from its few distinct values."""
    distinct = column.unique().sort()
    return column.replace_strict(distinct, pl.int_range(distinct.len(), dtype=pl.Int64, eager=True))


# SQLite --------------------------------------------------------------------------------

_PREVIOUS = "temp.mutuals_previous_versions"


class _Slice:
    """The writing of one slice into its scratch file, by whichever thread takes it first:
    a background writer, or the loader, which writes the next slices itself rather than
    wait idle for the one it must copy next."""

    def __init__(self, write: Callable[[], None]) -> None:
        self._write = write
        self._taken = threading.Lock()
        self.done: Future = Future()

    def take(self) -> bool:
        """Write the slice in this thread unless another thread has taken it; whether this
        one did. A failure is raised here and kept for whoever waits on ``done``."""
        if not self._taken.acquire(blocking=False):
            return False
        try:
            self._write()
        except BaseException as error:
            self.done.set_exception(error)
            raise
        self.done.set_result(None)
        return True

    def abandon(self) -> None:
        """No thread starts the slice from now on (a load that ended early)."""
        self._taken.acquire(blocking=False)


def _write_in_order(slices: list[_Slice]) -> None:
    """A background writer: every slice no other thread has taken, in order."""
    for piece in slices:
        piece.take()


@dataclass(frozen=True)
class _Part:
    """A table of staged rows; its row n is row ``offset + n`` of the load."""

    table: str
    offset: int = 0
    written: _Slice | None = None  # done once the rows are all in the table

    def wait(self, later: Sequence[_Part] = ()) -> None:
        """Until the rows are all in the table. Meanwhile this thread writes them itself if
        no writer has started them, or else the first of the ``later`` parts that no
        writer has started, and the next, and so on."""
        if self.written is None:
            return
        while not self.written.done.done():
            pieces = (part.written for part in (self, *later) if part.written is not None)
            if not any(piece.take() for piece in pieces):
                break  # every part is taken: nothing to do but wait
        self.written.done.result()


@contextmanager
def _staging(rows: _Ordered, periods: pl.DataFrame | None) -> Iterator[list[_Part] | None]:
    """The SQLite tables holding ``rows`` for the load to copy from (None on PostgreSQL);
    ``periods``: the periods they carry (see :func:`_periods_of`), if known.

    A database can be attached only outside a transaction; a caller that holds one (the
    demo loader) gets the rows staged through the sqlite3 module instead.
    """
    if connection.vendor != "sqlite":
        yield None
        return
    with _load_periods(_periods_of(rows.frame) if periods is None else periods) as labels:
        if connection.get_autocommit():
            with _attached(rows, labels) as parts:
                yield parts
        else:
            with _temporary(_staged(rows.whole(), labels)) as part:
                yield [part]


_PERIODS = "temp.mutuals_load_periods"
_STAGED = ("organisation_id", "metric_id", "period_code", "value", "numerator", "denominator")


def _periods_of(frame: pl.DataFrame) -> pl.DataFrame:
    """The periods ``frame`` carries, each once, with its start and kind.

    Raises ``ValueError`` if one label comes with two starts or kinds.
    """
    periods = frame.select("period", "period_start", "period_kind").unique()
    labels = periods.get_column("period")
    if labels.is_duplicated().any():
        label = labels.filter(labels.is_duplicated()).item(0)
        raise ValueError(f"the period {label} comes with more than one start or kind")
    return periods


@contextmanager
def _load_periods(periods: pl.DataFrame) -> Iterator[pl.Series]:
    """``periods`` (see :func:`_periods_of`) in a temporary table of Django's connection,
    numbered from 0 (``code``), with each label, start and kind; the labels, in that order.

    A national load has millions of rows but a few dozen periods: staged with each row,
    the start (a date written out as text) and kind took a quarter of the writing.
    """
    labels = periods.get_column("period")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_PERIODS}")
        cursor.execute(
            f"CREATE TABLE {_PERIODS} "
            "(code INTEGER PRIMARY KEY, period TEXT, period_start TEXT, period_kind TEXT)"
        )
        cursor.cursor.executemany(
            f"INSERT INTO {_PERIODS} VALUES (?, ?, ?, ?)",
            [(code, *row) for code, row in enumerate(_sqlite_values(periods).iter_rows())],
        )
    try:
        yield labels
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_PERIODS}")


def _staged(frame: pl.DataFrame, labels: pl.Series) -> pl.DataFrame:
    """Rows as they are staged (:data:`_STAGED`): each period as its place in ``labels``."""
    code = pl.col("period").cast(pl.Enum(labels)).to_physical().cast(pl.Int64)
    return frame.select(*_STAGED[:2], code.alias("period_code"), *_STAGED[3:])


_ROWS_PER_PART = 250_000
# SQLite attaches at most 10 databases unless built otherwise: beyond 8 slices, slices grow.
_MOST_PARTS = 8


@contextmanager
def _attached(rows: _Ordered, periods: pl.Series) -> Iterator[list[_Part]]:
    """``rows`` in slices, each in a scratch database attached to Django's connection.

    The caller writes the first slice; the others are gathered and written in the
    background, in order, by as many threads as leave a core for the caller, who copies
    each into the table once its ``written`` is done. Writing a slice through ADBC takes longer than copying it (about 1.2 against
    0.9 microseconds a row), so the caller, rather than wait for the next slice, writes
    the first one no writer has started: two cores share the writing, and a national
    load's copy no longer waits a second in all for its slices.
    """
    offsets = _part_offsets(rows.height)
    bounds = list(itertools.pairwise(offsets))
    names = [f"mutuals_staging_{number}" for number in range(len(bounds))]
    attached: list[str] = []
    with _scratch_folder() as folder:
        paths = [Path(folder) / f"{name}.sqlite3" for name in names]
        for path in paths:
            _create_scratch(path)
        try:
            with connection.cursor() as cursor:
                for path, name in zip(paths, names, strict=True):
                    cursor.execute(f"ATTACH DATABASE %s AS {name}", [str(path)])
                    attached.append(name)
            slices = [
                _Slice(partial(_write_part, path, rows, periods, start, end))
                for path, (start, end) in zip(paths, bounds, strict=True)
            ]
            parts = [
                _Part(f"{name}.observations", offset, piece)
                for name, offset, piece in zip(names, offsets, slices, strict=False)
            ]
            # ADBC lets go of the GIL as it writes, and sqlite3 as it copies.
            count = max(1, min(_cores() - 1, 3))
            writers = ThreadPoolExecutor(count)
            try:
                # The writers begin with the second slice while this thread writes the
                # first, the smallest, so that copying starts as soon as it can. It is
                # written before the load's transaction begins, so the database's write
                # lock is not held while waiting for it.
                for _ in range(count):
                    writers.submit(_write_in_order, slices[1:])
                parts[0].wait()
                yield parts
            finally:
                for piece in slices:
                    piece.abandon()
                writers.shutdown()
        finally:
            with connection.cursor() as cursor:
                for name in attached:
                    cursor.execute(f"DETACH DATABASE {name}")


def _part_offsets(rows: int) -> list[int]:
    """Where each slice of a load of ``rows`` rows begins, and its end: up to
    :data:`_MOST_PARTS` slices of about :data:`_ROWS_PER_PART` rows on average, each a
    fifth bigger than the one before.

    The first slice is the smallest, as it is waited for before the load's transaction
    begins, and the last not much bigger than the others, as copying it is all that is
    left once the writing ends (for a national load, 1.2 gave a shorter load than equal
    slices or slices growing by half).
    """
    count = max(1, min(_MOST_PARTS, rows // _ROWS_PER_PART))
    shares = list(itertools.accumulate(_GROWTH**number for number in range(count)))
    return [0, *(round(rows * share / shares[-1]) for share in shares)]


_GROWTH = 1.2


@contextmanager
def _scratch_folder() -> Iterator[str]:
    """A new folder for one load's scratch files, beside the database in the data folder
    (they hold returns, which are not public), deleted when the load ends. Folders left by
    loads whose process was killed are deleted first."""
    root = Path(settings.DATA_DIR) / "scratch"
    root.mkdir(parents=True, exist_ok=True)
    for left in root.glob("load-*-*"):
        pid = left.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"load-{os.getpid()}-", dir=root) as folder:
        yield folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cores() -> int:
    """The processor cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _write_part(path: Path, rows: _Ordered, periods: pl.Series, start: int, end: int) -> None:
    _write_scratch(path, _staged(rows.slice(start, end - start, _GATHERED), periods))


_GATHERED = ("organisation_id", "metric_id", "period", "value", "numerator", "denominator")


def _create_scratch(path: Path) -> None:
    """A new SQLite file with the empty table a slice is written to."""
    with closing(sqlite3.connect(path)) as scratch:
        scratch.execute(f"CREATE TABLE observations ({', '.join(_STAGED)})")


def _write_scratch(path: Path, frame: pl.DataFrame) -> None:
    """Append ``frame`` to a scratch file's table through ADBC, which binds Arrow columns in C.

    The file is scratch, read once and deleted: no journal and no syncing, since a crash
    midway loses nothing that was not about to be thrown away. (ADBC's low-level API, as
    its DB-API module imports pandas: seconds at the start of every command.)
    """
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite

    ingest = {
        adbc.INGEST_OPTION_TARGET_TABLE: "observations",
        adbc.INGEST_OPTION_MODE: adbc.INGEST_OPTION_MODE_APPEND,
    }
    with (
        adbc_driver_sqlite.connect(str(path)) as database,
        adbc.AdbcConnection(database) as scratch,
    ):
        for sql in ("PRAGMA journal_mode = OFF", "PRAGMA synchronous = OFF", "BEGIN"):
            _adbc_execute(scratch, sql)
        with adbc.AdbcStatement(scratch) as statement:
            statement.set_options(**ingest)
            statement.bind_stream(frame.__arrow_c_stream__())
            statement.execute_update()
        _adbc_execute(scratch, "COMMIT")


def _adbc_execute(scratch, sql: str) -> None:
    import adbc_driver_manager as adbc

    with adbc.AdbcStatement(scratch) as statement:
        statement.set_sql_query(sql)
        statement.execute_update()


@contextmanager
def _temporary(frame: pl.DataFrame) -> Iterator[_Part]:
    """``frame`` in a temporary table of Django's connection, written row by row."""
    table = "temp.mutuals_staged_observations"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} ({', '.join(frame.columns)})")
        # Django's cursor wrapper would rewrite placeholders for every row; the raw
        # sqlite3 cursor takes the iterator directly.
        cursor.cursor.executemany(
            f"INSERT INTO {table} VALUES ({', '.join('?' * frame.width)})",
            frame.iter_rows(),
        )
    try:
        yield _Part(table)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {table}")


def _sqlite_values(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as Django stores them in SQLite: dates as ISO text."""
    return frame.with_columns(pl.col("period_start").cast(pl.Utf8))


def _load_sqlite(
    parts: list[_Part], frame: pl.DataFrame, submission_id: int, organisations: list[int]
) -> int:
    """Retire the current versions the staged rows replace and insert them; returns how many.
    ``organisations``: the ids the rows carry, each once.

    Part by part, as each is written: a file repeats no key, so no part resubmits a row
    another part inserts.
    """
    retired = 0
    # Each staged row's period comes from the load's table of periods (k), by its number.
    columns = ", ".join(f"{'k' if name.startswith('period') else 's'}.{name}" for name in COLUMNS)
    insert = f"INSERT INTO {_TABLE} ({', '.join(COLUMNS)}, version, is_current, submission_id) "
    with connection.cursor() as cursor:
        # For this connection's big write: room for the load's new pages (see bulk_journal).
        cursor.execute(f"PRAGMA cache_size = -{cache_kib(frame.height)}")
        cursor.execute(f"DROP TABLE IF EXISTS {_PREVIOUS}")
        resubmits = _any_current(cursor, organisations)
        if resubmits:
            cursor.execute(
                f"CREATE TABLE {_PREVIOUS} "
                "(staged_row INTEGER PRIMARY KEY, id INTEGER NOT NULL, version INTEGER NOT NULL)"
            )
        for index, part in enumerate(parts):
            part.wait(parts[index + 1 :])
            if resubmits:
                retired += _retire_sqlite(cursor, part)
                cursor.execute(
                    f"{insert} SELECT {columns}, coalesce(p.version + 1, 1), 1, %s "
                    f"FROM {part.table} AS s CROSS JOIN {_PERIODS} AS k "
                    f"LEFT JOIN {_PREVIOUS} AS p ON p.staged_row = s.rowid + %s "
                    "WHERE k.code = s.period_code",
                    [submission_id, part.offset],
                )
            else:
                # CROSS JOIN keeps the staged rows outermost, each period found by its number.
                cursor.execute(
                    f"{insert} SELECT {columns}, 1, 1, %s FROM {part.table} AS s "
                    f"CROSS JOIN {_PERIODS} AS k WHERE k.code = s.period_code",
                    [submission_id],
                )
        cursor.execute(f"DROP TABLE IF EXISTS {_PREVIOUS}")
    return retired


def _retire_sqlite(cursor, part: _Part) -> int:
    """Mark not current the rows ``part`` resubmits, noting each one's version."""
    cursor.execute(f"DELETE FROM {_PREVIOUS}")
    # CROSS JOIN keeps the staged rows outermost, each looked up in the current-version index.
    cursor.execute(
        f"INSERT INTO {_PREVIOUS} SELECT s.rowid + %s, o.id, o.version "
        f"FROM {part.table} AS s CROSS JOIN {_PERIODS} AS k CROSS JOIN {_TABLE} AS o "
        "WHERE k.code = s.period_code AND o.organisation_id = s.organisation_id "
        "AND o.metric_id = s.metric_id AND o.period = k.period AND o.is_current",
        [part.offset],
    )
    cursor.execute(f"UPDATE {_TABLE} SET is_current = 0 WHERE id IN (SELECT id FROM {_PREVIOUS})")
    return cursor.rowcount


def _any_current(cursor, organisations: list[int]) -> bool:
    """Whether any of ``organisations`` has current observations already."""
    for start in range(0, len(organisations), _CHUNK):
        chunk = organisations[start : start + _CHUNK]
        cursor.execute(
            f"SELECT 1 FROM {_TABLE} WHERE is_current "
            f"AND organisation_id IN ({','.join(['%s'] * len(chunk))}) LIMIT 1",
            chunk,
        )
        if cursor.fetchone():
            return True
    return False


# PostgreSQL ----------------------------------------------------------------------------


def _load_postgres(frame: pl.DataFrame, submission_id: int, organisations: list[int]) -> int:
    previous = _current_versions(frame, organisations)
    frame = _with_versions(frame, previous)
    _retire(previous["id"].to_list())
    _copy_postgres(frame.with_columns(pl.lit(submission_id).alias("submission_id")))
    return previous.height


def _current_versions(frame: pl.DataFrame, organisations: list[int]) -> pl.DataFrame:
    """The current rows that ``frame`` (rows of ``organisations``) resubmits: id, key and
    version."""
    schema = {
        "id": pl.Int64,
        "organisation_id": pl.Int64,
        "metric_id": pl.Int64,
        "period": pl.Utf8,
        "version": pl.Int64,
    }
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(organisations), _CHUNK):
            chunk = organisations[start : start + _CHUNK]
            placeholders = ",".join(["%s"] * len(chunk))
            cursor.execute(
                "SELECT id, organisation_id, metric_id, period, version "
                f"FROM {_TABLE} WHERE is_current AND organisation_id IN ({placeholders})",
                chunk,
            )
            rows.extend(cursor.fetchall())
    existing = pl.DataFrame(rows, schema=schema, orient="row")
    keys = frame.select("organisation_id", "metric_id", "period").cast(
        {"organisation_id": pl.Int64, "metric_id": pl.Int64}
    )
    return existing.join(keys, on=["organisation_id", "metric_id", "period"], how="semi")


def _with_versions(frame: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    bumped = previous.select(
        "organisation_id", "metric_id", "period", (pl.col("version") + 1).alias("version")
    )
    return (
        frame.cast({"organisation_id": pl.Int64, "metric_id": pl.Int64})
        .join(
            bumped, on=["organisation_id", "metric_id", "period"], how="left", maintain_order="left"
        )
        .with_columns(pl.col("version").fill_null(1), pl.lit(True).alias("is_current"))
    )


def _retire(ids: list[int]) -> None:
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            placeholders = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {_TABLE} SET is_current = %s WHERE id IN ({placeholders})",
                [False, *chunk],
            )


_INSERT_COLUMNS = (*COLUMNS, "version", "is_current", "submission_id")


def _copy_postgres(frame: pl.DataFrame) -> None:
    buffer = io.BytesIO()
    frame.select(_INSERT_COLUMNS).write_csv(buffer, include_header=False, null_value="")
    buffer.seek(0)
    with connection.cursor() as cursor:
        copy_sql = (
            f"COPY {_TABLE} ({','.join(_INSERT_COLUMNS)}) FROM STDIN WITH (FORMAT csv, NULL '')"
        )
        with cursor.cursor.copy(copy_sql) as copy:
            while block := buffer.read(1 << 20):
                copy.write(block)
