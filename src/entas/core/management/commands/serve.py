"""``entas serve``: the production web server (gunicorn with threaded workers), configured for entas.

Django's ``runserver`` is a development server: one process, a thread per request with no bound, no
worker recycling, and it serves static files only with debug on. ``entas serve`` runs gunicorn
(``gthread`` workers: a few processes, each with a pool of threads) on entas's WSGI application.
Threads suit entas: a request that waits (for PostgreSQL, for SQLite's write lock held by an
import's commit, for a slow client) releases the interpreter to the others, and gunicorn's worker
timeout is watched by each process's main thread, so a request that waits is not killed for it.
Static files are served by whitenoise from ``STATIC_ROOT`` (run ``entas collectstatic`` first).
"""

from __future__ import annotations

import os
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections

from entas.core import deploy
from entas.core.cli import EntasCommand


def default_workers() -> int:
    """One process per core: threads, not processes, absorb waiting (see the module's docstring)."""
    return max(1, os.cpu_count() or 1)


class Command(EntasCommand):
    help = (
        "Run the production web server: gunicorn with threaded workers on entas's WSGI application "
        "(static files through whitenoise; run `entas collectstatic --noinput` after each upgrade). "
        "Put it behind a reverse proxy that terminates HTTPS; see README, Running in production."
    )
    actor_mode: ClassVar[str] = "none"

    def add_arguments(self, parser: ArgumentParser) -> None:
        env = os.environ.get
        parser.add_argument(
            "--bind",
            default=env("ENTAS_BIND", "127.0.0.1:8000"),
            help="Address to listen on, HOST:PORT or unix:PATH (ENTAS_BIND; default 127.0.0.1:8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(env("ENTAS_WEB_WORKERS", default_workers())),
            help="Processes (ENTAS_WEB_WORKERS; default one per core).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=int(env("ENTAS_WEB_THREADS", 8)),
            help="Threads per process, i.e. requests each process serves at once (ENTAS_WEB_THREADS; default 8).",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=int(env("ENTAS_WEB_TIMEOUT", 120)),
            help=(
                "Seconds a silent worker process may go before it is restarted (ENTAS_WEB_TIMEOUT; default 120). "
                "Keep it above the SQLite busy timeout."
            ),
        )
        parser.add_argument(
            "--max-requests",
            type=int,
            default=int(env("ENTAS_WEB_MAX_REQUESTS", 2000)),
            help="Restart a worker process after this many requests, to bound its memory (0: never; default 2000).",
        )
        parser.add_argument(
            "--access-log", action="store_true", help="Log every request to standard output (off by default)."
        )

    def handle(self, *args: Any, as_json: bool, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        if options["workers"] < 1 or options["threads"] < 1:
            raise CommandError("--workers and --threads must be at least 1.")
        reasons = deploy.unsafe_reasons(
            debug=settings.DEBUG,
            secret_key=settings.SECRET_KEY,
            allowed_hosts=list(settings.ALLOWED_HOSTS),
            bind=options["bind"],
        )
        if reasons:
            raise CommandError(
                "entas serve refuses to start with unsafe settings:\n" + "\n".join(f"- {r}" for r in reasons)
            )
        if not (settings.STATIC_ROOT / "staticfiles.json").exists():
            raise CommandError(
                f"No collected static files in {settings.STATIC_ROOT}: run `entas collectstatic --noinput` first."
            )
        config = {
            "bind": [options["bind"]],
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "timeout": options["timeout"],
            "graceful_timeout": 30,
            "keepalive": 5,
            "max_requests": options["max_requests"],
            "max_requests_jitter": options["max_requests"] // 10,
            "accesslog": "-" if options["access_log"] else None,
            "errorlog": "-",
            "proc_name": "entas",
            # gunicorn's runtime control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl):
            # two servers on one machine would take it from each other, and a supervisor manages entas.
            "control_socket_disable": True,
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                from django.core.wsgi import get_wsgi_application

                return get_wsgi_application()

        # Request counters of every worker process, summed at each scrape (observability.RequestMetrics).
        from entas.core import observability

        shared = os.environ.get("ENTAS_METRICS_DIR", "") or tempfile.mkdtemp(prefix="entas-metrics-")
        observability.REQUESTS.share(observability.prepare_directory(Path(shared)))
        # The worker processes are forked from this one: none may inherit its database connection.
        connections.close_all()
        Server().run()
