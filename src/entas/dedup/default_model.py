"""The default linkage model shipped with entas, for a registry that cannot train its own.

EM learns how duplicates differ (the m probabilities) from the duplicates a registry holds: a small
city, or one without duplicates, holds too few. Such a city then takes the m probabilities from this
model, trained once by the same code (:func:`entas.dedup.linkage.train`) on the synthetic city with
planted duplicates, and keeps its own u probabilities and prior (what its records look like by
chance is measured on the city). A registry too small even for u (under a thousand members) uses the
model whole when a person chooses it (``entas dedup train --default``).

The model lives in ``data/default_model.json``: its version, what it was trained on, and per
comparison level its m and u probabilities. Rebuild it after changing the comparisons (a test fails
until then) and raise ``VERSION``::

    .venv/bin/python -m entas.dedup.default_model          # writes src/entas/dedup/data/default_model.json
"""

from __future__ import annotations

import json
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("data") / "default_model.json"
VERSION = 1

# The synthetic city the model is trained on (the benchmark's: benchmarks/dedup.py).
CITY = {"households": 32_258, "seed": 8, "faults": 0.02}

# m probabilities set by hand, not learnt: the synthetic city gives every duplicate a typo in the name
# (docs/synthetic-data.md), so EM sees no duplicate with an exact name and gives the level m ≈ 0 —
# in the default model, a real duplicate entered with its name typed right would score below one with
# a typo. Half of the duplicates are taken to keep their name exactly; the other name levels share the
# rest in the proportions EM learnt.
PRIORS = {("name", "Exact match on name"): 0.5}


@cache
def load() -> dict[str, Any]:
    """The shipped default model: ``version``, ``trained_on`` and ``comparisons`` (name → level label →
    ``m_probability``, ``u_probability``)."""
    with PATH.open(encoding="utf-8") as handle:
        model: dict[str, Any] = json.load(handle)
    return model


def _with_priors(comparisons: dict[str, dict[str, dict[str, float]]]) -> None:
    for (name, label), m in PRIORS.items():
        levels = comparisons[name]
        others = [lv for key, lv in levels.items() if key != label]
        scale = (1 - m) / sum(lv["m_probability"] for lv in others)
        for lv in others:
            lv["m_probability"] *= scale
        levels[label]["m_probability"] = m


def build(log: Any = None) -> dict[str, Any]:
    """Train the default model on the synthetic city :data:`CITY` and measure it there."""
    import splink

    from entas.synth import SynthConfig, write
    from entas.synth import build as build_city

    from . import linkage
    from .evaluation import accuracy, found_pairs, labelled_city

    folder = Path(tempfile.mkdtemp(prefix="entas-default-model-"))
    write(build_city(SynthConfig(survey_size=10, **CITY)), folder)  # type: ignore[arg-type]
    records, truth = labelled_city(folder)
    table = linkage.member_frame(records)
    trained = linkage.train(table, log=log)
    if trained.summary["m_source"] != "em":
        raise RuntimeError(f"EM did not train on the synthetic city: {trained.summary}")
    comparisons: dict[str, dict[str, dict[str, float]]] = {}
    for c in trained.model["comparisons"]:
        comparisons[c["output_column_name"]] = {
            lv["label_for_charts"]: {"m_probability": lv["m_probability"], "u_probability": lv.get("u_probability")}
            for lv in c["comparison_levels"]
            if not lv.get("is_null_level")
        }
    _with_priors(comparisons)
    for levels in comparisons.values():
        for lv in levels.values():
            lv["m_probability"] = round(lv["m_probability"], 6)
            if lv["u_probability"] is not None:
                lv["u_probability"] = float(f"{lv['u_probability']:.6g}")
    model = {"version": VERSION, "comparisons": comparisons}
    # Measured as a city using it would: its m with the city's own u and prior.
    used = linkage.make_linker(table, linkage.floor_prior(linkage.apply_default(trained.model, model), table.num_rows))
    precision, recall, _f1 = accuracy(found_pairs(linkage.predict(used, threshold=0.5).as_record_list()), truth)
    return {
        "version": VERSION,
        "trained_on": {
            "synthetic_city": CITY,
            "members": table.num_rows,
            "planted_pairs": len(truth),
            "splink": splink.__version__,
            "precision_at_0.5": round(precision, 3),
            "recall_at_0.5": round(recall, 3),
        },
        "priors": {f"{name}: {label}": m for (name, label), m in PRIORS.items()},
        "comparisons": comparisons,
    }


def main() -> None:
    model = build(log=lambda m: print(m, file=sys.stderr, flush=True))
    PATH.parent.mkdir(exist_ok=True)
    PATH.write_text(json.dumps(model, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{PATH}: version {model['version']}, {json.dumps(model['trained_on'])}")


if __name__ == "__main__":
    main()
