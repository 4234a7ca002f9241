"""Every API error as an RFC 9457 problem, rendered in this one place.

A problem is ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance``, and, when input was invalid, ``errors``: one entry
per bad value, naming its ``row`` (for returns), its ``field`` and what to do
about it. Each ``type`` is a path under the API that describes the problem.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.evaluation.services import EvaluationError

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_ROOT = "/api/v1/problems/"

# slug: (title, when it happens)
TYPES: dict[str, tuple[str, str]] = {
    "bad-request": ("Bad request", "The request body is not valid JSON."),
    "unauthorized": (
        "Authentication needed",
        "No token, or a token that is unknown, revoked or belongs to a deactivated person. "
        "Send 'Authorization: Bearer <token>'.",
    ),
    "forbidden": ("Not allowed", "Your roles do not allow this action."),
    "missing-scope": (
        "Token scope too narrow",
        "The token was not given the scope this operation needs; create one that has it.",
    ),
    "not-found": ("Not found", "There is no such object, or you may not see it."),
    "method-not-allowed": ("Method not allowed", "The path exists but not for this method."),
    "too-large": ("Request too large", "The body is larger than API_MAX_UPLOAD_MB allows."),
    "unsupported-media-type": (
        "Unsupported media type",
        "Send returns as application/json or text/csv.",
    ),
    "invalid-request": (
        "Invalid request",
        "A parameter or body field has the wrong type or value; see errors.",
    ),
    "invalid-returns": (
        "Returns rejected",
        "The CSV could not be read as a table, or at least one row breaks a validation "
        "rule, so nothing was imported; see errors.",
    ),
    "rate-limited": (
        "Too many requests",
        "The token (or, without one, the address) made more than API_RATE_LIMIT requests "
        "this minute. Wait for Retry-After seconds.",
    ),
    "replication-unavailable": (
        "Replication package unavailable",
        "The returns have changed since the run read them, or the run has not finished: start "
        "a new run and download its package.",
    ),
    "booking-refused": (
        "Booking refused",
        "The event takes no bookings now (cancelled, or past its booking deadline), the rate "
        "chosen has closed by the database's clock, the person already has a place or a place "
        "on the waiting list, or the booking is not in a state for this step.",
    ),
    "server-error": ("Server error", "Something went wrong on our side; it has been logged."),
}


@dataclass(frozen=True)
class FieldError:
    message: str
    field: str | None = None
    row: int | None = None
    pointer: str | None = None
    kind: str = ""  # pydantic's error type, for the API's own use

    def as_json(self) -> dict:
        data = {"row": self.row, "field": self.field, "message": self.message}
        if self.pointer is not None:
            data["pointer"] = self.pointer
        return data


@dataclass
class ApiProblem(Exception):
    """Raised anywhere in the API; :func:`render` turns it into the response."""

    status: int
    slug: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


def not_found(what: str) -> ApiProblem:
    return ApiProblem(404, "not-found", f"There is no {what} that you may see.")


def render(request: HttpRequest, problem: ApiProblem) -> HttpResponse:
    title, _ = TYPES[problem.slug]
    body = {
        "type": TYPE_ROOT + problem.slug,
        "title": title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.get_full_path(),
        "errors": [error.as_json() for error in problem.errors],
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=problem.status, content_type=MEDIA_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


# Turning exceptions into problems ---------------------------------------------------------


def from_validation(exc: ValidationError) -> ApiProblem:
    """Ninja's parameter and body errors, each with the field it is about."""
    errors = [_ninja_error(error) for error in exc.errors]
    fields = ", ".join(sorted({e.field for e in errors if e.field})) or "the body"
    return ApiProblem(422, "invalid-request", f"Check {fields}: see errors.", errors)


def _ninja_error(error: dict) -> FieldError:
    """Ninja locates an error as ('query', name), ('path', name) or ('body', param, ...)."""
    source, *location = error.get("loc", ("body",))
    if source != "body":
        return FieldError(
            message=_message(error, location[0] if location else None, in_text=True),
            field=_dotted(location) or None,
        )
    if len(location) <= 1 and error.get("type") == "missing":
        return FieldError(message="send a JSON object as the body, such as {}")
    return _field_error(error, skip=2)


def from_pydantic(errors: Iterable[dict], *, rows_key: str | None = None) -> ApiProblem:
    """A body the API validated itself; with ``rows_key``, errors inside it name their row."""
    found = [_field_error(error, skip=0, rows_key=rows_key) for error in errors]
    if any(error.kind == "json_invalid" for error in found):
        message = next(e.message for e in found if e.kind == "json_invalid")
        return ApiProblem(400, "bad-request", f"The body is not valid JSON: {message}")
    rows = len({e.row for e in found if e.row is not None})
    detail = (
        f"Nothing was imported: {len(found)} problem(s) in {rows} row(s)."
        if rows
        else "The body does not have the expected shape: see errors."
    )
    return ApiProblem(422, "invalid-returns" if rows_key else "invalid-request", detail, found)


