"""When periodic work falls due: ``mutuals scheduler`` only puts it on the task queue.

The work itself (digests, the ballot tick) is done by ``mutuals worker`` processes, like
every other background task. One process (``mutuals scheduler``) wakes every minute and
*queues* each registered job that is due; ``mutuals scheduler --once`` does it once and
exits, for cron. A job decides for itself whether it is due, from the database where it
can (a digest is due when its period has no finished run), and each task is safe to run
twice, so a restart, a second scheduler or a cron line beside it never repeats work that
is done.

Other apps add jobs with :func:`register`, for instance a ballot tick every minute::

    from mutuals.publishing.scheduler import every, queue, register
    register("ballot-tick", every(60), queue("mutuals.governance.tasks.tick_ballots"))
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

Due = Callable[[datetime, datetime | None], bool]  # (now, when it last ran here) -> due?


@dataclass
class Job:
    name: str
    due: Due
    run: Callable[[], object]
    last_run: datetime | None = field(default=None, compare=False)


JOBS: dict[str, Job] = {}


def register(name: str, due: Due, run: Callable[[], object]) -> Job:
    """Add (or replace) a periodic job."""
    job = Job(name, due, run)
    JOBS[name] = job
    return job


def queue(task: str) -> Callable[[], str]:
    """A job's run that puts ``task`` (a Django task, by its dotted path) on the queue for
    the workers.

    The task is imported when the job first runs, not when it is registered: every
    process registers the jobs as it starts (an app's ``ready``), and a task module brings
    in all its work needs (the events' pulls in mail, invoices and calendars), which a
    command that never schedules anything should not wait for.
    """

    def enqueue() -> str:
        result = import_string(task).enqueue()
        return f"queued as task {result.id}"

    return enqueue


def every(seconds: int) -> Due:
    """Due when it has not run in this process for ``seconds``."""

    def due(now: datetime, last_run: datetime | None) -> bool:
        return last_run is None or (now - last_run).total_seconds() >= seconds

    return due


@dataclass(frozen=True)
class Outcome:
    job: str
    ok: bool
    message: str


def run_due(now: datetime | None = None) -> list[Outcome]:
    """Run every job that is due now; one job failing does not stop the others."""
    now = now or timezone.now()
    outcomes = []
    for job in list(JOBS.values()):
        try:
            due = job.due(now, job.last_run)
        except Exception as error:
            logger.exception("scheduled job %s cannot tell whether it is due", job.name)
            outcomes.append(Outcome(job.name, False, f"{type(error).__name__}: {error}"))
            continue
        if not due:
            continue
        try:
            result = job.run()
            outcomes.append(Outcome(job.name, True, str(result or "done")))
        except Exception as error:
            logger.exception("scheduled job %s failed", job.name)
            outcomes.append(Outcome(job.name, False, f"{type(error).__name__}: {error}"))
        finally:
            job.last_run = now
            close_old_connections()
    return outcomes


def loop(
    interval: float = 60.0,
    *,
    report: Callable[[Outcome], None] = lambda outcome: None,
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    """Run due jobs every ``interval`` seconds until ``should_stop`` says so."""
    while not should_stop():
        for outcome in run_due():
            report(outcome)
        deadline = time.monotonic() + interval
        while time.monotonic() < deadline and not should_stop():
            time.sleep(min(1.0, interval))
