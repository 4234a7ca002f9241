"""The ballot tick as a scheduled job: every minute, open frozen ballots whose time has come
and close and tally those whose closing time has passed."""

from __future__ import annotations

from mutuals.governance.ballots.lifecycle import tick
from mutuals.publishing.scheduler import every, register


def open_and_close_ballots() -> str:
    report = tick()
    return f"{len(report.opened)} opened, {len(report.closed)} closed and tallied"


register("ballot-tick", every(60), open_and_close_ballots)
