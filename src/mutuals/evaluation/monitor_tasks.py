"""Monitoring after an import, on the task queue: a module of its own, light to load, so
that an import (a command, a request) that only queues the task does not load the
statistics libraries the charting needs."""

from __future__ import annotations

from django_tasks import task


@task()
def monitor_organisations(organisation_ids: list[int]) -> str:
    """Chart the organisations' series again and replace their open alerts; returns the
    summary's first line. Safe to run twice: the second run finds the same alerts open."""
    from mutuals.evaluation.monitoring import run_monitoring

    summary = run_monitoring(organisation_ids=organisation_ids)
    return " ".join(summary.lines()[:2])


def monitor_after_import(sender, *, organisation_ids: list[int], **_) -> None:
    """After returns are imported, queue the charting of the organisations they were for,
    so the request or command that imported them does not wait for it."""
    if organisation_ids:
        monitor_organisations.enqueue(list(organisation_ids))
