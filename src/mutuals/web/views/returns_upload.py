"""The returns upload journey: choose a file, see every problem in it, fix, resubmit, done.

Validation is the one shared path, :func:`mutuals.returns.services.import_returns`; this
view only stores the upload, calls it, and shows what it says: 400 for a form or a file
with problems (no file, an empty one, one that is not CSV or XLSX, one the importer
refuses), 413 for one over ``UPLOAD_MAX_MB``."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from mutuals.accounts.permissions import allowed_in, viewer_for, visible
from mutuals.errors import FileUnreadable, ImportRejected
from mutuals.returns.models import Metric, Observation
from mutuals.returns.services import import_returns
from mutuals.web import returns_help
from mutuals.web.uploads import (
    TOO_LARGE,
    problems_context,
    refuse_if_too_large,
    saved_as_named,
)

SUFFIXES = {".csv", ".xlsx"}


class UploadForm(forms.Form):
    returns_file = forms.FileField(
        label="Returns file",
        help_text="A CSV or XLSX file with the columns organisation, metric, period and value",
        error_messages={
            "required": "Select a returns file",
            "empty": "The selected file is empty",
        },
    )

    skip_invalid = forms.BooleanField(
        label="Import the rows without problems, and give me the others to fix",
        help_text="Otherwise nothing is imported while any row has a problem",
        required=False,
    )

    def clean_returns_file(self):
        upload = self.cleaned_data["returns_file"]
        if Path(upload.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError("The selected file must be a CSV or XLSX file")
        return upload


def upload_returns(request, pk: int):
    viewer = viewer_for(request)
    organisation = get_object_or_404(visible(viewer, "organisation"), pk=pk)
    if not allowed_in(viewer, "create", "submission", organisation.pk):
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("template") == "csv":
        return returns_help.template_csv(organisation)
    if request.method == "GET" and "rejects" in request.GET:
        return returns_help.rejects_download(request, organisation, request.GET["rejects"])
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None)
    context = {
        "organisation": organisation,
        "form": form,
        "code": returns_help.code_of(organisation),
        "metrics": Metric.objects.order_by("name"),
        "template_period": returns_help.example_period(),
        "history": returns_help.submission_history(viewer, organisation),
        "breadcrumbs": [
            ("Home", reverse("home")),
            ("Organisations", reverse("organisations")),
            (organisation.name, organisation.get_absolute_url()),
        ],
    }
    if posted and refuse_if_too_large(request, form, "returns_file"):
        return render(request, "mutuals/returns/upload.html", context, status=TOO_LARGE)
    if posted and form.is_valid():
        upload = form.cleaned_data["returns_file"]
        try:
            skip_invalid = form.cleaned_data["skip_invalid"]
            report, rejects = _import(upload, request.user, organisation.pk, skip_invalid)
        except ImportRejected as rejected:
            context.update(problems_context(rejected.problems, rejected.rows, "id_returns_file"))
            return render(request, "mutuals/returns/upload.html", context, status=400)
        except FileUnreadable as error:
            form.add_error("returns_file", f"The file could not be read: {error}")
            return render(request, "mutuals/returns/upload.html", context, status=400)
        versions = Observation.objects.filter(
            organisation=organisation, submission_id=report.submission_id
        )
        context.update(
            report=report,
            rejects_href=returns_help.keep_rejects(request, organisation, rejects),
            rejected_rows=len({problem.row for problem in report.problems}),
            versions=list(
                versions.select_related("metric").order_by("metric__name", "period_start")[:50]
            ),
        )
        return render(request, "mutuals/returns/upload_done.html", context)
    return render(request, "mutuals/returns/upload.html", context, status=400 if posted else 200)


def _import(upload, user, organisation_id: int, skip_invalid: bool):
    """The import's report, and the rejected rows' CSV (None when none were rejected): the
    importer writes it beside the upload, in a folder deleted once it is read."""
    with saved_as_named(upload) as path:
        report = import_returns(
            path,
            skip_invalid=skip_invalid,
            source="upload",
            user=user,
            filename=Path(upload.name).name,
            organisation_ids=[organisation_id],
        )
        rejects = report.rejects_path.read_bytes() if report.rejects_path else None
    return report, rejects
