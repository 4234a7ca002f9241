"""The portfolio dashboard's figures, kept in the cache until the data behind them changes.

Working the figures out (contracts and their audit, savings, failure risk, staff control,
the latest evaluation) takes a few hundred milliseconds on the national world; they
change only when someone writes. The key names everything they depend on: the database's
data-generation token (:mod:`mutuals.operations.generation`), the returns' version
(:mod:`mutuals.returns.summary`), the run, the "as of" date, today, the settings and the
code's version. Any write to those tables gives a new token, so a stale answer is never
served; the old entries simply expire.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from mutuals import config
from mutuals.evaluation.models import EvaluationRun
from mutuals.operations import generation
from mutuals.reports.content import PortfolioFigures, gather_portfolio
from mutuals.reports.control import dashboard_context
from mutuals.returns.coverage import ReturnsCoverage
from mutuals.returns.summary import returns_version

KEEP_SECONDS = 24 * 3600


@functools.cache
def _code_version() -> str:
    """The installed package's version, read from its metadata once per process."""
    try:
        return version("mutuals")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "source"


def _settings_digest() -> str:
    values = [repr(getattr(settings, s.name, None)) for s in config.SETTINGS]
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]


def portfolio_figures(
    run: EvaluationRun | None, as_of: date | None, coverage: ReturnsCoverage
) -> tuple[PortfolioFigures, dict]:
    """The dashboard's figures and its staff-control section, from the cache when the data
    behind them is unchanged since they were made."""
    token = generation.token()
    if token is None:  # no triggers yet: nothing would tell the cache the data changed
        return _made(run, as_of, coverage)
    parts = (
        token,
        returns_version(),
        run.pk if run else 0,
        as_of.isoformat() if as_of else "default",
        timezone.localdate().isoformat(),
        _settings_digest(),
        _code_version(),
    )
    key = "portfolio-figures:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _made(run, as_of, coverage)
        cache.set(key, found, KEEP_SECONDS)
    return found


def _made(run, as_of, coverage) -> tuple[PortfolioFigures, dict]:
    figures = gather_portfolio(run, as_of=as_of, coverage=coverage)
    return figures, dashboard_context(figures.as_of)
