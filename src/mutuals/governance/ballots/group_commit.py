"""Group commit for SQLite: casts arriving together are written in one transaction.

SQLite lets one transaction write at a time. Left to itself, each waiting connection polls
for the lock, sleeping up to 100 ms a try, so under a burst of voters a few wait far longer
than the rest; queueing them in turn instead costs a thread hand-over per cast, which on a
busy machine is several times the cast itself. Here the first caller becomes the writer:
it takes every cast queued so far and runs them in one transaction, each inside its own
savepoint (a refused cast rolls back alone), commits once, and hands each caller its
result; casts queued meanwhile make the next batch. Within one process, which is where
threads share a connection pool; PostgreSQL needs none of this.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction


@dataclass
class _Job:
    work: Callable[[], Any]
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._writing = False

    def run(self, work: Callable[[], Any]) -> Any:
        """``work()``'s result, run in a batch's transaction on some thread's connection
        (its own, or that of the thread writing the batch)."""
        job = _Job(work)
        with self._guard:
            self._queue.append(job)
            lead = not self._writing
            self._writing = True
        if lead:
            self._write_until_empty()
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _write_until_empty(self) -> None:
        while True:
            with self._guard:
                batch = list(self._queue)
                self._queue.clear()
                if not batch:
                    self._writing = False
                    return
            self._write(batch)

    @staticmethod
    def _write(batch: list[_Job]) -> None:
        try:
            with transaction.atomic():
                for job in batch:
                    try:
                        with transaction.atomic():
                            job.result = job.work()
                    except Exception as error:  # noqa: BLE001 - handed to its caller
                        job.error = error
        except Exception as error:  # noqa: BLE001 - the commit failed: every cast with it
            for job in batch:
                job.result, job.error = None, job.error or error
        finally:
            for job in batch:
                job.done.set()
