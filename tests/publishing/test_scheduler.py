"""The scheduler: digests fall due after the configured hour and day, once per period,
and a failing job does not stop the others."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mutuals.publishing import jobs, scheduler
from mutuals.publishing.errors import ScheduleError
from mutuals.publishing.models import DigestPeriod, Frequency
from mutuals.publishing.periods import last_complete

pytestmark = pytest.mark.django_db


def at(day: int, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, 11, day, hour, 5))  # 23 Nov 2026 is a Monday


def test_daily_digest_is_due_after_the_hour_until_sent(settings):
    settings.DIGEST_DAILY_HOUR = 7
    assert not jobs.daily_due(at(24, 6))
    assert jobs.daily_due(at(24, 7))
    period = last_complete(Frequency.DAILY, at(24, 7))
    DigestPeriod.objects.create(
        frequency="daily",
        starts_at=period.starts_at,
        ends_at=period.ends_at,
        completed_at=timezone.now(),
    )
    assert not jobs.daily_due(at(24, 9))


def test_weekly_digest_is_due_from_the_configured_day(settings):
    settings.DIGEST_DAILY_HOUR, settings.DIGEST_WEEKLY_DAY = 7, "wednesday"
    assert not jobs.weekly_due(at(23, 12))  # Monday
    assert not jobs.weekly_due(at(25, 6))  # Wednesday, too early
    assert jobs.weekly_due(at(25, 8))
    assert jobs.weekly_due(at(28, 1))  # Saturday: the scheduler was down on Wednesday
    assert last_complete(Frequency.WEEKLY, at(25, 8)).first_day == dt.date(2026, 11, 16)


def test_bad_schedule_settings_are_named(settings):
    settings.DIGEST_WEEKLY_DAY = "funday"
    with pytest.raises(ScheduleError, match="DIGEST_WEEKLY_DAY='funday' is not a day"):
        jobs.weekly_due(at(25, 8))
    settings.DIGEST_DAILY_HOUR = 25
    with pytest.raises(ScheduleError, match="DIGEST_DAILY_HOUR=25"):
        jobs.daily_hour()


def test_run_due_runs_registered_jobs_and_survives_failures(monkeypatch):
    monkeypatch.setattr(scheduler, "JOBS", {})
    ran = []
    scheduler.register("tick", scheduler.every(60), lambda: ran.append("tick") or "ticked")
    scheduler.register("broken", scheduler.every(60), lambda: 1 / 0)
    outcomes = scheduler.run_due(at(24, 8))
    assert [(o.job, o.ok) for o in outcomes] == [("tick", True), ("broken", False)]
    assert "ZeroDivisionError" in outcomes[1].message
    assert scheduler.run_due(at(24, 8) + dt.timedelta(seconds=30)) == []
    assert len(scheduler.run_due(at(24, 8) + dt.timedelta(seconds=61))) == 2
    assert ran == ["tick", "tick"]


def test_the_periodic_jobs_are_registered():
    assert {"digest-daily", "digest-weekly", "ballot-tick"} <= set(scheduler.JOBS)


def test_every_job_that_queues_a_task_names_one(settings):
    """Jobs name their tasks by dotted path, imported when they first run: each path leads
    to a task that goes on the queue."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    queued = {"ballot-tick", "events-tick", "events-retention"}
    assert queued <= set(scheduler.JOBS)
    for name in sorted(queued):
        assert scheduler.JOBS[name].run().startswith("queued as task ")
    names = sorted(result.task.name for result in default_task_backend.results)
    assert names == ["forget_attendees", "tick_ballots", "tick_events"]


def test_a_job_naming_no_task_fails_when_it_runs(monkeypatch):
    monkeypatch.setattr(scheduler, "JOBS", {})
    scheduler.register("typo", scheduler.every(60), scheduler.queue("mutuals.nowhere.tick"))
    (outcome,) = scheduler.run_due(at(24, 8))
    assert not outcome.ok and "mutuals.nowhere" in outcome.message


def test_scheduler_command_runs_due_jobs_once(monkeypatch, capsys):
    from django.core.management import call_command

    monkeypatch.setattr(scheduler, "JOBS", {})
    scheduler.register("tick", scheduler.every(60), lambda: "ticked")
    call_command("scheduler", "--list")
    assert capsys.readouterr().out.strip() == "tick"
    call_command("scheduler", "--once")
    assert "tick: ticked" in capsys.readouterr().out


def test_scheduler_loop_stops_when_asked(monkeypatch):
    monkeypatch.setattr(scheduler, "JOBS", {})
    ran = []
    scheduler.register("tick", scheduler.every(0), lambda: ran.append(1))
    scheduler.loop(0.01, should_stop=lambda: len(ran) >= 3)
    assert len(ran) == 3


def test_digest_command_names_a_bad_period():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--period 'soon' is not a date"):
        call_command("digest", "send", "--frequency", "daily", "--period", "soon")


def test_the_scheduler_only_queues_the_ballot_tick(settings, monkeypatch):
    """The tick is work for the workers: the scheduler puts it on the queue, nothing more."""
    from django_tasks import default_task_backend

    from mutuals.governance import tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(tasks, "tick", lambda: pytest.fail("the tick ran in the scheduler"))
    outcomes = [o for o in scheduler.run_due(at(24, 8)) if o.job == "ballot-tick"]
    queued = [r.task.name for r in default_task_backend.results]
    assert queued.count("tick_ballots") == 1
    assert outcomes[0].message.startswith("queued as task ")


def test_the_scheduler_only_queues_a_due_digest(settings, monkeypatch):
    """A due digest is queued for the workers, with its frequency, never sent by the
    scheduler itself (when it stops being due: test_daily_digest_is_due_...)."""
    from django_tasks import default_task_backend

    from mutuals.publishing import digests

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.DIGEST_DAILY_HOUR, settings.DIGEST_WEEKLY_DAY = 7, "friday"  # only the daily due
    monkeypatch.setattr(digests, "send", lambda *a, **k: pytest.fail("sent in the scheduler"))
    outcomes = {o.job: o for o in scheduler.run_due(at(24, 8))}
    queued = [list(r.args) for r in default_task_backend.results if r.task.name == "send_digest"]
    assert queued == [[Frequency.DAILY]]
    assert outcomes["digest-daily"].message.startswith("queued as task ")
    assert "digest-weekly" not in outcomes


def test_the_digest_task_sends_the_period(monkeypatch):
    from mutuals.publishing import digests, tasks

    sent = []
    monkeypatch.setattr(digests, "send", lambda frequency: sent.append(frequency) or "summary")
    result = tasks.send_digest.enqueue(Frequency.WEEKLY)
    assert sent == [Frequency.WEEKLY] and result.return_value == "summary"
