"""Every table importer against the faults an outside test found: unknown columns, huge
cells, UTF-16, infinities, files with headings and no rows, and XLSX decompression bombs.
Each is refused with the importer's own error, naming where, and nothing is written."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from django.core.management import CommandError, call_command

from fuzz.files import bomb_xlsx, csv_bytes, far_flung_xlsx, write, xlsx_bytes
from fuzz.importers import IMPORTERS, REFUSALS, make_world
from mutuals.errors import FileUnreadable, ImportRejected

NAMES = sorted(IMPORTERS)


@pytest.fixture
def world(db):
    return make_world()


def refused(name, world, path) -> Exception:
    importer = IMPORTERS[name]
    before = importer.counts()
    with pytest.raises(REFUSALS) as raised:
        importer.run(world, path)
    assert importer.counts() == before, "a refused import wrote something"
    return raised.value


def messages(error: Exception) -> list[str]:
    if isinstance(error, ImportRejected):
        return [str(problem) for problem in error.problems]
    return [str(error)]


@pytest.mark.parametrize("name", NAMES)
def test_a_valid_file_imports(name, world, tmp_path):
    importer = IMPORTERS[name]
    importer.run(world, write(tmp_path / "t.csv", csv_bytes(importer.header, [importer.row])))
    xlsx = xlsx_bytes(importer.header, [importer.row])
    if name in {"contracts", "people", "board"}:  # the same key again would update, fine
        importer.run(world, write(tmp_path / "t.xlsx", xlsx))


@pytest.mark.parametrize("name", NAMES)
def test_a_misspelt_optional_column_is_named(name, world, tmp_path):
    importer = IMPORTERS[name]
    header = (*importer.header, "numerater")
    path = write(tmp_path / "t.csv", csv_bytes(header, [(*importer.row, "1")]))
    [message] = messages(refused(name, world, path))
    assert "the file has a column this import does not know: 'numerater'" in message


@pytest.mark.parametrize("name", NAMES)
def test_ten_thousand_unknown_columns_are_named_a_few_at_a_time(name, world, tmp_path):
    importer = IMPORTERS[name]
    extra = [f"c{n}" for n in range(10_000)]
    path = write(tmp_path / "t.csv", csv_bytes((*importer.header, *extra), [importer.row]))
    [message] = messages(refused(name, world, path))
    assert "10,000 columns this import does not know: 'c0', 'c1', 'c2', 'c3', 'c4' and " in message
    assert "9,995 more" in message and len(message) < 600


@pytest.mark.parametrize("name", NAMES)
def test_a_ten_megabyte_cell_is_quoted_as_an_excerpt(name, world, tmp_path):
    importer = IMPORTERS[name]
    row = list(importer.row)
    row[2] = "x" * 10_000_000  # a column every importer checks
    path = write(tmp_path / "t.csv", csv_bytes(importer.header, [row]))
    found = messages(refused(name, world, path))
    assert found and all(len(message) < 400 for message in found), found
    assert any("'" + "x" * 40 + "…'" in message for message in found), found


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_named_as_the_wrong_encoding(name, encoding, world, tmp_path):
    importer = IMPORTERS[name]
    text = csv_bytes(importer.header, [importer.row]).decode()
    data = text.encode(encoding)  # utf-16-be has no byte order mark: text full of NULs
    error = refused(name, world, write(tmp_path / "t.csv", data))
    assert isinstance(error, FileUnreadable)
    assert "save it from your spreadsheet as 'CSV UTF-8 (comma delimited)'" in str(error)


@pytest.mark.parametrize("name", NAMES)
def test_a_file_with_headings_and_no_rows_is_refused(name, world, tmp_path):
    importer = IMPORTERS[name]
    for data, suffix in (
        (csv_bytes(importer.header, []), "csv"),
        (csv_bytes(importer.header, [[""] * len(importer.header)] * 3), "csv"),
        (xlsx_bytes(importer.header, []), "xlsx"),
    ):
        error = refused(name, world, write(tmp_path / f"t.{suffix}", data))
        assert "the file has column headings but no rows" in str(error)


@pytest.mark.parametrize(
    ("name", "column"),
    [("returns", 3), ("returns", 4), ("contracts", 6), ("contracts", 8), ("objectives", 4)],
)
@pytest.mark.parametrize("text", ["-inf", "+Infinity", "inf", "NaN", "-nan"])
def test_infinities_are_not_finite_numbers_not_formulas(name, column, text, world, tmp_path):
    importer = IMPORTERS[name]
    row = list(importer.row)
    row[column] = text
    found = messages(
        refused(name, world, write(tmp_path / "t.csv", csv_bytes(importer.header, [row])))
    )
    expected = f"row 2, column {importer.header[column]}: '{text}' is not a finite number"
    assert any(message.startswith(expected) for message in found), found


def test_a_number_too_large_for_a_float_is_not_finite(world, tmp_path):
    importer = IMPORTERS["returns"]
    row = (*importer.row[:3], "1e999", "", "")
    [message] = messages(
        refused("returns", world, write(tmp_path / "t.csv", csv_bytes(importer.header, [row])))
    )
    assert message == "row 2, column value: '1e999' is not a finite number: enter the number itself"


def test_the_cli_exits_non_zero_for_a_file_without_rows(world, tmp_path):
    for command, name in (("import-returns", "returns"), ("import-organisations", "organisations")):
        path = write(tmp_path / f"{name}.csv", csv_bytes(IMPORTERS[name].header, []))
        with pytest.raises(CommandError, match="the file has column headings but no rows"):
            call_command(command, str(path))


def test_an_xlsx_bomb_is_refused_unread_quickly_and_in_little_memory(world, tmp_path):
    bomb = bomb_xlsx(tmp_path / "returns.xlsx", inflated_mb=64)
    assert bomb.stat().st_size < 1_000_000
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(CommandError, match="refused unread") as raised:
            call_command("import-returns", str(bomb))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 10_000_000
    assert "over 100 times its packed size" in str(raised.value)


def test_an_xlsx_unpacking_beyond_the_limit_is_refused(world, tmp_path, settings):
    settings.XLSX_MAX_INFLATED_MB = 1
    importer = IMPORTERS["returns"]
    rows = [("NQX01", "sickness-absence", f"{2000 + n % 26}-Q{n % 4 + 1}", str(n), "", "")
            for n in range(10_000)]  # fmt: skip
    path = write(tmp_path / "t.xlsx", xlsx_bytes(importer.header, rows))
    error = refused("returns", world, path)
    assert "more than the 1 MB an XLSX file may (XLSX_MAX_INFLATED_MB)" in str(error)


def test_xlsx_rows_keep_their_numbers_past_blank_rows(world, tmp_path):
    importer = IMPORTERS["returns"]
    good = importer.row
    bad = (*good[:3], "twelve", "", "")
    rows = [good, [None] * 6, [None] * 6, (good[0], good[1], "2011-Q3", *bad[3:])]
    path = write(tmp_path / "t.xlsx", xlsx_bytes(importer.header, rows))
    [message] = messages(refused("returns", world, path))
    assert message == "row 5, column value: 'twelve' is not a number"


def test_a_value_under_no_heading_is_named_not_dropped(world, tmp_path):
    importer = IMPORTERS["returns"]
    csv_path = write(tmp_path / "t.csv", csv_bytes((*importer.header, ""), [(*importer.row, "9")]))
    xlsx_path = write(tmp_path / "t.xlsx", xlsx_bytes(importer.header, [(*importer.row, "9")]))
    for path in (csv_path, xlsx_path):
        [message] = messages(refused("returns", world, path))
        assert "'column 7 (no heading)'" in message


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("heading", ["^.*$", "*", "_row", "^organisation$"])
def test_headings_polars_would_read_as_patterns_are_unknown_columns(name, heading, world, tmp_path):
    """Found by the fuzz suite: a heading like ^.*$ once selected every column."""
    importer = IMPORTERS[name]
    path = write(tmp_path / "t.csv", csv_bytes((*importer.header, heading), [(*importer.row, "1")]))
    [message] = messages(refused(name, world, path))
    assert f"does not know: '{heading}" in message


def test_a_sheet_declaring_the_largest_size_is_read_by_its_cells(world, tmp_path):
    """A 1 KB sheet declaring A1:XFD1048576 once padded every row to 16,384 cells."""
    importer = IMPORTERS["returns"]
    path = far_flung_xlsx(tmp_path / "t.xlsx", importer.header[:4], importer.row[:4])
    started = time.monotonic()
    report = importer.run(world, path)
    assert time.monotonic() - started < 5
    assert report.imported == 1
