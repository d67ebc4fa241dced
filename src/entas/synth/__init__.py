"""entas.synth: a calibrated, reproducible synthetic city (pure Python and numpy, no Django).

``build(config)`` returns the population and its survey, fault labels and panel; ``write`` puts
them on disk in the registry import format. See docs/synthetic-data.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import SynthConfig, load_city
from .faults import inject
from .output import REGISTRY_COLUMNS, write_all
from .panel import waves
from .population import Population, generate
from .report import figures
from .survey import draw_sample

__all__ = ["REGISTRY_COLUMNS", "City", "SynthConfig", "build", "load_city", "write"]


@dataclass
class City:
    config: SynthConfig
    population: Population
    survey: dict[str, np.ndarray]
    duplicates: list[tuple[str, str]] | None
    panel: dict[str, np.ndarray] | None
    report: dict[str, Any]


def build(config: SynthConfig) -> City:
    population = generate(config)
    # Independent streams for the extras, so adding a survey or waves never changes the registry.
    extras = np.random.default_rng([config.seed, 1])
    size = config.survey_size if config.survey_size is not None else max(1500, population.n_households // 50)
    survey = draw_sample(population, size, extras)
    report = figures(population)  # before faults: the figures describe the true city
    panel = (
        waves(population, config.waves, config.treatment_effect, np.random.default_rng([config.seed, 2]))
        if config.waves
        else None
    )
    duplicates = inject(population, config.faults, np.random.default_rng([config.seed, 3])) if config.faults else None
    return City(config, population, survey, duplicates, panel, report)


def write(city: City, out: Path, *, parquet: bool = False) -> dict[str, Path]:
    config = city.config
    manifest = {
        "generator": "entas.synth",
        "options": {
            "households": config.households,
            "seed": config.seed,
            "city": config.city,
            "faults": config.faults,
            "survey_size": int(city.survey["kk_number"].size),
            "waves": config.waves,
            "treatment_effect": config.treatment_effect,
            "reference_date": config.reference_date,
        },
        "report": city.report,
        "members": int(city.population.n_members),
    }
    return write_all(
        out,
        city.population,
        survey=city.survey,
        duplicates=city.duplicates,
        panel=city.panel,
        manifest=manifest,
        parquet=parquet,
    )
