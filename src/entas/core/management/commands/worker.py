from __future__ import annotations

import logging
import signal
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, TASKS_LOGGER

from entas.core.cli import EntasCommand
from entas.core.context import channel
from entas.core.worker import EXIT_DATABASE_UNAVAILABLE, DatabaseUnavailable, ResilientWorker

STOP_SIGNALS = [signal.SIGINT, signal.SIGTERM, *([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])]


class Command(EntasCommand):
    actor_mode = "none"

    help = (
        "Run the background worker: takes queued jobs (imports, exports, payment runs) from the "
        "database and runs them. On start, jobs left running by a stopped worker are marked failed "
        "so they can be re-run. While the database is locked or unreachable it logs that and retries "
        "(1 s, doubling to 30 s); with --give-up-after it exits with status 3 instead, for a "
        "supervisor to restart it. `entas health` shows whether it polls. Every hour, uploads older than "
        "ENTAS_UPLOAD_RETENTION_DAYS are deleted. Ctrl-C stops after the current job."
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
        parser.add_argument(
            "--give-up-after",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Exit with status 3 when the database has been unavailable this long (default: keep "
            "retrying). Use under a supervisor that restarts the worker and alerts on repeated exits.",
        )

    def handle(
        self, *args: Any, shared: bool, batch: bool, interval: float, give_up_after: float | None, **options: Any
    ) -> None:
        self._configure_logging(options["verbosity"])
        worker = ResilientWorker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            excluded_queue_names=[],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            shared=shared,
            give_up_after=give_up_after,
        )
        # The worker runs in this (main) thread, never under the auto-reloader: an error that ends
        # the loop ends the process, which a supervisor sees.
        previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
        worker.configure_signals()
        token = channel.set("job")  # audit events written by jobs say they came from the worker
        try:
            worker.run()
        except DatabaseUnavailable as exc:
            raise CommandError(f"Database unavailable: {exc}", returncode=EXIT_DATABASE_UNAVAILABLE) from exc
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            channel.reset(token)

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.ERROR, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("entas.worker", "django_tasks_db", TASKS_LOGGER):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stderr))
