"""Following programmes, providers and kinds of alert, daily or weekly.

A signed-in person follows at once, under their account's email address. A member of the
public gives an email address and is sent a confirmation link (double opt-in). The link
carries only a random token: the request waits in a :class:`PendingSubscription` row
stored under the token's digest, so neither the link nor the server's logs name the
address (links last :data:`CONFIRM_DAYS` days and work once). Confirmation emails are
rate-limited — one per address per hour, :data:`CONFIRMATIONS_PER_CLIENT` per client
address per hour — and the page says the same either way, so it reveals nothing. Every
digest carries a signed one-click link that stops all of that address's subscriptions.

Alerts are read from providers' returns, which are not published, so only signed-in people
may follow kinds of alert.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from mutuals.evaluation.models import AlertKind
from mutuals.publishing.errors import SubscriptionError
from mutuals.publishing.models import (
    Frequency,
    PendingSubscription,
    Subscriber,
    Subscription,
    Target,
)
from mutuals.registry.models import Organisation, OrganisationKind, Programme

logger = logging.getLogger(__name__)
UNSUBSCRIBE_SALT = "mutuals.publishing.unsubscribe"
CONFIRM_DAYS = 7
RATE_WINDOW_SECONDS = 3600
CONFIRMATIONS_PER_ADDRESS = 1  # per RATE_WINDOW_SECONDS
CONFIRMATIONS_PER_CLIENT = 5  # per RATE_WINDOW_SECONDS, from one client address


@dataclass(frozen=True)
class Request:
    """What someone asked to follow, checked."""

    target: str
    frequency: str
    programme: Programme | None = None
    organisation: Organisation | None = None
    alert_kind: str = ""

    def as_token_payload(self) -> dict:
        return {
            "t": self.target,
            "f": self.frequency,
            "p": self.programme.pk if self.programme else None,
            "o": self.organisation.pk if self.organisation else None,
            "k": self.alert_kind,
        }

    def describe(self) -> str:
        return Subscription(
            target=self.target,
            programme=self.programme,
            organisation=self.organisation,
            alert_kind=self.alert_kind,
        ).describe()


def parse(target: str, value: str, frequency: str, *, signed_in: bool) -> Request:
    """A request from a form or the API: ``value`` is a programme code, a provider id or
    an alert kind, depending on ``target``."""
    if frequency not in Frequency.values:
        raise SubscriptionError("Choose how often: daily or weekly")
    value = (value or "").strip()
    if target == Target.PROGRAMME:
        programme = Programme.objects.filter(code=value).first()
        if programme is None:
            raise SubscriptionError(f"There is no programme {value!r}: choose one from the list")
        return Request(target, frequency, programme=programme)
    if target == Target.PROVIDER:
        provider = Organisation.objects.filter(
            pk=int(value) if value.isdigit() else None, kind=OrganisationKind.PROVIDER
        ).first()
        if provider is None:
            raise SubscriptionError(f"There is no provider {value!r}: choose one from the list")
        return Request(target, frequency, organisation=provider)
    if target == Target.ALERT_KIND:
        if value not in AlertKind.values:
            raise SubscriptionError(
                f"{value!r} is not a kind of alert: use {', '.join(AlertKind.values)}"
            )
        if not signed_in:
            raise SubscriptionError(
                "Alerts come from providers' returns, which are not published: sign in to "
                "follow them"
            )
        return Request(target, frequency, alert_kind=value)
    raise SubscriptionError("Choose what to follow: a programme, a provider or a kind of alert")


def _subscribe(subscriber: Subscriber, request: Request) -> Subscription:
    existing = Subscription.objects.filter(
        subscriber=subscriber,
        target=request.target,
        programme=request.programme,
        organisation=request.organisation,
        alert_kind=request.alert_kind,
    ).first()
    if existing is not None:
        if existing.frequency != request.frequency:
            existing.frequency = request.frequency
            existing.save(update_fields=["frequency"])
        return existing
    return Subscription.objects.create(
        subscriber=subscriber,
        target=request.target,
        programme=request.programme,
        organisation=request.organisation,
        alert_kind=request.alert_kind,
        frequency=request.frequency,
    )


@transaction.atomic
def follow_as_user(user, request: Request) -> Subscription:
    """A signed-in person follows at once, at their account's address."""
    email = (user.email or user.get_username()).lower()
    subscriber = Subscriber.objects.filter(user=user).first()
    if subscriber is None:
        subscriber, _ = Subscriber.objects.get_or_create(email=email)
        subscriber.user = user
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
    subscriber.save()
    return _subscribe(subscriber, request)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _rate_key(kind: str, value: str) -> str:
    # Hashed, so the cache holds no address either.
    return f"publishing:confirm:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _within_limit(email: str, client: str) -> bool:
    """Whether one more confirmation may go to ``email`` at ``client``'s request; counts it
    if so. The cache is shared by every worker (file-based, or whatever CACHES names)."""
    if not cache.add(_rate_key("address", email), 1, RATE_WINDOW_SECONDS):
        return False  # one link per address per hour already sent
    if client:
        key = _rate_key("client", client)
        cache.add(key, 0, RATE_WINDOW_SECONDS)
        try:
            sent = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, RATE_WINDOW_SECONDS)
            sent = 1
        if sent > CONFIRMATIONS_PER_CLIENT:
            return False
    return True


