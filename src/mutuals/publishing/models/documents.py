"""Report PDFs kept in the database, so that no request ever typesets one and whichever
worker, on whichever host, made a PDF, every web process can serve it.

- :class:`RenderedPdf` is the PDF of a published version's frozen report, stored under the
  SHA-256 of the exact HTML it was typeset from (the version's document, with the
  withdrawal notice when that version was withdrawn): identical HTML is typeset and stored
  once. A row without ``pdf`` is one queued for the workers.
- :class:`ReportJob` is a live report's PDF (the portfolio report, a provider's scorecard)
  that someone asked for: built by a worker from the data of that moment and kept a day.
  Its id is random, so it cannot be guessed, and every look at it applies the report's own
  permission rule again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from mutuals.evaluation.models import EvaluationRun
from mutuals.registry.models import Organisation


class RenderedPdf(models.Model):
    sha256 = models.CharField(
        max_length=64, primary_key=True, help_text="SHA-256 of the HTML the PDF was made from."
    )
    pdf = models.BinaryField(null=True, blank=True)
    requested_at = models.DateTimeField(help_text="When it was last queued for the workers.")
    made_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "rendered PDF"

    def __str__(self) -> str:
        return f"PDF {self.sha256[:12]}"


class ReportKind(models.TextChoices):
    PORTFOLIO = "portfolio", "The portfolio report"
    SCORECARD = "scorecard", "A provider's scorecard"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Being made"
    DONE = "done", "Ready"
    FAILED = "failed", "Could not be made"


class ReportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=ReportKind.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(null=True, blank=True, help_text="Blank: the report's default.")
    run = models.ForeignKey(
        EvaluationRun, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(
        max_length=64, db_index=True, help_text="Kind, subject, as-of and run: for reuse."
    )
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=100, blank=True)
    html_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of its HTML, the time it was made left out."
    )
    pdf = models.BinaryField(null=True, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} PDF ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
