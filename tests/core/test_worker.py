"""The worker loop on a locked or unreachable database, in this process with its sleeps recorded
(the same in a real process and against a real lock: tests/security/test_worker.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError, ProgrammingError

from entas.accounts.models import User
from entas.core import jobqueue
from entas.core import worker as worker_module
from entas.core.models import WorkerHeartbeat
from entas.core.worker import DatabaseUnavailable, ResilientWorker


def make_worker(**extra: Any) -> ResilientWorker:
    worker = ResilientWorker(
        queue_names=["default"],
        excluded_queue_names=[],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        shared=False,
        give_up_after=extra.pop("give_up_after", None),
    )
    worker.sleep = extra.pop("sleep", lambda seconds: None)
    return worker


@pytest.mark.django_db
def test_the_worker_backs_off_while_the_database_is_locked_and_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps: list[float] = []
    outcomes: list[Any] = [OperationalError("database is locked")] * 7 + [None]

    def step(self: ResilientWorker) -> Any:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(ResilientWorker, "step", step)
    with caplog.at_level(logging.INFO, logger="entas.worker"):
        make_worker(sleep=sleeps.append).run()
    assert sleeps == [1, 2, 4, 8, 16, 30, 30]  # doubling, capped
    messages = [r.getMessage() for r in caplog.records]
    assert sum("Database unavailable (database is locked)" in m for m in messages) == 7
    assert any("Database available again" in m for m in messages)


def test_a_worker_told_to_give_up_raises_after_the_outage_lasts(monkeypatch: pytest.MonkeyPatch) -> None:
    def step(self: ResilientWorker) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(ResilientWorker, "step", step)
    with pytest.raises(DatabaseUnavailable, match="connection refused"):
        make_worker(give_up_after=0).run()


def test_an_error_that_is_not_an_outage_ends_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    def step(self: ResilientWorker) -> Any:
        raise ProgrammingError("no such table: core_job")  # a bug or a missing migration: no retry loop

    monkeypatch.setattr(ResilientWorker, "step", step)
    with pytest.raises(ProgrammingError):
        make_worker().run()


@pytest.mark.django_db(transaction=True)
def test_a_locked_database_during_the_stale_job_sweep_does_not_stop_the_worker(
    monkeypatch: pytest.MonkeyPatch, operator_manggar: User
) -> None:
    """The sweep for interrupted jobs used to run in a thread that died the same way as the loop."""
    calls = {"n": 0}
    real = jobqueue.mark_interrupted

    def sweep(**kwargs: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("database is locked")
        return real(**kwargs)

    monkeypatch.setattr(worker_module, "mark_interrupted", sweep)
    job = jobqueue.submit(kind="registry.export", params={"format": "csv"}, actor=operator_manggar)
    make_worker().run()
    job.refresh_from_db()
    assert job.status == "succeeded"
    beat = WorkerHeartbeat.objects.get(worker_id="test-worker")
    assert beat.stopped_at is not None and beat.job is None
    assert "database is locked" in beat.last_outage


@pytest.mark.django_db
def test_a_worker_starting_beside_a_live_one_leaves_its_job_in_hand_alone() -> None:
    """Two instances of the worker unit: the second to start took the first's running job for
    interrupted and failed it (the multi-worker test caught it when the second started late)."""
    from django.utils import timezone

    from entas.core.models import Job

    running = Job.objects.create(kind="probe", status=Job.Status.RUNNING, heartbeat_at=timezone.now())
    WorkerHeartbeat.objects.create(worker_id="other-worker", pid=1, seen_at=timezone.now())
    make_worker()._register()
    running.refresh_from_db()
    assert running.status == Job.Status.RUNNING  # the other worker's job in hand

    WorkerHeartbeat.objects.filter(worker_id="other-worker").update(stopped_at=timezone.now())
    WorkerHeartbeat.objects.filter(worker_id="test-worker").delete()
    make_worker()._register()  # alone now: what was running was interrupted
    running.refresh_from_db()
    assert running.status == Job.Status.FAILED
