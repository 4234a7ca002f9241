"""The portfolio dashboard's figures, kept until the data behind them changes.

Working the figures out (contracts and their audit, savings, failure risk, staff control,
the latest evaluation) takes a few hundred milliseconds on the national world; they
change only when someone writes, so they are kept (:mod:`mutuals.web.kept`) under the
run and the "as of" date, beside the data's own version.
"""

from __future__ import annotations

from datetime import date

from mutuals.evaluation.models import EvaluationRun
from mutuals.reports.content import PortfolioFigures, gather_portfolio
from mutuals.reports.control import dashboard_context
from mutuals.returns.coverage import ReturnsCoverage
from mutuals.web.kept import kept


def portfolio_figures(
    run: EvaluationRun | None, as_of: date | None, coverage: ReturnsCoverage
) -> tuple[PortfolioFigures, dict]:
    """The dashboard's figures and its staff-control section."""
    parts = (run.pk if run else 0, as_of.isoformat() if as_of else "default")
    return kept("portfolio-figures", parts, lambda: _made(run, as_of, coverage))


def _made(run, as_of, coverage) -> tuple[PortfolioFigures, dict]:
    figures = gather_portfolio(run, as_of=as_of, coverage=coverage)
    return figures, dashboard_context(figures.as_of)
