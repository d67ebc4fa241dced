"""``entas scheduler``: recurring work submitted to the job queue from one schedule file.

The schedule (src/entas/schedule.toml, or ENTAS_SCHEDULE_FILE) lists job kinds and how often each
runs. :func:`parse` reads it into :class:`Entry` values (a pure function of the text and the
registered kinds); :class:`Scheduler` decides, on each :meth:`~Scheduler.tick`, which entries are due
at the clock's time and submits them with :func:`entas.core.jobqueue.submit`, so they run in the
worker(s) like any other job: logged, on the jobs page, re-runnable. The clock is injected (tests use
a fake one). The last submission of each kind is read from the jobs table at start, so a restart of
the scheduler neither runs everything again nor forgets what is due.

Run exactly one scheduler per installation (the compose file and the systemd unit do); a second one
would not run a job twice while the first is queued or running (each kind's lock refuses it), but
would submit it again once it ended.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from . import jobqueue
from .errors import Refused
from .models import Job

logger = logging.getLogger("entas.scheduler")

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "schedule.toml"
_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MINIMUM_SECONDS = 60


class ScheduleError(ValueError):
    """The schedule file cannot be used (a bad interval or time, not a TOML file)."""


@dataclass(frozen=True)
class Entry:
    """One line of the schedule: submit ``kind`` every ``every`` (at ``at`` local time, for daily)."""

    kind: str
    every: dt.timedelta
    at: dt.time | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def due(self, last: dt.datetime | None, now: dt.datetime) -> bool:
        """Whether the entry should be submitted at ``now``, last submitted at ``last`` (aware times)."""
        if self.at is None:
            return last is None or now - last >= self.every
        local = timezone.localtime(now)
        today_at = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        if local < today_at:
            return False  # not yet today's time
        # Due once per period at or after today's time: not again until a period has passed since.
        return last is None or last < today_at or now - last >= self.every


def parse(text: str, known: Iterable[str]) -> tuple[list[Entry], list[str]]:
    """The entries of a schedule and warnings (unknown kinds are skipped); ScheduleError when malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"not a TOML file: {exc}") from exc
    known = set(known)
    entries: list[Entry] = []
    warnings: list[str] = []
    for number, raw in enumerate(data.get("job", []), start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str):
            raise ScheduleError(f'entry {number}: kind = "…" is required')
        kind = raw["kind"]
        match = _INTERVAL.match(str(raw.get("every", "")))
        if not match:
            raise ScheduleError(f'entry {number} ({kind}): every = "15m" (s, m, h or d) is required')
        every = dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])
        if every.total_seconds() < MINIMUM_SECONDS:
            raise ScheduleError(f"entry {number} ({kind}): every must be at least 1 minute")
        at = None
        if "at" in raw:
            at_match = _AT.match(str(raw["at"]))
            if not at_match:
                raise ScheduleError(f'entry {number} ({kind}): at = "HH:MM" (00:00 to 23:59)')
            at = dt.time(int(at_match[1]), int(at_match[2]))
        unknown = set(raw) - {"kind", "every", "at", "params"}
        if unknown:
            raise ScheduleError(f"entry {number} ({kind}): unknown keys {', '.join(sorted(unknown))}")
        if kind not in known:
            warnings.append(f"job kind {kind!r} is not registered in this installation: skipped")
            continue
        entries.append(Entry(kind, every, at, dict(raw.get("params", {}))))
    return entries, warnings


def schedule_file() -> Path:
    return Path(getattr(settings, "ENTAS_SCHEDULE_FILE", "") or DEFAULT_FILE)


def load(path: Path | None = None) -> tuple[list[Entry], list[str]]:
    path = path or schedule_file()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScheduleError(f"cannot read {path}: {exc}") from exc
    return parse(text, jobqueue.kinds())


class Scheduler:
    """Submits the due entries on each tick. ``clock`` returns the current aware time."""

    def __init__(self, entries: list[Entry], clock: Callable[[], dt.datetime] = timezone.now) -> None:
        self.entries = entries
        self.clock = clock
        kinds = [e.kind for e in entries]
        rows = Job.objects.filter(kind__in=kinds, created_by=None).values("kind").annotate(last=Max("created_at"))
        self.last: dict[str, dt.datetime] = {row["kind"]: row["last"] for row in rows}

    def tick(self) -> list[Job]:
        """Submit every entry due now; returns the jobs submitted. A refusal (the previous job of the
        kind still queued or running) is logged and retried at the next tick."""
        now = self.clock()
        submitted = []
        for entry in self.entries:
            if not entry.due(self.last.get(entry.kind), now):
                continue
            try:
                job = jobqueue.submit(kind=entry.kind, params=entry.params, actor=None)
            except Refused as exc:
                logger.info("scheduled %s not submitted: %s", entry.kind, exc.message)
                continue
            self.last[entry.kind] = now
            submitted.append(job)
            logger.info("scheduled %s submitted as job #%s", entry.kind, job.pk)
        return submitted
