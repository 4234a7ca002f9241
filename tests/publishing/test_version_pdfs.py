"""A published version's PDF is typeset once, by a task, and stored by the digest of its HTML;
downloads serve the stored bytes with caching headers and never typeset anything."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from mutuals.accounts.permissions import viewer_for_user
from mutuals.publishing import services, tasks, version_pdfs, withdrawal
from mutuals.publishing.models import Item, ItemKind, ItemStatus, Publication, RenderedPdf
from mutuals.reports import render
from web.test_page_conventions import check_conventions

pytestmark = pytest.mark.django_db

REASON = "The savings figures used the wrong price year."


class Typesetter:
    """Stands in for WeasyPrint and counts what it is asked to typeset; ``refuse`` makes it
    fail the test, for code that must not typeset at all."""

    def __init__(self):
        self.calls = []
        self.refuse = False

    def __call__(self, html: str) -> bytes:
        assert not self.refuse, "a PDF was typeset inside the request"
        self.calls.append(hashlib.sha256(html.encode()).hexdigest())
        return b"%PDF-1.7\n% stand-in for " + self.calls[-1].encode() + b"\n%%EOF\n"


class Queue:
    """Stands in for a task: keeps what is enqueued, for the test to run as a worker would."""

    def __init__(self, kept: list):
        self.kept = kept

    def enqueue(self, *args):
        self.kept.extend(args)


@pytest.fixture
def typesetter(monkeypatch):
    counted = Typesetter()
    monkeypatch.setattr(render, "pdf_of_html", counted)
    return counted


def _publish_scorecard(world, people) -> tuple[Item, Publication]:
    commissioner = people["commissioner"]
    viewer = viewer_for_user(commissioner)
    item = services.prepare(viewer, commissioner, ItemKind.SCORECARD, organisation=world["health"])
    return item, services.publish(viewer, commissioner, item)


def _pdf_url(item, version=1) -> str:
    return reverse("publication-document", args=[item.pk, version, "pdf"])


def test_publishing_typesets_the_pdf_once_and_downloads_typeset_nothing(
    client, world, people, finished_run, typesetter
):
    item, version = _publish_scorecard(world, people)
    digest = hashlib.sha256(version.document_html.encode()).hexdigest()
    assert typesetter.calls == [digest]  # made at publication, by the task
    stored = RenderedPdf.objects.get()
    assert stored.sha256 == digest and stored.made_at is not None

    typesetter.refuse = True
    first, second = client.get(_pdf_url(item)), client.get(_pdf_url(item))
    assert first.status_code == second.status_code == 200
    assert first.content == second.content == bytes(stored.pdf)
    assert first["Content-Type"] == "application/pdf"
    assert first["Content-Disposition"] == (
        f'attachment; filename="scorecard-{world["health"].pk}-2011-09-30-v1.pdf"'
    )
    # Public, but a later withdrawal changes what this address serves: checked on each use.
    assert first["Cache-Control"] == "public, no-cache"
    assert first["ETag"] == f'"{digest}"'
    unchanged = client.get(_pdf_url(item), headers={"If-None-Match": f'"{digest}"'})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged["ETag"] == f'"{digest}"' and unchanged["Cache-Control"] == "public, no-cache"
    html = client.get(reverse("publication-document", args=[item.pk, 1, "html"]))
    assert html["ETag"] == f'"{digest}"' and html.content.decode() == version.document_html


def test_the_same_html_is_typeset_and_stored_once(client, world, people, finished_run, typesetter):
    item, first = _publish_scorecard(world, people)
    tasks.render_version_pdf.enqueue(first.pk)  # run twice (a worker lost): nothing more made
    # A version whose frozen document is the same HTML shares the stored PDF.
    twin = Publication.objects.create(
        item=item, version=2, title=first.title, published_at=first.published_at,
        document_html=first.document_html, data=first.data, content_sha256=first.content_sha256,
    )  # fmt: skip
    version_pdfs.queue(twin)
    assert len(typesetter.calls) == 1 and RenderedPdf.objects.count() == 1
    one, two = client.get(_pdf_url(item, 1)), client.get(_pdf_url(item, 2))
    assert one.status_code == two.status_code == 200 and one.content == two.content


def test_withdrawing_typesets_the_noticed_pdf_which_is_then_final(
    client, world, people, finished_run, typesetter
):
    item, version = _publish_scorecard(world, people)
    before = client.get(_pdf_url(item))["ETag"]
    withdrawal.withdraw(viewer_for_user(people["auditor"]), people["auditor"], item, REASON)
    version.refresh_from_db()
    noticed = version_pdfs.served(version)
    assert noticed.html != version.document_html and len(typesetter.calls) == 2
    assert typesetter.calls[-1] == noticed.digest  # queued by the withdrawal itself

    typesetter.refuse = True
    response = client.get(_pdf_url(item))
    assert response.status_code == 200 and response["ETag"] == noticed.etag != before
    # A withdrawn version's stamp is never cleared: its document will not change again.
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_version_without_its_pdf_has_it_queued_by_a_request_that_never_typesets(
    client, world, people, finished_run, typesetter, monkeypatch
):
    """As for a version published before PDFs were stored: no data migration needed."""
    item, version = _publish_scorecard(world, people)
    RenderedPdf.objects.all().delete()
    queued, task = [], tasks.render_version_pdf
    monkeypatch.setattr(tasks, "render_version_pdf", Queue(queued))
    typesetter.refuse = True

    waiting = client.get(_pdf_url(item))
    assert waiting.status_code == 202 and waiting["Cache-Control"] == "no-store"
    page = waiting.content.decode()
    check_conventions(page)
    assert "The PDF is being prepared" in page
    status_url = reverse("publication-pdf-status", args=[item.pk, 1])
    assert f'data-progress-url="{status_url}"' in page
    assert client.get(status_url).json() == {"status": "queued"}
    assert client.get(_pdf_url(item)).status_code == 202
    assert queued == [version.pk]  # queued once, not once per request

    typesetter.refuse = False
    task.call(*queued)  # what a worker does
    assert client.get(status_url).json() == {"status": "done"}
    response = client.get(_pdf_url(item))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_what_the_public_may_not_read_is_cached_privately(world, people, finished_run):
    item, version = _publish_scorecard(world, people)
    assert version_pdfs.cache_control(item, version) == "public, no-cache"
    Item.objects.filter(pk=item.pk).update(status=ItemStatus.DRAFT)
    item.refresh_from_db()
    assert version_pdfs.cache_control(item, version) == "private, no-cache"
