"""A report as HTML (one self-contained file, charts as inline SVG) and as PDF.

The PDF is WeasyPrint's rendering of the same HTML under the print styles:
A4 pages numbered "Page n of N", a contents list with page numbers, table
headers repeated on each page and no table row split across two. WeasyPrint
fetches nothing: the HTML carries its stylesheet and charts inline, fonts are
the server's own (Liberation Sans, else any sans-serif), and the fetcher
allows only ``data:`` addresses.

Typesetting a PDF takes seconds of CPU (tens of seconds for the national portfolio), so
no web request does it: the workers make each PDF once and keep it in the database
(:mod:`mutuals.publishing.version_pdfs` for published versions,
:mod:`mutuals.publishing.live_reports` for the workbench's reports), and requests only
serve the stored bytes (:func:`download`). ``mutuals report``, a batch command, still
typesets in its own process. Rendering the HTML takes tens of milliseconds, so an HTML
download is made in the request (:func:`attachment`).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string

from mutuals.reports.document import Report

TEMPLATE = "mutuals/reports/report.html"
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}
NOT_STORED = "private, no-store"


def render_html(report: Report) -> str:
    return render_to_string(TEMPLATE, {"report": report})


def pdf_of_html(html: str) -> bytes:
    """Typeset ``html`` as PDF: the one place WeasyPrint runs, for workers and commands."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html, url_fetcher=fetcher).write_pdf()


def render_pdf(report: Report, *, html: str | None = None) -> bytes:
    """The report as PDF bytes (``html``: the report's HTML when already rendered)."""
    return pdf_of_html(html or render_html(report))


def download(
    content: bytes | str, format_: str, filename: str, *, cache_control: str = NOT_STORED
) -> HttpResponse:
    """Content already made, as a download named ``filename`` (without its extension)."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[format_])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{format_}"'
    response["Cache-Control"] = cache_control
    return response


def attachment(report: Report, format_: str = "html") -> HttpResponse:
    """The report as an HTML download, rendered here and never cached on the way (its
    figures depend on who may see them). A PDF is refused: the workers make those."""
    if format_ != "html":
        raise ValueError("a report's PDF is made by the workers, never in a request")
    return download(render_html(report), "html", report.filename)
