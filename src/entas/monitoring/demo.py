"""The demo's monitoring: the example plan's indicators and logframe (docs/examples/
indicators-balikpapan.yaml) loaded by the TKPK analyst, the nation as the region "00" with its
official series (docs/examples/region-national.csv, indicators-national.yaml: the RPKD compares the
city with the province and the nation), and a full refresh of the facts (which evaluates the alert
rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
EXAMPLE = EXAMPLES / "indicators-balikpapan.yaml"
NATIONAL_REGION = EXAMPLES / "region-national.csv"
NATIONAL = EXAMPLES / "indicators-national.yaml"


def seed(*, analyst: Any, path: Path = EXAMPLE) -> dict[str, Any]:
    from entas.regions.services import load_regions

    from . import engine, services

    counts = services.load_indicators(data=yaml.safe_load(path.read_text(encoding="utf-8")), actor=analyst)
    load_regions(text=NATIONAL_REGION.read_text(encoding="utf-8"), actor=analyst, source=NATIONAL_REGION.name)
    national = services.load_indicators(data=yaml.safe_load(NATIONAL.read_text(encoding="utf-8")), actor=analyst)
    counts["values"] += national["values"]
    summary = engine.refresh(full=True)
    return {**counts, "facts": summary.facts_written, "alerts_raised": summary.alerts_raised}
