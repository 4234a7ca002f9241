"""The web tests' small world, people in each role, a finished evaluation run, and a real
SMTP server (aiosmtpd) on a free local port that the digests are sent through."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.conftest import _fast_hashing, make_user, people, sign_in  # noqa: F401
from mutuals.evaluation.models import EvaluationResult, EvaluationRun, Method, RunStatus, Verdict
from mutuals.reports import render
from web.conftest import _fresh_cache, world  # noqa: F401


@pytest.fixture
def finished_run(world):  # noqa: F811
    run = EvaluationRun.objects.create(
        status=RunStatus.DONE,
        configuration={},
        code_version="test",
        fingerprint="f" * 64,
        finished_at=timezone.now(),
    )
    EvaluationResult.objects.create(
        run=run,
        programme=world["programme"],
        cohort="2011-Q2",
        metric=world["visits"],
        method=Method.DID,
        treated_units=2,
        comparison_units=1,
        pre_periods=8,
        post_periods=8,
        att=1.5,
        se=0.5,
        ci_low=0.5,
        ci_high=2.5,
        verdict=Verdict.IMPROVED,
        grade=3,
    )
    return run


class Inbox:
    """What the SMTP server received: one parsed message per envelope and recipient."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        return [
            (recipient, message_from_bytes(envelope.content, policy=policy.default))
            for envelope in self.envelopes
            for recipient in envelope.rcpt_tos
        ]

    def to(self, address: str):
        return [message for recipient, message in self.messages if recipient == address]

    def clear(self):
        self.envelopes.clear()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server, with Django's SMTP email backend pointed at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "digests@mutuals.test"
    settings.PUBLIC_BASE_URL = "https://mutuals.test"
    yield inbox
    controller.stop()


def text_of(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


STAND_IN_PDF = b"%PDF-1.7\n% a stand-in: this test reads no page of it\n%%EOF\n"


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run inline at enqueue, as tests/conftest.py means them to. Set through the
    settings fixture, whose change signal rebuilds django-tasks' backends: assigning
    ``settings.TASKS`` when tests/conftest.py is imported is too late once a ``@task()``
    has built the backend from the production setting."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def quick_pdfs(request, monkeypatch):
    """Publishing a report version typesets its PDF (a second or more with WeasyPrint):
    tests that read no page of it get a stand-in; those that do ask for ``real_pdfs``."""
    if "real_pdfs" not in request.fixturenames:
        monkeypatch.setattr(render, "pdf_of_html", lambda html: STAND_IN_PDF)


@pytest.fixture
def real_pdfs():
    """PDFs typeset by WeasyPrint, for tests that read their pages."""
