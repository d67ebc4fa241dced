from __future__ import annotations

import logging
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from entas.core.jobqueue import mark_interrupted
from entas.core.uploads import purge_uploads

log = logging.getLogger(__name__)
PURGE_SECONDS = 3600  # uploads past ENTAS_UPLOAD_RETENTION_DAYS are deleted about hourly


def _purge_uploads() -> None:
    """Housekeeping that must never stop the watcher: a failure is logged and tried next hour."""
    try:
        purge_uploads()
    except Exception:
        log.exception("purging expired uploads failed")


class Command(BaseCommand):
    help = (
        "Run the background worker: takes queued jobs (imports, exports, payment runs) from the "
        "database and runs them. On start, jobs left running by a stopped worker are marked failed "
        "so they can be re-run; every hour, uploads older than ENTAS_UPLOAD_RETENTION_DAYS are deleted. "
        "Ctrl-C stops after the current job."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--shared",
            action="store_true",
            help="Other workers run against the same database: on start, only mark jobs that have "
            "reported no progress for ENTAS_JOB_STALE_SECONDS as interrupted (default: all running jobs).",
        )
        parser.add_argument("--batch", action="store_true", help="Run the queued jobs, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls of the queue.")

    def handle(self, *args: Any, shared: bool, batch: bool, interval: float, **options: Any) -> None:
        from datetime import timedelta

        count = mark_interrupted(stale_after=None if shared else timedelta(0))
        if count:
            self.stdout.write(self.style.WARNING(f"{count} interrupted job(s) marked failed; re-run them."))
        if not batch:
            self._watch_stale_jobs()
        call_command("db_worker", batch=batch, interval=interval, no_startup_delay=True, verbosity=options["verbosity"])

    def _watch_stale_jobs(self) -> None:
        stop = threading.Event()

        def watch() -> None:
            purged = 0.0
            while not stop.wait(60):
                try:
                    mark_interrupted()
                    if time.monotonic() - purged >= PURGE_SECONDS:
                        purged = time.monotonic()
                        _purge_uploads()
                finally:
                    close_old_connections()

        threading.Thread(target=watch, name="entas-stale-jobs", daemon=True).start()
