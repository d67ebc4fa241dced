from __future__ import annotations

from argparse import ArgumentParser
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.utils import timezone

from entas.core import health
from entas.core.cli import EntasCommand

EXIT_WORKER = 1
EXIT_DATABASE = 2


class Command(EntasCommand):
    help = (
        "Check that entas works: the database answers, a background worker polls the queue (or makes "
        "progress on its job), and how many jobs wait. Exit status 0 when healthy, 1 when no worker is "
        "live (dead, stuck or never started), 2 when the database does not answer: for a supervisor, "
        "cron or a monitoring agent. The same check answers at /health/."
    )
    actor_mode: ClassVar[str] = "none"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--database-only", action="store_true", help="Check only that the database answers (skip the worker)."
        )

    def handle(self, *args: Any, database_only: bool, as_json: bool, **options: Any) -> None:
        result = health.check(workers=not database_only)
        self.emit(result.detailed(), "\n".join(_lines(result)), as_json=as_json)
        if not result.database_ok:
            raise CommandError("The database does not answer.", returncode=EXIT_DATABASE)
        if not result.ok:
            raise CommandError("No background worker is live: queued jobs do not run.", returncode=EXIT_WORKER)


def _lines(result: health.Health) -> list[str]:
    if not result.database_ok:
        return [f"database: UNREACHABLE ({result.database_error})"]
    lines = ["database: ok"]
    workers = result.workers
    if workers is None or (not workers.live and not workers.silent and result.queued is None):
        return lines
    if workers.ok:
        lines.append(f"worker: ok ({len(workers.live)} live)")
    elif workers.quiet_seconds is None:
        lines.append("worker: NONE has ever run (start `entas worker`)")
    else:
        lines.append(f"worker: NOT LIVE (no poll or progress for {_ago(workers.quiet_seconds)})")
    for w in workers.live:
        job = f", running job #{w.job_id}" if w.job_id else ""
        lines.append(f"  live    {w.hostname}:{w.pid} since {_at(w.started_at)}, last sign {_at(w.last_sign)}{job}")
    for w in workers.silent:
        job = f", was running job #{w.job_id}" if w.job_id else ""
        lines.append(f"  silent  {w.hostname}:{w.pid} (dead or stuck), last sign {_at(w.last_sign)}{job}")
    for w in workers.live + workers.silent:
        if w.last_outage:
            lines.append(f"  {w.hostname}:{w.pid} last database outage: {w.last_outage}")
    oldest = f", oldest waiting {_ago(result.oldest_queued_seconds)}" if result.oldest_queued_seconds else ""
    lines.append(f"queue: {result.queued} queued{oldest}")
    return lines


def _at(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}"


def _ago(seconds: float | None) -> str:
    seconds = int(seconds or 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
