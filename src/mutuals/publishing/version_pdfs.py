"""A published version's PDF: typeset once by a worker, kept in the database, served as is.

A version's PDF is WeasyPrint's rendering of the HTML readers download — the frozen
document, with the withdrawal notice when that version was withdrawn — and is stored under
that HTML's SHA-256 (:class:`~mutuals.publishing.models.RenderedPdf`), so the same HTML is
typeset once, whoever asks, on whichever host. Publishing a version queues its PDF;
withdrawing an item queues the PDFs of the versions it stamps (their HTML gained the
notice). A version whose PDF is missing — published before PDFs were stored, or whose task
was lost — has it queued by the first request for it, which is told it is being prepared:
no request typesets anything, and no data migration is needed.

**Caching.** The digest is the download's ETag, so a cache revalidates a copy with one
cheap request (answered 304 without reading the PDF). A withdrawn version's document is
final — its stamp is never cleared — so it is cached for a year as immutable. A current
version's is not: withdrawing the item later puts the notice into the document at the same
address, so shared caches keep it but check it on every use (``no-cache``), or readers
could be handed the version without its notice for a year. Published and withdrawn items
are open to everyone, so copies are ``public``; anything a member of the public may not
read is ``private``.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from mutuals.accounts.permissions import ANONYMOUS, visible
from mutuals.publishing.models import Item, Publication, RenderedPdf
from mutuals.publishing.withdrawal import noticed_document
from mutuals.reports import render as report_render

logger = logging.getLogger(__name__)
REQUEUE_AFTER = timedelta(minutes=10)  # queued, yet still not made: its task was lost
FINAL = "public, max-age=31536000, immutable"
CHECKED = "public, no-cache"
PRIVATE = "private, no-cache"


@dataclass(frozen=True)
class Served:
    """The HTML a version is downloaded as, and its SHA-256 (the PDF's key and ETag)."""

    html: str
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def served(version: Publication) -> Served:
    html = noticed_document(version)
    return Served(html, hashlib.sha256(html.encode()).hexdigest())


def stored_pdf(digest: str) -> bytes | None:
    """The PDF made from the HTML with this digest, if a worker has made it."""
    pdf = (
        RenderedPdf.objects.filter(sha256=digest, made_at__isnull=False)
        .values_list("pdf", flat=True)
        .first()
    )
    return None if pdf is None else bytes(pdf)


def is_made(digest: str) -> bool:
    return RenderedPdf.objects.filter(sha256=digest, made_at__isnull=False).exists()


def cache_control(item: Item, version: Publication) -> str:
    if not visible(ANONYMOUS, "publication").filter(pk=item.pk).exists():
        return PRIVATE
    return FINAL if version.is_withdrawn else CHECKED


def queue(version: Publication, already: Served | None = None) -> Served:
    """Queue the version's PDF for the workers unless it is made, or queued and not yet
    overdue. Never raises: a PDF not queued now is queued by the first request for it."""
    current = already or served(version)
    try:
        if version.document_html and _first_to_ask(current.digest):
            from mutuals.publishing.tasks import render_version_pdf

            render_version_pdf.enqueue(version.pk)
    except Exception:
        logger.exception("could not queue the PDF of publication %s", version.pk)
    return current


def queue_versions(versions) -> None:
    for version in versions:
        queue(version)


def _first_to_ask(digest: str) -> bool:
    """Whether this caller should queue the PDF: nobody has, or whoever did was long ago
    and it is still not made (a conditional update, so two callers never both do)."""
    now = timezone.now()
    row = RenderedPdf.objects.filter(sha256=digest).values("made_at", "requested_at").first()
    if row is None:
        try:
            with transaction.atomic():
                RenderedPdf.objects.create(sha256=digest, requested_at=now)
        except IntegrityError:
            return False  # another request queued it a moment ago
        return True
    if row["made_at"] is not None or now - row["requested_at"] < REQUEUE_AFTER:
        return False
    overdue = RenderedPdf.objects.filter(
        sha256=digest, made_at__isnull=True, requested_at=row["requested_at"]
    )
    return overdue.update(requested_at=now) == 1


def make(version_id: int) -> str:
    """Typeset the version's PDF now unless it is made already (the workers' task; safe to
    run twice); returns the digest it is stored under."""
    version = Publication.objects.filter(pk=version_id).first()
    if version is None or not version.document_html:
        return ""
    current = served(version)
    if not is_made(current.digest):
        store(current.digest, report_render.pdf_of_html(current.html))
    return current.digest


def store(digest: str, pdf: bytes) -> None:
    now = timezone.now()
    if RenderedPdf.objects.filter(sha256=digest).update(pdf=pdf, made_at=now):
        return
    try:
        with transaction.atomic():
            RenderedPdf.objects.create(sha256=digest, pdf=pdf, requested_at=now, made_at=now)
    except IntegrityError:  # queued meanwhile: fill that row in
        RenderedPdf.objects.filter(sha256=digest).update(pdf=pdf, made_at=now)
