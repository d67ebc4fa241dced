"""Writing the synthetic city: the registry file in the import format, truth files, the survey,
fault labels, panel waves, a manifest and a README. Deterministic bytes for a given seed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from entas.registry import variables

from .population import Population

HOUSEHOLD_COLUMNS = [
    "kelurahan_code",
    "kk_number",
    "address",
    "rt",
    "rw",
    *variables.HOUSING,
    *variables.UTILITIES,
    *variables.ASSETS,
    *variables.PROPERTY,
    "cattle",
    "goats",  # the livestock the model draws
    *variables.ACCESS,
    "desil_national",
    "desil_city",
    "desil_date",
    "prog_bpnt",
    "prog_pkh",
    "prog_subsidi_listrik",
    "prog_bantuan_pemda",
    "prog_subsidi_lpg",
]
MEMBER_COLUMNS = [
    "nik",
    "name",
    "sex",
    "birth_date",
    "relationship",
    *variables.PERSON,
    "receives_pip",
    "receives_prakerja",
    "receives_kur",
    "receives_umi",
    "employment_insurance",
]
REGISTRY_COLUMNS = HOUSEHOLD_COLUMNS + MEMBER_COLUMNS
CHUNK = 50_000


def _text(values: np.ndarray) -> np.ndarray:
    """A column as strings: booleans 1/0, numbers in decimal, None and NaN blank."""
    if values.dtype == bool:
        return np.where(values, "1", "0").astype(object)
    if np.issubdtype(values.dtype, np.integer):
        return values.astype(str).astype(object)
    return np.asarray(["" if v is None else str(v) for v in values], dtype=object)


def registry_rows(population: Population) -> Iterator[list[Any]]:
    """One row per member, families consecutive, household columns repeated."""
    h, m = population.households, population.members
    # Each household's text once (a third of the work of converting it for every member): a member's
    # row then picks its household's strings by index.
    household_text = [_text(h[c]) for c in HOUSEHOLD_COLUMNS]
    order = np.argsort(m["_household"], kind="stable")
    for start in range(0, order.size, CHUNK):
        rows = order[start : start + CHUNK]
        hh = m["_household"][rows]
        columns = [text[hh] for text in household_text] + [_text(m[c][rows]) for c in MEMBER_COLUMNS]
        yield from zip(*columns, strict=True)


def _write(path: Path, header: list[str], rows: Any) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_all(
    out: Path,
    population: Population,
    *,
    survey: dict[str, np.ndarray] | None,
    duplicates: list[tuple[str, str]] | None,
    panel: dict[str, np.ndarray] | None,
    manifest: dict[str, Any],
    parquet: bool = False,
) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    h, m = population.households, population.members
    files = {"registry": out / "registry.csv"}
    _write(files["registry"], REGISTRY_COLUMNS, registry_rows(population))
    files["households_truth"] = out / "households_truth.csv"
    poor = h["_consumption_pc"] < population.city["targets"]["poverty_line"]
    _write(
        files["households_truth"],
        ["kk_number", "kecamatan_code", "household_size", "consumption_per_capita", "poor", "wealth_index"],
        zip(
            h["kk_number"],
            h["_kecamatan"],
            _text(h["_size"]),
            _text(h["_consumption_pc"]),
            _text(poor),
            [f"{v:.4f}" for v in h["_wealth"]],
            strict=True,
        ),
    )
    files["members_truth"] = out / "members_truth.csv"
    _write(
        files["members_truth"],
        ["nik", "age", "labour_force", "unemployed"],
        zip(m["nik"], _text(m["_age"]), _text(m["_labour_force"]), _text(m["_unemployed"]), strict=True),
    )
    if survey is not None:
        files["survey"] = out / "survey.csv"
        _write(
            files["survey"],
            ["kk_number", "kelurahan_code", "stratum", "psu", "weight", "household_size", "consumption_per_capita"],
            zip(
                survey["kk_number"],
                survey["kelurahan_code"],
                survey["stratum"],
                survey["psu"],
                [f"{w:.6f}" for w in survey["weight"]],
                _text(survey["household_size"]),
                _text(survey["consumption_per_capita"]),
                strict=True,
            ),
        )
    if duplicates is not None:
        files["duplicates"] = out / "duplicates.csv"
        _write(files["duplicates"], ["nik_a", "nik_b"], duplicates)
    if panel is not None:
        files["panel"] = out / "panel.csv"
        _write(
            files["panel"],
            ["kk_number", "wave", "consumption_per_capita", "treated"],
            zip(
                panel["kk_number"],
                _text(panel["wave"]),
                _text(panel["consumption_per_capita"]),
                _text(panel["treated"]),
                strict=True,
            ),
        )
    if parquet:
        import duckdb

        with duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}) as db:
            for name in list(files):
                target = files[name].with_suffix(".parquet")
                db.read_csv(str(files[name]), all_varchar=True, header=True).write_parquet(str(target))
                files[f"{name}_parquet"] = target
    manifest = {**manifest, "files": {k: v.name for k, v in files.items()}}
    files["manifest"] = out / "manifest.json"
    files["manifest"].write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    files["readme"] = out / "README.md"
    files["readme"].write_text(README, encoding="utf-8")
    return files


README = (Path(__file__).resolve().parent / "data" / "README-output.md").read_text(encoding="utf-8")
