"""``entas scheduler``: submit the recurring jobs of the schedule file (entas.core.scheduler)."""

from __future__ import annotations

import signal
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import CommandError
from django.db import DatabaseError, close_old_connections

from entas.core import scheduler
from entas.core.cli import EntasCommand


class Command(EntasCommand):
    help = (
        "Submit recurring work (service-level escalations, session cleanup, stale-job recovery, indicator "
        "refresh…) to the job queue as the schedule file says (src/entas/schedule.toml or "
        "ENTAS_SCHEDULE_FILE); the worker runs it. Run one per installation, beside `entas worker`. "
        "--check validates the file and lists the entries; --once submits what is due and exits."
    )
    actor_mode: ClassVar[str] = "none"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--file", default="", help="The schedule file (default: ENTAS_SCHEDULE_FILE or the bundled one)."
        )
        parser.add_argument("--check", action="store_true", help="Validate the schedule and list its entries.")
        parser.add_argument("--once", action="store_true", help="Submit what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks (default 30).")

    def handle(
        self, *args: Any, file: str, check: bool, once: bool, interval: float, as_json: bool, **options: Any
    ) -> None:
        try:
            entries, warnings = scheduler.load(Path(file) if file else None)
        except scheduler.ScheduleError as exc:
            raise CommandError(f"The schedule cannot be used: {exc}") from exc
        for warning in warnings:
            self.stderr.write(f"warning: {warning}")
        listing = [
            {
                "kind": e.kind,
                "every_seconds": int(e.every.total_seconds()),
                "at": e.at.strftime("%H:%M") if e.at else None,
            }
            for e in entries
        ]
        if check:
            text = "\n".join(
                f"{e['kind']}: every {e['every_seconds']} s" + (f" at {e['at']}" if e["at"] else "") for e in listing
            )
            self.emit({"entries": listing, "warnings": warnings}, text or "(no entries)", as_json=as_json)
            return
        runner = scheduler.Scheduler(entries)
        if once:
            jobs = runner.tick()
            self.emit({"submitted": [{"kind": j.kind, "job": j.pk} for j in jobs]},
                      "\n".join(f"{j.kind}: job #{j.pk}" for j in jobs) or "nothing due", as_json=as_json)  # fmt: skip
            return
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Scheduler started with {len(entries)} entries; checking every {interval:.0f} s.")
        while not stopping:
            try:
                close_old_connections()
                runner.tick()
            except DatabaseError as exc:  # the database away for a moment: the next tick tries again
                self.stderr.write(f"database unavailable: {' '.join(str(exc).split())[:200]}")
            slept = 0.0
            while not stopping and slept < interval:
                time.sleep(min(1.0, interval - slept))
                slept += 1.0
        self.stdout.write("Scheduler stopped.")
