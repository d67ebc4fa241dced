"""Locks held by jobs: a cycle whose payment file a job is writing is held by that job, and a worker
that dies mid-write leaves nothing locked for ever."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from entas.accounts.models import User
from entas.core import jobqueue, locks
from entas.core.models import Job
from entas.programs.models import Cycle, Programme
from entas.targeting import services as targeting

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(regions: Any, dinsos_manager: User) -> Cycle:
    rule = targeting.save_rule(actor=None, name="Semua", expression="true", benefit=1)
    programme = Programme.objects.create(
        name="BLT",
        agency="Dinsos",
        funding="apbd",
        start=dt.date(2026, 1, 1),
        end=dt.date(2026, 12, 31),
        rule=rule,
        base_amount=1,
        budget_ceiling=10,
        channel="bank",
    )
    return Cycle.objects.create(programme=programme, number=1, period="2026-01")


def _job(user: User, status: str = Job.Status.RUNNING) -> Job:
    return Job.objects.create(kind="programs.export", status=status, created_by=user, heartbeat_at=timezone.now())


def test_one_job_at_a_time_holds_a_cycle(cycle: Cycle, dinsos_manager: User) -> None:
    first, second = _job(dinsos_manager), _job(dinsos_manager)
    assert locks.acquire(Cycle, cycle.pk, first)
    assert not locks.acquire(Cycle, cycle.pk, second)
    assert locks.holder(Cycle.objects.get(pk=cycle.pk)) == first
    locks.release(Cycle, cycle.pk, first)
    assert locks.acquire(Cycle, cycle.pk, second)


def test_a_job_that_ended_holds_nothing(cycle: Cycle, dinsos_manager: User) -> None:
    dead = _job(dinsos_manager)
    assert locks.acquire(Cycle, cycle.pk, dead)
    Job.objects.filter(pk=dead.pk).update(status=Job.Status.FAILED)  # ended without releasing
    assert locks.holder(Cycle.objects.get(pk=cycle.pk)) is None
    assert locks.acquire(Cycle, cycle.pk, _job(dinsos_manager))


def test_a_worker_that_dies_mid_write_leaves_the_cycle_free(cycle: Cycle, dinsos_manager: User) -> None:
    """Before: Cycle.locked stayed true for ever and re-running the failed job was refused."""
    writer = _job(dinsos_manager)
    assert locks.acquire(Cycle, cycle.pk, writer)
    Job.objects.filter(pk=writer.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert jobqueue.mark_interrupted(stale_after=dt.timedelta(minutes=5)) == 1
    assert Cycle.objects.get(pk=cycle.pk).locked_by is None
    writer.refresh_from_db()
    assert writer.status == Job.Status.FAILED
    again = jobqueue.rerun(job=writer, actor=dinsos_manager, queue=False)
    assert locks.acquire(Cycle, cycle.pk, again)
