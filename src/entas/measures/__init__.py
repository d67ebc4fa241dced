"""Poverty and inequality measures on weighted data: pure numpy, no Django.

Conventions (see docs/measures.md): ``weights=None`` means unit weights; a unit is poor when
``y < z`` strictly (BPS, laeken, Stata); results are fractions. The Gini is the weighted mean
difference over twice the mean (convention (a): integer weights equal repeated rows). Invalid input
(negative or NaN welfare, negative weights or weights summing to zero, mismatched lengths, a line
``z <= 0``) raises ``ValueError`` naming the problem; NaN is never dropped silently.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "GroupShare",
    "MPIResult",
    "atkinson",
    "decompose_fgt",
    "fgt",
    "generalized_entropy",
    "gini",
    "lorenz",
    "mld",
    "mpi",
    "palma",
    "quantile_share_ratio",
    "sen",
    "sst",
    "theil",
    "watts",
    "weighted_quantile",
]

Float = NDArray[np.float64]


def _vector(values: ArrayLike, name: str) -> Float:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ValueError(f"{name} has a missing or infinite value at position {bad}")
    return array


def prepare(y: ArrayLike, weights: ArrayLike | None = None) -> tuple[Float, Float]:
    """Validated welfare and weights as float arrays (unit weights when ``weights`` is None)."""
    values = _vector(y, "y")
    if np.any(values < 0):
        raise ValueError(f"y has a negative value at position {int(np.flatnonzero(values < 0)[0])}")
    if weights is None:
        return values, np.ones_like(values)
    w = _vector(weights, "weights")
    if w.shape != values.shape:
        raise ValueError(f"y has {values.size} values but weights has {w.size}")
    if np.any(w < 0):
        raise ValueError(f"weights has a negative value at position {int(np.flatnonzero(w < 0)[0])}")
    if not w.sum() > 0:
        raise ValueError("weights sum to zero")
    return values, w


def _line(z: float) -> float:
    z = float(z)
    if not np.isfinite(z) or z <= 0:
        raise ValueError(f"the poverty line z must be a positive number, got {z!r}")
    return z


def _positive(y: Float, what: str) -> None:
    if np.any(y <= 0):
        raise ValueError(f"{what} needs every y > 0 (y = 0 at position {int(np.flatnonzero(y <= 0)[0])})")


# -- poverty -------------------------------------------------------------------------------------


def gaps(y: Float, z: float) -> Float:
    """Normalised shortfalls g = (z - y)/z for the poor (y < z), 0 for the others."""
    return np.where(y < z, (z - y) / z, 0.0)


def fgt(y: ArrayLike, z: float, alpha: float = 0.0, *, weights: ArrayLike | None = None) -> float:
    """Foster–Greer–Thorbecke P_alpha = sum(w g^alpha) / sum(w), poor if y < z (FGT 1984).

    alpha = 0 is the headcount ratio P0, 1 the poverty gap P1, 2 the severity P2 (BPS prints ×100).
    """
    y_, w = prepare(y, weights)
    z = _line(z)
    if not np.isfinite(alpha) or alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha!r}")
    if alpha == 0:
        return float(w[y_ < z].sum() / w.sum())
    g = gaps(y_, z)
    return float((w * g**alpha).sum() / w.sum())


def watts(y: ArrayLike, z: float, *, weights: ArrayLike | None = None) -> float:
    """Watts index: sum over the poor of w ln(z / y), divided by sum(w) (Watts 1968)."""
    y_, w = prepare(y, weights)
    z = _line(z)
    poor = y_ < z
    _positive(y_[poor], "the Watts index")
    return float((w[poor] * np.log(z / y_[poor])).sum() / w.sum())


def sen(y: ArrayLike, z: float, *, weights: ArrayLike | None = None) -> float:
    """Exact Sen index as Stata ``poverty`` computes it (S_25):
    2/((q+1) N z) · Σ_{i=1..q} (z − y_(i))(q + 1 − i), y ascending, q poor, N everyone.

    With weights, a unit of weight w stands for w consecutive ranks (integer weights equal
    repeated rows), so its rank term sums to w(q+1) − w(2r + w + 1)/2, r the weight of poorer units.
    """
    y_, w = prepare(y, weights)
    z = _line(z)
    poor = y_ < z
    if not poor.any():
        return 0.0
    order = np.argsort(y_[poor])  # ties: their block's sum does not depend on their order
    yp, wp = y_[poor][order], w[poor][order]
    q = wp.sum()
    below = np.cumsum(wp) - wp
    rank_terms = wp * (q + 1) - wp * (2 * below + wp + 1) / 2
    return float(2 / ((q + 1) * w.sum() * z) * ((z - yp) * rank_terms).sum())


def sst(y: ArrayLike, z: float, *, weights: ArrayLike | None = None) -> float:
    """Sen–Shorrocks–Thon index: P0 · (mean gap of the poor) · (1 + Gini of the gaps over everyone)."""
    y_, w = prepare(y, weights)
    z = _line(z)
    g = gaps(y_, z)
    if not (g > 0).any():
        return 0.0
    p0 = w[g > 0].sum() / w.sum()
    gap_poor = (w * g).sum() / w[g > 0].sum()
    return float(p0 * gap_poor * (1 + _gini(g, w)))


# -- inequality ----------------------------------------------------------------------------------


def _gini(y: Float, w: Float) -> float:
    # The order among equal values does not change any sum below (a block of ties contributes the same
    # whatever its order), so the fastest sort will do, not a stable one (measured: 2-3x the time).
    order = np.argsort(y)
    ws = w[order]
    wy = ws * y[order]
    cum = np.cumsum(ws)
    total_w = float(cum[-1])
    sum_wy = float(wy.sum())
    # Σ_ij w_i w_j |y_i − y_j| = 2 Σ_i w_i y_i (C_{i−1} − (W − C_i)) for y sorted ascending
    #                          = 2 (2 Σ w_i y_i C_i − Σ w_i² y_i − W Σ w_i y_i) / 2, with dot products.
    numerator = 2 * float(np.dot(wy, cum)) - float(np.dot(wy, ws)) - total_w * sum_wy
    denominator = total_w * sum_wy
    if denominator <= 0:
        raise ValueError("the Gini needs a positive mean")
    return float(numerator / denominator)


def gini(y: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Gini = Σ_ij w_i w_j |y_i − y_j| / (2 W² μ): the weighted mean difference over twice the mean.

    Replication-invariant: integer weights give the Gini of the repeated rows (R ineq::Gini with
    unit weights; BPS's ratio with population shares as weights).
    """
    y_, w = prepare(y, weights)
    return _gini(y_, w)


