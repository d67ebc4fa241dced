from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from entas.registry.importer import import_registry
from entas.synth import SynthConfig, build, write
from tests.policy.conftest import bappeda, cash_programme, plan  # noqa: F401  (the register's fixtures)

LINE_YEAR = 2025


@pytest.fixture
def city(regions: Any, tmp_path: Path) -> None:
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines

    files = tmp_path / "city"
    write(build(SynthConfig(households=1200, seed=8, survey_size=600)), files)
    import_registry(files / "registry.csv", actor=None, rejection_path=tmp_path / "r.csv")
    import_survey(path=files / "survey.csv", name="Susenas sintetis", year=LINE_YEAR, actor=None)
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