def pending_request(email: str, request: Request) -> str:
    """Store the request until its link is used; returns the token for the link."""
    token = secrets.token_urlsafe(32)
    PendingSubscription.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=CONFIRM_DAYS)
    ).delete()
    PendingSubscription.objects.create(
        token_digest=_digest(token), email=email, request=request.as_token_payload()
    )
    return token


def request_by_email(email: str, request: Request, *, client: str = "") -> str | None:
    """Send the confirmation link for a member of the public; returns the token sent, or
    ``None`` when the rate limits held it back (callers say the same either way).
    ``client`` is the requesting client's address, for the per-client limit."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except Exception:
        raise SubscriptionError(
            "Enter an email address in the correct format, like name@example.com"
        ) from None
    if not _within_limit(email, client):
        logger.info("subscription confirmation held back by the rate limit")
        return None
    token = pending_request(email, request)
    link = settings.PUBLIC_BASE_URL + reverse("subscription-confirm", args=[token])
    context = {
        "link": link,
        "what": request.describe(),
        "frequency": request.frequency,
        "days": CONFIRM_DAYS,
    }
    message = EmailMultiAlternatives(
        subject="Confirm your Mutuals digest subscription",
        body=render_to_string("mutuals/publishing/email/confirm.txt", context),
        to=[email],
    )
    message.send()
    return token


@transaction.atomic
def confirm(token: str) -> Subscription:
    """The subscription a confirmation link asked for, now made; the link is spent."""
    pending = (
        PendingSubscription.objects.select_for_update()
        .filter(token_digest=_digest(token or ""))
        .first()
    )
    if pending is None:
        raise SubscriptionError(
            "This confirmation link is not valid or has been used already: subscribe again"
        )
    if pending.created_at < timezone.now() - timedelta(days=CONFIRM_DAYS):
        raise SubscriptionError(
            f"This confirmation link is more than {CONFIRM_DAYS} days old: subscribe again"
        )
    data = pending.request
    email = pending.email
    pending.delete()
    request = Request(
        target=data["t"],
        frequency=data["f"],
        programme=Programme.objects.filter(pk=data["p"]).first() if data["p"] else None,
        organisation=Organisation.objects.filter(pk=data["o"]).first() if data["o"] else None,
        alert_kind=data["k"],
    )
    if (request.target == Target.PROGRAMME and request.programme is None) or (
        request.target == Target.PROVIDER and request.organisation is None
    ):
        raise SubscriptionError("What this link follows no longer exists")
    subscriber, _ = Subscriber.objects.get_or_create(email=email)
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = timezone.now()
        subscriber.save(update_fields=["confirmed_at"])
    return _subscribe(subscriber, request)


def _address_check(email: str) -> str:
    """A short digest of the address: the link names no address (it ends up in logs), yet
    stops working if the subscriber row is later reused for another address."""
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def unsubscribe_token(subscriber: Subscriber) -> str:
    payload = {"s": subscriber.pk, "h": _address_check(subscriber.email)}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT)


def unsubscribe_link_for(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("unsubscribe", args=[token])


def unsubscribe_url(subscriber: Subscriber) -> str:
    return unsubscribe_link_for(unsubscribe_token(subscriber))


def subscriber_for_unsubscribe(token: str) -> Subscriber:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise SubscriptionError("This unsubscribe link is not valid") from None
    subscriber = Subscriber.objects.filter(pk=data.get("s")).first()
    if subscriber is None or _address_check(subscriber.email) != data.get("h"):
        raise SubscriptionError("This address no longer receives digests")
    return subscriber


def unsubscribe(token: str) -> int:
    """Stop every subscription of the link's address; returns how many were stopped."""
    subscriber = subscriber_for_unsubscribe(token)
    stopped, _ = subscriber.subscriptions.all().delete()
    return stopped


def subscriptions_of(user) -> list[Subscription]:
    if user is None or not user.is_authenticated:
        return []
    return list(
        Subscription.objects.filter(subscriber__user=user).select_related(
            "programme", "organisation"
        )
    )


def stop(user, subscription_id: int) -> None:
    Subscription.objects.filter(pk=subscription_id, subscriber__user=user).delete()
