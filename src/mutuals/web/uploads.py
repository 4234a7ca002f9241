"""Uploaded files, saved for the importers, and the problems an import finds, for the page.

Every upload page (returns, the register, survey responses) hands its files to the same
importers the command line uses, which read paths; and shows at most
:data:`PROBLEMS_SHOWN` problems, each linking to the file field, with a count of the rest.

No upload is stored beyond ``UPLOAD_MAX_MB``: :class:`UploadLimit`, the first of Django's
upload handlers, skips every file of a request once its files pass the limit (or at once,
when the request says it is larger), so nothing past it reaches memory or disk. The form
fields stay (the CSRF token among them), and the page then says the file was too large
(:func:`refuse_if_too_large`, status 413) instead of asking for one.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from mutuals.errors import Problem

PROBLEMS_SHOWN = 100
MB = 1024 * 1024
TOO_LARGE = 413
_FLAG = "_mutuals_upload_too_large"


class UploadLimit(FileUploadHandler):
    """Skips the files of a request whose uploads pass ``UPLOAD_MAX_MB`` in all, and marks
    the request so that the view can say so."""

    def __init__(self, request=None):
        super().__init__(request)
        self.limit = settings.UPLOAD_MAX_MB * MB
        self.received = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        # The body holds the form's other fields too: a few kilobytes more than the files.
        if content_length and content_length > self.limit + MB:
            self._refuse()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if upload_too_large(self.request):
            raise SkipFile

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler stores the file

    def _refuse(self) -> None:
        if self.request is not None:
            setattr(self.request, _FLAG, True)


def upload_too_large(request) -> bool:
    return bool(getattr(request, _FLAG, False))


def refuse_if_too_large(request, form, field: str | None) -> bool:
    """When the request's upload passed ``UPLOAD_MAX_MB``, put that on ``form`` (on
    ``field``, or the whole form), in place of the errors its missing file brings."""
    if not upload_too_large(request):
        return False
    form.is_valid()
    form.errors.clear()
    form.add_error(field, f"The selected file must be smaller than {settings.UPLOAD_MAX_MB} MB")
    return True


@contextmanager
def saved(uploads: Mapping[str, object]) -> Iterator[dict[str, Path]]:
    """Each upload (by key) saved in a new temporary folder as ``<key><suffix>``, lower
    case suffix kept; the folder is deleted afterwards. Keys with no upload are left out."""
    with tempfile.TemporaryDirectory(prefix="mutuals-upload-") as folder:
        paths = {}
        for key, upload in uploads.items():
            if not upload:
                continue
            paths[key] = _write(upload, Path(folder) / f"{key}{Path(upload.name).suffix.lower()}")
        yield paths


@contextmanager
def saved_as_named(upload) -> Iterator[Path]:
    """One upload saved under the last part of its own name, which messages then quote."""
    with tempfile.TemporaryDirectory(prefix="mutuals-upload-") as folder:
        yield _write(upload, Path(folder) / (Path(upload.name).name or "upload"))


def _write(upload, path: Path) -> Path:
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def problems_context(problems: list[Problem], rows: int, field_id: str) -> dict:
    """The upload page's error summary: the first problems, each linking to ``field_id``."""
    problems = sorted(problems)
    return {
        "problems": [(f"#{field_id}", str(problem)) for problem in problems[:PROBLEMS_SHOWN]],
        "more_problems": max(0, len(problems) - PROBLEMS_SHOWN),
        "problem_count": len(problems),
        "rows": rows,
    }
