"""Sending a period's digests once, and only once, however often the command runs.

``send(frequency)`` finds (or makes) the :class:`DigestPeriod` row of the last complete
day or week. The recipients are planned once, in the transaction that makes the row: one
:class:`Delivery` per confirmed subscriber then following something at that frequency
(someone who confirms later starts with the next period). Each delivery is then claimed, sent and marked in transactions of its
own, so a second run, or a run after a crash, only sends what is still ``pending`` (or
``failed``: the mail server refused it, so nothing was delivered).

**At most once.** A delivery is marked ``sending`` before its message goes to the mail
server and ``sent`` right after. An error raised while sending (the server refused, the
connection dropped, the run was interrupted) puts it back to be retried, up to
:data:`MAX_ATTEMPTS` attempts; an address refused that often is ``given_up`` and reported,
so one bad address cannot keep a period open (and the scheduler retrying) for ever. A
period is complete once no delivery is waiting to be tried. Only if the
process dies outright between the server accepting a message and the ``sent`` mark — a
window of one database update — is it left ``sending``; it is then reported and never
resent, because a second copy of a digest is worse than none. Each message also carries
a Message-ID fixed per period and recipient, so mail systems can drop a copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from mutuals.publishing import periods
from mutuals.publishing.digest_content import DigestContent, Memo, content_for
from mutuals.publishing.errors import MailServerUnreachable
from mutuals.publishing.models import (
    Delivery,
    DeliveryStatus,
    DigestPeriod,
    Subscriber,
)
from mutuals.publishing.periods import Period
from mutuals.publishing.subscriptions import unsubscribe_url

logger = logging.getLogger(__name__)
RETRY = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
MAX_ATTEMPTS = 5


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


def _claim(delivery_id: int) -> bool:
    """Mark a delivery ``sending`` unless another run has: one conditional update."""
    claimed = Delivery.objects.filter(pk=delivery_id, status__in=RETRY).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1
    )
    return claimed == 1


def _mark(delivery_id: int, status: str, error: str = "") -> None:
    fields = {"status": status, "error": error[:2000]}
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = timezone.now()
    Delivery.objects.filter(pk=delivery_id).update(**fields)


def message_for(
    subscriber: Subscriber, content: DigestContent, record: DigestPeriod, connection=None
) -> EmailMultiAlternatives:
    base = settings.PUBLIC_BASE_URL
    unsubscribe = unsubscribe_url(subscriber)
    context = {"content": content, "base": base, "unsubscribe": unsubscribe}
    period = content.period
    subject = f"Mutuals {period.frequency} digest: {period.label}"
    domain = urlsplit(base).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("mutuals/publishing/email/digest.txt", context),
        to=[subscriber.email],
        connection=connection,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": f"<digest-{record.pk}-{subscriber.pk}@{domain}>",
        },
    )
    message.attach_alternative(
        render_to_string("mutuals/publishing/email/digest.html", context), "text/html"
    )
    return message


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
    deliveries = list(
        Delivery.objects.filter(period=record).order_by("pk").values_list("pk", "status")
    )
    todo = [pk for pk, status in deliveries if status in RETRY]
    summary.already_done = sum(
        status in (DeliveryStatus.SENT, DeliveryStatus.EMPTY) for _, status in deliveries
    )
    summary.uncertain = sum(status == DeliveryStatus.SENDING for _, status in deliveries)
    summary.given_up = sum(status == DeliveryStatus.GIVEN_UP for _, status in deliveries)
    connection = get_connection(fail_silently=False)
    memo = Memo()
    try:
        for done, delivery_id in enumerate(todo, start=1):
            _connect(connection)  # one connection for the run, reopened after a failure
            _deliver(delivery_id, record, period, connection, summary, memo)
            if progress:
                progress(done, len(todo))
    finally:
        connection.close()
    # Sent, empty, given up, or left mid-send (never resent): nothing more to try.
    if not Delivery.objects.filter(period=record, status__in=RETRY).exists():
        DigestPeriod.objects.filter(pk=record.pk, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )
    return summary


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


def _deliver(delivery_id, record, period, connection, summary: RunSummary, memo: Memo) -> None:
    if not _claim(delivery_id):
        return  # another run took it
    delivery = Delivery.objects.select_related("subscriber").get(pk=delivery_id)
    try:
        content = content_for(delivery.subscriber, period, memo)
        if content.is_empty:
            _mark(delivery_id, DeliveryStatus.EMPTY)
            summary.empty += 1
            return
        sent = message_for(delivery.subscriber, content, record, connection).send()
        if not sent:
            raise RuntimeError("the mail backend accepted no message")
    except Exception as error:  # refused or unreachable: nothing delivered, retry later
        connection.close()  # a broken connection is not reused
        given_up = delivery.attempts >= MAX_ATTEMPTS
        logger.warning(
            "digest delivery %s failed (attempt %s of %s%s): %s",
            delivery_id,
            delivery.attempts,
            MAX_ATTEMPTS,
            ", given up" if given_up else "",
            error,
        )
        status = DeliveryStatus.GIVEN_UP if given_up else DeliveryStatus.FAILED
        _mark(delivery_id, status, f"{type(error).__name__}: {error}")
        if given_up:
            summary.given_up += 1
        else:
            summary.failed += 1
        summary.errors.append(f"{delivery.subscriber.email}: {error}")
        return
    except BaseException:  # interrupted before the server took it: release the claim
        _mark(delivery_id, DeliveryStatus.PENDING)
        raise
    _mark(delivery_id, DeliveryStatus.SENT)
    summary.sent += 1
