"""Digest runs, made idempotent: one :class:`DigestPeriod` per frequency and period, one
:class:`Delivery` per subscriber in it.

A delivery moves ``pending`` → ``sending`` (claimed, with the rest of its batch, in one
update that stamps them with the run's ``claim`` token) → ``sent``
(or ``empty`` when there was nothing to tell, or ``failed`` when the mail server refused
it, which the next run retries; after the digests module's ``MAX_ATTEMPTS`` refusals it
is ``given_up`` and reported). A run killed outright mid-batch leaves that batch's
deliveries ``sending`` (sent or not); later runs never resend them (at most once).
"""

from __future__ import annotations

from django.db import models

from mutuals.publishing.models.subscriptions import Frequency, Subscriber


class DigestPeriod(models.Model):
    frequency = models.CharField(max_length=6, choices=Frequency.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "frequency"]
        constraints = [
            models.UniqueConstraint(fields=["frequency", "starts_at"], name="one_digest_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.frequency} digest from {self.starts_at:%Y-%m-%d}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Handed to the mail server (outcome unknown)"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing to send"
    FAILED = "failed", "Refused by the mail server; retried next run"
    GIVEN_UP = "given_up", "Refused on every attempt; given up"


class Delivery(models.Model):
    period = models.ForeignKey(DigestPeriod, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(
        max_length=32, blank=True, db_index=True, help_text="The batch that claimed it last."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["period", "subscriber"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "subscriber"], name="one_delivery_per_subscriber"
            )
        ]

    def __str__(self) -> str:
        return f"{self.period} to {self.subscriber_id}: {self.status}"
