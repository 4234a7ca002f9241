"""A digest as an email, each distinct digest rendered once per run.

Most recipients of a period get the same digest as many others (they follow the same
programme and hold the same roles). Rendering the two templates and building the MIME
message takes a few milliseconds — longer than the mail server takes to accept it — so a
run's :class:`Composer` renders each distinct content once, with random marks where the
recipient's own unsubscribe link goes, builds that message's bytes once, and for each
recipient adds their address, Message-ID and unsubscribe link. Sent with Django's SMTP
backend, those bytes go straight onto the connection it holds open (:class:`_Straight`);
any other backend sends them as it sends any message. When the shared bytes
cannot take the substitution safely — a part encoded because a line is too long, an
address or link that is not plain ASCII — the recipient's message is built in full
(:func:`message_for`), exactly as it would be without the composer.
"""

from __future__ import annotations

import re
import secrets
import smtplib
from dataclasses import dataclass
from email import message_from_bytes
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template.loader import render_to_string
from django.utils.html import conditional_escape

from mutuals.publishing.digest_content import DigestContent
from mutuals.publishing.models import DigestPeriod, Subscriber
from mutuals.publishing.subscriptions import (
    unsubscribe_link_for,
    unsubscribe_token,
    unsubscribe_url,
)

TEXT_TEMPLATE = "mutuals/publishing/email/digest.txt"
HTML_TEMPLATE = "mutuals/publishing/email/digest.html"
MAX_LINE = 998  # RFC 5322's limit on a line, in bytes, without its CRLF
CRLF = b"\r\n"


def _subject(content: DigestContent) -> str:
    period = content.period
    return f"Mutuals {period.frequency} digest: {period.label}"


def _message_id(record: DigestPeriod, subscriber: Subscriber) -> str:
    domain = urlsplit(settings.PUBLIC_BASE_URL).hostname or "localhost"
    return f"<digest-{record.pk}-{subscriber.pk}@{domain}>"


def _headers(record: DigestPeriod, subscriber: Subscriber, unsubscribe: str) -> dict:
    return {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Message-ID": _message_id(record, subscriber),
    }


def _render(content: DigestContent, unsubscribe: str, template: str) -> str:
    context = {"content": content, "base": settings.PUBLIC_BASE_URL, "unsubscribe": unsubscribe}
    return render_to_string(template, context)


def message_for(
    subscriber: Subscriber, content: DigestContent, record: DigestPeriod, connection=None
) -> EmailMultiAlternatives:
    """One recipient's digest, rendered and built for them alone."""
    unsubscribe = unsubscribe_url(subscriber)
    message = EmailMultiAlternatives(
        subject=_subject(content),
        body=_render(content, unsubscribe, TEXT_TEMPLATE),
        to=[subscriber.email],
        connection=connection,
        headers=_headers(record, subscriber, unsubscribe),
    )
    message.attach_alternative(_render(content, unsubscribe, HTML_TEMPLATE), "text/html")
    return message


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _address(email: str, encoding: str) -> str:
    """The address as the To header carries it: a plain one as it is (as Django's
    ``sanitize_address`` would leave it, without its parser's cost), any other through it."""
    return email if _PLAIN_ADDRESS.fullmatch(email) else sanitize_address(email, encoding)


