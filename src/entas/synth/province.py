"""A synthetic province: every kabupaten/kota of a province generated as a city, in proportion to its
population, into one registry file (and its region tree), without holding the province in memory.

Only Balikpapan (64.71) has an official region tree and a calibration file of its own; for the other
kabupaten/kota of the province file (``data/64.json``) the kecamatan and kelurahan/desa are SYNTHETIC
(codes in the Kemendagri form, names made up, counts approximate) and the calibration targets are
Balikpapan's: a benchmark of scale, not a poverty map. See docs/synthetic-data.md and docs/scaling.md.

NIKs are unique across the province: a NIK is the kecamatan of registration, the birth date and a
serial number, and a person born elsewhere carries that place's kecamatan, so two kabupaten can both
generate ``647201 010190 0001``; each kabupaten's serials continue after those already used by the
kabupaten written before it.
"""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .config import DATA_DIR, SynthConfig
from .output import REGISTRY_COLUMNS, registry_rows
from .population import generate
from .survey import draw_sample

REGION_COLUMNS = ["code", "name", "bps_code", "aliases"]
SURVEY_COLUMNS = ["kk_number", "kelurahan_code", "stratum", "psu", "weight", "household_size", "consumption_per_capita"]
MEAN_HOUSEHOLD_SIZE = 3.05  # the generator's mean (Balikpapan's target): households = members / this


