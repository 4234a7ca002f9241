"""The metric catalogue and the returns providers submit against it.

Observations are never overwritten: a resubmission adds a new version and
marks it current; the earlier versions stay, so every figure ever reported can
be traced to the submission that carried it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Value, When

from mutuals.registry.models import Organisation


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher", "Higher is better"
    LOWER_IS_BETTER = "lower", "Lower is better"
    NEUTRAL = "neutral", "Neither"


class Domain(models.TextChoices):
    COST = "cost", "Cost"
    ACTIVITY = "activity", "Activity"
    QUALITY = "quality", "Quality"
    EXPERIENCE = "experience", "Experience"
    WORKFORCE = "workforce", "Workforce"
    FINANCE = "finance", "Finance"
    OUTCOME = "outcome", "Outcome"


class Metric(models.Model):
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    unit = models.CharField(max_length=40, help_text="For example '%', 'days', '£ per contact'.")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    domain = models.CharField(max_length=12, choices=Domain.choices)
    description = models.TextField(blank=True)
    allows_negative = models.BooleanField(
        default=False, help_text="Whether a value below zero can be real (a surplus or deficit)."
    )

    class Meta:
        ordering = ["domain", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class Submission(models.Model):
    """One accepted file or API call: the unit in which returns arrive."""

    class Source(models.TextChoices):
        UPLOAD = "upload", "Web upload"
        API = "api", "API"
        CLI = "cli", "Command line"
        DEMO = "demo", "Synthetic demo data"

    submitted_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    filename = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"Submission {self.pk} ({self.get_source_display()}, {self.row_count} rows)"


class SubmissionOrganisation(models.Model):
    """An organisation whose returns a submission carried.

    Who may see a submission depends on whose returns it carried, and a bulk import carries
    thousands of organisations' millions of rows: these few rows answer that without an
    index of every observation by its submission, which would cost a big import a sixth
    of its time."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="carried")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "organisation"], name="one_row_per_carried_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"Submission {self.submission_id} carried organisation {self.organisation_id}"


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "Quarter"
    MONTH = "month", "Month"
    YEAR = "year", "Financial year"


class Observation(models.Model):
    # Observations are the one table that grows by millions of rows. The unique
    # constraints below index these columns, so separate indexes would only slow
    # bulk imports; and the foreign keys are kept by Django (PROTECT) and by the
    # importer, which resolves every id inside the load's own transaction, rather
    # than by database triggers, which on PostgreSQL cost four fifths of a bulk
    # load's time.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    metric = models.ForeignKey(
        Metric, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    period = models.CharField(max_length=8, help_text="2011-Q2, 2011-06 or 2011/12.")
    period_start = models.DateField()
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    value = models.FloatField()
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    submission = models.ForeignKey(
        Submission,
        on_delete=models.PROTECT,
        related_name="observations",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        ordering = ["organisation_id", "metric_id", "period_start", "version"]
        # No index by submission: which organisations a submission carried is kept in
        # SubmissionOrganisation, and a submission's rows are found by those organisations.
        # One unique index keeps the rules that matter: at most one current version of an
        # observation, and no two earlier versions with one number. The current version is
        # indexed under -1 (below every version the check allows), the earlier ones under
        # their own numbers; the loader numbers each new version one above the version it
        # retires. Two indexes (one per rule, as before) cost a national import a fifth of
        # its copying and the table a quarter of its size. Lookups by organisation, metric
        # and period use the index's first three columns.
        constraints = [
            models.UniqueConstraint(
                F("organisation"),
                F("metric"),
                F("period"),
                Case(
                    When(is_current=True, then=Value(-1)),
                    default=F("version"),
                    output_field=models.IntegerField(),
                ),
                name="one_current_version_and_distinct_versions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.metric_id} {self.period} v{self.version}"


class CurrentObservationManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(is_current=True)


class CurrentObservation(Observation):
    """The latest version of each observation: what dashboards and evaluations read."""

    objects = CurrentObservationManager()

    class Meta:
        proxy = True


class ReturnsSummary(models.Model):
    """Figures about all current returns, kept under the version of the returns they were
    read from (:mod:`mutuals.returns.summary`), so pages need not read every return."""

    key = models.CharField(max_length=40, unique=True)
    version = models.CharField(max_length=60)
    payload = models.JSONField()
    made_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Returns summary {self.key} at version {self.version}"