class _BuiltMessage:
    """A message's bytes, built already, where Django's backends expect its MIME message:
    they ask for the bytes; anything else is answered by the parsed message."""

    def __init__(self, data: bytes):
        self._data = data  # lines end in CRLF

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n", **kwargs) -> bytes:
        if linesep == "\r\n":
            return self._data
        return self._data.replace(CRLF, linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n", **kwargs) -> str:
        return self.as_bytes(linesep=linesep).decode()

    def __bytes__(self) -> bytes:
        return self.as_bytes()

    def __str__(self) -> str:
        return self.as_string()

    def __getattr__(self, name):
        return getattr(message_from_bytes(self._data), name)


class DigestEmail(EmailMultiAlternatives):
    """One recipient's digest whose bytes were built once for all who get the same one."""

    def __init__(self, data: bytes, envelope: tuple[str, str], **kwargs):
        super().__init__(**kwargs)
        self._data = data
        self.envelope = envelope  # (sender, recipient), as the SMTP backend would send them

    def message(self):
        return _BuiltMessage(self._data)


class _Straight:
    """Django's SMTP backend for digests whose bytes and envelope are ready: each goes
    straight onto the SMTP connection the backend holds open, without the backend parsing
    both addresses again (a fifth of what a message costs). Its errors are the backend's
    own (``fail_silently`` off). Anything else, or with no connection open, the backend
    sends itself."""

    def __init__(self, backend):
        self.backend = backend

    def send_messages(self, messages) -> int:
        smtp = getattr(self.backend, "connection", None)
        if not isinstance(smtp, smtplib.SMTP) or not all(
            isinstance(message, DigestEmail) for message in messages
        ):
            return self.backend.send_messages(messages)
        for message in messages:
            sender, recipient = message.envelope
            smtp.sendmail(sender, [recipient], message.message().as_bytes(linesep="\r\n"))
        return len(messages)


class _UnsubscribeLinks:
    """Each recipient's one-click unsubscribe link, the address around the token worked out
    once (``reverse`` for every recipient costs more than signing their token); a token
    that ``reverse`` would quote gets its link from :func:`unsubscribe_url` itself."""

    SAFE = re.compile(r"[A-Za-z0-9_:-]+")  # what signing's output is made of

    def __init__(self):
        mark = "token"
        self.before, self.after = unsubscribe_link_for(mark).split(mark, 1)

    def url(self, subscriber: Subscriber) -> str:
        token = unsubscribe_token(subscriber)
        if not self.SAFE.fullmatch(token):
            return unsubscribe_url(subscriber)
        return self.before + token + self.after


@dataclass(frozen=True)
class _Marks:
    """Random stand-ins for the unsubscribe link while the shared message is built (random,
    so no digest's own text can contain them)."""

    text: str
    html: str

    @classmethod
    def new(cls) -> _Marks:
        word = secrets.token_hex(12)
        return cls(f"unsubscribe-text-{word}", f"unsubscribe-html-{word}")


@dataclass(frozen=True)
class _Shared:
    """A distinct digest, rendered and built once: its parts and message bytes with the
    marks in, and how long its longest line with a mark is without them."""

    text: str
    html: str
    data: bytes | None  # None: the bytes cannot take the substitution; build in full
    marked_line: int = 0  # bytes of the longest marked line, less its marks
    marks_per_line: int = 1


class Composer:
    """Composes a run's messages, rendering each distinct digest once."""

    def __init__(self, record: DigestPeriod):
        self.record = record
        self.marks = _Marks.new()
        self.shared: dict[str, _Shared] = {}
        self.encoding = settings.DEFAULT_CHARSET
        self.sender = sanitize_address(settings.DEFAULT_FROM_EMAIL, self.encoding)
        self.straight: _Straight | None = None
        self.unsubscribe = _UnsubscribeLinks()

    def message(
        self, subscriber: Subscriber, content: DigestContent, connection=None
    ) -> EmailMultiAlternatives:
        key = repr(content)  # plain data: equal contents, equal text
        if key not in self.shared:
            self.shared[key] = self._share(content)
        shared = self.shared[key]
        unsubscribe = self.unsubscribe.url(subscriber)
        address = _address(subscriber.email, self.encoding)
        head = self._head(subscriber, address, unsubscribe)
        escaped = str(conditional_escape(unsubscribe))
        if head is None or not self._fits(shared, max(len(unsubscribe), len(escaped))):
            return message_for(subscriber, content, self.record, connection)
        data = shared.data.replace(self.marks.text.encode(), unsubscribe.encode())
        data = head + data.replace(self.marks.html.encode(), escaped.encode())
        return DigestEmail(
            data,
            (self.sender, address),
            subject=_subject(content),
            body=shared.text.replace(self.marks.text, unsubscribe),
            to=[subscriber.email],
            connection=self._straight(connection),
            headers=_headers(self.record, subscriber, unsubscribe),
            alternatives=[(shared.html.replace(self.marks.html, escaped), "text/html")],
        )

    def _straight(self, connection):
        if connection is None:
            return None
        if self.straight is None or self.straight.backend is not connection:
            self.straight = _Straight(connection)
        return self.straight

    def _share(self, content: DigestContent) -> _Shared:
        text = _render(content, self.marks.text, TEXT_TEMPLATE)
        html = _render(content, self.marks.html, HTML_TEMPLATE)
        template = EmailMultiAlternatives(
            subject=_subject(content),
            body=text,
            headers={"List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Message-ID": "-"},
            alternatives=[(html, "text/html")],
        )
        built = template.message()
        del built["Message-ID"]  # each recipient's own goes in front
        data = built.as_bytes(linesep="\r\n")
        marks = (self.marks.text.encode(), self.marks.html.encode())
        marked = [line for line in data.split(CRLF) if any(m in line for m in marks)]
        # Sent as written (not encoded) only if each mark is still there, once per use.
        if data.count(marks[0]) != text.count(self.marks.text) or data.count(
            marks[1]
        ) != html.count(self.marks.html):
            return _Shared(text, html, None)
        lengths = [len(line) - sum(line.count(m) * len(m) for m in marks) for line in marked]
        counts = [sum(line.count(m) for m in marks) for line in marked]
        return _Shared(text, html, data, max(lengths, default=0), max(counts, default=0))

    def _head(self, subscriber: Subscriber, address: str, unsubscribe: str) -> bytes | None:
        """The recipient's own header lines, or None if they need encoding."""
        lines = (
            f"To: {address}",
            f"Message-ID: {_message_id(self.record, subscriber)}",
            f"List-Unsubscribe: <{unsubscribe}>",
        )
        for line in lines:
            if not line.isascii() or "\r" in line or "\n" in line or len(line) > MAX_LINE:
                return None
        return ("\r\n".join(lines) + "\r\n").encode()

    @staticmethod
    def _fits(shared: _Shared, link_length: int) -> bool:
        if shared.data is None:
            return False
        return shared.marked_line + shared.marks_per_line * link_length <= MAX_LINE
