"""The ballot tick, queued every minute by ``mutuals scheduler`` for the workers."""

from __future__ import annotations

from mutuals.governance.tasks import tick_ballots
from mutuals.publishing.scheduler import every, queue, register

register("ballot-tick", every(60), queue(tick_ballots))
