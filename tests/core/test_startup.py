"""Start-up stays light (issue #28): loading the settings, the apps and the URL configuration — what
every ``entas`` command and every server worker does first — imports none of the heavy libraries
(scipy, pyarrow, splink, scikit-learn, DuckDB, statsmodels). They are imported where they are used.

This checks the modules, not seconds: which modules a fresh interpreter has loaded is the same on any
machine (`benchmarks/startup.py` measures the time)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("scipy", "pyarrow", "splink", "sklearn", "duckdb", "statsmodels", "pandas")

PROBE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns
from django.core.management import get_commands
get_commands()
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""

pytestmark = pytest.mark.integration  # a subprocess that loads the whole project


def test_loading_the_project_imports_no_heavy_library() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, env={**os.environ}, check=True
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), f"imported at start-up: {sorted(loaded & set(HEAVY))}"
