"""Group commit for SQLite: casts arriving together are written in one transaction.

SQLite lets one transaction write at a time. Left to itself, each waiting connection polls
for the lock, sleeping up to 100 ms a try, so under a burst of voters a few wait far longer
than the rest; queueing them in turn instead costs a thread hand-over per cast, which on a
busy machine is several times the cast itself.

Here casts are queued for a writer thread of their own, started when a cast finds none.
It takes every cast queued so far and runs them in one transaction, each inside its own
savepoint (a refused cast rolls back alone), commits once, hands each caller its result,
and goes on with what queued meanwhile until the queue is empty; then it closes its
connection and ends. No caller writes anyone else's cast, so each waits only for the batch
being written when it arrived and its own, however steadily casts keep coming. A cast on
its own pays for opening the writer's connection (about 4 ms instead of 1). Within one
process, which is where threads share a connection pool; PostgreSQL needs none of this.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction


@dataclass
class _Job:
    work: Callable[[], Any]
    wake: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._writing = False

    def run(self, work: Callable[[], Any]) -> Any:
        """``work()``'s result, run in a batch's transaction on the writer thread's
        connection."""
        job = _Job(work)
        with self._guard:
            self._queue.append(job)
            if not self._writing:
                self._writing = True
                threading.Thread(
                    target=self._write_until_empty, name="ballot-writer", daemon=True
                ).start()
        job.wake.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _write_until_empty(self) -> None:
        """The writer thread: write batches until nothing is queued, then stand down."""
        try:
            while True:
                with self._guard:
                    batch = list(self._queue)
                    self._queue.clear()
                    if not batch:
                        self._writing = False
                        return
                self._write(batch)
        except BaseException as error:  # the thread is dying: release everyone queued
            with self._guard:
                stranded = list(self._queue)
                self._queue.clear()
                self._writing = False
            for job in stranded:
                job.error = error
                job.wake.set()
            raise
        finally:
            connection.close()

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
                job.wake.set()
