"""The ballot tick as a scheduled job: every minute, open frozen ballots whose time has come
close and tally those whose closing time has passed, and tally any left closed without
a result."""

from __future__ import annotations

from mutuals.governance.ballots.lifecycle import tick
from mutuals.publishing.scheduler import every, register


def open_and_close_ballots() -> str:
    report = tick()
    return (
        f"{len(report.opened)} opened, {len(report.closed)} closed and tallied, "
        f"{len(report.published)} closed earlier now tallied"
    )


register("ballot-tick", every(60), open_and_close_ballots)
