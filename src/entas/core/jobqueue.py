"""Background jobs: long work that reports progress, keeps a log and may leave a result file.

A job kind is a function taking a :class:`JobContext`, registered with :func:`job_kind` in an app's
``jobs.py``. :func:`submit` records a :class:`~entas.core.models.Job` and queues it for the
database-backed worker (``entas worker``); :func:`execute` runs it, either in the worker or in
the foreground from a command with a progress bar. Both paths run the same code.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import OperationalError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from . import audit
from .errors import Refused
from .models import Job

try:  # Django 6 ships the task framework; on 5.2 the django-tasks backport provides it.
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the Django version
    from django_tasks import task

if TYPE_CHECKING:
    from entas.accounts.models import User

ProgressCallback = Callable[[Job], None]
LockFunction = Callable[[dict[str, Any], "User | None"], list[str]]
# What a job worked on, for its page: (url or "", label) from its parameters, or None.
SubjectFunction = Callable[[dict[str, Any]], "tuple[str, str] | None"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: str | Promise
    function: Callable[[JobContext], dict[str, Any] | None]
    locks: LockFunction | None = None
    subject: SubjectFunction | None = None

    def subject_of(self, params: dict[str, Any]) -> tuple[str, str] | None:
        """What a job of this kind worked on, as (url, label) — the url empty when there is no page —
        or None; a subject that cannot be named any more (deleted, bad parameters) is None."""
        if self.subject is None:
            return None
        try:
            return self.subject(params)
        except Exception:  # a job page never fails because its subject is gone
            logger.warning("cannot name the subject of a %s job", self.kind, exc_info=True)
            return None


_KINDS: dict[str, JobKind] = {}


def job_kind(
    kind: str,
    label: str | Promise,
    *,
    locks: LockFunction | None = None,
    subject: SubjectFunction | None = None,
) -> Callable[[Callable[[JobContext], Any]], Callable[[JobContext], Any]]:
    """Register a function as the body of jobs of ``kind``.

    ``locks(params, actor)`` names what a job of this kind works on (see :func:`lock_holder`): while
    it is queued or running, a job whose locks overlap is refused at submit time.
    ``subject(params)`` names it for people: ``(url, label)`` of the page of what the job worked on
    (a cycle, a kelurahan's duplicates, an imported file), shown as the job page's title and link back.
    """

    def register(function: Callable[[JobContext], Any]) -> Callable[[JobContext], Any]:
        if kind in _KINDS and _KINDS[kind].function is not function:
            raise ValueError(f"job kind {kind!r} registered twice")
        _KINDS[kind] = JobKind(kind, label, function, locks, subject)
        return function

    return register


def get_kind(kind: str) -> JobKind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise Refused(_("Unknown job kind %(kind)r.") % {"kind": kind}) from None


def kinds() -> dict[str, JobKind]:
    return dict(_KINDS)


class JobContext:
    """What a running job sees: its parameters, and ways to report progress, log and save a file.

    Progress writes are throttled (at most one UPDATE every ``flush_seconds``) so that a job over a
    million rows does not spend its time reporting.
    """

    def __init__(self, job: Job, on_progress: ProgressCallback | None = None, flush_seconds: float = 0.5):
        self.job = job
        self.on_progress = on_progress
        self.flush_seconds = flush_seconds
        self._last_flush = 0.0

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def actor(self) -> User | None:
        return self.job.created_by

    def set_total(self, total: int) -> None:
        self.job.total = total
        self._flush(force=True)

    def advance(self, n: int = 1) -> None:
        self.job.done += n
        self._flush()

    def log(self, message: str) -> None:
        line = f"{timezone.localtime():%H:%M:%S} {message}\n"
        self.job.log += line
        Job.objects.filter(pk=self.job.pk).update(log=Concat(F("log"), Value(line)))
        self._notify()

    def save_result_file(self, name: str, content: bytes) -> None:
        self.job.result_file.save(name, ContentFile(content), save=False)
        Job.objects.filter(pk=self.job.pk).update(result_file=self.job.result_file.name)

    def _flush(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_flush >= self.flush_seconds:
            self._last_flush = now
            Job.objects.filter(pk=self.job.pk).update(
                done=self.job.done, total=self.job.total, heartbeat_at=timezone.now()
            )
        self._notify()

    def _notify(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.job)


def submit(
    *, kind: str, params: dict[str, Any], actor: User | None, rerun_of: Job | None = None, queue: bool = True
) -> Job:
    """Record a job and queue it for the worker once the surrounding transaction commits.

    ``queue=False`` records it for a foreground run (:func:`execute` from a command).
    """
    spec = get_kind(kind)  # fail now, not in the worker, on an unknown kind
    locks = sorted(set(spec.locks(params, actor))) if spec.locks else []
    with transaction.atomic():
        if locks:
            refuse_if_locked(locks)
        job = Job.objects.create(
            kind=kind,
            params=params,
            created_by=actor,
            rerun_of=rerun_of,
            locks=locks,
            language=translation.get_language() or settings.LANGUAGE_CODE,
        )
        audit.record(actor=actor, action="job.submit", obj=job, after={"kind": kind, "params": params})
        if queue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    result = run_job_task.enqueue(job_id)
    Job.objects.filter(pk=job_id, task_id="").update(task_id=str(result.id)[:64])


def rerun(*, job: Job, actor: User | None, queue: bool = True) -> Job:
    """Start a failed (or finished) job again with the same parameters."""
    if not job.is_finished:
        raise Refused(_("A job that is still queued or running cannot be re-run."))
    return submit(kind=job.kind, params=job.params, actor=actor, rerun_of=job, queue=queue)


def execute(job_id: int, on_progress: ProgressCallback | None = None) -> Job:
    """Run a queued job to completion, recording success or failure. Never raises for job errors.

    The job runs in the language of the person who started it (its log, its messages, its files)."""
    language = Job.objects.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or None) if language else translation.override(translation.get_language()):
        return _execute(job_id, on_progress)


def _execute(job_id: int, on_progress: ProgressCallback | None) -> Job:
    claimed = _update_job(
        job_id,
        only_if=Job.Status.QUEUED,
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if not claimed:
        return job  # already run (or running) elsewhere: a job runs once
    context = JobContext(job, on_progress)
    try:
        result = get_kind(job.kind).function(context)
    except Exception as exc:
        if isinstance(exc, Refused):
            message = exc.message
        else:
            # A crash's text and traceback name files, code and sometimes data (a failed INSERT quotes
            # its row): they go to the server log for the administrator, never to the job's page, log or
            # API answer, which say only that it crashed and where to look.
            logger.exception("job %s (%s) crashed", job_id, job.kind)
            message = _(
                "An internal error (%(error)s) stopped this job. The details are in the server log under "
                "job #%(id)s: tell your administrator."
            ) % {"error": type(exc).__name__, "id": job_id}
        line = f"{timezone.localtime():%H:%M:%S} ERROR {message}\n"
        _update_job(
            job_id,
            log=Concat(F("log"), Value(line)),
            status=Job.Status.FAILED,
            error=message,
            finished_at=timezone.now(),
            done=job.done,
            total=job.total,
        )
    else:
        _update_job(
            job_id,
            status=Job.Status.SUCCEEDED,
            result=result,
            finished_at=timezone.now(),
            done=job.done,
            total=job.total,
            heartbeat_at=timezone.now(),
        )
    job.refresh_from_db()
    if on_progress is not None:
        on_progress(job)
    return job


# A job's start and outcome are written once each: a lock held by another writer at that moment (an
# import's commit, a long transaction elsewhere) must not leave a job queued that the queue took, or a
# finished job "running" until it is taken for interrupted. Attempts (each waiting up to the busy
# timeout) and the pause after each.
UPDATE_ATTEMPTS = 5
UPDATE_PAUSE_SECONDS = 2.0


def _update_job(job_id: int, *, only_if: str | None = None, **fields: Any) -> int:
    """Update a job's row (if its status is ``only_if``), retrying while the database is locked."""
    rows = Job.objects.filter(pk=job_id, **({"status": only_if} if only_if else {}))
    for attempt in range(1, UPDATE_ATTEMPTS + 1):
        try:
            return rows.update(**fields)
        except OperationalError as exc:
            if attempt == UPDATE_ATTEMPTS or "locked" not in str(exc).lower():
                raise
            time.sleep(UPDATE_PAUSE_SECONDS * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


@task()
def run_job_task(job_id: int) -> None:
    """The task the worker runs: one job."""
    execute(job_id)


def mark_interrupted(*, stale_after: timedelta | None = None) -> int:
    """Mark as failed the jobs left 'running' by a worker that stopped (restart, crash, power cut).

    A job counts as interrupted when it has reported no progress for ``stale_after``
    (ENTAS_JOB_STALE_SECONDS). What it held (its locks, see :func:`lock_holder`) is free again, and
    it can be re-run from its page or with ``entas jobs rerun``.
    """
    if stale_after is None:
        stale_after = timedelta(seconds=settings.ENTAS_JOB_STALE_SECONDS)
    cutoff = timezone.now() - stale_after
    message = _("Interrupted: the worker stopped while this job ran. Run it again.")
    line = f"{timezone.localtime():%H:%M:%S} ERROR {message}\n"
    return Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=cutoff).update(
        status=Job.Status.FAILED,
        error=message,
        finished_at=timezone.now(),
        log=Concat(F("log"), Value(line)),
    )


# -- locks: what a job works on ------------------------------------------------------------------
# A lock is a dotted key naming what a job changes, most general first: ``registry`` (the whole
# registry), ``registry.64.71.01`` (a kecamatan's families), ``programs.cycle.12``. Two keys overlap
# when one equals the other or extends it by a dot. A job holds its locks while it is queued or
# running: the locks are its status, so a job found interrupted (marked failed) releases them with
# no second record to clean up.
LOCKED_STATUSES = (Job.Status.QUEUED, Job.Status.RUNNING)
JOB_LOCKS_ADVISORY_KEY = 0x656E746173  # "entas": one PostgreSQL advisory key for every job-lock check


def locks_overlap(a: str, b: str) -> bool:
    """Whether lock keys ``a`` and ``b`` cover common ground (one is the other or lies within it)."""
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def lock_holder(locks: list[str]) -> Job | None:
    """The unfinished job holding a lock that overlaps ``locks``, if any (oldest first).

    Call inside the transaction that records the new job: on PostgreSQL a transaction-scoped advisory
    lock serialises this check between submitters; SQLite's immediate transactions already do.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOB_LOCKS_ADVISORY_KEY])
    unfinished = Job.objects.filter(status__in=LOCKED_STATUSES).select_related("created_by").order_by("pk")
    for job in unfinished.only("pk", "kind", "status", "locks", "created_at", "created_by__username"):
        if any(locks_overlap(mine, theirs) for mine in locks for theirs in job.locks or []):
            return job
    return None


def refuse_if_locked(locks: list[str]) -> None:
    """Refuse (code ``busy``) when an unfinished job holds a lock overlapping ``locks``, naming it."""
    holder = lock_holder(locks)
    if holder is None:
        return
    spec = _KINDS.get(holder.kind)
    raise Refused(
        _(
            "Job #%(id)s (%(label)s, started by %(user)s on %(at)s, status: %(status)s) already works on the "
            "same data. Start this one when it has finished."
        )
        % {
            "id": holder.pk,
            "label": spec.label if spec else holder.kind,
            "user": holder.created_by.username if holder.created_by else _("the system"),
            "at": date_format(timezone.localtime(holder.created_at), "SHORT_DATETIME_FORMAT"),
            "status": holder.get_status_display(),
        },
        code="busy",
    )
