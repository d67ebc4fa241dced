"""The overlap of deprivations by expenditure quintile (SEPAKAT's Venn diagrams, drawn as an UpSet-style
table): which of six basic-service dimensions a registered household is deprived in, read from the
registry's own fields, and for each quintile of consumption the share deprived in 0, 1, 2, 3+ of them
and the most common combinations.

Pure: plain rows in, plain dictionaries out; ``tests/reports/test_deprivation.py`` calls it without a
database. The definitions (docs/reports.md, *Deprivations*):

- ``education``: a member aged 7–18 not in school, or the head without any diploma;
- ``health``: a member without health insurance (Regsosek 431a = none);
- ``water_sanitation``: drinking water from an unprotected well or spring or surface water, or no toilet
  used by the family (none, or not used), or faeces disposed of into water, a hole or the open;
- ``housing``: an earth or bamboo floor, a woven bamboo, log or bamboo wall, a bamboo or thatch roof, or
  less than 8 m² of floor per member;
- ``social_protection``: neither PKH, BPNT nor a state-paid health premium (PBI), and no member with
  employment social security;
- ``economy``: members of working age (15–64) and none of them worked last week.

A field that is not recorded (blank) does not make a household deprived.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

DIMENSIONS = ("education", "health", "water_sanitation", "housing", "social_protection", "economy")

UNIMPROVED_WATER = {"6", "8", "9"}
NO_TOILET = {"5", "6"}
UNSAFE_DISPOSAL = {"3", "4", "5"}
POOR_FLOOR = {"7", "8"}
POOR_WALL = {"4", "5", "6"}
POOR_ROOF = {"6", "7"}
MIN_FLOOR_PER_MEMBER = 8.0


def _age(birth: dt.date | None, on: dt.date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def deprived_in(household: Mapping[str, Any], members: Iterable[Mapping[str, Any]], *, on: dt.date) -> frozenset[str]:
    """The dimensions one household is deprived in. ``household`` holds the registry fields
    ``water_source``, ``toilet_facility``, ``sewage_disposal``, ``floor_material``, ``wall_material``,
    ``roof_material``, ``floor_area_m2``, ``receives_pkh``, ``receives_bpnt``; each member
    ``birth_date``, ``relationship`` (``"1"`` the head), ``school_participation``, ``diploma``,
    ``health_insurance``, ``worked``, ``employment_insurance``."""
    members = list(members)
    out: set[str] = set()
    ages = [_age(m.get("birth_date"), on) for m in members]
    if any(
        a is not None and 7 <= a <= 18 and m.get("school_participation") in ("0", "2")
        for a, m in zip(ages, members, strict=True)
    ) or any(m.get("relationship") == "1" and m.get("diploma") == "0" for m in members):
        out.add("education")
    if any(m.get("health_insurance") == "0" for m in members):
        out.add("health")
    if (
        household.get("water_source") in UNIMPROVED_WATER
        or household.get("toilet_facility") in NO_TOILET
        or household.get("sewage_disposal") in UNSAFE_DISPOSAL
    ):
        out.add("water_sanitation")
    area = household.get("floor_area_m2")
    if (
        household.get("floor_material") in POOR_FLOOR
        or household.get("wall_material") in POOR_WALL
        or household.get("roof_material") in POOR_ROOF
        or (area is not None and members and area / len(members) < MIN_FLOOR_PER_MEMBER)
    ):
        out.add("housing")
    covered = (
        household.get("receives_pkh")
        or household.get("receives_bpnt")
        or any(m.get("health_insurance") == "1" or m.get("employment_insurance") for m in members)
    )
    if not covered:
        out.add("social_protection")
    working_age = [m for a, m in zip(ages, members, strict=True) if a is not None and 15 <= a <= 64]
    if working_age and not any(m.get("worked") for m in working_age):
        out.add("economy")
    return frozenset(out)


def quintiles(consumption: Mapping[int, float]) -> dict[int, int]:
    """Each household's quintile of consumption (1 = the poorest fifth), ranked among the households
    given (ties broken by id, so the split is reproducible)."""
    order = sorted(consumption, key=lambda k: (consumption[k], k))
    n = len(order)
    return {k: min(5, i * 5 // n + 1) for i, k in enumerate(order)}


def combination_label(dims: Iterable[str]) -> str:
    return "+".join(d for d in DIMENSIONS if d in set(dims))


def overlap_by_quintile(
    consumption: Mapping[int, float], deprived: Mapping[int, Iterable[str]], *, top: int = 10
) -> dict[str, Any]:
    """For households with a consumption value: per quintile, the number of households, the share (%)
    deprived in 0, 1, 2 and 3+ dimensions and in each dimension; and the ``top`` most common
    non-empty combinations with their count overall and per quintile."""
    q_of = quintiles(consumption)
    sets = {k: frozenset(deprived.get(k, ())) for k in q_of}
    rows = []
    for q in range(1, 6):
        ids = [k for k, v in q_of.items() if v == q]
        n = len(ids)
        counts = Counter(min(len(sets[k]), 3) for k in ids)
        dims = Counter(d for k in ids for d in sets[k])
        rows.append(
            {
                "quintile": q,
                "households": n,
                "counts": {str(c): counts.get(c, 0) for c in (0, 1, 2, 3)},
                "shares": {str(c): (100.0 * counts.get(c, 0) / n if n else None) for c in (0, 1, 2, 3)},
                "dimensions": {d: (100.0 * dims.get(d, 0) / n if n else None) for d in DIMENSIONS},
            }
        )
    combos: Counter[frozenset[str]] = Counter(s for s in sets.values() if s)
    by_q: dict[frozenset[str], Counter[int]] = {}
    for k, s in sets.items():
        if s:
            by_q.setdefault(s, Counter())[q_of[k]] += 1
    ranked = sorted(combos.items(), key=lambda kv: (-kv[1], -len(kv[0]), combination_label(kv[0])))[:top]
    total = len(sets)
    combinations = [
        {
            "dimensions": [d for d in DIMENSIONS if d in s],
            "households": n,
            "share": 100.0 * n / total if total else None,
            "by_quintile": {str(q): by_q[s].get(q, 0) for q in range(1, 6)},
        }
        for s, n in ranked
    ]
    return {"households": total, "quintiles": rows, "combinations": combinations}
