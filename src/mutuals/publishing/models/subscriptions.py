"""Who follows what: a :class:`Subscriber` (a signed-in person, or a member of the public
known only by an email address confirmed by double opt-in) and their
:class:`Subscription` rows, each following a programme, a provider or a kind of alert,
daily or weekly."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from mutuals.evaluation.models import AlertKind
from mutuals.registry.models import Organisation, Programme


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"


class Subscriber(models.Model):
    email = models.EmailField(unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="digest_subscriber",
    )
    confirmed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the address was confirmed; digests go only then."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class PendingSubscription(models.Model):
    """A member of the public's request, waiting for its confirmation link to be used.

    The link carries a random token; only its SHA-256 digest is stored here, so the link
    names no address (links end up in server logs) and the table alone cannot confirm
    anything. The row is deleted when it is used, and once it is out of date."""

    token_digest = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    request = models.JSONField(help_text="What to follow and how often, as asked.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"pending subscription {self.pk}"


class Target(models.TextChoices):
    PROGRAMME = "programme", "Programme"
    PROVIDER = "provider", "Provider"
    ALERT_KIND = "alert_kind", "Kind of alert"


class Subscription(models.Model):
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    target = models.CharField(max_length=12, choices=Target.choices)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    alert_kind = models.CharField(max_length=10, choices=AlertKind.choices, blank=True)
    frequency = models.CharField(max_length=6, choices=Frequency.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscriber", "target", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target="programme", programme__isnull=False, organisation__isnull=True)
                    & Q(alert_kind="")
                )
                | (
                    Q(target="provider", organisation__isnull=False, programme__isnull=True)
                    & Q(alert_kind="")
                )
                | (
                    Q(target="alert_kind", programme__isnull=True, organisation__isnull=True)
                    & ~Q(alert_kind="")
                ),
                name="subscription_names_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} follows {self.describe()} ({self.frequency})"

    def describe(self) -> str:
        if self.target == Target.PROGRAMME:
            return f"the {self.programme.name} programme"
        if self.target == Target.PROVIDER:
            return self.organisation.name
        return f"alerts: {AlertKind(self.alert_kind).label.lower()}"
