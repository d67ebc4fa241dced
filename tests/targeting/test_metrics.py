"""../shared/oracles/targeting.json (World Bank 10-person economy, 2 × 2 table) and the CGH cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from entas.targeting.metrics import cgh_index, simulate_transfer, targeting_errors

ORACLES = Path(__file__).resolve().parents[2].parent / "shared" / "oracles"
if not (ORACLES / "targeting.json").exists():
    pytest.skip(
        f"oracle fixtures not found at {ORACLES} (expected ../shared/oracles relative to the project root)",
        allow_module_level=True,
    )
CASES = {c["id"]: c for c in json.loads((ORACLES / "targeting.json").read_text())["cases"]}
MEASURES = {c["id"]: c for c in json.loads((ORACLES / "measures.json").read_text())["cases"]}


def ok(actual: float, expected: float, case: dict, key: str) -> bool:
    tol = case["tolerance"].get("per_key", {}).get(key, case["tolerance"]["default"])
    return abs(actual - expected) <= max(tol.get("abs", 0), tol.get("rel", 0) * abs(expected))


@pytest.mark.parametrize("case_id", [c for c in CASES if c.startswith("O9")])
def test_world_bank_ten_person_economy(case_id: str) -> None:
    case = CASES[case_id]
    i = case["inputs"]
    selected = np.asarray(i["transfer"]) > 0
    impact = simulate_transfer(i["y"], i["z"], i["transfer"])
    values = {
        "fgt0_after": impact.p0_after,
        "poverty_gap_reduction": impact.gap_reduction,
        "cost_benefit_ratio": impact.cost_benefit,
        "gini_relative_change": impact.gini_after / impact.gini_before - 1,
    }
    for prefix in ("PL", "P20"):
        errors = targeting_errors(selected, i[f"target_{prefix}"])
        values[f"{prefix}_exclusion_error"] = errors.exclusion_error
        values[f"{prefix}_inclusion_error"] = errors.inclusion_error
    for key, expected in case["expected"].items():
        assert ok(values[key], expected, case, key), (case_id, key, values[key], expected)


def test_the_two_by_two_table() -> None:
    case = CASES["O10-confusion-2x2"]
    i = case["inputs"]
    e = targeting_errors(i["beneficiary"], i["target"], weights=i["w"])
    for key, expected in case["expected"].items():
        actual = {"coverage_target": e.coverage}.get(key, getattr(e, key, None))
        assert ok(actual, expected, case, key), key  # type: ignore[arg-type]
    assert (e.target_selected, e.target_not_selected, e.nontarget_selected) == (15, 15, 10)


@pytest.mark.parametrize(
    "case_id", [c for c in MEASURES if (c.startswith("O10-cgh") and "vector" in c) or c == "O10-cgh-universal-flat"]
)
def test_coady_grosh_hoddinott(case_id: str) -> None:
    case = MEASURES[case_id]
    i = case["inputs"]
    assert ok(cgh_index(i["benefit"], i["y"]), case["expected"]["cgh_bottom40"], case, "cgh_bottom40")


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="0/1"):
        targeting_errors([2, 0], [1, 0])
    with pytest.raises(ValueError, match="target has 1 values but selected has 2"):
        targeting_errors([1, 0], [1])
    with pytest.raises(ValueError, match="no benefits"):
        cgh_index([0, 0], [1, 2])
