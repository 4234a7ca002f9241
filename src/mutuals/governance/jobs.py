"""The ballot tick, queued every minute by ``mutuals scheduler`` for the workers."""

from __future__ import annotations

from mutuals.publishing.scheduler import every, queue, register

register("ballot-tick", every(60), queue("mutuals.governance.tasks.tick_ballots"))
