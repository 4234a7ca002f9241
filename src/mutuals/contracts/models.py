"""Contracts between commissioners and spin-out providers, with what they set out to achieve.

The fields follow the questions the National Audit Office asked of the Right to
Request contracts: were there measurable objectives, was a saving required
beyond what the service would have achieved in-house, was the in-house
baseline recorded, were extra benefits contracted, is there a plan if the
provider fails, and how will the contract be evaluated.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from mutuals.registry.models import Organisation, Service
from mutuals.returns.models import Metric


class ContractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    TERMINATED = "terminated", "Terminated early"


class Contract(models.Model):
    reference = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="contracts_held"
    )
    commissioners = models.ManyToManyField(Organisation, related_name="contracts_commissioned")
    services = models.ManyToManyField(Service, blank=True, related_name="contracts")
    start_date = models.DateField()
    end_date = models.DateField()
    annual_value = models.DecimalField(
        "annual value (£)",
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(max_length=12, choices=ContractStatus.choices, db_index=True)
    savings_requirement_pct = models.DecimalField(
        "savings required beyond the counterfactual (% a year)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Real-terms saving required over and above what the in-house service "
        "would have achieved. Empty when the contract requires none.",
    )
    extra_benefits = models.TextField(
        "extra benefits (social value)",
        blank=True,
        help_text="Social value the provider is contracted to deliver, if any.",
    )
    social_value_weight_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Weight given to social value when the contract was awarded.",
    )
    continuity_plan = models.TextField(
        "continuity and exit plan",
        blank=True,
        help_text="How services continue if the provider fails or the contract ends.",
    )
    evaluation_plan = models.TextField(blank=True)

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("contract", args=[self.pk])


class Baseline(models.Model):
    """The in-house service at spin-out: what the counterfactual starts from."""

    contract = models.OneToOneField(Contract, on_delete=models.CASCADE, related_name="baseline")
    annual_cost = models.DecimalField("annual cost (£)", max_digits=14, decimal_places=2)
    annual_activity = models.DecimalField(max_digits=14, decimal_places=2)
    activity_unit = models.CharField(max_length=60, help_text="For example 'contacts'.")
    quality_metric = models.ForeignKey(
        Metric, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quality_value = models.FloatField(null=True, blank=True)
    price_year = models.PositiveSmallIntegerField(
        help_text="Financial year the costs are priced in, given by its first calendar year."
    )

    def __str__(self) -> str:
        return f"Baseline of {self.contract_id} ({self.price_year} prices)"

    @property
    def unit_cost(self):
        return self.annual_cost / self.annual_activity if self.annual_activity else None


class ObjectiveDirection(models.TextChoices):
    INCREASE = "increase", "Increase to at least"
    DECREASE = "decrease", "Reduce to at most"
    MAINTAIN = "maintain", "Maintain at"


class Objective(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="objectives")
    description = models.CharField(max_length=300)
    metric = models.ForeignKey(Metric, null=True, blank=True, on_delete=models.PROTECT)
    direction = models.CharField(max_length=10, choices=ObjectiveDirection.choices)
    target = models.FloatField(null=True, blank=True)
    deadline = models.DateField(null=True, blank=True)
    measurement = models.TextField(
        blank=True, help_text="How and from what data achievement will be measured."
    )

    class Meta:
        ordering = ["contract", "deadline", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_measurable(self) -> bool:
        """A metric, a target and a deadline: the NAO's minimum for a measurable objective."""
        return self.metric_id is not None and self.target is not None and self.deadline is not None


class RelationshipStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the provider to confirm"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class CommissioningRelationship(models.Model):
    """Whether a provider accepts a commissioner as one of its commissioners.

    Anyone holding a commissioner's role can record a contract naming any provider, so the
    contract alone cannot open the provider's returns, scorecards and alerts to them: the
    first contract linking the two asks the provider, and only a relationship its managers
    (or an auditor) confirmed gives access, for as long as a contract still links them. One
    row per commissioner and provider, however many contracts they share."""

    commissioner = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="provider_relationships"
    )
    provider = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="commissioner_relationships"
    )
    status = models.CharField(
        max_length=10,
        choices=RelationshipStatus.choices,
        default=RelationshipStatus.PENDING,
        db_index=True,
    )
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when an import or the back office recorded the contract.",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(
        max_length=200,
        blank=True,
        help_text="How it was confirmed when no one answered a request (before confirmation "
        "was asked for, or in the demo).",
    )

    class Meta:
        ordering = ["provider__name", "commissioner__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["commissioner", "provider"], name="one_relationship_per_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.commissioner} commissioning {self.provider} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == RelationshipStatus.PENDING
