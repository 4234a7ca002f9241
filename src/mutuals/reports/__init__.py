"""Value-for-money reports: the portfolio report and a provider's scorecard, as HTML and PDF.

A report is built in three steps, each usable on its own:

1. :mod:`mutuals.reports.content` gathers the figures from the services
   (objectives audit, savings, failure risk, monitoring, an evaluation run);
2. :mod:`mutuals.reports.portfolio` and :mod:`mutuals.reports.provider` turn
   them into a :class:`~mutuals.reports.document.Report` of sections, tables
   (:mod:`~mutuals.reports.tables`), charts (:mod:`~mutuals.reports.figures`)
   and findings (:mod:`~mutuals.reports.findings`);
3. :mod:`mutuals.reports.render` lays the report out as HTML and PDF.

The command (``mutuals report``), the web pages and the workers that make the PDFs call
:func:`build_portfolio` and :func:`build_provider`. Requests render HTML only; a PDF is
typeset by a worker and served from the database (see :mod:`mutuals.reports.render`).
"""

from __future__ import annotations

from datetime import date

from mutuals.evaluation.models import EvaluationRun
from mutuals.registry.models import Organisation
from mutuals.reports.content import gather_portfolio, gather_provider
from mutuals.reports.document import Report
from mutuals.reports.portfolio import portfolio_report
from mutuals.reports.provider import provider_report
from mutuals.reports.render import (
    CONTENT_TYPES,
    attachment,
    download,
    pdf_of_html,
    render_html,
    render_pdf,
)
from mutuals.reports.runs import ReportError, finished_run, latest_full_run

__all__ = [
    "CONTENT_TYPES",
    "Report",
    "attachment",
    "download",
    "pdf_of_html",
    "ReportError",
    "finished_run",
    "latest_full_run",
    "build_portfolio",
    "build_provider",
    "render_html",
    "render_pdf",
]


def build_portfolio(run: EvaluationRun | None, *, as_of: date | None = None) -> Report:
    """The portfolio value-for-money report, with the impact estimates of ``run``."""
    return portfolio_report(gather_portfolio(run, as_of=as_of))


def build_provider(
    organisation: Organisation, run: EvaluationRun | None, *, as_of: date | None = None
) -> Report:
    """One provider's scorecard report."""
    return provider_report(gather_provider(organisation, run, as_of=as_of))