def _field_error(error: dict, *, skip: int, rows_key: str | None = None) -> FieldError:
    location = list(error.get("loc", ()))[skip:]
    pointer = "/" + "/".join(str(part) for part in location) if location else None
    row = None
    if rows_key and len(location) >= 2 and location[0] == rows_key and isinstance(location[1], int):
        row = location[1] + 1
        location = location[2:]
    name = _dotted(location) or None
    return FieldError(
        message=_message(error, name),
        field=name,
        row=row,
        pointer=pointer,
        kind=error.get("type", ""),
    )


def _dotted(location: list) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: dict, name: str | None, *, in_text: bool = False) -> str:
    """What is wrong with one value, in words; ``in_text`` for query and path parameters,
    which arrive as text."""
    kind = error.get("type", "")
    message = error.get("msg", "is not valid")
    if "input" not in error or kind == "json_invalid":
        return message.removeprefix("Invalid JSON: ")
    given = error["input"]
    shown = _shown(given)
    if kind == "missing":
        return f"{name or 'this field'} is required"
    if kind == "extra_forbidden":
        return f"{name} is not a field here: remove it, or check its spelling"
    if in_text and kind in {"int_parsing", "int_from_float"}:
        return f"{shown} is not a whole number"
    if in_text and kind == "bool_parsing":
        return f"{shown} is not true or false"
    if kind in {"float_type", "int_type", "float_parsing", "int_parsing"}:
        if isinstance(given, bool):
            return f"{shown} is a boolean, not a number: send a JSON number"
        if isinstance(given, str):
            return f"{shown} is text, not a number: send a JSON number without quotes"
        return f"{shown} is not a number"
    if kind == "string_type":
        return f"{shown} is not text: send a JSON string"
    if kind == "finite_number":
        return f"{shown} is not a finite number"
    return f"{message} (got {shown})"


def _shown(value) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def from_import(rejected: ImportRejected, *, row_offset: int = 0) -> ApiProblem:
    """The shared validator's verdict; ``row_offset`` maps its row numbers back to the body's."""
    errors = [
        FieldError(
            message=_renumbered(problem.reason, row_offset),
            field=problem.column or None,
            row=(problem.row - row_offset) if problem.row else None,
        )
        for problem in sorted(rejected.problems)
    ]
    bad_rows = len({e.row for e in errors if e.row is not None})
    detail = (
        f"Nothing was imported: {len(errors)} problem(s) in {bad_rows} of {rejected.rows} row(s)."
    )
    return ApiProblem(422, "invalid-returns", detail, errors)


def _renumbered(reason: str, row_offset: int) -> str:
    """A reason that names another row ("repeats row 5"), in the body's numbering."""
    if not row_offset:
        return reason
    return re.sub(r"\brow (\d+)", lambda match: f"row {int(match[1]) - row_offset}", reason)


def _http_error(exc: HttpError) -> ApiProblem:
    slugs = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found"}
    slugs |= {405: "method-not-allowed", 413: "too-large", 415: "unsupported-media-type"}
    slugs |= {422: "invalid-request", 429: "rate-limited"}
    slug = slugs.get(exc.status_code, "bad-request")
    detail = str(exc)
    if isinstance(exc, AuthenticationError):
        detail = "Send an API token as 'Authorization: Bearer <token>'."
    if exc.status_code == 400 and detail == "Cannot parse request body":
        detail = "The body is not valid JSON."
    headers = {}
    if isinstance(exc, Throttled):
        detail = TYPES["rate-limited"][1]
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="mutuals"'
    return ApiProblem(exc.status_code, slug, detail, headers=headers)


def install(api) -> None:
    """Register the handlers on ``api``: every failure leaves as a problem."""

    def handle(exc_class, to_problem):
        def handler(request, exc):
            return render(request, to_problem(exc))

        api.add_exception_handler(exc_class, handler)

    handle(ApiProblem, lambda exc: exc)
    handle(ValidationError, from_validation)
    handle(HttpError, _http_error)
    handle(Http404, lambda exc: ApiProblem(404, "not-found", "There is no such object."))
    handle(PermissionDenied, lambda exc: ApiProblem(403, "forbidden", str(exc) or "Not allowed."))
    handle(ImportRejected, from_import)
    handle(FileUnreadable, _unreadable)
    handle(EvaluationError, _evaluation_problem)
    handle(Exception, _server_error)


def _unreadable(exc: FileUnreadable) -> ApiProblem:
    """A CSV body that is not a table (empty, ragged): its text is fine, its content not."""
    return ApiProblem(
        422, "invalid-returns", f"Nothing was imported: {exc}", [FieldError(str(exc))]
    )


def _evaluation_problem(exc: EvaluationError) -> ApiProblem:
    text = str(exc)
    name = next(
        (key for prefix, key in _EVALUATION_FIELDS.items() if text.startswith(prefix)), None
    )
    return ApiProblem(422, "invalid-request", text, [FieldError(text, field=name)])


_EVALUATION_FIELDS = {"unknown programme": "programmes", "unknown metric": "metrics"}
_EVALUATION_FIELDS["as of"] = "as_of"


def _server_error(exc: Exception) -> ApiProblem:
    logger.error("API request failed", exc_info=exc)
    return ApiProblem(500, "server-error", TYPES["server-error"][1])
