"""A Susenas-like sample: stratified by kecamatan, two-stage (blocks of RT, then households), with
design weights calibrated so that they add up to the households of each stratum."""

from __future__ import annotations

import numpy as np

from .population import Population

HOUSEHOLDS_PER_PSU = 10


def draw_sample(population: Population, size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    h = population.households
    H = population.n_households
    size = max(HOUSEHOLDS_PER_PSU, min(size, H))
    strata = h["_kecamatan"]
    psu_key = h["_kelurahan_index"] * 1000 + h["_rt"]  # a block of RT: one RT of one kelurahan
    chosen: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    psus: list[np.ndarray] = []
    for stratum in np.unique(strata):
        in_stratum = np.flatnonzero(strata == stratum)
        n_h = max(HOUSEHOLDS_PER_PSU, round(size * in_stratum.size / H))
        blocks, block_of = np.unique(psu_key[in_stratum], return_inverse=True)
        a_h = min(blocks.size, max(2, int(np.ceil(n_h / HOUSEHOLDS_PER_PSU))))
        picked = rng.choice(blocks.size, size=a_h, replace=False)
        for b in np.sort(picked):
            members = in_stratum[block_of == b]
            take = min(HOUSEHOLDS_PER_PSU, members.size)
            sample = np.sort(rng.choice(members, size=take, replace=False))
            chosen.append(sample)
            weights.append(np.full(take, (blocks.size / a_h) * (members.size / take)))
            psus.append(np.full(take, psu_key[members[0]]))
        # Calibrate the stratum's weights to its number of households.
        factor = in_stratum.size / np.concatenate(weights[-a_h:]).sum()
        for i in range(len(weights) - a_h, len(weights)):
            weights[i] = weights[i] * factor
    index = np.concatenate(chosen)
    return {
        "index": index,
        "kk_number": h["kk_number"][index],
        "stratum": strata[index],
        "kelurahan_code": h["kelurahan_code"][index],
        "psu": np.concatenate(psus).astype(str),
        "weight": np.round(np.concatenate(weights), 6),
        "household_size": h["_size"][index],
        "consumption_per_capita": h["_consumption_pc"][index],
    }
