"""Command start-up: `entas check` from a fresh interpreter (settings, apps, URL configuration, the
system checks, on a scratch database). Every `entas` command and every server worker pays this first.

Figure: wall time of `entas check`. Floor: a fresh interpreter that imports Django and calls
django.setup() with no project at all, in the same run. Target (issue #28): under a second.
tests/core/test_startup.py checks the cause that can be checked anywhere: no heavy library (scipy,
pyarrow, splink, scikit-learn, DuckDB) is imported by loading the project.

    .venv/bin/python benchmarks/startup.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

BARE_DJANGO = (
    "import django; from django.conf import settings; "
    "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth']); django.setup()"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from _setup import _scratch, machine, report, timed

    _scratch()  # a scratch ENTAS_VAR_DIR / database: the check must not touch the caller's
    entas = str(Path(sys.executable).with_name("entas"))
    # What production runs: debug off, a key of its own (as the other benchmarks' django_settings).
    env = {**os.environ, "ENTAS_DEBUG": "0", "ENTAS_SECRET_KEY": "benchmark-only-" + os.urandom(16).hex()}
    subprocess.run([entas, "migrate", "--verbosity", "0"], check=True, env=env)

    def run(command: list[str]) -> None:
        subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)

    print(machine())
    floor = timed(lambda: run([sys.executable, "-c", BARE_DJANGO]), args.repeat)
    check = timed(lambda: run([entas, "check"]), args.repeat)
    print(f"bare Django set-up {floor}; entas check {check}")
    report("command start-up (entas check)", check.best, "s", floor=floor.best, target="< 1 s")


if __name__ == "__main__":
    main()
