"""Data-quality faults with ground truth: people entered twice (in another family, with a typo in
the name, a NIK one digit off or with two digits swapped, sometimes day and month swapped), swapped
birth dates, invalid NIKs and missing fields. Rates scale with one base rate r:

| fault | share | effect on import |
|---|---|---|
| duplicate person in another family | r of members | lands (a NIK warning at most); found by deduplication |
| day and month of birth swapped | r/2 of members | lands with a warning (NIK and birth date disagree) |
| invalid NIK (month 13) | r/4 of members | the family is rejected |
| blank optional answers | r of members | lands |
| blank birth date (required) | r/10 of members | the family is rejected |
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .population import Population

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _typo(name: str, rng: np.random.Generator) -> str:
    """One keying error: a letter replaced, dropped, doubled, or two neighbours swapped."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(letters) < 3:
        return name + "h"
    i = letters[int(rng.integers(1, len(letters)))]
    kind = int(rng.integers(0, 4))
    if kind == 0:
        return name[:i] + LETTERS[int(rng.integers(0, 26))] + name[i + 1 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    j = i - 1
    return name[:j] + name[i] + name[j] + name[i + 1 :]


def _variant_nik(nik: str, taken: set[str], rng: np.random.Generator) -> str:
    """A NIK one digit off or with two neighbouring serial digits swapped, not used by anyone else."""
    for _ in range(50):
        digits = list(nik)
        if rng.random() < 0.6:
            pos = int(rng.integers(12, 16))
            digits[pos] = str((int(digits[pos]) + int(rng.integers(1, 10))) % 10)
        else:
            pos = int(rng.integers(12, 15))
            digits[pos], digits[pos + 1] = digits[pos + 1], digits[pos]
        candidate = "".join(digits)
        if candidate != nik and candidate not in taken and candidate[12:] != "0000":
            return candidate
    serial = 9999
    while (candidate := nik[:12] + f"{serial:04d}") in taken:
        serial -= 1
    return candidate


def inject(population: Population, rate: float, rng: np.random.Generator) -> list[tuple[str, str]]:
    """Apply the faults to ``population`` in place; returns the (nik_a, nik_b) pairs of duplicates."""
    m = population.members
    H = population.n_households
    M = population.n_members
    if rate <= 0:
        return []
    age = m["_age"]
    household = m["_household"]
    adults = np.flatnonzero(age >= 17)
    n_dup = min(round(rate * M), adults.size)
    sources = np.sort(rng.choice(adults, size=n_dup, replace=False))
    targets = rng.integers(0, H, n_dup)
    targets = np.where(targets == household[sources], (targets + 1) % H, targets)
    taken = set(m["nik"].tolist())
    pairs: list[tuple[str, str]] = []
    new_rows: dict[str, list[Any]] = {k: [] for k in m}
    for s, t in zip(sources.tolist(), targets.tolist(), strict=True):
        row = {k: v[s] for k, v in m.items()}
        nik = _variant_nik(str(row["nik"]), taken, rng)
        taken.add(nik)
        row["nik"] = nik
        row["name"] = _typo(str(row["name"]), rng)
        if rng.random() < 0.3:
            y, mo, d = str(row["birth_date"]).split("-")
            if int(d) <= 12 and d != mo:
                row["birth_date"] = f"{y}-{d}-{mo}"
        row["relationship"] = "8"
        row["_household"] = t
        pairs.append((str(m["nik"][s]), nik))
        for k in m:
            new_rows[k].append(row[k])
    # Faults that make a family fail validation stay away from the duplicates, whose pairs must import.
    protected = np.zeros(H, dtype=bool)
    protected[household[sources]] = True
    protected[targets] = True
    free = np.flatnonzero(~protected[household])

    def pick(share: float) -> np.ndarray:
        return rng.choice(free, size=min(round(share * M), free.size), replace=False)

    for i in pick(rate / 2):
        y, mo, d = str(m["birth_date"][i]).split("-")
        if int(d) <= 12 and d != mo:
            m["birth_date"][i] = f"{y}-{d}-{mo}"
    for i in pick(rate / 4):
        nik = str(m["nik"][i])
        m["nik"][i] = nik[:8] + "13" + nik[10:]
    for i in pick(rate):
        m["marital_status"][i] = ""
        m["diploma"][i] = ""
    for i in pick(rate / 10):
        m["birth_date"][i] = ""
    if n_dup:
        for k, values in new_rows.items():
            m[k] = np.concatenate([m[k], np.asarray(values, dtype=m[k].dtype)])
    return pairs
