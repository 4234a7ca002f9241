"""What the returns upload page offers beside the upload itself: a CSV template with the
organisation's own code and every metric code, the rows an import left out (for the person
who sent them, for an hour), and the organisation's submission history.

The rejected rows never stay on disk: the importer writes them beside the upload in a
temporary folder, the view reads them before the folder is deleted, and they are kept in
Django's cache under a random key tied to the person, for :data:`REJECTS_SECONDS`."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Max, Min, Q
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.permissions import Viewer, visible, visible_observations
from mutuals.exports import neutralise_text
from mutuals.registry.models import Organisation
from mutuals.returns.models import Metric, Observation, Submission
from mutuals.returns.periods import quarter_from_index

TEMPLATE_COLUMNS = ("organisation", "metric", "period", "value", "numerator", "denominator")
REJECTS_SECONDS = 60 * 60
HISTORY_SHOWN = 20
_TOKEN_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def code_of(organisation: Organisation) -> str:
    """The identifier a returns file names the organisation by (empty when it has none)."""
    return organisation.ods_code or organisation.company_number or organisation.charity_number or ""


def example_period() -> str:
    """The last quarter to have ended, the one a return is usually due for."""
    today = timezone.localdate()
    return quarter_from_index(today.year * 4 + (today.month - 1) // 3 - 1)


def template_csv(organisation: Organisation) -> HttpResponse:
    """A returns file to fill in: a row per metric for the last quarter, values empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_COLUMNS)
    code, period = neutralise_text(code_of(organisation)), example_period()
    for metric_code in Metric.objects.order_by("name").values_list("code", flat=True):
        writer.writerow((code, neutralise_text(metric_code), period, "", "", ""))
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = (code or f"organisation-{organisation.pk}").lower()
    response["Content-Disposition"] = f'attachment; filename="returns-template-{name}.csv"'
    return response


def _rejects_key(request, organisation: Organisation, token: str) -> str:
    return f"mutuals:returns-rejects:{request.user.pk}:{organisation.pk}:{token}"


def keep_rejects(request, organisation: Organisation, rejects: bytes | None) -> str | None:
    """Keep the rejected rows for the person who sent them; the address to download them."""
    if not rejects:
        return None
    token = secrets.token_urlsafe(16)
    cache.set(_rejects_key(request, organisation, token), rejects, REJECTS_SECONDS)
    return f"{reverse('returns-upload', args=[organisation.pk])}?rejects={token}"


def rejects_download(request, organisation: Organisation, token: str) -> HttpResponse:
    if not token or len(token) > 64 or not set(token) <= _TOKEN_CHARACTERS:
        raise Http404("No rejected rows are kept under that link")
    rejects = cache.get(_rejects_key(request, organisation, token))
    if rejects is None:
        raise Http404("The rejected rows are kept for an hour: upload the file again")
    response = HttpResponse(rejects, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="returns-rejects.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@dataclass(frozen=True)
class PastSubmission:
    submission_id: int
    submitted_at: datetime | None
    who: object  # the user, when the viewer may see the submission's own record
    source: str
    filename: str
    rows: int  # this organisation's figures in it
    new_versions: int
    first_period: str
    last_period: str


def submission_history(viewer: Viewer, organisation: Organisation) -> list[PastSubmission]:
    """The latest submissions carrying this organisation's returns: its figures in each from
    the returns themselves (by the organisation's index); who sent it, when and the file's
    name only where the viewer may see the whole submission (a bulk load carries other
    organisations' returns too)."""
    own = visible_observations(viewer, Observation.objects.filter(organisation=organisation))
    counted = list(
        own.order_by()
        .values("submission_id")
        .annotate(
            rows=Count("pk"),
            new_versions=Count("pk", filter=Q(version__gt=1)),
            first_period=Min("period"),
            last_period=Max("period"),
        )
        .order_by("-submission_id")[:HISTORY_SHOWN]
    )
    ids = [row["submission_id"] for row in counted]
    records = {
        s.pk: s
        for s in visible(
            viewer, "submission", queryset=Submission.objects.filter(pk__in=ids)
        ).select_related("submitted_by")
    }
    sources = dict(Submission.Source.choices)
    history = []
    for row in counted:
        record = records.get(row["submission_id"])
        history.append(
            PastSubmission(
                submission_id=row["submission_id"],
                submitted_at=record.submitted_at if record else None,
                who=record.submitted_by if record else None,
                source=sources.get(record.source, record.source) if record else "",
                filename=record.filename if record else "",
                rows=row["rows"],
                new_versions=row["new_versions"],
                first_period=row["first_period"],
                last_period=row["last_period"],
            )
        )
    return history
