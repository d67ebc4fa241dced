"""Shared set-up for benchmarks: a throw-away database (SQLite file, or ENTAS_DATABASE_URL)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_settings() -> None:
    """Django configured (settings, translations) without a database: for benchmarks of pure code
    that shows messages."""
    os.environ.setdefault("ENTAS_VAR_DIR", tempfile.mkdtemp(prefix="entas-bench-"))
    # Measure what production runs: debug off (with debug on, Django keeps the text of the last 9,000
    # queries, which costs time and, for an import's large lookups, gigabytes).
    os.environ.setdefault("ENTAS_DEBUG", "0")
    os.environ.setdefault("ENTAS_SECRET_KEY", "benchmark-only-" + os.urandom(16).hex())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


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
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def load_city(households: int, *, seed: int, survey_size: int = 10) -> Path:
    """Generate a synthetic city and load its registry through the real import (after django_setup);
    returns the folder holding its files (registry.csv, survey.csv, …)."""
    from entas.registry.importer import import_registry
    from entas.synth import SynthConfig, build, write

    out = Path(tempfile.mkdtemp(prefix="entas-bench-city-"))
    write(build(SynthConfig(households=households, seed=seed, survey_size=survey_size)), out)
    print(f"loading {households:,} households through the import …", flush=True)
    import_registry(out / "registry.csv", actor=None, rejection_path=out / "rejected.csv")
    return out
