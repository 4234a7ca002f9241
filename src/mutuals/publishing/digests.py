"""Sending a period's digests once, and only once, however often the command runs.

``send(frequency)`` finds (or makes) the :class:`DigestPeriod` row of the last complete
day or week. The recipients are planned once, in the transaction that makes the row: one
:class:`Delivery` per confirmed subscriber then following something at that frequency
(someone who confirms later starts with the next period). What is still to send is then
taken in batches of :data:`BATCH`: a batch is claimed in one update, its subscribers and
what they follow are read in two queries, each digest is composed (each distinct digest
rendered once: :mod:`~mutuals.publishing.digest_mail`) and sent over the run's one SMTP
connection, and the batch's outcomes are marked in one update per outcome. A second run,
or a run after a crash, only sends what is still ``pending`` (or ``failed``: the mail
server refused it, so nothing was delivered).

**At most once.** A batch is marked ``sending`` before any of its messages goes to the
mail server — in one conditional update that stamps it with a token of its own, so two
runs at once never share a delivery — and marked ``sent`` when the batch is through. An
error raised while sending one message (the server refused it, the connection dropped)
puts that one back to be retried, up to :data:`MAX_ATTEMPTS` attempts; an address refused
that often is ``given_up`` and reported, so one bad address cannot keep a period open (and
the scheduler retrying) for ever. A run interrupted mid-batch (the mail server
unreachable, the worker stopped) marks what it sent ``sent`` and puts the rest of the
batch back. Only if the process dies outright mid-batch (killed, or its machine lost) is
the batch left ``sending``, messages sent and not yet tried alike; they are then reported
and never resent, because a second copy of a digest is worse than none — at most
:data:`BATCH` recipients may miss that period, and the mail server's log, searched for
their Message-IDs, says which did get it. Each message carries a Message-ID fixed per
period and recipient, so mail systems can drop a copy. A period is complete once no
delivery is waiting to be tried.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mutuals.publishing import periods
from mutuals.publishing.digest_content import (
    Memo,
    content_for,
    subscriptions_by_subscriber,
    viewers_of,
)
from mutuals.publishing.digest_mail import Composer, message_for
from mutuals.publishing.errors import MailServerUnreachable
from mutuals.publishing.models import (
    Delivery,
    DeliveryStatus,
    DigestPeriod,
    Subscriber,
)
from mutuals.publishing.periods import Period

logger = logging.getLogger(__name__)
RETRY = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
MAX_ATTEMPTS = 5
BATCH = 200

__all__ = ["BATCH", "MAX_ATTEMPTS", "RunSummary", "message_for", "period_record", "send"]


@dataclass
class RunSummary:
    period: Period
    sent: int = 0
    empty: int = 0
    failed: int = 0
    already_done: int = 0
    uncertain: int = 0
    given_up: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = [
            f"{self.period.frequency} digest for {self.period.label}: {self.sent} sent",
            f"{self.empty} with nothing to tell",
            f"{self.failed} refused by the mail server (retried next run)",
            f"{self.already_done} already done",
        ]
        text = ", ".join(parts)
        if self.given_up:
            text += (
                f"; {self.given_up} given up after {MAX_ATTEMPTS} refused attempts "
                "(check those addresses)"
            )
        if self.uncertain:
            text += (
                f"; {self.uncertain} left mid-send by an earlier run that stopped, not resent "
                "(check the mail server's log)"
            )
        return text


def period_record(period: Period) -> tuple[DigestPeriod, bool]:
    """The period's row; made with its recipients planned, in one transaction."""
    with transaction.atomic():
        record, created = DigestPeriod.objects.get_or_create(
            frequency=period.frequency,
            starts_at=period.starts_at,
            defaults={"ends_at": period.ends_at},
        )
        if created:
            Delivery.objects.bulk_create(
                [Delivery(period=record, subscriber_id=pk) for pk in _recipients(period.frequency)]
            )
    return record, created


def _recipients(frequency: str):
    return (
        Subscriber.objects.filter(confirmed_at__isnull=False, subscriptions__frequency=frequency)
        .distinct()
        .values_list("pk", flat=True)
    )


@dataclass
class _Run:
    """What a run shares across its batches."""

    record: DigestPeriod
    period: Period
    summary: RunSummary
    connection: object  # the mail backend's, kept open across batches
    memo: Memo = field(default_factory=Memo)
    composer: Composer = field(init=False)

    def __post_init__(self):
        self.composer = Composer(self.record)


@dataclass(frozen=True)
class _Readers:
    """A batch's subscribers' subscriptions and roles, each read in one query."""

    subscriptions: dict[int, list]
    viewers: dict[int, object]


