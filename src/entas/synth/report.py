"""The generated city's figures next to its calibration targets (``entas synth --report``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from entas.measures import fgt, gini

from .population import Population

# Households the PMT R² of the report is measured on: a random sample of a larger city. The R² of
# 40,000 households has a sampling error well under 0.01; the whole of a million-person city took
# most of the generation's time (measured: 5.5 of 7.7 s at 98,000 households).
R2_SAMPLE = 40_000


def pmt_r2(population: Population, folds: int = 5, seed: int = 0, sample: int = R2_SAMPLE) -> float:
    """Out-of-sample R² of log consumption per capita with the same PMT variables and model the
    targeting module fits (entas.targeting.pmt, person-weighted WLS, k-fold), on at most ``sample``
    households drawn at random (the whole city when it is smaller)."""
    from entas.targeting import pmt

    h, m = population.households, population.members
    n = population.n_households
    household_of = m["_household"]
    if n > sample:
        chosen = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
        position = np.full(n, -1)
        position[chosen] = np.arange(sample)
        kept = position[household_of] >= 0
        h = {k: v[chosen] for k, v in h.items()}
        m = {k: v[kept] for k, v in m.items()}
        household_of = position[household_of[kept]]
        n = sample
    members = {
        **{k: m[k] for k in ["sex", "relationship", "diploma", "worked", *pmt.DIFFICULTY]},
        "age": m["_age"],
        "household": household_of,
    }
    data = pmt.features({**h, "kecamatan": h["_kecamatan"]}, members)
    result = pmt.fit(
        data,
        h["_consumption_pc"],
        h["_size"].astype(float),
        np.arange(n),
        line=population.city["targets"]["poverty_line"],
        kind="wls",
        folds=folds,
        seed=seed,
    )
    return result.cross_validated.r2


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
