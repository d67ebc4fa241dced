"""The generated city's figures next to its calibration targets (``entas synth --report``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from entas.measures import fgt, gini

from .population import Population

CATEGORICAL = [
    "building_ownership",
    "floor_material",
    "wall_material",
    "roof_material",
    "water_source",
    "lighting",
    "power_va",
    "cooking_fuel",
    "toilet_facility",
    "sewage_disposal",
    "_kecamatan",
]
BOOLEAN = [
    "has_lpg_5kg",
    "has_fridge",
    "has_ac",
    "has_water_heater",
    "has_landline",
    "has_tv",
    "has_gold",
    "has_computer",
    "has_motorcycle",
    "has_bicycle",
    "has_car",
    "has_boat",
    "has_motorboat",
    "has_smartphone",
    "owns_land",
    "has_other_house",
    "internet_access",
    "bank_account",
]


def pmt_design(population: Population) -> np.ndarray:
    """Household variables a proxy-means test uses: housing, utilities, assets, size, the head's schooling."""
    h, m = population.households, population.members
    H = population.n_households
    columns = [np.ones(H), np.log(h["_size"]), np.log(h["floor_area_m2"] / h["_size"])]
    for name in CATEGORICAL:
        codes, index = np.unique(h[name].astype(str), return_inverse=True)
        columns += [(index == i).astype(float) for i in range(1, codes.size)]
    columns += [h[name].astype(float) for name in BOOLEAN]
    heads = (m["relationship"] == "1") & (m["_household"] < H)
    head_diploma = np.zeros(H)
    head_diploma[m["_household"][heads]] = np.array([int(d) if d else 0 for d in m["diploma"][heads]])
    columns.append(head_diploma)
    workers = np.bincount(m["_household"], weights=m["worked"].astype(float), minlength=H)[:H]
    columns.append(workers / h["_size"])
    return np.column_stack(columns)


def pmt_r2(population: Population, folds: int = 5, seed: int = 0) -> float:
    """Out-of-sample R² of log consumption per capita on the PMT variables (k-fold OLS)."""
    X = pmt_design(population)
    y = np.log(population.households["_consumption_pc"].astype(float))
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, y.size)
    predicted = np.empty_like(y)
    for k in range(folds):
        train, test = fold != k, fold == k
        beta, *_ = np.linalg.lstsq(X[train], y[train], rcond=None)
        predicted[test] = X[test] @ beta
    return float(1 - ((y - predicted) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def figures(population: Population) -> dict[str, Any]:
    h, m = population.households, population.members
    city = population.city
    targets = city["targets"]
    z = targets["poverty_line"]
    people = h["_size"].astype(float)
    y = h["_consumption_pc"]
    poor = y < z
    by_kec = {k["code"]: float(people[h["_kecamatan"] == k["code"]].sum()) for k in city["kecamatan"]}
    target_pop = sum(k["population"] for k in city["kecamatan"])
    labour = m["_labour_force"]
    generated = {
        "households": population.n_households,
        "people": int(people.sum()),
        "p0": fgt(y, z, 0, weights=people),
        "p1": fgt(y, z, 1, weights=people),
        "p2": fgt(y, z, 2, weights=people),
        "gini": gini(y, weights=people),
        "unemployment_rate": float(m["_unemployed"].sum() / max(labour.sum(), 1)),
        "mean_household_size": float(people.mean()),
        "mean_poor_household_size": float(people[poor].mean()) if poor.any() else 0.0,
        "pmt_r2": pmt_r2(population),
    }
    shares = {
        k["code"]: {
            "name": k["name"],
            "generated": by_kec[k["code"]] / people.sum(),
            "target": k["population"] / target_pop,
        }
        for k in city["kecamatan"]
    }
    return {
        "city": city["city"],
        "generated": generated,
        "targets": {k: targets[k] for k in generated if k in targets},
        "kecamatan_population_shares": shares,
        "sources": city.get("sources", {}),
    }


def as_text(report: dict[str, Any]) -> str:
    g, t = report["generated"], report["targets"]
    lines = [
        f"Synthetic {report['city']['name']}: {g['households']:,} households, {g['people']:,} people",
        "",
        f"{'figure':<28}{'generated':>12}{'target':>12}",
    ]
    labels = {
        "p0": "P0 (headcount)",
        "p1": "P1 (depth)",
        "p2": "P2 (severity)",
        "gini": "Gini",
        "unemployment_rate": "open unemployment",
        "mean_household_size": "mean household size",
        "mean_poor_household_size": "mean poor household size",
        "pmt_r2": "PMT out-of-sample R²",
    }
    for key, label in labels.items():
        target = f"{t[key]:.4f}" if key in t else "–"
        lines.append(f"{label:<28}{g[key]:>12.4f}{target:>12}")
    lines += ["", f"{'kecamatan population share':<28}{'generated':>12}{'target':>12}"]
    for row in report["kecamatan_population_shares"].values():
        lines.append(f"{row['name']:<28}{row['generated']:>12.4f}{row['target']:>12.4f}")
    return "\n".join(lines)
