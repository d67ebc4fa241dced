"""Calibration data of a city (one JSON file per kabupaten/kota) and the generator's options."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def load_city(code: str = "64.71") -> dict[str, Any]:
    path = DATA_DIR / f"{code}.json"
    if not path.exists() and code.count(".") == 1:
        # A kabupaten/kota listed in its province's file: synthetic kecamatan and kelurahan (province.py).
        from .province import synthetic_city

        city = synthetic_city(code)
        if city is not None:
            return city
    if not path.exists():
        available = ", ".join(sorted(p.stem for p in DATA_DIR.glob("*.json")))
        raise ValueError(f"no calibration file for city {code} (available: {available}); add data/{code}.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@dataclass
class SynthConfig:
    households: int = 10_000
    seed: int = 1
    city: str = "64.71"
    faults: float = 0.0  # base rate of data-quality faults (see docs/synthetic-data.md)
    survey_size: int | None = (
        None  # households in the Susenas-like sample; default 2 % (at least 1,500, as Susenas in a city)
    )
    waves: int = 0  # panel waves after the baseline
    treatment_effect: float = 0.10  # effect on log consumption per capita of the panel's programme
    reference_date: str = "2026-01-01"  # ages and dates are computed against this day, not "today"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.households < 10:
            raise ValueError("generate at least 10 households")
        if not 0 <= self.faults <= 0.5:
            raise ValueError("faults is a rate between 0 and 0.5")
        if self.waves < 0:
            raise ValueError("waves must be >= 0")
