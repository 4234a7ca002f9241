"""What the operations app keeps: each worker process's heartbeat, and the token that
changes whenever data the portfolio figures are made from changes."""

from __future__ import annotations

from django.db import models


class WorkerBeat(models.Model):
    """A `mutuals worker` process saying it is alive. A task held by a worker whose beat
    has stopped is put back in the queue (:mod:`mutuals.operations.worker`)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"worker {self.worker_id} on {self.host} (pid {self.pid})"


class DataGeneration(models.Model):
    """One row whose token database triggers replace on every write to the tables the
    portfolio's figures are made from (:mod:`mutuals.operations.generation`)."""

    token = models.CharField(max_length=40, default="0")

    def __str__(self) -> str:
        return f"data generation {self.token}"
