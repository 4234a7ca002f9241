"""The ballot tick as a background task: open frozen ballots whose time has come, close and
tally those whose closing time has passed, and tally any left closed without a result."""

from __future__ import annotations

from django_tasks import task

from mutuals.governance.ballots.lifecycle import tick


@task()
def tick_ballots() -> str:
    report = tick()
    return (
        f"{len(report.opened)} opened, {len(report.closed)} closed and tallied, "
        f"{len(report.published)} closed earlier now tallied"
    )
