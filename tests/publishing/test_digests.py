"""Digests through a real SMTP server: who gets what, unsubscribe links, double opt-in,
and a period never sent twice — not when run twice, not after a crash half-way."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re
import smtplib
import socket
from email import message_from_bytes, policy
from unittest import mock

import pytest
from django.core import signing
from django.core.mail.backends import smtp as smtp_backend
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from mutuals.accounts.permissions import viewer_for_user
from mutuals.evaluation.models import Alert, AlertKind
from mutuals.governance.ballots import lifecycle
from mutuals.governance.models import Ballot, BallotStatus
from mutuals.publishing import digest_mail, digests, jobs, periods, services, subscriptions
from mutuals.publishing.digest_content import content_for
from mutuals.publishing.models import (
    Delivery,
    DeliveryStatus,
    DigestPeriod,
    Frequency,
    ItemKind,
    PendingSubscription,
    Publication,
    Subscriber,
)

from .conftest import make_user, text_of

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 11, 20)
PERIOD = periods.containing(Frequency.DAILY, DAY)
DURING = timezone.make_aware(dt.datetime(2026, 11, 20, 10, 30))


def _public(email: str, follow: str, value: str, frequency=Frequency.DAILY):
    request = subscriptions.parse(follow, value, frequency, signed_in=False)
    return subscriptions.confirm(subscriptions.pending_request(email, request)).subscriber


def _opened_ballot(organisation, question: str, planned: dt.datetime, opened: dt.datetime):
    """A ballot due to open at ``planned``, opened (and so logged) at ``opened``."""
    ballot = Ballot.objects.create(
        organisation=organisation,
        question=question,
        electorate_date=planned.date(),
        opens_at=planned,
        closes_at=planned + dt.timedelta(days=7),
        status=BallotStatus.FROZEN,
    )
    return lifecycle.open_ballot(ballot.pk, now=opened)


@pytest.fixture
def news(world, people, finished_run):
    """In the period: a published evaluation, an alert at Brackenford, and a ballot there."""
    auditor = people["auditor"]
    viewer = viewer_for_user(auditor)
    item = services.prepare(viewer, auditor, ItemKind.EVALUATION, programme=world["programme"])
    services.publish(viewer, auditor, item)
    Publication.objects.update(published_at=DURING)
    alert = Alert.objects.create(
        organisation=world["health"],
        metric=world["visits"],
        kind=AlertKind.SPECIAL_CAUSE_CONCERN,
        period="2011-Q3",
        rule="beyond_limit",
        value=50,
    )
    Alert.objects.filter(pk=alert.pk).update(detected_at=DURING)
    _opened_ballot(world["health"], "Should we merge with Fenmoor?", DURING, DURING)
    return item


def test_digests_reach_each_recipient_with_what_they_may_see(smtp, world, people, news):
    public = _public("reader@example.org", "programme", "right-to-request")
    manager = people["provider_manager"]
    subscriptions.follow_as_user(
        manager, subscriptions.parse("provider", str(world["health"].pk), "daily", signed_in=True)
    )
    _public("weekly@example.org", "programme", "right-to-request", Frequency.WEEKLY)

    summary = digests.send(Frequency.DAILY, period=PERIOD)

    assert (summary.sent, summary.failed) == (2, 0)
    assert sorted(r for r, _ in smtp.messages) == ["pm@example.org", "reader@example.org"]
    [to_public] = smtp.to("reader@example.org")
    assert to_public["From"] == "digests@mutuals.test"
    assert "20 November 2026" in to_public["Subject"]
    text, html = text_of(to_public, "plain"), text_of(to_public, "html")
    assert news.title in text and news.title in html
    assert "A staff ballot opened at Brackenford Community Health CIC" in text
    assert "merge" not in text and "merge" not in html  # ballots are for the provider's staff
    assert "Visits on time" not in text  # alerts come from returns: not for the public
    [to_manager] = smtp.to("pm@example.org")
    manager_text = text_of(to_manager, "plain")
    assert "Visits on time" in manager_text and "Should we merge with Fenmoor?" in manager_text

    # One-click unsubscribe: the header, the link in both parts, and the POST it invites.
    unsubscribe = " ".join(str(to_public["List-Unsubscribe"]).split()).strip("<>")
    assert to_public["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.startswith("https://mutuals.test/unsubscribe/")
    assert unsubscribe in text and unsubscribe in html
    path = unsubscribe.removeprefix("https://mutuals.test")
    from django.test import Client

    landing = Client().get(path)
    assert landing.status_code == 200 and "reader@example.org" in landing.content.decode()
    assert public.subscriptions.exists()  # opening the link changes nothing
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not public.subscriptions.exists()
    tampered = path.replace("/unsubscribe/", "/unsubscribe/x")
    assert Client().post(tampered).status_code == 400


def test_rerunning_a_period_sends_nothing_new(smtp, world, news):
    for n in range(3):
        _public(f"r{n}@example.org", "programme", "right-to-request")
    first = digests.send(Frequency.DAILY, period=PERIOD)
    assert first.sent == 3 and len(smtp.messages) == 3
    smtp.clear()
    call_command("digest", "send", "--frequency", "daily", "--period", DAY.isoformat())
    again = digests.send(Frequency.DAILY, period=PERIOD)
    assert smtp.messages == [] and again.sent == 0 and again.already_done == 3
    # Someone who subscribes after the period was sent does not get it late.
    _public("late@example.org", "programme", "right-to-request")
    assert digests.send(Frequency.DAILY, period=PERIOD).sent == 0 and smtp.messages == []


def test_a_crash_half_way_resumes_without_duplicates(smtp, world, news):
    addresses = [f"r{n}@example.org" for n in range(6)]
    for address in addresses:
        _public(address, "programme", "right-to-request")
    real_send = digests.EmailMultiAlternatives.send
    calls = []

    def crash_on_the_fourth(message, *args, **kwargs):
        calls.append(message.to[0])
        if len(calls) == 4:
            raise KeyboardInterrupt("the process was stopped")
        return real_send(message, *args, **kwargs)

    crash = mock.patch.object(digests.EmailMultiAlternatives, "send", crash_on_the_fourth)
    with crash, pytest.raises(KeyboardInterrupt):
        digests.send(Frequency.DAILY, period=PERIOD)
    assert len(smtp.messages) == 3
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses.count(DeliveryStatus.SENT) == 3
    assert statuses.count(DeliveryStatus.PENDING) == 3  # the interrupted one released

    resumed = digests.send(Frequency.DAILY, period=PERIOD)
    assert resumed.sent == 3 and resumed.already_done == 3
    received = sorted(r for r, _ in smtp.messages)
    assert received == sorted(addresses)  # everyone exactly once


def test_a_refused_recipient_is_retried_and_a_lost_claim_is_not_resent(smtp, world, news):
    for n in range(2):
        _public(f"r{n}@example.org", "programme", "right-to-request")
    with mock.patch.object(
        digests.EmailMultiAlternatives, "send", side_effect=ConnectionRefusedError("down")
    ):
        down = digests.send(Frequency.DAILY, period=PERIOD)
    assert down.failed == 2 and "down" in down.errors[0]
    # A run killed outright after the server took a message leaves it "sending".
    lost = Delivery.objects.order_by("pk").first()
    Delivery.objects.filter(pk=lost.pk).update(status=DeliveryStatus.SENDING)
    retried = digests.send(Frequency.DAILY, period=PERIOD)
    assert retried.sent == 1 and retried.uncertain == 1
    assert len(smtp.messages) == 1
    assert "not resent" in str(retried)


def test_nothing_to_tell_sends_nothing(smtp, world):
    _public("quiet@example.org", "programme", "right-to-request")
    summary = digests.send(Frequency.DAILY, period=PERIOD)
    assert summary.empty == 1 and smtp.messages == []


def test_double_opt_in_by_email(client, smtp, world):
    response = client.post(
        reverse("subscribe"),
        {
            "follow": f"provider:{world['health'].pk}",
            "frequency": "weekly",
            "email": "Reader@Example.org",
        },
    )
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert not Subscriber.objects.exists()  # nothing kept until the link is used
    [message] = smtp.to("reader@example.org")
    link = re.search(r"https://mutuals\.test(/subscribe/confirm/\S+/)", text_of(message, "plain"))
    assert client.get(link.group(1)).status_code == 200
    assert not Subscriber.objects.exists()  # a mail scanner's visit confirms nothing
    confirmed = client.post(link.group(1))
    assert confirmed.status_code == 200 and "Subscription confirmed" in confirmed.content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.org" and subscriber.is_confirmed
    assert subscriber.subscriptions.get().frequency == Frequency.WEEKLY
    assert client.post(link.group(1)[:-3] + "xx/").status_code == 400


def test_the_public_cannot_follow_alerts(client, world):
    response = client.post(
        reverse("subscribe"),
        {"follow": "alert_kind:concern", "frequency": "daily", "email": "a@example.org"},
    )
    assert response.status_code == 400
    assert not PendingSubscription.objects.exists()
    # The rule itself, not only the form that never offers the choice to the public:
    with pytest.raises(subscriptions.SubscriptionError, match="sign in"):
        subscriptions.parse("alert_kind", "concern", "daily", signed_in=False)
    assert subscriptions.parse("alert_kind", "concern", "daily", signed_in=True).alert_kind


def test_an_unreachable_mail_server_is_named_and_the_run_resumes(smtp, world, news, settings):
    _public("r@example.org", "programme", "right-to-request")
    real_port = settings.EMAIL_PORT
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = spare.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(CommandError, match="Cannot reach the mail server 127.0.0.1"):
            call_command("digest", "send", "--frequency", "daily", "--period", DAY.isoformat())
    assert Delivery.objects.get().status == DeliveryStatus.PENDING
    settings.EMAIL_PORT = real_port
    assert digests.send(Frequency.DAILY, period=PERIOD).sent == 1


def test_a_permanently_refused_address_is_given_up_and_the_period_completes(smtp, world, news):
    _public("bounces@example.org", "programme", "right-to-request")
    _public("fine@example.org", "programme", "right-to-request")
    real_send = digests.EmailMultiAlternatives.send

    def refuse_one(message, *args, **kwargs):
        if message.to == ["bounces@example.org"]:
            raise ConnectionRefusedError("550 no such mailbox")
        return real_send(message, *args, **kwargs)

    after = timezone.make_aware(dt.datetime(2026, 11, 21, 12, 0))
    runs = []
    with mock.patch.object(digests.EmailMultiAlternatives, "send", refuse_one):
        while jobs.daily_due(after) and len(runs) < digests.MAX_ATTEMPTS + 3:
            runs.append(digests.send(Frequency.DAILY, now=after))
    assert len(runs) == digests.MAX_ATTEMPTS  # then the scheduler stops retrying
    assert [r.failed for r in runs] == [1] * (digests.MAX_ATTEMPTS - 1) + [0]
    assert runs[-1].given_up == 1 and "given up after" in str(runs[-1])
    refused = Delivery.objects.get(subscriber__email="bounces@example.org")
    assert refused.status == DeliveryStatus.GIVEN_UP and refused.attempts == digests.MAX_ATTEMPTS
    assert "no such mailbox" in refused.error
    assert DigestPeriod.objects.get(frequency=Frequency.DAILY).completed_at is not None
    assert smtp.to("fine@example.org") and not smtp.to("bounces@example.org")


def test_recipients_are_planned_once_when_the_period_starts(smtp, world, news):
    _public("first@example.org", "programme", "right-to-request")
    with mock.patch.object(
        digests.EmailMultiAlternatives, "send", side_effect=ConnectionRefusedError("down")
    ):
        digests.send(Frequency.DAILY, period=PERIOD)  # the period stays open: one failed
    _public("later@example.org", "programme", "right-to-request")
    retried = digests.send(Frequency.DAILY, period=PERIOD)
    assert retried.sent == 1 and [r for r, _ in smtp.messages] == ["first@example.org"]
    assert Delivery.objects.count() == 1


def test_a_ballot_opened_a_day_late_is_in_the_digest_of_the_day_it_opened(smtp, world, people):
    subscriptions.follow_as_user(
        people["provider_manager"],
        subscriptions.parse("provider", str(world["health"].pk), "daily", signed_in=True),
    )
    planned_day_before = DURING - dt.timedelta(days=1)
    _opened_ballot(world["health"], "Shall we open late?", planned_day_before, DURING)
    earlier = digests.send(
        Frequency.DAILY, period=periods.containing(Frequency.DAILY, DAY - dt.timedelta(days=1))
    )
    assert earlier.sent == 0 and earlier.empty == 1
    summary = digests.send(Frequency.DAILY, period=PERIOD)
    assert summary.sent == 1
    [message] = smtp.to("pm@example.org")
    assert "Shall we open late?" in text_of(message, "plain")


def test_the_confirmation_link_names_no_part_of_the_address(client, smtp, world):
    email = "very.private.reader@example.org"
    client.post(
        reverse("subscribe"),
        {"follow": f"provider:{world['health'].pk}", "frequency": "daily", "email": email},
    )
    [message] = smtp.to(email)
    path = re.search(r"https://mutuals\.test(/subscribe/confirm/\S+/)", text_of(message, "plain"))
    path = path.group(1)
    token = path.rstrip("/").rsplit("/", 1)[1]
    encodings = [email, "very.private", "example.org"]
    for part in (email, "very.private", "example.org"):
        raw = part.encode()
        encodings += [
            base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
        ]
    # base64 of a substring depends on its offset: try every alignment too.
    for shift in range(3):
        chunk = base64.urlsafe_b64encode(b"x" * shift + email.encode()).decode()
        encodings.append(chunk[4 if shift else 0 : -4])
    decoded = b""
    for piece in re.split(r"[.:]", token):
        with contextlib.suppress(ValueError):
            decoded += base64.urlsafe_b64decode(piece + "=" * (-len(piece) % 4))
    assert not [e for e in encodings if e and e.lower() in path.lower()]
    assert b"private" not in decoded and b"example" not in decoded
    pending = PendingSubscription.objects.get()
    assert token not in pending.token_digest  # only the digest is kept
    assert client.post(path).status_code == 200
    assert Subscriber.objects.get().email == email
    assert not PendingSubscription.objects.exists()
    assert client.post(path).status_code == 400  # a link works once


def test_confirmation_emails_are_rate_limited(client, smtp, world):
    def subscribe(email, address="203.0.113.9"):
        return client.post(
            reverse("subscribe"),
            {"follow": f"provider:{world['health'].pk}", "frequency": "daily", "email": email},
            REMOTE_ADDR=address,
        )

    pages = {subscribe("same@example.org").content for _ in range(4)}
    assert len(smtp.to("same@example.org")) == 1  # one link per address per hour
    per_client = subscriptions.CONFIRMATIONS_PER_CLIENT
    for n in range(per_client + 5):
        pages.add(subscribe(f"many{n}@example.org").content)
    # "same@" used the first of the client's allowance.
    assert len(smtp.messages) == per_client
    assert all(b"Check your email" in page for page in pages)  # the limit is not revealed
    assert len(smtp.to("other@example.org")) == 0
    subscribe("other@example.org", address="198.51.100.7")
    assert len(smtp.to("other@example.org")) == 1  # another client is not held back


# Batches, and each distinct digest rendered once ---------------------------------------


def test_a_batch_stopped_by_the_mail_server_never_resends_and_the_rest_go_next_run(
    smtp, world, news, monkeypatch
):
    """After k messages the server drops the connection and cannot be reached again: what
    was sent stays sent, the message it dropped is retried, the rest of the batch and the
    batches after it are left for the next run, which sends each of them once."""
    monkeypatch.setattr(digests, "BATCH", 2)
    addresses = [f"r{n}@example.org" for n in range(5)]
    for address in addresses:
        _public(address, "programme", "right-to-request")
    real_send, real_open = digests.EmailMultiAlternatives.send, smtp_backend.EmailBackend.open
    handed = []

    def drop_after_three(message, *args, **kwargs):
        handed.append(message.to[0])
        if len(handed) == 4:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(message, *args, **kwargs)

    def unreachable(backend):
        if len(handed) >= 4:
            raise ConnectionRefusedError("Connection refused")
        return real_open(backend)

    monkeypatch.setattr(digests.EmailMultiAlternatives, "send", drop_after_three)
    monkeypatch.setattr(smtp_backend.EmailBackend, "open", unreachable)
    with pytest.raises(digests.MailServerUnreachable):
        digests.send(Frequency.DAILY, period=PERIOD)
    assert sorted(r for r, _ in smtp.messages) == sorted(handed[:3])
    statuses = dict(Delivery.objects.values_list("subscriber__email", "status"))
    assert [statuses[a] for a in handed[:3]] == [DeliveryStatus.SENT] * 3
    assert statuses[handed[3]] == DeliveryStatus.FAILED  # dropped: nothing delivered
    [untried] = set(addresses) - set(handed)
    assert statuses[untried] == DeliveryStatus.PENDING
    assert Delivery.objects.get(subscriber__email=untried).attempts == 0

    monkeypatch.setattr(digests.EmailMultiAlternatives, "send", real_send)
    monkeypatch.setattr(smtp_backend.EmailBackend, "open", real_open)
    resumed = digests.send(Frequency.DAILY, period=PERIOD)
    assert (resumed.sent, resumed.already_done) == (2, 3)
    assert sorted(r for r, _ in smtp.messages) == sorted(addresses)  # each exactly once
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()


def test_a_batch_claims_only_what_no_other_run_took(smtp, world, news):
    for n in range(3):
        _public(f"r{n}@example.org", "programme", "right-to-request")
    record, _ = digests.period_record(PERIOD)
    taken = Delivery.objects.filter(period=record).order_by("pk").first()
    Delivery.objects.filter(pk=taken.pk).update(status=DeliveryStatus.SENDING, claim="other")
    claimed = digests._claim(list(Delivery.objects.values_list("pk", flat=True)))
    assert taken.pk not in {d.pk for d in claimed} and len(claimed) == 2
    assert Delivery.objects.get(pk=taken.pk).claim == "other"


def _renders_of(template_name: str):
    from django.test.signals import template_rendered

    names = []

    def seen(sender, template, context, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    return names, lambda: template_rendered.disconnect(seen)


def test_identical_digests_are_rendered_once_and_each_keeps_its_own_parts(smtp, world, news):
    readers = [f"r{n}@example.org" for n in range(4)]
    subscribers = [_public(address, "programme", "right-to-request") for address in readers]
    names, stop = _renders_of("digest")
    try:
        summary = digests.send(Frequency.DAILY, period=PERIOD)
    finally:
        stop()
    assert summary.sent == 4
    assert names.count("mutuals/publishing/email/digest.txt") == 1
    assert names.count("mutuals/publishing/email/digest.html") == 1
    links = set()
    for subscriber in subscribers:
        [message] = smtp.to(subscriber.email)
        # The link is signed with the time it was made, so it is read back, not made again.
        own = message["List-Unsubscribe"].strip("<>")
        token = own.rstrip("/").rsplit("/", 1)[-1]
        text, html = text_of(message, "plain"), text_of(message, "html")
        assert message["To"] == subscriber.email
        assert own in text and own in html
        assert subscriptions.subscriber_for_unsubscribe(token) == subscriber
        assert message["Message-ID"] == f"<digest-{DigestPeriod.objects.get().pk}-" + (
            f"{subscriber.pk}@mutuals.test>"
        )
        assert news.title in text and news.title in html
        links.add(own)
    assert len(links) == 4


def test_subscribers_who_may_see_different_things_get_different_digests(smtp, world, people, news):
    """Following the same provider, the provider's manager is told of its alert and its
    ballot's question; a member of the public and a commissioner of other providers only
    that a staff ballot opened."""
    follow = subscriptions.parse("provider", str(world["health"].pk), "daily", signed_in=True)
    subscriptions.follow_as_user(people["provider_manager"], follow)
    other = make_user("other-pct@example.org", "commissioner", world["council"])
    subscriptions.follow_as_user(other, follow)
    _public("reader@example.org", "provider", str(world["health"].pk))
    names, stop = _renders_of("digest")
    try:
        assert digests.send(Frequency.DAILY, period=PERIOD).sent == 3
    finally:
        stop()
    manager = text_of(smtp.to("pm@example.org")[0], "plain")
    outsider = text_of(smtp.to("other-pct@example.org")[0], "plain")
    public = text_of(smtp.to("reader@example.org")[0], "plain")
    assert "Visits on time" in manager and "Should we merge with Fenmoor?" in manager
    for text in (outsider, public):
        assert "Visits on time" not in text and "merge" not in text
        assert "A staff ballot opened at Brackenford Community Health CIC" in text
    # The manager's digest differs; the other two say the same, so it is rendered twice.
    assert names.count("mutuals/publishing/email/digest.txt") == 2


def test_a_composed_digest_is_the_message_built_in_full(world, news, settings, monkeypatch):
    """The shared bytes, with one recipient's parts put in, say what building that
    recipient's message in full says (an address with an accent too); a link that would
    need encoding in a header is built in full."""
    # The unsubscribe links are signed with the second they are made in: both ways of
    # building are made to sign in the same second, as a clock's tick would otherwise
    # part them.
    second = signing.TimestampSigner().timestamp()
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda self: second)
    settings.PUBLIC_BASE_URL = "https://mutuals.test"
    plain = _public("reader@example.org", "programme", "right-to-request")
    accented = _public("renée@example.org", "programme", "right-to-request")
    record, _ = digests.period_record(PERIOD)
    composer = digest_mail.Composer(record)
    for subscriber in (plain, accented):
        content = content_for(subscriber, PERIOD)
        composed = message_from_bytes(
            composer.message(subscriber, content).message().as_bytes(), policy=policy.default
        )
        full = message_from_bytes(
            digests.message_for(subscriber, content, record).message().as_bytes(),
            policy=policy.default,
        )
        for header in ("To", "From", "Subject", "Message-ID", "List-Unsubscribe-Post"):
            assert composed[header] == full[header], header
        assert " ".join(str(composed["List-Unsubscribe"]).split()) == " ".join(
            str(full["List-Unsubscribe"]).split()
        )
        for part in ("plain", "html"):
            assert text_of(composed, part) == text_of(full, part)
    assert isinstance(composer.message(plain, content_for(plain, PERIOD)), digest_mail.DigestEmail)
    settings.PUBLIC_BASE_URL = "https://mütuals.test"  # a link to encode: built in full
    composer = digest_mail.Composer(record)
    assert not isinstance(
        composer.message(plain, content_for(plain, PERIOD)), digest_mail.DigestEmail
    )
