"""The background worker's loop: django-tasks-db's ``db_worker``, made to outlive its database.

The library's loop opens its claiming transaction (``BEGIN EXCLUSIVE`` on SQLite) outside its
``try``: a lock held longer than the busy timeout, or a PostgreSQL server that goes away, raised
out of the loop. Under the development auto-reloader the loop's thread died while the process lived
on, so jobs stayed queued with nothing in the log to say why (issue #15). This loop:

- treats an unreachable or locked database (``OperationalError``, ``InterfaceError``) as an outage:
  it logs it, closes the connection, waits (1 s, doubling to :data:`MAX_BACKOFF_SECONDS`) and tries
  again, logging each retry and the recovery; with ``give_up_after`` it exits with
  :data:`EXIT_DATABASE_UNAVAILABLE` instead, for a supervisor to restart it;
- lets any other error end the process (non-zero), never a thread of it;
- marks jobs left running by a stopped worker as interrupted, and jobs the queue took but never
  started (:func:`mark_unstarted`), at start and every :data:`SWEEP_SECONDS`, inside the same
  guarded loop (the sweep was a thread that died the same way);
- writes a heartbeat row (:class:`~entas.core.models.WorkerHeartbeat`) so that ``entas health``,
  ``/health/`` and the jobs page can tell a live worker from a dead or stuck one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .jobqueue import mark_interrupted, run_job_task
from .models import Job, WorkerHeartbeat
from .uploads import purge_uploads

logger = logging.getLogger("entas.worker")

# The errors of a database that is away or busy (not of a query that is wrong): retried.
OUTAGE_ERRORS = (OperationalError, InterfaceError)
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
SWEEP_SECONDS = 60.0  # how often jobs left running by a stopped worker are looked for
PURGE_SECONDS = 3600.0  # how often uploads past ENTAS_UPLOAD_RETENTION_DAYS are deleted
KEEP_STOPPED_DAYS = 7  # heartbeat rows of stopped or vanished workers are pruned after this
EXIT_DATABASE_UNAVAILABLE = 3


class DatabaseUnavailable(Exception):
    """The database stayed unavailable longer than the worker was told to wait."""


class ResilientWorker(Worker):
    """A db_worker ``Worker`` whose loop survives database outages and records a heartbeat.

    The poll step mirrors ``Worker.run`` of django-tasks-db 0.13 (claim one ready task in an exclusive
    transaction, run it); the task itself still runs through the library's ``run_task``.
    """

    def __init__(self, *, shared: bool, give_up_after: float | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shared = shared
        self.give_up_after = give_up_after
        self.heartbeat_seconds = float(settings.ENTAS_WORKER_HEARTBEAT_SECONDS)
        self.sleep = time.sleep  # replaced in tests
        self._registered = False
        self._last_beat = float("-inf")
        self._last_sweep = float("-inf")
        self._last_purge = float("-inf")
        self._outage_started: float | None = None
        self._outage_wall: Any = None
        self._outage_error = ""
        self._backoff = FIRST_BACKOFF_SECONDS

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> None:
        logger.info("Worker %s started (host %s, pid %s).", self.worker_id, socket.gethostname(), os.getpid())
        try:
            while self.running:
                try:
                    task_result = self.step()
                except OUTAGE_ERRORS as exc:
                    self._outage(exc)
                    continue
                if self._outage_started is not None:
                    self._recovered()
                if self.batch and task_result is None:
                    logger.info("No more queued jobs; worker %s stops.", self.worker_id)
                    return
                if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                    return
                close_old_connections()
                if self.running and task_result is None:
                    self.sleep(self.interval)
        finally:
            self._stopped()

    def step(self) -> DBTaskResult | None:
        """One turn of the loop: start-up work once, heartbeat and sweep when due, claim and run one
        task. Returns the task it ran, or None when the queue was empty."""
        close_old_connections()
        if not self._registered:
            self._register()
        now = time.monotonic()
        if now - self._last_sweep >= SWEEP_SECONDS:
            self._sweep(None)
            self._last_sweep = now
        if now - self._last_purge >= PURGE_SECONDS:
            self._last_purge = now
            self._purge()
        if now - self._last_beat >= self.heartbeat_seconds:
            self._beat()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        if task_result is not None:
            self.running_task = True  # claimed: a stop signal now lets the task finish first
            self.run_task(task_result)
        return task_result

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Run one task, naming its job on the heartbeat row while it runs: the job's progress is
        then the worker's sign of life."""
        self._beat(job_id=_job_of(db_task_result))
        try:
            super().run_task(db_task_result)
        finally:
            self._beat(job_id=None)

    # -- outages -----------------------------------------------------------------------------------
    def _outage(self, exc: Exception) -> None:
        """Log the outage, drop the connection and wait before the next attempt (or give up)."""
        message = " ".join(str(exc).split()) or type(exc).__name__
        now = time.monotonic()
        if self._outage_started is None:
            self._outage_started, self._outage_wall = now, timezone.now()
            self._backoff = FIRST_BACKOFF_SECONDS
        self._outage_error = message
        lasted = now - self._outage_started
        for alias in connections:  # a broken connection is opened afresh on the next attempt
            with contextlib.suppress(Exception):
                connections[alias].close()
        if self.give_up_after is not None and lasted >= self.give_up_after:
            logger.error(
                "Database unavailable for %.0f s (%s): giving up; exit status %d so a supervisor restarts the worker.",
                lasted,
                message,
                EXIT_DATABASE_UNAVAILABLE,
            )
            raise DatabaseUnavailable(message) from exc
        logger.warning(
            "Database unavailable (%s)%s; retrying in %.0f s. Queued jobs wait until it is back.",
            message,
            f" for {lasted:.0f} s" if lasted >= 1 else "",
            self._backoff,
        )
        self.sleep(self._backoff)
        self._backoff = min(self._backoff * 2, MAX_BACKOFF_SECONDS)

    def _recovered(self) -> None:
        assert self._outage_started is not None
        lasted = time.monotonic() - self._outage_started
        started = timezone.localtime(self._outage_wall)
        logger.warning("Database available again after %.0f s; the worker polls the queue again.", lasted)
        note = f"{started:%Y-%m-%d %H:%M:%S} {lasted:.0f} s: {self._outage_error}"[:1000]
        self._outage_started = None
        with contextlib.suppress(*OUTAGE_ERRORS):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(last_outage=note)

    # -- heartbeat ---------------------------------------------------------------------------------
    def _register(self) -> None:
        """Start-up: jobs left running by a stopped worker are interrupted; this worker's row is
        written; rows of workers long gone are pruned.

        Alone, a starting worker takes every running job for interrupted at once. With another worker
        alive (``--shared``, or a heartbeat seen lately), only the jobs silent for
        ENTAS_JOB_STALE_SECONDS: the other's job in hand is not interrupted (a second instance of the
        systemd unit started while the first ran a job failed that job)."""
        now = timezone.now()
        recently = now - timedelta(seconds=max(3 * self.heartbeat_seconds, 30))
        others = WorkerHeartbeat.objects.filter(stopped_at__isnull=True, seen_at__gte=recently).exclude(
            worker_id=self.worker_id
        )
        self._sweep(None if self.shared or others.exists() else timedelta(0))
        self._last_sweep = time.monotonic()
        WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=KEEP_STOPPED_DAYS)).delete()
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"hostname": socket.gethostname()[:255], "pid": os.getpid(), "started_at": now, "seen_at": now},
        )
        self._registered = True
        self._last_beat = time.monotonic()

    def _sweep(self, stale_after: timedelta | None) -> None:
        count = mark_interrupted(stale_after=stale_after) + mark_unstarted(stale_after=stale_after)
        if count:
            logger.warning("%d interrupted job(s) marked failed; they can be re-run.", count)

    def _purge(self) -> None:
        """Housekeeping (uploads past ENTAS_UPLOAD_RETENTION_DAYS): a failure other than the database
        being unavailable is logged and tried again next hour; it never stops the worker."""
        try:
            purge_uploads()
        except OUTAGE_ERRORS:
            raise  # the loop's outage handling: wait, then go on
        except Exception:
            logger.exception("purging expired uploads failed")

    def _beat(self, **fields: Any) -> None:
        if "job_id" in fields:  # around a task: best effort, a lock now must not fail the task
            with contextlib.suppress(*OUTAGE_ERRORS):
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=timezone.now(), **fields)
            self._last_beat = time.monotonic()
            return
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(seen_at=timezone.now())
        self._last_beat = time.monotonic()

    def _stopped(self) -> None:
        """Record a clean stop (not while the database is away: that would hold up the exit)."""
        if not self._registered or self._outage_started is not None:
            return
        with contextlib.suppress(Exception):
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(stopped_at=timezone.now(), job=None)
        logger.info("Worker %s stopped.", self.worker_id)


