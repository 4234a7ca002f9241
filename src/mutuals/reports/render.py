"""A report as HTML (one self-contained file, charts as inline SVG) and as PDF.

The PDF is WeasyPrint's rendering of the same HTML under the print styles:
A4 pages numbered "Page n of N", a contents list with page numbers, table
headers repeated on each page and no table row split across two. WeasyPrint
fetches nothing: the HTML carries its stylesheet and charts inline, fonts are
the server's own (Liberation Sans, else any sans-serif), and the fetcher
allows only ``data:`` addresses.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string

from mutuals.reports.document import Report

TEMPLATE = "mutuals/reports/report.html"
CONTENT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def render_html(report: Report) -> str:
    return render_to_string(TEMPLATE, {"report": report})


def render_pdf(report: Report, *, html: str | None = None) -> bytes:
    """The report as PDF bytes (``html``: the report's HTML when already rendered)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return HTML(string=html or render_html(report), url_fetcher=fetcher).write_pdf()


def attachment(report: Report, format_: str) -> HttpResponse:
    """The report as a download (``format_`` html or pdf), never cached on the way."""
    html = render_html(report)
    content = render_pdf(report, html=html) if format_ == "pdf" else html
    response = HttpResponse(content, content_type=CONTENT_TYPES[format_])
    response["Content-Disposition"] = f'attachment; filename="{report.filename}.{format_}"'
    response["Cache-Control"] = "private, no-store"
    return response
