"""Request ids, structured (JSON) logs and Prometheus metrics.

- :class:`RequestIdMiddleware` gives every request an id — the caller's ``X-Request-ID`` when it is a
  sane token (a reverse proxy's), else a new one — answers it in the ``X-Request-ID`` header, and
  makes it available to every log line written while the request runs (:class:`RequestIdFilter`).
  With ENTAS_LOG_FORMAT=json it also logs one line per request (method, path, status, duration).
- :class:`JsonFormatter` writes each log record as one JSON object (time, level, logger, message,
  request id, exception), for a log collector (ENTAS_LOG_FORMAT=json; the default stays text).
- :func:`metrics_text` renders the Prometheus exposition of what the database knows, the same from
  every web process: jobs queued and running, the oldest waiting, live workers, job durations by kind
  and import throughput (rows per second) over the last day, and the requests the web processes
  served (summed over the processes of ``entas serve`` through a shared directory).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

request_id: ContextVar[str] = ContextVar("entas_request_id", default="")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
request_log = logging.getLogger("entas.request")


class RequestIdMiddleware:
    """Gives each request an id for its log lines and response (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            response["X-Request-ID"] = rid
            return response
        finally:
            seconds = time.perf_counter() - started
            REQUESTS.observe(request.method or "", status, seconds)
            request_log.info(
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                status,
                seconds * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
            request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, request_id, extra
    fields given with ``extra=``, and the exception's type and traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", "") or request_id.get()
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = "".join(traceback.format_exception(*record.exc_info))
        return json.dumps(out, default=str, ensure_ascii=False)


# -- metrics -------------------------------------------------------------------------------------------
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """Requests served, by method and status class, and a latency histogram.

    Under ``entas serve`` several worker processes answer requests, and a scrape reaches one of them:
    counters of that process alone would jump between the workers' values. So each process also
    writes its counters to a file of its own in a directory the server's processes share
    (:meth:`share`; ``entas serve`` sets it up, ENTAS_METRICS_DIR or a fresh temporary directory), and
    a scrape sums every file, those of recycled workers included (counters never go down — the
    prometheus_client multiprocess mode's rule). Files of workers that have exited are folded into one
    ``requests-exited.json`` at the scrape, so recycling (``--max-requests``) does not pile up files.
    Without a directory (the development server, tests) the counters are the process's own."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str], int] = {}
        self.buckets = [0] * len(BUCKETS)
        self.total = 0
        self.seconds = 0.0
        self.directory: Path | None = None
        self._owner = (0, "")  # (pid, token) of the file this process writes

    def share(self, directory: Path | None) -> None:
        """Write and read the counters in ``directory`` (None: this process only)."""
        self.directory = directory

    def observe(self, method: str, status: int, seconds: float) -> None:
        with self.lock:
            key = (method, f"{status // 100}xx")
            self.counts[key] = self.counts.get(key, 0) + 1
            self.total += 1
            self.seconds += seconds
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self.buckets[i] += 1
            if self.directory is not None:
                self._write()

    def _state(self) -> dict[str, Any]:
        return {
            "counts": [[m, c, n] for (m, c), n in sorted(self.counts.items())],
            "buckets": self.buckets,
            "total": self.total,
            "seconds": self.seconds,
        }

    def _write(self) -> None:
        import os

        assert self.directory is not None
        pid = os.getpid()
        if self._owner[0] != pid:
            # A forked worker starts from nothing (the master serves no request) under a name of its own:
            # the token keeps a reused pid from overwriting an exited worker's counters.
            if self._owner[0]:
                self.counts, self.buckets, self.total, self.seconds = {}, [0] * len(BUCKETS), 0, 0.0
            self._owner = (pid, uuid.uuid4().hex[:8])
        path = self.directory / f"requests-{pid}-{self._owner[1]}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._state()), encoding="utf-8")
        os.replace(tmp, path)

    def snapshot(self) -> dict[str, Any]:
        """The counters to expose: every process's of the shared directory, or this process's."""
        with self.lock:
            if self.directory is None:
                return self._state()
            directory = self.directory
        return _sum_directory(directory)


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    counts = {(m, c): n for m, c, n in total["counts"]}
    for m, c, n in part.get("counts", []):
        counts[(m, c)] = counts.get((m, c), 0) + n
    total["counts"] = [[m, c, n] for (m, c), n in sorted(counts.items())]
    total["buckets"] = [a + b for a, b in zip(total["buckets"], part.get("buckets", [0] * len(BUCKETS)), strict=True)]
    total["total"] += part.get("total", 0)
    total["seconds"] += part.get("seconds", 0.0)


def _empty() -> dict[str, Any]:
    return {"counts": [], "buckets": [0] * len(BUCKETS), "total": 0, "seconds": 0.0}


def _sum_directory(directory: Path) -> dict[str, Any]:
    import fcntl
    import os

    total = _empty()
    with (directory / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one scrape folds exited workers' files at a time
        exited_path = directory / "requests-exited.json"
        exited = json.loads(exited_path.read_text(encoding="utf-8")) if exited_path.exists() else _empty()
        folded = []
        for path in sorted(directory.glob("requests-*-*.json")):
            try:
                part = json.loads(path.read_text(encoding="utf-8"))
                pid = int(path.name.split("-")[1])
            except (OSError, ValueError):
                continue
            if _alive(pid):
                _add(total, part)
            else:
                _add(exited, part)
                folded.append(path)
        if folded:
            tmp = exited_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(exited), encoding="utf-8")
            os.replace(tmp, exited_path)
            for path in folded:
                path.unlink(missing_ok=True)
        _add(total, exited)
    return total


def prepare_directory(directory: Path) -> Path:
    """Create the shared directory and empty it (a new server starts its counters from zero, as a
    restarted Prometheus target does)."""
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("requests-*"):
        path.unlink(missing_ok=True)
    return directory


REQUESTS = RequestMetrics()


def _line(name: str, value: float, **labels: Any) -> str:
    text = ",".join(
        f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels.items()
    )
    return f"{name}{{{text}}} {value}" if labels else f"{name} {value}"


def metrics_text(now: dt.datetime | None = None) -> str:
    """The Prometheus text exposition (format 0.0.4)."""
    from django.db.models import Count

    from . import health
    from .models import Job

    now = now or timezone.now()
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")

    by_status = dict(
        Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    metric("entas_jobs", "gauge", "Jobs waiting in the queue or running, by status.")
    for waiting in (Job.Status.QUEUED, Job.Status.RUNNING):
        lines.append(_line("entas_jobs", by_status.get(waiting, 0), status=str(waiting)))
    state = health.check()
    metric("entas_job_oldest_queued_seconds", "gauge", "Age of the oldest queued job (0 when none waits).")
    lines.append(_line("entas_job_oldest_queued_seconds", round(state.oldest_queued_seconds or 0, 1)))
    metric("entas_workers_live", "gauge", "Background workers that polled or progressed recently.")
    lines.append(_line("entas_workers_live", len(state.workers.live) if state.workers else 0))
    metric("entas_database_up", "gauge", "1 when the database answers.")
    lines.append(_line("entas_database_up", 1 if state.database_ok else 0))

    since = now - dt.timedelta(days=1)
    finished = Job.objects.filter(finished_at__gte=since, started_at__isnull=False)
    durations: dict[tuple[str, str], list[float]] = {}
    rows_done: dict[str, tuple[int, float]] = {}
    for kind, job_status, started, ended, done in finished.values_list(
        "kind", "status", "started_at", "finished_at", "done"
    ):
        if started is None or ended is None:
            continue
        seconds = max((ended - started).total_seconds(), 0.0)
        durations.setdefault((kind, str(job_status)), []).append(seconds)
        if "import" in kind:
            rows, spent = rows_done.get(kind, (0, 0.0))
            rows_done[kind] = (rows + (done or 0), spent + seconds)
    metric(
        "entas_job_duration_seconds",
        "summary",
        "Durations of the jobs that finished in the last 24 hours, by kind and outcome.",
    )
    for (kind, outcome), values in sorted(durations.items()):
        lines.append(_line("entas_job_duration_seconds_count", len(values), kind=kind, status=outcome))
        lines.append(_line("entas_job_duration_seconds_sum", round(sum(values), 3), kind=kind, status=outcome))
    metric(
        "entas_import_rows_per_second",
        "gauge",
        "Rows per second of the imports that finished in the last 24 hours, by kind.",
    )
    for kind, (rows, spent) in sorted(rows_done.items()):
        lines.append(_line("entas_import_rows_per_second", round(rows / spent, 1) if spent else 0, kind=kind))

    served = REQUESTS.snapshot()
    scope = "every web process of this server" if REQUESTS.directory is not None else "this web process"
    metric("entas_http_requests_total", "counter", f"Requests {scope} served, by method and status class.")
    for method, status_class, count in served["counts"]:
        lines.append(_line("entas_http_requests_total", count, method=method, status=status_class))
    metric("entas_http_request_duration_seconds", "histogram", f"Latency of the requests {scope} served.")
    for bound, count in zip(BUCKETS, served["buckets"], strict=True):
        lines.append(_line("entas_http_request_duration_seconds_bucket", count, le=bound))
    lines.append(_line("entas_http_request_duration_seconds_bucket", served["total"], le="+Inf"))
    lines.append(_line("entas_http_request_duration_seconds_count", served["total"]))
    lines.append(_line("entas_http_request_duration_seconds_sum", round(served["seconds"], 3)))
    return "\n".join(lines) + "\n"
