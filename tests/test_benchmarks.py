"""Every benchmark still runs: each script at a toy size, in its own process, on a throw-away SQLite
database. The figures mean nothing at this size; the point is that a renamed model or a changed
service signature breaks this test, not the next person's ``make bench`` (cycle.py imported a model
that had been renamed, and dedup.py called translated code without settings, for weeks).

Not here: load.py (a server and 20 clients for a minute; tests/security/test_load.py runs its probe),
hostile_files.py (half a minute of hostile files; tests/security/test_hostile_files.py refuses
the same files) and spark.py (needs the optional spark extra: tests/spark/test_spark.py runs it at a
toy size under make spark-test)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
TOY = {
    "api_pages.py": ["--members", "4000"],
    "cycle.py": ["--households", "1500"],
    "dedup.py": ["--members", "2000"],
    "evaluation.py": ["--households", "2000", "--seeds", "10", "--members", "3000"],
    "import_registry.py": ["--members", "4000"],
    "indicators.py": ["--members", "4000", "--indicators", "10", "--months", "2"],
    "measures.py": ["--n", "20000"],
    "province.py": ["--members", "3000,6000", "--indicators", "2", "--searches", "3"],
    "reports.py": ["--members", "4000", "--survey", "300"],
    "search.py": ["--members", "4000"],
    "startup.py": ["--repeat", "1"],
    "summary.py": ["--households", "1500"],
    "synth.py": ["--members", "4000"],
    "targeting.py": ["--members", "4000"],
}
NOT_HERE = {"load.py", "hostile_files.py", "spark.py"}

pytestmark = [
    pytest.mark.integration,  # processes and databases of their own: not the unit tier
    pytest.mark.skipif(
        bool(os.environ.get("ENTAS_DATABASE_URL")), reason="benchmarks are run at toy size once, on SQLite"
    ),
]


def test_every_benchmark_is_run_here_or_said_why_not() -> None:
    scripts = {p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(TOY) | NOT_HERE


@pytest.mark.parametrize("script", sorted(TOY))
def test_the_benchmark_runs_at_a_toy_size(script: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENTAS_", "DJANGO_"))}
    env["ENTAS_VAR_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *TOY[script]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert done.stdout.strip(), "a benchmark prints its figures"
