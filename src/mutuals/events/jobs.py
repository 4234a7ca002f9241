"""The events' periodic work, queued by ``mutuals scheduler`` for the workers: the tick
every minute (lapsed waiting-list offers, reminders, unsent email, untypeset invoices) and,
every hour, removing the details of attendees whose event is past its retention time."""

from __future__ import annotations

from mutuals.publishing.scheduler import every, queue, register

register("events-tick", every(60), queue("mutuals.events.tasks.tick_events"))
register("events-retention", every(3600), queue("mutuals.events.tasks.forget_attendees"))
