"""Panel waves: the same households a year later, consumption changed by a known process.

log c_t = log c_{t-1} + growth + e_t + effect · treated, e_t ~ N(0, 0.15²). The treated households
are half of those in desil 1–3 (chosen at random), so an impact evaluation can be checked against
the known effect; selection on desil means a naive comparison of treated and untreated is biased.
"""

from __future__ import annotations

import numpy as np

from .population import Population

GROWTH = 0.03
SHOCK_SD = 0.15


def waves(population: Population, count: int, effect: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    h = population.households
    H = population.n_households
    treated = (h["desil_city"] <= 3) & (rng.random(H) < 0.5)
    log_c = np.log(h["_consumption_pc"].astype(float))
    kk, wave, consumption, flag = [h["kk_number"]], [np.zeros(H, dtype=np.int64)], [h["_consumption_pc"]], [treated]
    for t in range(1, count + 1):
        log_c = log_c + GROWTH + rng.normal(0, SHOCK_SD, H) + effect * treated
        kk.append(h["kk_number"])
        wave.append(np.full(H, t, dtype=np.int64))
        consumption.append(np.round(np.exp(log_c)).astype(np.int64))
        flag.append(treated)
    return {
        "kk_number": np.concatenate(kk),
        "wave": np.concatenate(wave),
        "consumption_per_capita": np.concatenate(consumption),
        "treated": np.concatenate(flag),
    }
