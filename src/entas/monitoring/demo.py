"""The demo's monitoring: the example plan's indicators and logframe (docs/examples/
indicators-balikpapan.yaml) loaded by the TKPK analyst, and a full refresh of the facts (which
evaluates the alert rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "indicators-balikpapan.yaml"


def seed(*, analyst: Any, path: Path = EXAMPLE) -> dict[str, Any]:
    from . import engine, services

    counts = services.load_indicators(data=yaml.safe_load(path.read_text(encoding="utf-8")), actor=analyst)
    summary = engine.refresh(full=True)
    return {**counts, "facts": summary.facts_written, "alerts_raised": summary.alerts_raised}