@dataclass
class _Outcomes:
    """What became of a batch's deliveries so far (the failed ones are marked at once)."""

    tried: set[int] = field(default_factory=set)
    sent: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def send(
    frequency: str,
    *,
    period: Period | None = None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Send ``frequency``'s digest of ``period`` (default: the last complete one)."""
    period = period or periods.last_complete(frequency, now)
    record, _ = period_record(period)
    summary = RunSummary(period)
    todo = _take_stock(record, summary)
    run = _Run(record, period, summary, get_connection(fail_silently=False))
    try:
        for start in range(0, len(todo), BATCH):
            _send_batch(run, todo[start : start + BATCH])
            if progress:
                progress(min(start + BATCH, len(todo)), len(todo))
    finally:
        run.connection.close()
    # Sent, empty, given up, or left mid-send (never resent): nothing more to try.
    if not Delivery.objects.filter(period=record, status__in=RETRY).exists():
        DigestPeriod.objects.filter(pk=record.pk, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )
    return summary


def _take_stock(record: DigestPeriod, summary: RunSummary) -> list[int]:
    """Count what earlier runs did; the deliveries still to try, in order."""
    deliveries = list(
        Delivery.objects.filter(period=record).order_by("pk").values_list("pk", "status")
    )
    summary.already_done = sum(
        status in (DeliveryStatus.SENT, DeliveryStatus.EMPTY) for _, status in deliveries
    )
    summary.uncertain = sum(status == DeliveryStatus.SENDING for _, status in deliveries)
    summary.given_up = sum(status == DeliveryStatus.GIVEN_UP for _, status in deliveries)
    return [pk for pk, status in deliveries if status in RETRY]


def _claim(delivery_ids: list[int]) -> list[Delivery]:
    """Mark the batch ``sending``, except what another run has taken, in one conditional
    update stamped with a token of this batch's own; the deliveries it took."""
    token = secrets.token_hex(16)
    Delivery.objects.filter(pk__in=delivery_ids, status__in=RETRY).update(
        status=DeliveryStatus.SENDING,
        claim=token,
        claimed_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    return list(
        Delivery.objects.filter(claim=token).select_related("subscriber__user").order_by("pk")
    )


def _send_batch(run: _Run, delivery_ids: list[int]) -> None:
    deliveries = _claim(delivery_ids)
    if not deliveries:
        return
    subscribers = [delivery.subscriber for delivery in deliveries]
    readers = _Readers(
        subscriptions_by_subscriber([s.pk for s in subscribers], run.period.frequency),
        viewers_of(subscribers),
    )
    outcomes = _Outcomes()
    try:
        for delivery in deliveries:
            _connect(run.connection)  # one connection for the run, reopened after a failure
            outcomes.tried.add(delivery.pk)
            _deliver(run, delivery, readers, outcomes)
    finally:
        _mark(deliveries, outcomes)


def _mark(deliveries: list[Delivery], outcomes: _Outcomes) -> None:
    """Record the batch: sent and empty ones in one update each; any left by an interruption
    back to ``pending``, those never tried without the attempt their claim counted."""
    now = timezone.now()
    batch = Delivery.objects.filter
    if outcomes.sent:
        batch(pk__in=outcomes.sent).update(status=DeliveryStatus.SENT, sent_at=now, error="")
    if outcomes.empty:
        batch(pk__in=outcomes.empty).update(status=DeliveryStatus.EMPTY, error="")
    finished = {*outcomes.sent, *outcomes.empty, *outcomes.failed}
    left = [d.pk for d in deliveries if d.pk not in finished]
    interrupted = [pk for pk in left if pk in outcomes.tried]
    untried = [pk for pk in left if pk not in outcomes.tried]
    if interrupted:  # stopped before the server took it
        batch(pk__in=interrupted).update(status=DeliveryStatus.PENDING, error="")
    if untried:
        batch(pk__in=untried).update(
            status=DeliveryStatus.PENDING, error="", attempts=F("attempts") - 1
        )


def _connect(connection) -> None:
    if getattr(connection, "connection", True) is not None:
        return  # open already (or a backend without connections)
    try:
        connection.open()
    except OSError as error:
        raise MailServerUnreachable(
            f"Cannot reach the mail server {settings.EMAIL_HOST}:{settings.EMAIL_PORT} "
            f"({error}); nothing more was sent. Check EMAIL_HOST and EMAIL_PORT, then run "
            "the command again: it carries on where it stopped."
        ) from error


def _deliver(run: _Run, delivery: Delivery, readers: _Readers, outcomes: _Outcomes) -> None:
    subscriber = delivery.subscriber
    try:
        content = content_for(
            subscriber,
            run.period,
            run.memo,
            readers.subscriptions[subscriber.pk],
            readers.viewers[subscriber.pk],
        )
        if content.is_empty:
            outcomes.empty.append(delivery.pk)
            run.summary.empty += 1
            return
        message = run.composer.message(delivery.subscriber, content, run.connection)
        _hand_over(message)
    except Exception as error:  # refused or unreachable: nothing delivered, retry later
        run.connection.close()  # a broken connection is not reused
        _refused(run.summary, delivery, error)
        outcomes.failed.append(delivery.pk)
        return
    outcomes.sent.append(delivery.pk)
    run.summary.sent += 1


def _hand_over(message: EmailMultiAlternatives) -> None:
    if not message.send():
        raise RuntimeError("the mail backend accepted no message")


def _refused(summary: RunSummary, delivery: Delivery, error: Exception) -> None:
    given_up = delivery.attempts >= MAX_ATTEMPTS
    logger.warning(
        "digest delivery %s failed (attempt %s of %s%s): %s",
        delivery.pk,
        delivery.attempts,
        MAX_ATTEMPTS,
        ", given up" if given_up else "",
        error,
    )
    status = DeliveryStatus.GIVEN_UP if given_up else DeliveryStatus.FAILED
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status, error=f"{type(error).__name__}: {error}"[:2000]
    )
    if given_up:
        summary.given_up += 1
    else:
        summary.failed += 1
    summary.errors.append(f"{delivery.subscriber.email}: {error}")
