"""The health check: the rule on plain data, /health/, `entas health`, the jobs page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from entas.accounts.models import User
from entas.core import health, jobqueue
from entas.core.models import Job, WorkerHeartbeat

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def seen(seconds_ago: float, **extra: Any) -> health.WorkerSeen:
    moment = NOW - timedelta(seconds=seconds_ago)
    return health.WorkerSeen(
        worker_id=f"w{seconds_ago}", hostname="app1", pid=42, started_at=moment, seen_at=moment, **extra
    )


# -- the rule -------------------------------------------------------------------------------------------
def test_a_worker_that_polled_recently_is_live() -> None:
    report = health.assess([seen(10)], now=NOW, stale_seconds=120)
    assert report.ok and len(report.live) == 1 and report.quiet_seconds == 10


def test_a_worker_silent_past_the_threshold_is_dead_or_stuck() -> None:
    report = health.assess([seen(600)], now=NOW, stale_seconds=120)
    assert not report.ok and len(report.silent) == 1 and report.quiet_seconds == 600


def test_a_worker_busy_with_a_job_is_live_while_the_job_progresses() -> None:
    progressing = seen(3600, job_id=7, job_progress_at=NOW - timedelta(seconds=5))
    stuck = seen(3600, job_id=8, job_progress_at=NOW - timedelta(seconds=900))
    assert health.assess([progressing], now=NOW, stale_seconds=120).ok
    assert not health.assess([stuck], now=NOW, stale_seconds=120).ok


def test_a_cleanly_stopped_worker_is_neither_live_nor_silent_and_none_ever_is_reported() -> None:
    report = health.assess([seen(600, stopped_at=NOW - timedelta(seconds=590))], now=NOW, stale_seconds=120)
    assert not report.ok and not report.live and not report.silent
    never = health.assess([], now=NOW, stale_seconds=120)
    assert not never.ok and never.quiet_seconds is None


def test_one_live_worker_is_enough_when_another_died() -> None:
    report = health.assess([seen(5), seen(5000)], now=NOW, stale_seconds=120)
    assert report.ok and len(report.silent) == 1


# -- /health/ -------------------------------------------------------------------------------------------
def beat(seconds_ago: float, **extra: Any) -> WorkerHeartbeat:
    moment = timezone.now() - timedelta(seconds=seconds_ago)
    return WorkerHeartbeat.objects.create(
        worker_id=f"w-{seconds_ago}", hostname="app1.internal", pid=4242, started_at=moment, seen_at=moment, **extra
    )


@pytest.mark.django_db
def test_the_health_endpoint_answers_anonymous_probes_with_states_and_counts_only(
    client: Client, operator_manggar: User
) -> None:
    beat(5)
    jobqueue.submit(kind="registry.export", params={}, actor=operator_manggar, queue=False)
    response = client.get("/health/")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok" and body["database"] == {"ok": True}
    assert body["worker"]["live"] == 1 and body["worker"]["seconds_since_last_poll"] >= 5
    text = response.content.decode()
    assert "app1" not in text and "4242" not in text and "op.manggar" not in text


@pytest.mark.django_db
def test_the_health_endpoint_fails_when_no_worker_polls_but_not_its_database_only_check(client: Client) -> None:
    beat(3600)
    assert client.get("/health/").status_code == 503
    assert client.get("/health/").json()["worker"] == {
        "ok": False,
        "live": 0,
        "silent": 1,
        "seconds_since_last_poll": pytest.approx(3600, abs=5),
    }
    assert client.get("/health/?check=database").status_code == 200  # a load balancer keeps this server


@pytest.mark.django_db
def test_the_health_endpoint_says_when_the_database_does_not_answer(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> list[health.WorkerSeen]:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "workers_seen", unreachable)
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["database"] == {"ok": False}
    assert "connection refused" not in response.content.decode()


# -- entas health ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_health_command_exits_0_with_a_live_worker_and_1_without() -> None:
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("health", stdout=out)
    assert failed.value.returncode == 1
    assert "NONE has ever run" in out.getvalue()
    beat(4000, job=None)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("health", stdout=out)
    assert "silent  app1.internal:4242 (dead or stuck)" in out.getvalue()
    beat(3)
    out = StringIO()
    call_command("health", stdout=out)
    assert "worker: ok (1 live)" in out.getvalue()
    call_command("health", "--database-only", stdout=StringIO())


@pytest.mark.django_db
def test_the_health_command_exits_2_when_the_database_does_not_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable() -> list[health.WorkerSeen]:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health, "workers_seen", unreachable)
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("health", "--json", stdout=out)
    assert failed.value.returncode == 2
    assert '"error": "connection refused"' in out.getvalue()


# -- the jobs page --------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_jobs_page_says_when_the_worker_has_not_polled_and_tells_administrators_where(
    client_for: Callable[[User], Client], operator_manggar: User, admin_user: User
) -> None:
    beat(600)
    operator_page = client_for(operator_manggar).get(reverse("jobs:list")).content.decode()
    assert "10 menit" in operator_page and "app1.internal" not in operator_page
    admin_page = client_for(admin_user).get(reverse("jobs:list")).content.decode()
    assert "app1.internal" in admin_page and "4242" in admin_page
    beat(2)
    assert "10 menit" not in client_for(operator_manggar).get(reverse("jobs:list")).content.decode()


@pytest.mark.django_db
def test_the_jobs_page_says_when_no_worker_has_ever_run(
    client_for: Callable[[User], Client], operator_manggar: User
) -> None:
    page = client_for(operator_manggar).get(reverse("jobs:list")).content.decode()
    assert "entas worker" in page
    assert Job.objects.count() == 0
