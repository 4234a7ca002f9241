"""The returns' background work, for ``mutuals worker``: the summary pages read
(:mod:`mutuals.returns.summary`), made again after an import so no page has to."""

from __future__ import annotations

from django_tasks import task


@task()
def refresh_summary() -> str:
    """Work out the returns' summary at their current version; returns the version. Safe
    to run twice or late: it always reads the returns as they are when it runs."""
    from mutuals.returns.summary import refresh

    return refresh().version


def refresh_after_import(sender, **_) -> None:
    refresh_summary.enqueue()
