"""Workers for the task queue: django-tasks-db's worker, with a heartbeat so that a worker
that dies holding a task does not lose it.

A `mutuals worker` process claims tasks from the database queue exactly as django-tasks-db's
`db_worker` does (a row lock that skips what another worker holds, on PostgreSQL across any
number of hosts). It also writes a heartbeat every ``WORKER_HEARTBEAT_SECONDS``; any worker,
on each beat, puts back in the queue a task still marked running whose worker is known and
has been silent for six beats (killed with SIGKILL, or its machine lost). Tasks that may run
twice this way are written to be idempotent (an evaluation step stores its estimates once;
a run is gathered once, under a row lock). A worker that has never beaten — a plain
`db_worker` — is never presumed dead.

``run_workers`` starts several worker processes and starts again any that dies.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker as QueueWorker
from django_tasks_db.models import DBTaskResult

from mutuals.operations.models import WorkerBeat

logger = logging.getLogger(__name__)
SILENT_BEATS = 6


def new_worker_id() -> str:
    host = socket.gethostname()[:32]
    return f"{host}-{os.getpid()}-{get_random_string(8)}"


def silence_limit() -> timedelta:
    return timedelta(seconds=SILENT_BEATS * settings.WORKER_HEARTBEAT_SECONDS)


def beat(worker_id: str, started_at) -> None:
    now = timezone.now()
    WorkerBeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "beat_at": now,
                  "started_at": started_at},
    )  # fmt: skip


def requeue_abandoned() -> int:
    """Put back in the queue every task held by a known worker that has gone silent;
    returns how many. Safe to run from any number of workers at once."""
    cutoff = timezone.now() - silence_limit()
    known = dict(WorkerBeat.objects.values_list("worker_id", "beat_at"))
    requeued = 0
    for task in DBTaskResult.objects.filter(status="RUNNING").only(
        "id", "worker_ids", "started_at"
    ):
        holder = task.worker_ids[-1] if task.worker_ids else None
        if holder not in known or known[holder] >= cutoff:
            continue
        requeued += DBTaskResult.objects.filter(
            pk=task.pk, status="RUNNING", started_at=task.started_at
        ).update(status="READY", started_at=None)
        logger.warning(
            "task %s was held by silent worker %s: put back in the queue", task.pk, holder
        )
    WorkerBeat.objects.filter(beat_at__lt=cutoff - timedelta(days=1)).delete()
    return requeued


class Heartbeat(threading.Thread):
    """Beats, and reaps silent workers' tasks, every ``WORKER_HEARTBEAT_SECONDS``."""

    def __init__(self, worker_id: str) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    close_old_connections()
                    beat(self.worker_id, self.started_at)
                    requeue_abandoned()
                except Exception:  # a missed beat is retried; it must never stop the worker
                    logger.exception("worker %s could not beat", self.worker_id)
                self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=settings.WORKER_HEARTBEAT_SECONDS + 5)
        WorkerBeat.objects.filter(worker_id=self.worker_id).delete()


class Worker(QueueWorker):
    """django-tasks-db's worker loop, with a :class:`Heartbeat` beside it."""

    def run(self) -> None:
        beat(self.worker_id, timezone.now())
        heartbeat = Heartbeat(self.worker_id)
        heartbeat.start()
        try:
            super().run()
        finally:
            heartbeat.stop()


def run_worker(*, interval: float = 1.0, worker_id: str | None = None, batch: bool = False,
               queue_names: list[str] | None = None) -> None:  # fmt: skip
    worker = Worker(
        queue_names=queue_names or ["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=worker_id or new_worker_id(),
        excluded_queue_names=[],
    )
    worker.configure_signals()
    worker.run()


def run_workers(processes: int, *, interval: float = 1.0, write=print) -> None:
    """Start ``processes`` worker processes and keep them running until told to stop
    (SIGINT or SIGTERM, passed on to each)."""
    command = [sys.executable, "-m", "mutuals.cli", "worker", "--processes", "1",
               "--interval", str(interval)]  # fmt: skip
    children: list[subprocess.Popen] = []
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    children.extend(subprocess.Popen(command) for _ in range(processes))
    write(f"Started {processes} worker processes: {', '.join(str(c.pid) for c in children)}.")
    while not stopping.is_set():
        for number, child in enumerate(children):
            if child.poll() is not None and not stopping.is_set():
                write(f"Worker process {child.pid} stopped (status {child.returncode}); "
                      "starting another.")  # fmt: skip
                time.sleep(1)
                children[number] = subprocess.Popen(command)
        stopping.wait(1)
    for child in children:
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
