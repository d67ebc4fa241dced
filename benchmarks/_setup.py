"""Shared set-up for benchmarks: each run works in a scratch folder and a scratch database of its own
(a fresh SQLite file; with ENTAS_DATABASE_URL=postgres://…, a fresh database beside the one named,
dropped at the end), never in what the caller or another benchmark left behind; it prints the
machine it ran on; its headline figures go through :func:`report` (``make bench`` prints them as one
table at the end); repeatable steps are timed several times (:func:`timed`: minimum and median)."""

from __future__ import annotations

import atexit
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Set in a benchmark's environment once its scratch folder and database exist: the processes it starts
# (an import's reading child, a server) use the same ones.
SCRATCH = "ENTAS_BENCH_SCRATCH"


def _scratch() -> None:
    """A fresh ENTAS_VAR_DIR (so a fresh SQLite file) and, on PostgreSQL, a fresh database."""
    if os.environ.get(SCRATCH):
        return
    folder = tempfile.mkdtemp(prefix="entas-bench-")
    atexit.register(shutil.rmtree, folder, True)
    os.environ["ENTAS_VAR_DIR"] = folder
    url = os.environ.get("ENTAS_DATABASE_URL", "")
    if url.startswith("postgres"):
        name = f"entas_bench_{os.getpid()}_{os.urandom(3).hex()}"
        _postgres(url, f"CREATE DATABASE {name}")
        atexit.register(_postgres, url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        os.environ["ENTAS_DATABASE_URL"] = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path=name))
    os.environ[SCRATCH] = folder


def _postgres(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=5) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def machine() -> str:
    """One line naming what the figures were measured on."""
    cores = os.cpu_count() or 0
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        memory = 0.0
    parts = [f"{cores} cores", f"{memory:.1f} GiB", f"{platform.system()} {platform.machine()}"]
    parts.append(f"Python {platform.python_version()}")
    try:
        import numpy

        blas = numpy.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})  # type: ignore[func-returns-value]
        parts.append(f"numpy {numpy.__version__} ({blas.get('name', '?')} {blas.get('version', '')})".rstrip())
    except Exception:
        pass
    parts.append(_database())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return "machine: " + ", ".join(parts) + f"; load average {load:.1f} at the start"


def _database() -> str:
    url = os.environ.get("ENTAS_DATABASE_URL", "")
    if url.startswith("postgres"):
        try:
            import psycopg

            with psycopg.connect(url, connect_timeout=5) as connection:
                return f"PostgreSQL {connection.info.server_version // 10000}.{connection.info.server_version % 100}"
        except Exception:
            return "PostgreSQL (unreachable)"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def django_settings() -> None:
    """Django configured (settings, translations) in the benchmark's scratch folder and database,
    not migrated: for benchmarks of pure code that shows messages. Prints the machine line."""
    _scratch()
    # Measure what production runs: debug off (with debug on, Django keeps the text of the last 9,000
    # queries, which costs time and, for an import's large lookups, gigabytes).
    os.environ.setdefault("ENTAS_DEBUG", "0")
    os.environ.setdefault("ENTAS_SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
    sys.path.insert(0, str(ROOT / "src"))
    if not os.environ.get("ENTAS_BENCH_CHILD"):
        print(machine(), flush=True)
        os.environ["ENTAS_BENCH_CHILD"] = "1"  # processes it starts do not print it again
    import django

    django.setup()


@dataclass(frozen=True)
class Timing:
    """Wall times of one step run several times: the minimum (the least disturbed by other load on the
    machine: the figure) and the median (what a user would typically see)."""

    times: tuple[float, ...]

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def __str__(self) -> str:
        if len(self.times) == 1:
            return f"{self.best:.2f} s"
        return f"{self.best:.2f} s (median {self.median:.2f} s of {len(self.times)})"


def timed(fn: Callable[[], object], repeat: int = 3, before: Callable[[], object] | None = None) -> Timing:
    """Time ``fn`` ``repeat`` times, running ``before`` (untimed) before each, e.g. to empty a cache."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return Timing(tuple(times))


def report(figure: str, value: float, unit: str, *, floor: float | None = None, target: str = "") -> None:
    """A headline figure: printed, and kept for ``make bench``'s summary table (ENTAS_BENCH_RESULTS,
    one JSON object per line) with the benchmark's name, the floor measured in the same run (same
    unit) and the target in words."""
    ratio = f" = {value / floor:.2f}x the floor" if floor else ""
    print(f"  ▸ {figure}: {value:,.3g} {unit}{ratio}{f' (target {target})' if target else ''}", flush=True)
    results = os.environ.get("ENTAS_BENCH_RESULTS")
    if results:
        record = {
            "benchmark": Path(sys.argv[0]).name,
            "figure": figure,
            "value": value,
            "unit": unit,
            "floor": floor,
            "target": target,
            "database": _database().split()[0],
            "load": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
        }
        with open(results, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def django_setup() -> None:
    """Django configured on a throw-away database, migrated, with Balikpapan's regions."""
    django_settings()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


def peak_memory_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM starts afresh at exec; ``ru_maxrss`` does not:
    it carries the parent's peak at fork (a benchmark that generated a city and then started a child
    would charge the child with the generation)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs (the least disturbed by other load on the machine)."""
    return timed(fn, repeat).best


def load_city(households: int, *, seed: int, survey_size: int = 10) -> Path:
    """Generate a synthetic city and load its registry through the real import (after django_setup);
    returns the folder holding its files (registry.csv, survey.csv, …)."""
    from entas.registry.importer import import_registry
    from entas.synth import SynthConfig, build, write

    out = Path(tempfile.mkdtemp(prefix="entas-bench-city-"))
    write(build(SynthConfig(households=households, seed=seed, survey_size=survey_size)), out)
    print(f"loading {households:,} households through the import …", flush=True)
    summary = import_registry(out / "registry.csv", actor=None, rejection_path=out / "rejected.csv")
    from entas.registry.models import Household

    landed = Household.objects.count()
    if landed != households or summary.rejected:
        raise SystemExit(
            f"the benchmark measures {households:,} households, but {landed:,} are in the database "
            f"({summary.rejected:,} rows rejected): a database shared with something else?"
        )
    return out
