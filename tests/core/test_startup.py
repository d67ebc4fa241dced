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


GC_PROBE = """
import gc, json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")
from entas.core.startup import quick_setup
before = gc.get_freeze_count()
quick_setup()
from django.apps import apps
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count() - before, "ready": apps.ready,
                  "api": "entas.api.api" in sys.modules}))
"""


def test_quick_setup_loads_everything_then_freezes_it_and_turns_the_collector_back_on() -> None:
    """The `entas` command and the WSGI module start with the collector paused (a tenth of start-up:
    benchmarks/startup.py): afterwards it must be on again for the command's own work, with what
    start-up built frozen out of its passes."""
    out = subprocess.run(
        [sys.executable, "-c", GC_PROBE], capture_output=True, text=True, timeout=300, env={**os.environ}, check=True
    ).stdout
    state = json.loads(out.strip().splitlines()[-1])
    assert state["enabled"] is True
    assert state["ready"] is True and state["api"] is True  # the apps and the URL configuration are loaded
    assert state["frozen"] > 100_000  # the objects start-up built are out of the collector's passes
