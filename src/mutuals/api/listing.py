"""Paging and the filters lists share: organisation, programme, metric and period range.

Every list is ordered by a unique key (usually the id), read ``limit`` at a time from
``offset``, and links to the next and previous pages; it does not count every
match, so a page of a national world's millions of returns costs one indexed read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.db.models import Q, QuerySet
from ninja import Schema
from pydantic import Field

from mutuals.api.errors import ApiProblem, FieldError
from mutuals.registry.models import Organisation
from mutuals.returns.periods import PeriodError, parse_period

MAX_LIMIT = 1000
ORGANISATION = r"^[A-Za-z0-9-]{1,20}$"
CODE = r"^[-a-zA-Z0-9_]{1,60}$"
PERIOD = r"^[1-9]\d{3}(-[Qq][1-4]|-(0[1-9]|1[0-2])|/\d{2})$"


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}.")
    offset: int = Field(0, ge=0, le=10**9, description="Items to skip.")


class OrganisationFilter(Schema):
    organisation: str | None = Field(
        None,
        pattern=ORGANISATION,
        description="An organisation's id, or its ODS code, Companies House number or "
        "charity number (an identifier wins when both match).",
    )


class ProgrammeFilter(Schema):
    programme: str | None = Field(None, pattern=CODE, description="A programme's code.")


class MetricFilter(Schema):
    metric: str | None = Field(None, pattern=CODE, description="A metric's code.")


class PeriodFilter(Schema):
    period_from: str | None = Field(
        None,
        pattern=PERIOD,
        description="Only periods starting on or after this period's start (2011-Q2, "
        "2011-06 or 2011/12).",
    )
    period_to: str | None = Field(
        None,
        pattern=PERIOD,
        description="Only periods starting before this period's end.",
    )


def page(
    request,
    queryset: QuerySet,
    params: PageParams,
    serialize: Callable[[Any], dict] = lambda item: item,
) -> dict:
    """One page of ``queryset`` (already ordered by a unique key)."""
    window = list(queryset[params.offset : params.offset + params.limit + 1])
    more = len(window) > params.limit
    return {
        "results": [serialize(item) for item in window[: params.limit]],
        "limit": params.limit,
        "offset": params.offset,
        "next": _link(request, params.offset + params.limit) if more else None,
        "previous": (
            _link(request, max(0, params.offset - params.limit)) if params.offset > 0 else None
        ),
    }


def _link(request, offset: int) -> str:
    query = request.GET.copy()
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def organisation_ids(text: str) -> list[int]:
    """The organisation(s) a filter names: by identifier, else by id."""
    code = text.strip().upper()
    found = list(
        Organisation.objects.filter(
            Q(ods_code=code) | Q(company_number=code) | Q(charity_number=code)
        ).values_list("pk", flat=True)
    )
    if not found and code.isdigit() and len(code) <= 18:
        found = [int(code)]
    return found


def by_organisation(queryset: QuerySet, text: str | None, *lookups: str) -> QuerySet:
    """``queryset`` narrowed to rows any of whose ``lookups`` names the organisation."""
    if not text:
        return queryset
    ids = organisation_ids(text)
    condition = Q(pk__in=[])
    for lookup in lookups:
        condition |= Q(**{f"{lookup}__in": ids})
    return queryset.filter(pk__in=queryset.model.objects.filter(condition).values("pk"))


def period_bounds(filters: PeriodFilter) -> tuple[dt.date | None, dt.date | None]:
    """[start of period_from, end of period_to): the dates a period must start within."""
    start = end = None
    if filters.period_from:
        start = _parse("period_from", filters.period_from).start
    if filters.period_to:
        last = _parse("period_to", filters.period_to)
        months = {"month": 1, "quarter": 3, "year": 12}[last.kind]
        index = last.start.year * 12 + last.start.month - 1 + months
        end = dt.date(index // 12, index % 12 + 1, 1) if index // 12 <= dt.MAXYEAR else None
    if start and end and start >= end:
        raise ApiProblem(
            422,
            "invalid-request",
            "period_from is after period_to: swap them.",
            [FieldError("period_from must not come after period_to", field="period_from")],
        )
    return start, end


def _parse(name: str, text: str):
    try:
        return parse_period(text)
    except (PeriodError, ValueError) as error:
        raise ApiProblem(
            422, "invalid-request", f"{name}: {error}", [FieldError(str(error), field=name)]
        ) from None


def periods_within(labels: Iterable[str], start: dt.date | None, end: dt.date | None) -> list[str]:
    """Of ``labels`` (period labels), those starting within [start, end)."""
    kept = []
    for label in labels:
        try:
            begins = parse_period(label).start
        except PeriodError:
            continue
        if (start is None or begins >= start) and (end is None or begins < end):
            kept.append(label)
    return kept


def refuse_unknown_parameters(view_func):
    """Refuse query parameters the operation does not take, so a misspelt filter
    (``organization=``) is named rather than silently ignored."""
    allowed: set[str] = set()
    for model in view_func._ninja_operation.models:
        if model.__ninja_param_source__ == "query":
            allowed |= set(getattr(model, "__ninja_flatten_map__", None) or model.model_fields)

    @wraps(view_func)
    def checked(request, *args, **kwargs):
        unknown = sorted(set(request.GET) - allowed)
        if unknown:
            known = ", ".join(sorted(allowed)) or "none"
            raise ApiProblem(
                422,
                "invalid-request",
                f"Unknown parameter(s) {', '.join(unknown)}: this operation takes {known}.",
                [FieldError("not a parameter of this operation", field=name) for name in unknown],
            )
        return view_func(request, *args, **kwargs)

    return checked
