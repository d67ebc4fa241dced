"""The overlap of deprivations by expenditure quintile, without a database: each dimension's definition
on hand-made households, the quintile split, the counts and combinations, and the RPKD section."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from entas.reports import builders, deprivation
from entas.reports.deprivation import deprived_in, overlap_by_quintile, quintiles

ON = dt.date(2025, 12, 31)


def adult(**extra: Any) -> dict[str, Any]:
    row = {
        "birth_date": dt.date(1985, 1, 1),
        "relationship": "1",
        "school_participation": "2",
        "diploma": "3",
        "health_insurance": "2",
        "worked": True,
        "employment_insurance": True,
    }
    row.update(extra)
    return row


GOOD_HOUSE = {
    "water_source": "3",
    "toilet_facility": "1",
    "sewage_disposal": "1",
    "floor_material": "2",
    "wall_material": "1",
    "roof_material": "2",
    "floor_area_m2": 60,
}


def test_a_well_off_household_is_deprived_in_nothing() -> None:
    assert deprived_in(GOOD_HOUSE, [adult()], on=ON) == frozenset()


@pytest.mark.parametrize(
    ("household", "members", "dimension"),
    [
        ({}, [adult(), adult(relationship="3", birth_date=dt.date(2012, 5, 1), school_participation="2")], "education"),
        ({}, [adult(diploma="0")], "education"),
        ({}, [adult(), adult(relationship="2", health_insurance="0")], "health"),
        ({"water_source": "9"}, [adult()], "water_sanitation"),
        ({"toilet_facility": "6"}, [adult()], "water_sanitation"),
        ({"sewage_disposal": "5"}, [adult()], "water_sanitation"),
        ({"floor_material": "8"}, [adult()], "housing"),
        ({"roof_material": "7"}, [adult()], "housing"),
        ({"floor_area_m2": 20}, [adult(), adult(relationship="2"), adult(relationship="3")], "housing"),
        ({}, [adult(employment_insurance=False)], "social_protection"),
        ({}, [adult(worked=False), adult(relationship="2", worked=False)], "economy"),
    ],
)
def test_each_dimension_is_read_from_the_registry_fields(
    household: dict[str, Any], members: list[dict[str, Any]], dimension: str
) -> None:
    assert deprived_in({**GOOD_HOUSE, **household}, members, on=ON) == {dimension}


def test_protection_and_work_are_not_deprivations_when_someone_is_covered_or_too_old() -> None:
    pkh = {**GOOD_HOUSE, "receives_pkh": True}
    assert deprived_in(pkh, [adult(employment_insurance=False)], on=ON) == frozenset()
    pbi = [adult(employment_insurance=False, health_insurance="1")]
    assert deprived_in(GOOD_HOUSE, pbi, on=ON) == frozenset()
    retired = [adult(birth_date=dt.date(1950, 1, 1), worked=False)]
    assert deprived_in(GOOD_HOUSE, retired, on=ON) == frozenset()
    # a blank field is unknown, not a deprivation
    assert deprived_in({}, [adult(diploma="")], on=ON) == frozenset()


def test_quintiles_split_evenly_from_the_poorest() -> None:
    q = quintiles({k: float(100 - k) for k in range(10)})
    assert q[9] == 1 and q[8] == 1 and q[0] == 5 and sorted(q.values()) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_the_overlap_counts_shares_and_combinations() -> None:
    consumption = {k: float(k) for k in range(10)}  # 0, 1 in Q1; 8, 9 in Q5
    sets = {0: {"housing", "health", "economy"}, 1: {"housing", "health"}, 2: {"housing", "health"}, 9: {"health"}}
    out = overlap_by_quintile(consumption, sets)
    assert out["households"] == 10
    q1, q2, q5 = out["quintiles"][0], out["quintiles"][1], out["quintiles"][4]
    assert q1["households"] == 2 and q1["counts"] == {"0": 0, "1": 0, "2": 1, "3": 1}
    assert q1["shares"]["2"] == pytest.approx(50.0) and q1["dimensions"]["housing"] == pytest.approx(100.0)
    assert q2["counts"] == {"0": 1, "1": 0, "2": 1, "3": 0}
    assert q5["counts"] == {"0": 1, "1": 1, "2": 0, "3": 0} and q5["dimensions"]["health"] == pytest.approx(50.0)
    for q in out["quintiles"]:
        assert sum(q["shares"].values()) == pytest.approx(100.0)
    first = out["combinations"][0]
    assert first["dimensions"] == ["health", "housing"] and first["households"] == 2
    assert first["share"] == pytest.approx(20.0) and first["by_quintile"] == {"1": 1, "2": 1, "3": 0, "4": 0, "5": 0}
    assert [c["households"] for c in out["combinations"]] == [2, 1, 1]


def test_the_rpkd_has_the_overlap_section_and_says_which_comparators_are_missing() -> None:
    consumption = {k: float(k) for k in range(10)}
    data = overlap_by_quintile(consumption, {0: {"housing", "health"}, 5: {"economy"}})
    data["model"] = "PMT v1"
    inputs = {
        "city": "Kota Balikpapan",
        "year": 2025,
        "snapshot": "2025-12-31",
        "profile": None,
        "official": [],
        "sae": None,
        "sector_indicators": [
            {
                "sector": "education",
                "name": "APS",
                "period": "2025",
                "city": 97.0,
                "province": 95.5,
                "national": None,
                "direction": "up",
            }
        ],
        "sector_history": [],
        "comparators": {"province": "64", "national": "00", "province_entered": True, "national_entered": False},
        "deprivation": data,
    }
    doc = builders.rpkd_profile(inputs)
    tables = {t.key: t for s in doc.sections for t in s.blocks if getattr(t, "kind", "") == "table"}
    assert tables["deprivation_count"].rows[0] == ["1", 2, 50.0, 0.0, 50.0, 0.0]
    combo = tables["deprivation_combination"]
    assert combo.rows[0][: len(deprivation.DIMENSIONS)] == ["", "●", "", "●", "", ""]
    assert combo.rows[0][6:8] == [1, 10.0]
    note = tables["sector_education"].note
    assert "00" in note and "64" not in note
    spec = next(b.spec for s in doc.sections for b in s.blocks if getattr(b, "key", "") == "deprivation_chart")
    assert {v["quintile"] for v in spec["data"]["values"]} == {"Q1", "Q2", "Q3", "Q4", "Q5"}
