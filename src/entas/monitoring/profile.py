"""The city's poverty profile from a survey round: P0, P1, P2, the number of poor, the Gini and
extreme poverty, per area and for the city, with linearised standard errors (entas.measures.survey).

Person-level figures from household data weight each household by its design weight × its size
(BPS convention). Pure: arrays in, dictionaries out.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from entas.measures import survey as s


@dataclass
class AreaProfile:
    code: str
    name: str
    households: int  # sampled
    people: float  # estimated population
    p0: s.Estimate
    p1: s.Estimate
    p2: s.Estimate
    poor: float  # estimated number of poor people
    gini: s.Estimate | None
    extreme_p0: s.Estimate | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute(
    *,
    consumption: np.ndarray,
    size: np.ndarray,
    weight: np.ndarray,
    stratum: np.ndarray,
    psu: np.ndarray,
    area_code: np.ndarray,
    area_names: dict[str, str],
    line: float,
    extreme_line: float | None,
    total_domain: np.ndarray | None = None,
) -> tuple[AreaProfile, list[AreaProfile]]:
    """The profile of every area code (blank codes are left out) and of ``total_domain`` (default all)."""
    people = weight * size
    design = s.Design(people, strata=stratum, psu=psu)

    def area(code: str, name: str, domain: np.ndarray | None) -> AreaProfile:
        mask = np.ones(consumption.size, dtype=bool) if domain is None else domain
        p0 = s.fgt(consumption, line, 0, design, domain=domain)
        gini = s.gini(consumption, design, domain=domain) if mask.sum() >= 2 else None
        extreme = s.fgt(consumption, extreme_line, 0, design, domain=domain) if extreme_line else None
        return AreaProfile(
            code=code,
            name=name,
            households=int(mask.sum()),
            people=float(people[mask].sum()),
            p0=p0,
            p1=s.fgt(consumption, line, 1, design, domain=domain),
            p2=s.fgt(consumption, line, 2, design, domain=domain),
            poor=float(people[mask].sum() * p0.value),
            gini=gini,
            extreme_p0=extreme,
        )

    codes = sorted(c for c in set(area_code.tolist()) if c)
    areas = [area(code, area_names.get(code, code), area_code == code) for code in codes]
    return area("", "", total_domain), areas


def compute_census(
    *,
    consumption: np.ndarray,
    size: np.ndarray,
    area_code: np.ndarray,
    area_names: dict[str, str],
    line: float,
    extreme_line: float | None,
    total_domain: np.ndarray | None = None,
) -> tuple[AreaProfile, list[AreaProfile]]:
    """The profile of a whole population (the registry scored by a PMT): every household counts with
    its size and there is no sampling error, so standard errors are zero. The figures carry the model's
    prediction error instead, which they do not show."""
    from entas.measures import fgt
    from entas.measures import gini as gini_

    def exact(value: float) -> s.Estimate:
        return s.Estimate(value, 0.0, value, value)

    def area(code: str, name: str, mask: np.ndarray) -> AreaProfile:
        y, w = consumption[mask], size[mask]
        p0 = fgt(y, line, 0, weights=w) if mask.any() else 0.0
        return AreaProfile(
            code=code,
            name=name,
            households=int(mask.sum()),
            people=float(w.sum()),
            p0=exact(p0),
            p1=exact(fgt(y, line, 1, weights=w) if mask.any() else 0.0),
            p2=exact(fgt(y, line, 2, weights=w) if mask.any() else 0.0),
            poor=float(w.sum() * p0),
            gini=exact(gini_(y, weights=w)) if mask.sum() >= 2 else None,
            extreme_p0=exact(fgt(y, extreme_line, 0, weights=w)) if extreme_line and mask.any() else None,
        )

    codes = sorted(c for c in set(area_code.tolist()) if c)
    areas = [area(code, area_names.get(code, code), area_code == code) for code in codes]
    everything = np.ones(consumption.size, dtype=bool) if total_domain is None else total_domain
    return area("", "", everything), areas
