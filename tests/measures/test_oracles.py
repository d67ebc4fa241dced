"""Every published case in ../shared/oracles/measures.json, to its stated tolerance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from entas import measures as m

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ORACLES = PROJECT_ROOT.parent / "shared" / "oracles"
if not (ORACLES / "measures.json").exists():
    pytest.skip(
        f"oracle fixtures not found at {ORACLES} (expected ../shared/oracles relative to the project root)",
        allow_module_level=True,
    )

DATA = json.loads((ORACLES / "measures.json").read_text())
CASES = {c["id"]: c for c in DATA["cases"]}


def close(actual: Any, expected: Any, tol: dict[str, float]) -> bool:
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return bool(np.all(np.abs(a - e) <= np.maximum(tol.get("abs", 0.0), tol.get("rel", 0.0) * np.abs(e))))


def measure(key: str, y: list[float], z: float | None, w: list[float] | None) -> Any:
    pct = key.endswith("_pct")
    name = key[:-4] if pct else key
    value: Any
    if name.startswith("fgt") and name != "fgt":
        value = m.fgt(y, z, float(name[3:]), weights=w)  # type: ignore[arg-type]
    elif name == "normalised_gaps":
        value = m.gaps(np.asarray(y, dtype=float), z)  # type: ignore[arg-type]
    elif name == "watts":
        value = m.watts(y, z, weights=w)  # type: ignore[arg-type]
    elif name == "sen_exact":
        value = m.sen(y, z, weights=w)  # type: ignore[arg-type]
    elif name == "thon":
        value = thon(np.asarray(y, dtype=float), z)  # type: ignore[arg-type]
    elif name.startswith("chu_"):
        c = float(name[4:])
        yz = np.minimum(np.asarray(y, dtype=float), z) / z  # type: ignore[operator]
        value = float(np.mean(1 - yz**c) / c)
    elif name == "gini":
        value = m.gini(y, weights=w)
    elif name == "gini_corrected":
        value = m.gini(y, weights=w) * len(y) / (len(y) - 1)
    elif name.startswith("atkinson_"):
        value = m.atkinson(y, float(name[9:]), weights=w)
    elif name.startswith("ge_"):
        value = m.generalized_entropy(y, float(name[3:]), weights=w)
    elif name == "cv":
        arr = np.asarray(y, dtype=float)
        value = float(arr.std() / arr.mean())
    elif name == "mean":
        value = float(np.mean(y))
    else:
        pytest.skip(f"{key} is not an entas measure")
    return np.asarray(value) * 100 if pct else value


def thon(y: np.ndarray, z: float) -> float:
    ys = np.sort(y)
    n = ys.size
    i = np.arange(1, n + 1)
    poor = ys < z
    return float(2 / ((n + 1) * n * z) * ((n + 1 - i[poor]) * (z - ys[poor])).sum())


POVERTY_INEQUALITY = [cid for cid, c in CASES.items() if c["oracle"] in {"O1", "O2", "O3"}]


@pytest.mark.parametrize("case_id", POVERTY_INEQUALITY)
def test_poverty_and_inequality_oracle(case_id: str) -> None:
    case = CASES[case_id]
    inputs = case["inputs"]
    checked = 0
    for key, expected in case["expected"].items():
        if key in {"herfindahl", "rosenbluth", "lorenz_asymmetry"}:
            continue  # concentration and asymmetry measures are not part of entas.measures
        tol = case["tolerance"].get("per_key", {}).get(key, case["tolerance"]["default"])
        actual = measure(key, inputs["y"], inputs.get("z"), inputs.get("w"))
        assert close(actual, expected, tol), f"{case_id} {key}: {actual} != {expected}"
        checked += 1
    assert checked


def test_alkire_foster_2011_example() -> None:
    case = CASES["O6-af2011-k2"]
    inputs = case["inputs"]
    achievements = np.asarray(inputs["achievements"], dtype=float)
    deprived = (achievements < np.asarray(inputs["cutoffs"], dtype=float)).astype(float)
    result = m.mpi(deprived, inputs["dimension_weights"], inputs["k"])
    tol = case["tolerance"]["default"]
    expected = case["expected"]
    assert close(deprived, expected["g0"], tol)
    assert close(deprived.sum(axis=1), expected["deprivation_count"], tol)
    for key in ("H", "A", "M0"):
        assert close(getattr(result, key), expected[key], case["tolerance"].get("per_key", {}).get(key, tol)), key