def generalized_entropy(y: ArrayLike, theta: float, *, weights: ArrayLike | None = None) -> float:
    """GE(θ) = [mean((y/μ)^θ) − 1] / (θ(θ−1)); GE(0) = mean(ln(μ/y)) (MLD), GE(1) = mean((y/μ) ln(y/μ)) (Theil T)."""
    y_, w = prepare(y, weights)
    mu = (w * y_).sum() / w.sum()
    if mu <= 0:
        raise ValueError("generalized entropy needs a positive mean")
    r = y_ / mu
    if theta == 0:
        _positive(y_, "GE(0) (mean log deviation)")
        return float((w * -np.log(r)).sum() / w.sum())
    if theta == 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(r > 0, r * np.log(r), 0.0)
        return float((w * terms).sum() / w.sum())
    if theta < 0:
        _positive(y_, f"GE({theta})")
    return float(((w * r**theta).sum() / w.sum() - 1) / (theta * (theta - 1)))


def theil(y: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Theil T index, GE(1)."""
    return generalized_entropy(y, 1.0, weights=weights)


def mld(y: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Mean log deviation (Theil L), GE(0)."""
    return generalized_entropy(y, 0.0, weights=weights)


def atkinson(y: ArrayLike, epsilon: float, *, weights: ArrayLike | None = None) -> float:
    """Atkinson A(ε) = 1 − [mean((y/μ)^(1−ε))]^(1/(1−ε)); A(1) = 1 − exp(mean(ln y))/μ."""
    y_, w = prepare(y, weights)
    if not np.isfinite(epsilon) or epsilon < 0:
        raise ValueError(f"epsilon must be >= 0, got {epsilon!r}")
    mu = (w * y_).sum() / w.sum()
    if mu <= 0:
        raise ValueError("the Atkinson index needs a positive mean")
    if epsilon == 1:
        _positive(y_, "A(1)")
        return float(1 - np.exp((w * np.log(y_)).sum() / w.sum()) / mu)
    if epsilon > 1:
        _positive(y_, f"A({epsilon})")
    mean_power = (w * (y_ / mu) ** (1 - epsilon)).sum() / w.sum()
    return float(1 - mean_power ** (1 / (1 - epsilon)))


def _sorted(y: Float, w: Float) -> tuple[Float, Float]:
    order = np.argsort(y)  # a quantile is a value: equal values in any order give the same one
    return y[order], w[order]


def _quantile_sorted(ys: Float, ws: Float, q: float) -> float:
    if not 0 <= q <= 1:
        raise ValueError(f"q must lie in [0, 1], got {q!r}")
    if q == 0:
        return float(ys[0])
    if q == 1:
        return float(ys[-1])
    share = np.cumsum(ws) / ws.sum()
    select = int(np.searchsorted(share, q - 1e-12 * max(1.0, q), side="left"))
    select = min(select, ys.size - 1)
    if abs(share[select] - q) <= 1e-12 and select + 1 < ys.size:
        return float((ys[select] + ys[select + 1]) / 2)
    return float(ys[select])


def weighted_quantile(y: ArrayLike, q: float, *, weights: ArrayLike | None = None) -> float:
    """The q-quantile as R laeken::weightedQuantile: the smallest y whose cumulative weight share
    reaches q, averaged with the next value when the share equals q exactly (so an even-sized
    unweighted median is the mean of the two middle values, as in Stata)."""
    y_, w = prepare(y, weights)
    return _quantile_sorted(*_sorted(y_, w), q)


def lorenz(y: ArrayLike, p: ArrayLike, *, weights: ArrayLike | None = None) -> Float:
    """Lorenz ordinates L(p): the share of total welfare held by the poorest share p of the population
    (linear between units, so integer weights equal repeated rows)."""
    y_, w = prepare(y, weights)
    points = np.asarray(p, dtype=np.float64)
    if np.any((points < 0) | (points > 1)) or not np.all(np.isfinite(points)):
        raise ValueError("p must lie in [0, 1]")
    order = np.argsort(y_)  # equal values lie on one straight piece of the curve, in any order
    ys, ws = y_[order], w[order]
    total = (ws * ys).sum()
    if total <= 0:
        raise ValueError("the Lorenz curve needs a positive total")
    pop = np.concatenate([[0.0], np.cumsum(ws) / ws.sum()])
    share = np.concatenate([[0.0], np.cumsum(ws * ys) / total])
    return np.interp(points, pop, share)


def palma(y: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """Palma ratio: share of the richest 10 % over the share of the poorest 40 % (Cobham & Sumner 2013)."""
    l40, l90 = lorenz(y, [0.4, 0.9], weights=weights)
    if l40 <= 0:
        raise ValueError("the Palma ratio needs a positive share for the poorest 40 %")
    return float((1 - l90) / l40)


def quantile_share_ratio(y: ArrayLike, *, weights: ArrayLike | None = None) -> float:
    """S80/S20 as R laeken::qsr: total welfare above the 80th percentile over the total at or below the 20th."""
    y_, w = prepare(y, weights)
    ys, ws = _sorted(y_, w)
    q20, q80 = _quantile_sorted(ys, ws, 0.2), _quantile_sorted(ys, ws, 0.8)
    bottom = (ws * ys)[ys <= q20].sum()
    if bottom <= 0:
        raise ValueError("S80/S20 needs a positive total for the poorest 20 %")
    return float((ws * ys)[ys > q80].sum() / bottom)


# -- decompositions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupShare:
    group: Hashable
    population_share: float
    value: float
    contribution: float  # share of the total measure; they sum to 1


def decompose_fgt(
    y: ArrayLike,
    z: float,
    groups: Sequence[Hashable] | ArrayLike,
    alpha: float = 0.0,
    *,
    weights: ArrayLike | None = None,
) -> list[GroupShare]:
    """FGT by subgroup: P = Σ_g v_g P_g with v_g the group's population share (same line for all)."""
    y_, w = prepare(y, weights)
    labels = np.asarray(groups)
    if labels.shape != y_.shape:
        raise ValueError(f"groups has {labels.size} labels for {y_.size} values")
    total = fgt(y_, z, alpha, weights=w)
    out = []
    for group in np.unique(labels):
        mask = labels == group
        share = w[mask].sum() / w.sum()
        value = fgt(y_[mask], z, alpha, weights=w[mask]) if w[mask].sum() > 0 else 0.0
        contribution = share * value / total if total > 0 else 0.0
        out.append(
            GroupShare(group.item() if hasattr(group, "item") else group, float(share), value, float(contribution))
        )
    return out


@dataclass(frozen=True)
class MPIResult:
    H: float  # incidence: share of people who are multidimensionally poor
    A: float  # intensity: mean weighted deprivation score among the poor
    M0: float  # adjusted headcount ratio = H · A
    censored_headcounts: Float  # share of people who are poor and deprived in each indicator
    uncensored_headcounts: Float  # share of people deprived in each indicator
    contributions: Float  # each indicator's share of M0; they sum to 1


def mpi(
    deprivations: ArrayLike, indicator_weights: ArrayLike, k: float, *, weights: ArrayLike | None = None
) -> MPIResult:
    """Alkire–Foster (2011) counting measure: a person is poor when the weighted count of their
    deprivations is at least k; M0 = H·A."""
    g0 = np.asarray(deprivations, dtype=np.float64)
    if g0.ndim != 2:
        raise ValueError(f"deprivations must be an (n, d) matrix, got shape {g0.shape}")
    if not np.all(np.isin(g0, (0.0, 1.0))):
        raise ValueError("deprivations must be 0 or 1")
    v = _vector(indicator_weights, "indicator_weights")
    if v.size != g0.shape[1]:
        raise ValueError(f"{g0.shape[1]} indicators but {v.size} indicator weights")
    if np.any(v < 0) or not v.sum() > 0:
        raise ValueError("indicator weights must be >= 0 and not all zero")
    _, w = prepare(np.zeros(g0.shape[0]), weights)
    score = g0 @ v
    poor = score >= k - 1e-12
    total = w.sum()
    H = w[poor].sum() / total
    censored = (w[:, None] * g0 * poor[:, None]).sum(axis=0) / total
    M0 = float((censored * v).sum())
    A = M0 / H if H > 0 else 0.0
    contributions = censored * v / M0 if M0 > 0 else np.zeros_like(v)
    return MPIResult(float(H), float(A), M0, censored, (w[:, None] * g0).sum(axis=0) / total, contributions)


def as_dict(result: Any) -> dict[str, Any]:
    """A result dataclass as plain JSON-ready values."""
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in result.__dict__.items()}
