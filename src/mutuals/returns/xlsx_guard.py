"""Refusing an XLSX file that would unpack to far more than it is, before it is opened.

An XLSX file is a zip of XML parts. Deflate packs a repeated row a thousand to one, so a
1 MB upload can hold a 1 GB sheet: openpyxl would then spend a minute and a gigabyte of
memory reading it. The zip's directory says how big each part unpacks to, and Python's
``zipfile`` (which openpyxl reads through) never returns more than that size, so the
directory can be trusted as a ceiling. So, before openpyxl sees the file:

- the directory itself must be small (:data:`MAX_PARTS` entries): millions of empty
  entries would cost gigabytes just to list;
- every part must be stored or deflated, as spreadsheet programs write them (a bzip2 or
  LZMA part could unpack to gigabytes inside one read);
- the parts together must unpack to at most ``XLSX_MAX_INFLATED_MB``;
- no part over :data:`RATIO_FLOOR` bytes may unpack to more than :data:`MAX_RATIO` times
  its packed size. Real sheets pack 10 to 20 to one (a sheet of one row repeated 100,000
  times packs 16 to one); only a file built to exhaust memory packs a hundred to one.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from django.conf import settings

from mutuals.errors import FileUnreadable
from mutuals.returns.cells import excerpt, quoted

MB = 1024 * 1024
MAX_PARTS = 10_000
MAX_RATIO = 100
RATIO_FLOOR = MB
_END_OF_DIRECTORY = b"PK\x05\x06"
_END_RECORD = struct.Struct("<4s4H2LH")  # the zip's end-of-central-directory record
_ZIP64 = (0xFFFF, 0xFFFFFFFF)


def refuse_bombs(path: Path) -> None:
    """Raise :class:`FileUnreadable` when ``path``'s parts would unpack too far."""
    name = excerpt(path.name)
    _refuse_huge_directory(path, name)
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise FileUnreadable(f"{name} is not a readable XLSX file: {excerpt(error, 200)}") from None
    limit = settings.XLSX_MAX_INFLATED_MB * MB
    total = 0
    for part in parts:
        if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileUnreadable(
                f"{name} is not an XLSX file as spreadsheet programs save it: its part "
                f"{quoted(part.filename)} is packed in an unusual way. Save it again from "
                "your spreadsheet, or as CSV"
            )
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise FileUnreadable(
                f"{name} is refused unread: its part {quoted(part.filename)} would unpack "
                f"to {_megabytes(part.file_size)} from {_megabytes(part.compress_size)}, over "
                f"{MAX_RATIO} times its packed size, which no spreadsheet's data does. Save "
                "it again from your spreadsheet, or as CSV"
            )
        total += part.file_size
    if total > limit:
        raise FileUnreadable(
            f"{name} would unpack to {_megabytes(total)}, more than the "
            f"{settings.XLSX_MAX_INFLATED_MB} MB an XLSX file may (XLSX_MAX_INFLATED_MB): "
            "save it as CSV, or split it into smaller files"
        )


def _refuse_huge_directory(path: Path, name: str) -> None:
    """Refuse a zip whose directory lists more than :data:`MAX_PARTS` parts, read from its
    end record before ``zipfile`` builds an object for each."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - (_END_RECORD.size + 0xFFFF)))
        tail = handle.read()
    at = tail.rfind(_END_OF_DIRECTORY)
    if at < 0 or len(tail) - at < _END_RECORD.size:
        raise FileUnreadable(
            f"{name} is not a readable XLSX file: it is not a zip file, as XLSX files are"
        )
    record = _END_RECORD.unpack_from(tail, at)
    parts, directory_size = record[4], record[5]
    if parts > MAX_PARTS or parts in _ZIP64 or directory_size in _ZIP64:
        raise FileUnreadable(
            f"{name} is refused unread: it lists more parts than a spreadsheet has "
            f"(over {MAX_PARTS:,}). Save it again from your spreadsheet, or as CSV"
        )


def _megabytes(size: int) -> str:
    if size < MB:
        return f"{size / 1024:,.0f} KB"
    return f"{size / MB:,.0f} MB"