def load_province(code: str = "64") -> dict[str, Any]:
    path = DATA_DIR / f"{code}.json"
    if "." in code or not path.exists():
        raise ValueError(f"no province file for {code} (available: 64); add data/{code}.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def synthetic_city(code: str) -> dict[str, Any] | None:
    """The calibration of a kabupaten/kota without a file of its own, from its province file: its
    kecamatan and kelurahan/desa synthetic (codes ``64.72.01``, ``64.72.01.1001`` kelurahan and
    ``…2001`` desa; names made up), population split over the kecamatan unevenly but deterministically,
    Balikpapan's targets. None when no province file lists the code."""
    province_code = code.split(".")[0]
    if not (DATA_DIR / f"{province_code}.json").exists():
        return None
    province = load_province(province_code)
    entry = next((k for k in province["kabupaten"] if k["code"] == code), None)
    if entry is None:
        return None
    base: dict[str, Any] = json.loads((DATA_DIR / "64.71.json").read_text(encoding="utf-8"))
    n_kec = int(entry["kecamatan"])
    villages, kelurahan = int(entry["villages"]), int(entry["kelurahan"])
    total = max(villages + kelurahan, n_kec)
    weights = np.array([1.0 + ((i * 7) % 5) / 4 for i in range(n_kec)])
    populations = np.floor(entry["population"] * weights / weights.sum()).astype(int)
    per_kec = [total // n_kec + (1 if i < total % n_kec else 0) for i in range(n_kec)]
    kel_left = kelurahan
    kecamatan = []
    for i in range(n_kec):
        kec_code = f"{code}.{i + 1:02d}"
        kec_name = f"{entry['name']} {i + 1:02d}"
        n_kel = min(per_kec[i], kel_left) if entry["kind"] == "kabupaten" else per_kec[i]
        kel_left -= n_kel if entry["kind"] == "kabupaten" else 0
        units = [(f"{kec_code}.{1001 + j}", f"{kec_name} Kelurahan {j + 1}") for j in range(n_kel)]
        units += [(f"{kec_code}.{2001 + j}", f"{kec_name} Desa {j + 1}") for j in range(per_kec[i] - n_kel)]
        kecamatan.append(
            {
                "code": kec_code,
                "name": kec_name,
                "population": int(populations[i]),
                "kelurahan": [{"code": c, "name": n} for c, n in units],
            }
        )
    city = copy.deepcopy(base)
    city["city"] = {"code": code, "name": entry["name"], "province_code": province_code, "synthetic_regions": True}
    city["kecamatan"] = kecamatan
    city["sources"] = {**base["sources"], "regions": province["sources"]["kecamatan"]}
    return city


def region_rows(province: dict[str, Any]) -> Iterator[dict[str, str]]:
    """The province's region tree in the regions app's CSV form (``entas load_regions FILE``):
    Balikpapan's official rows, the other kabupaten/kota with synthetic kecamatan and kelurahan/desa."""
    from .config import load_city

    info = province["province"]
    yield {"code": info["code"], "name": info["name"], "bps_code": info["code"], "aliases": ""}
    official = DATA_DIR.parent.parent / "regions" / "data"
    for entry in province["kabupaten"]:
        own = official / f"regions-{entry['code']}.csv"
        if own.exists():
            with own.open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    if row["code"] != info["code"]:
                        yield {c: row.get(c, "") for c in REGION_COLUMNS}
            continue
        yield {"code": entry["code"], "name": entry["name"], "bps_code": entry["code"].replace(".", ""), "aliases": ""}
        for kec in load_city(entry["code"])["kecamatan"]:
            yield {"code": kec["code"], "name": kec["name"], "bps_code": "", "aliases": ""}
            for kel in kec["kelurahan"]:
                yield {"code": kel["code"], "name": kel["name"], "bps_code": "", "aliases": ""}


@dataclass
class ProvinceSummary:
    code: str
    members: int = 0
    households: int = 0
    survey_households: int = 0
    kabupaten: dict[str, dict[str, int]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def allocate(province: dict[str, Any], members: int) -> dict[str, int]:
    """Households per kabupaten/kota, in proportion to its population (at least 10 each)."""
    shares = np.array([k["population"] for k in province["kabupaten"]], dtype=float)
    shares /= shares.sum()
    return {
        k["code"]: max(10, round(members * share / MEAN_HOUSEHOLD_SIZE))
        for k, share in zip(province["kabupaten"], shares, strict=True)
    }


def build_province(
    out: Path,
    *,
    code: str = "64",
    members: int = 1_000_000,
    seed: int = 1,
    survey_per_kabupaten: int | None = None,
) -> ProvinceSummary:
    """Generate the province into ``out``: registry.csv (the import format), regions.csv (the region
    tree), survey.csv (each kabupaten/kota's survey sample) and manifest.json. One kabupaten/kota is in
    memory at a time (the largest, Kutai Kartanegara or Samarinda, is about a fifth of the province)."""
    province = load_province(code)
    out.mkdir(parents=True, exist_ok=True)
    summary = ProvinceSummary(code=code)
    files = {"registry": out / "registry.csv", "regions": out / "regions.csv", "survey": out / "survey.csv"}
    with files["regions"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, REGION_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(region_rows(province))
    used: dict[int, int] = {}  # NIK's first 12 digits → serials used by the kabupaten already written
    with (
        files["registry"].open("w", newline="", encoding="utf-8") as registry,
        files["survey"].open("w", newline="", encoding="utf-8") as survey_file,
    ):
        rows, samples = csv.writer(registry, lineterminator="\n"), csv.writer(survey_file, lineterminator="\n")
        rows.writerow(REGISTRY_COLUMNS)
        samples.writerow(SURVEY_COLUMNS)
        for index, (city, households) in enumerate(allocate(province, members).items()):
            config = SynthConfig(households=households, seed=seed * 1000 + index, city=city)
            population = generate(config)
            population.members["nik"] = _unique_niks(population.members["nik"], used)
            rows.writerows(registry_rows(population))
            size = survey_per_kabupaten or max(100, population.n_households // 50)
            sample = draw_sample(
                population, min(size, population.n_households), np.random.default_rng([config.seed, 1])
            )
            samples.writerows(
                zip(
                    sample["kk_number"],
                    sample["kelurahan_code"],
                    sample["stratum"],
                    sample["psu"],
                    [f"{w:.6f}" for w in sample["weight"]],
                    sample["household_size"],
                    sample["consumption_per_capita"],
                    strict=True,
                )
            )
            summary.kabupaten[city] = {"households": population.n_households, "members": population.n_members}
            summary.members += population.n_members
            summary.households += population.n_households
            summary.survey_households += int(sample["kk_number"].size)
            del population
    files["manifest"] = out / "manifest.json"
    manifest = {
        "generator": "entas.synth (province)",
        "options": {"province": code, "members": members, "seed": seed},
        "members": summary.members,
        "households": summary.households,
        "kabupaten": summary.kabupaten,
        "sources": province["sources"],
        "files": {k: v.name for k, v in files.items()},
    }
    files["manifest"].write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary.files = files
    return summary


def _unique_niks(niks: np.ndarray, used: dict[int, int]) -> np.ndarray:
    """Each NIK's serial moved past the serials other kabupaten already used for the same region of
    registration and birth date (``used`` is updated)."""
    number = np.asarray(niks, dtype="U16").astype(np.int64)
    key, serial = number // 10_000, number % 10_000
    keys, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    offset = np.fromiter((used.get(int(k), 0) for k in keys), dtype=np.int64, count=keys.size)
    serial = serial + offset[inverse]
    if serial.size and serial.max() > 9999:
        raise ValueError("more than 9,999 people share a region of registration and a birth date")
    for k, c, o in zip(keys.tolist(), counts.tolist(), offset.tolist(), strict=True):
        used[k] = o + c
    return np.char.zfill((key * 10_000 + serial).astype(str), 16).astype(object)
