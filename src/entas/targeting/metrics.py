"""How well a selection reaches its target group: pure numpy, no Django.

Definitions follow Grosh et al. (2022, World Bank): the **exclusion error** is the share of the target
group that is not selected (under-coverage); the **inclusion error** is the share of the selected who
are outside the target group (leakage), with the selected as denominator. Some authors divide the
inclusion error by the non-target population instead: that figure is reported separately as
``coverage_nontarget`` (the false-positive rate) and never called the inclusion error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from entas.measures import fgt, gini, prepare


@dataclass(frozen=True)
class TargetingErrors:
    exclusion_error: float  # Σw(target ∧ ¬selected) / Σw(target)
    inclusion_error: float  # Σw(selected ∧ ¬target) / Σw(selected)
    coverage: float  # 1 − exclusion error: share of the target group selected
    coverage_nontarget: float  # Σw(selected ∧ ¬target) / Σw(¬target)
    leakage: float  # share of the selected outside the target group (= inclusion error)
    targeting_differential: float  # coverage − coverage_nontarget (Ravallion 2000), in [−1, 1]
    target_selected: float  # weighted counts of the 2 × 2 table
    target_not_selected: float
    nontarget_selected: float
    nontarget_not_selected: float


def _flags(values: ArrayLike, name: str, n: int | None = None) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and array.size != n:
        raise ValueError(f"{name} has {array.size} values but selected has {n}")
    if array.dtype != bool and not np.all(np.isin(array, (0, 1))):
        raise ValueError(f"{name} must hold 0/1 or True/False")
    return array.astype(bool)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else 0.0


def targeting_errors(selected: ArrayLike, target: ArrayLike, *, weights: ArrayLike | None = None) -> TargetingErrors:
    s = _flags(selected, "selected")
    t = _flags(target, "target", s.size)
    _, w = prepare(np.zeros(s.size), weights)
    ts, tn = w[t & s].sum(), w[t & ~s].sum()
    ns, nn = w[~t & s].sum(), w[~t & ~s].sum()
    exclusion = _ratio(tn, ts + tn)
    inclusion = _ratio(ns, ts + ns)
    coverage = 1 - exclusion if ts + tn > 0 else 0.0
    coverage_nontarget = _ratio(ns, ns + nn)
    return TargetingErrors(
        exclusion_error=exclusion,
        inclusion_error=inclusion,
        coverage=coverage,
        coverage_nontarget=coverage_nontarget,
        leakage=inclusion,
        targeting_differential=coverage - coverage_nontarget,
        target_selected=float(ts),
        target_not_selected=float(tn),
        nontarget_selected=float(ns),
        nontarget_not_selected=float(nn),
    )


def cgh_index(benefits: ArrayLike, y: ArrayLike, *, share: float = 0.4, weights: ArrayLike | None = None) -> float:
    """Coady–Grosh–Hoddinott: the share of benefits reaching the poorest ``share`` of the population
    (by pre-transfer welfare y, weighted) divided by ``share``; 1 is neutral, above 1 progressive.
    A unit straddling the cut counts with the fraction of its weight that falls inside it."""
    y_, w = prepare(y, weights)
    b = np.asarray(benefits, dtype=float)
    if b.shape != y_.shape:
        raise ValueError(f"benefits has {b.size} values but y has {y_.size}")
    if np.any(b < 0) or not np.all(np.isfinite(b)):
        raise ValueError("benefits must be finite and >= 0")
    if not 0 < share < 1:
        raise ValueError("share must lie strictly between 0 and 1")
    total = (w * b).sum()
    if total <= 0:
        raise ValueError("no benefits were given")
    order = np.argsort(y_, kind="stable")
    ws, bs = w[order], b[order]
    cum = np.cumsum(ws) / ws.sum()
    before = cum - ws / ws.sum()
    inside = np.clip((share - before) / (ws / ws.sum()), 0, 1)
    return float((ws * bs * inside).sum() / total / share)


@dataclass(frozen=True)
class TransferImpact:
    p0_before: float
    p0_after: float
    p1_before: float
    p1_after: float
    p2_before: float
    p2_after: float
    gini_before: float
    gini_after: float
    gap_reduction: float  # share of the total poverty gap Σw·max(z − y, 0) closed
    cost_benefit: float  # gap closed per Rupiah transferred


def simulate_transfer(
    y: ArrayLike, z: float, transfers: ArrayLike, *, weights: ArrayLike | None = None
) -> TransferImpact:
    """Poverty and inequality before and after adding ``transfers`` to y (per person, same line)."""
    y_, w = prepare(y, weights)
    t = np.asarray(transfers, dtype=float)
    if t.shape != y_.shape:
        raise ValueError(f"transfers has {t.size} values but y has {y_.size}")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("transfers must be finite and >= 0")
    after = y_ + t
    gap_before = (w * np.maximum(z - y_, 0)).sum()
    gap_after = (w * np.maximum(z - after, 0)).sum()
    spent = (w * t).sum()
    return TransferImpact(
        p0_before=fgt(y_, z, 0, weights=w),
        p0_after=fgt(after, z, 0, weights=w),
        p1_before=fgt(y_, z, 1, weights=w),
        p1_after=fgt(after, z, 1, weights=w),
        p2_before=fgt(y_, z, 2, weights=w),
        p2_after=fgt(after, z, 2, weights=w),
        gini_before=gini(y_, weights=w),
        gini_after=gini(after, weights=w),
        gap_reduction=_ratio(gap_before - gap_after, gap_before),
        cost_benefit=_ratio(gap_before - gap_after, spent),
    )
