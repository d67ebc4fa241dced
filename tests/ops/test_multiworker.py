"""Several `entas worker` processes on PostgreSQL share one queue without running a job twice: the
queue's claim is SELECT … FOR UPDATE SKIP LOCKED (django-tasks-db) and a job starts only from
'queued' (entas.core.jobqueue._execute)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from entas.core import jobqueue
from entas.core.models import Job
from tests.ops import multiworker_probe  # noqa: F401  (registers probe.record here too)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
JOBS = 60


@pytest.mark.django_db(transaction=True)
def test_two_workers_take_every_job_exactly_once(tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("several workers share a queue on PostgreSQL (SQLite has one writer at a time)")
    s = connection.settings_dict
    url = f"postgres://{s.get('USER') or 'postgres'}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
    jobs = [jobqueue.submit(kind="probe.record", params={"n": i}, actor=None) for i in range(JOBS)]
    assert all(Job.objects.get(pk=j.pk).task_id for j in jobs)
    log = tmp_path / "runs.log"
    env = {**os.environ, "ENTAS_DATABASE_URL": url, "ENTAS_VAR_DIR": str(tmp_path), "ENTAS_PROBE_LOG": str(log)}
    command = [sys.executable, "-m", "tests.ops.multiworker_probe", "--batch", "--interval", "0.1"]
    workers = [
        subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    runs = [line.split() for line in log.read_text().splitlines()]
    per_job = Counter(job for job, _pid in runs)
    assert sorted(int(j) for j in per_job) == sorted(j.pk for j in jobs)
    assert max(per_job.values()) == 1, [j for j, n in per_job.items() if n > 1]
    pids = Counter(pid for _job, pid in runs)
    assert len(pids) == 2, f"one worker took every job: {pids}"
    assert set(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("status", flat=True)) == {
        Job.Status.SUCCEEDED
    }
