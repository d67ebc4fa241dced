"""Is entas working? The database, the background worker and the job queue, for people and probes.

Three readers share :func:`check`: ``entas health`` (exit status for a supervisor or cron), the
``/health/`` endpoint (a load balancer's or monitor's probe; anonymous, so it says nothing about
people, hosts or jobs' contents) and the jobs page (a line for administrators).

A worker is *live* when its last sign of life is recent (ENTAS_WORKER_STALE_SECONDS): its last
poll of the queue, or, while it runs a job, that job's last progress. A worker that is neither
stopped cleanly nor live is *silent*: dead (killed, crashed, the machine gone) or stuck (its loop
or its job makes no progress). The worker check passes when at least one worker is live.

:func:`assess` is the rule, on plain data; :func:`check` reads the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import F, Min
from django.utils import timezone

from .models import Job, WorkerHeartbeat


@dataclass(frozen=True)
class WorkerSeen:
    """What the database knows of one worker process."""

    worker_id: str
    hostname: str
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime
    stopped_at: dt.datetime | None = None
    job_id: int | None = None
    job_progress_at: dt.datetime | None = None
    last_outage: str = ""

    @property
    def last_sign(self) -> dt.datetime:
        """The latest moment the worker is known to have been working."""
        if self.job_id is not None and self.job_progress_at is not None:
            return max(self.seen_at, self.job_progress_at)
        return self.seen_at


@dataclass(frozen=True)
class WorkerReport:
    ok: bool
    live: list[WorkerSeen]
    silent: list[WorkerSeen]
    # Seconds since the most recent sign of life of any worker not stopped (None: none ever ran).
    quiet_seconds: float | None


def assess(workers: list[WorkerSeen], *, now: dt.datetime, stale_seconds: float) -> WorkerReport:
    """Sort workers into live and silent; the check passes when one is live."""
    running = [w for w in workers if w.stopped_at is None]
    live = [w for w in running if (now - w.last_sign).total_seconds() <= stale_seconds]
    silent = [w for w in running if w not in live]
    signs = [w.last_sign for w in workers]
    quiet = (now - max(signs)).total_seconds() if signs else None
    return WorkerReport(ok=bool(live), live=live, silent=silent, quiet_seconds=quiet)


@dataclass
class Health:
    database_ok: bool
    database_error: str = ""
    workers: WorkerReport | None = None
    queued: int | None = None
    oldest_queued_seconds: float | None = None
    checked_at: dt.datetime = field(default_factory=timezone.now)

    @property
    def ok(self) -> bool:
        return self.database_ok and self.workers is not None and self.workers.ok

    def public(self) -> dict[str, Any]:
        """What an anonymous probe may see: states and counts, no names, hosts or contents."""
        workers = self.workers
        return {
            "status": "ok" if self.ok else "fail",
            "database": {"ok": self.database_ok},
            "worker": {
                "ok": bool(workers and workers.ok),
                "live": len(workers.live) if workers else None,
                "silent": len(workers.silent) if workers else None,
                "seconds_since_last_poll": _round(workers.quiet_seconds) if workers else None,
            },
            "queue": {"queued": self.queued, "oldest_seconds": _round(self.oldest_queued_seconds)},
        }

    def detailed(self) -> dict[str, Any]:
        """For administrators and the command line: the public view plus each worker."""
        out = self.public()
        out["database"]["error"] = self.database_error
        if self.workers:
            out["worker"]["workers"] = [
                {
                    "state": "live" if w in self.workers.live else "silent",
                    "host": w.hostname,
                    "pid": w.pid,
                    "started_at": w.started_at.isoformat(),
                    "last_sign_at": w.last_sign.isoformat(),
                    "job": w.job_id,
                    "last_outage": w.last_outage,
                }
                for w in [*self.workers.live, *self.workers.silent]
            ]
        return out


def _round(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds)


def check(*, workers: bool = True) -> Health:
    """Read the health of the database, the workers and the queue. Never raises for a database error.

    ``workers=False`` checks only that the database answers (a load balancer's question about this
    web server, which a stopped worker does not change).
    """
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        if not workers:
            return Health(database_ok=True, workers=WorkerReport(True, [], [], None), checked_at=now)
        seen = workers_seen()
        queued = Job.objects.filter(status=Job.Status.QUEUED).exclude(task_id="")
        stats = queued.aggregate(oldest=Min("created_at"))
        count = queued.count()
    except DatabaseError as exc:
        return Health(database_ok=False, database_error=" ".join(str(exc).split())[:300], checked_at=now)
    report = assess(seen, now=now, stale_seconds=settings.ENTAS_WORKER_STALE_SECONDS)
    oldest = stats["oldest"]
    return Health(
        database_ok=True,
        workers=report,
        queued=count,
        oldest_queued_seconds=(now - oldest).total_seconds() if oldest else None,
        checked_at=now,
    )


def workers_seen() -> list[WorkerSeen]:
    """The workers known to the database, most recently seen first."""
    fields = ["worker_id", "hostname", "pid", "started_at", "seen_at", "stopped_at", "job_id", "last_outage"]
    rows = WorkerHeartbeat.objects.order_by("-seen_at").values(*fields, job_progress_at=F("job__heartbeat_at"))
    return [WorkerSeen(**row) for row in rows[:50]]
