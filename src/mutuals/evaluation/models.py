"""What the workbench computes and keeps: evaluation runs, their results, and monitoring alerts.

An :class:`EvaluationRun` records everything needed to reproduce it: the
configuration, the code version and a fingerprint of the exact data it read.
Its :class:`EvaluationResult` rows are the impact estimates shown on pages and
in reports. :class:`Alert` rows are the special-cause concerns and failing
assurances that statistical process control finds in providers' returns.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from mutuals.registry.models import Organisation, Programme
from mutuals.returns.models import Metric


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


class EvaluationRun(models.Model):
    """One impact evaluation over some programmes and metrics, reproducible from its record."""

    created_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    configuration = models.JSONField(
        default=dict, help_text="Programmes, metrics, as-of period and estimator settings."
    )
    code_version = models.CharField(max_length=40, blank=True)
    fingerprint = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="SHA-256 of the configuration, the code version and every value read.",
    )
    steps_done = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    multiplicity = models.JSONField(
        default=dict,
        blank=True,
        help_text="The run's multiplicity control: method, tests made, findings, interval level.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Evaluation run {self.pk} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("evaluation-run", args=[self.pk])

    @property
    def progress_percent(self) -> int:
        if not self.steps_total:
            return 100 if self.status == RunStatus.DONE else 0
        return round(100 * self.steps_done / self.steps_total)


class EvaluationStep(models.Model):
    """One programme × metric of a run: its estimates, once made, and a digest of the data
    it read. Steps are independent, so any worker can make any of them; the run gathers them
    in order once all are done (:mod:`mutuals.evaluation.services`)."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveIntegerField(help_text="The step's place in the run's order.")
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE)
    done = models.BooleanField(default=False)
    estimates = models.JSONField(default=list, blank=True)
    digest = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of every value this step read."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="one_step_per_place")]

    def __str__(self) -> str:
        return f"Run {self.run_id} step {self.index}"


class Method(models.TextChoices):
    DID = "did", "Difference-in-differences (Callaway and Sant'Anna)"
    SYNTH = "synth", "Synthetic control"


class Verdict(models.TextChoices):
    """What an impact result says (see :mod:`mutuals.engine.power`)."""

    IMPROVED = "improved", "Improved"
    WORSENED = "worsened", "Worsened"
    INCREASED = "increased", "Increased"
    DECREASED = "decreased", "Decreased"
    NO_IMPORTANT_EFFECT = "no_important_effect", "No effect that matters"
    INCONCLUSIVE = "inconclusive", "Inconclusive"
    TOO_EARLY = "too_early", "Too early to assess"
    CANNOT_ASSESS = "cannot_assess", "Cannot be assessed"


class EvaluationResult(models.Model):
    """One estimated effect: a programme cohort (DiD) or a single provider (synthetic control)."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT)
    cohort = models.CharField(max_length=8, help_text="First treated quarter, e.g. 2011-Q2.")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT)
    method = models.CharField(max_length=8, choices=Method.choices)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="The single treated provider, for synthetic control.",
    )
    treated_units = models.PositiveIntegerField()
    comparison_units = models.PositiveIntegerField()
    pre_periods = models.PositiveIntegerField()
    post_periods = models.PositiveIntegerField()
    att = models.FloatField(
        null=True,
        blank=True,
        help_text="Average effect on the treated, in the metric's unit (none if not estimated).",
    )
    se = models.FloatField(null=True, blank=True)
    ci_low = models.FloatField(
        null=True, blank=True, help_text="Interval after the run's multiplicity control."
    )
    ci_high = models.FloatField(null=True, blank=True)
    ci_level = models.FloatField(
        null=True, blank=True, help_text="Confidence level of ci_low to ci_high, e.g. 0.99."
    )
    p_value = models.FloatField(null=True, blank=True)
    p_value_adjusted = models.FloatField(
        null=True, blank=True, help_text="Benjamini–Hochberg adjusted p-value within the run."
    )
    mde = models.FloatField(null=True, blank=True, help_text="Minimum detectable effect.")
    verdict = models.CharField(max_length=24, choices=Verdict.choices)
    reason = models.TextField(blank=True, help_text="Why the verdict is what it is, in words.")
    below_threshold = models.BooleanField(
        default=False,
        help_text="Improved or worsened, but by less than the smallest effect that matters.",
    )
    assessable_from = models.CharField(max_length=8, blank=True)
    grade = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Maryland Scientific Methods Scale level."
    )
    grade_reasons = models.JSONField(default=list)
    details = models.JSONField(
        default=dict, help_text="Event study, weights, pre-trend test: what the charts draw."
    )

    class Meta:
        ordering = ["run", "programme", "cohort", "metric", "organisation"]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.cohort} {self.metric_id}: {self.verdict}"


class AlertKind(models.TextChoices):
    SPECIAL_CAUSE_CONCERN = "concern", "Special cause of concern"
    FAILING_ASSURANCE = "failing", "Consistently failing the target"


class Alert(models.Model):
    """A signal from statistical process control that a provider's series needs attention."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="alerts")
    metric = models.ForeignKey(Metric, on_delete=models.PROTECT)
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    period = models.CharField(max_length=8, help_text="The period the signal was found in.")
    rule = models.CharField(
        max_length=40, help_text="The special-cause rule or assurance test that fired."
    )
    value = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    is_open = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["organisation", "metric", "-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "metric", "kind", "period", "rule"],
                name="one_alert_per_signal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.organisation_id} {self.metric_id} {self.period}"