def mark_unstarted(*, stale_after: timedelta | None = None) -> int:
    """Mark as failed the jobs still queued whose task the queue no longer offers: finished (the
    worker took it but could not start the job, the database being away) or handed to a worker that
    stopped before starting it (older than ``stale_after``, ENTAS_JOB_STALE_SECONDS by default). No
    worker takes them again, and they would hold their locks (an import's areas) for ever; failed,
    they can be re-run."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.ENTAS_JOB_STALE_SECONDS)
    waiting = Job.objects.filter(status=Job.Status.QUEUED).exclude(task_id="")
    task_ids = [t for t in waiting.values_list("task_id", flat=True)[:1000] if _is_uuid(t)]
    if not task_ids:
        return 0
    taken = DBTaskResult.objects.filter(id__in=task_ids).filter(
        Q(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED])
        | Q(status=TaskResultStatus.RUNNING, started_at__lt=timezone.now() - stale_after)
    )
    lost = [str(pk) for pk in taken.values_list("id", flat=True)]
    if not lost:
        return 0
    message = _("Not started: the worker took this job from the queue but could not start it. Run it again.")
    line = f"{timezone.localtime():%H:%M:%S} ERROR {message}\n"
    return waiting.filter(task_id__in=lost).update(
        status=Job.Status.FAILED, error=message, finished_at=timezone.now(), log=Concat(F("log"), Value(line))
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _job_of(db_task_result: DBTaskResult) -> int | None:
    """The entas job a queued task runs (its first argument), or None for another task."""
    if db_task_result.task_path != run_job_task.module_path:
        return None
    args = (db_task_result.args_kwargs or {}).get("args") or []
    return args[0] if args and isinstance(args[0], int) else None
