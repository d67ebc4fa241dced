"""Survey estimates with standard errors for stratified, clustered, with-replacement designs.

Each estimator computes the statistic and its influence values (linearisation: Deville 1999;
Osier 2009 for the Gini and the at-risk-of-poverty rate, with the density term for a line that is a
fraction of a quantile). The variance is that of the estimated total of the influence values:
Σ_h n_h/(n_h − 1) Σ_i (z_hi − z̄_h)², z_hi the weighted influence total of PSU i in stratum h
(as R survey/convey). ``method="bootstrap"`` gives the Rao–Wu rescaling bootstrap for checking.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import Float, _gini, _line, _vector, gaps, prepare, weighted_quantile
from . import mpi as _mpi

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float
    ci_low: float
    ci_high: float

    @classmethod
    def of(cls, value: float, se: float) -> Estimate:
        return cls(float(value), float(se), float(value - Z95 * se), float(value + Z95 * se))


class Design:
    """A sample design: weights, and optionally strata and primary sampling units (clusters)."""

    def __init__(self, weights: ArrayLike, *, strata: ArrayLike | None = None, psu: ArrayLike | None = None):
        self.weights = _vector(weights, "weights")
        if np.any(self.weights < 0) or not self.weights.sum() > 0:
            raise ValueError("design weights must be >= 0 and not all zero")
        n = self.weights.size
        self.strata = np.zeros(n, dtype=np.int64) if strata is None else _codes(strata, n, "strata")
        # Without PSUs every observation is its own PSU; PSU labels are nested within strata.
        units = np.arange(n) if psu is None else _codes(psu, n, "psu")
        pairs = self.strata * (units.max() + 1) + units
        self.psu = np.unique(pairs, return_inverse=True)[1]
        self.n = n

    def subset(self, mask: Float) -> Design:
        keep = np.asarray(mask, dtype=bool)
        return Design(self.weights[keep], strata=self.strata[keep], psu=self.psu[keep])

    def variance_of_total(self, u: Float) -> float:
        """Variance of Σ w·u under the design (with-replacement PSUs within strata)."""
        psu_totals = np.bincount(self.psu, weights=self.weights * u)
        psu_stratum = np.zeros(psu_totals.size, dtype=np.int64)
        psu_stratum[self.psu] = self.strata
        variance = 0.0
        for h in np.unique(psu_stratum):
            totals = psu_totals[psu_stratum == h]
            if totals.size < 2:
                continue  # a stratum with one PSU contributes nothing (R survey: lonely.psu = "certainty")
            variance += totals.size / (totals.size - 1) * ((totals - totals.mean()) ** 2).sum()
        return float(variance)

    def replicate_weights(self, reps: int, seed: int | None) -> Float:
        """Rao–Wu rescaling bootstrap: in each stratum draw n_h − 1 PSUs with replacement."""
        rng = np.random.default_rng(seed)
        n_psu = self.psu.max() + 1
        psu_stratum = np.zeros(n_psu, dtype=np.int64)
        psu_stratum[self.psu] = self.strata
        factors = np.ones((reps, n_psu))
        for h in np.unique(psu_stratum):
            members = np.flatnonzero(psu_stratum == h)
            k = members.size
            if k < 2:
                continue
            draws = rng.integers(0, k, size=(reps, k - 1))
            counts = np.zeros((reps, k))
            np.add.at(counts, (np.arange(reps)[:, None], draws), 1)
            factors[:, members] = counts * k / (k - 1)
        return factors[:, self.psu] * self.weights


def _codes(values: ArrayLike, n: int, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != (n,):
        raise ValueError(f"{name} has {array.size} values for {n} observations")
    return np.unique(array, return_inverse=True)[1].astype(np.int64)


def _result(
    value: float,
    influence: Float,
    design: Design,
    statistic: Callable[[Float], float],
    method: str,
    reps: int,
    seed: int | None,
) -> Estimate:
    if method == "linearization":
        return Estimate.of(value, np.sqrt(design.variance_of_total(influence)))
    if method == "bootstrap":
        replicates = np.array([statistic(w) for w in design.replicate_weights(reps, seed)])
        return Estimate.of(value, float(replicates.std(ddof=1)))
    raise ValueError(f"method must be 'linearization' or 'bootstrap', got {method!r}")


def _check(y: ArrayLike, design: Design) -> Float:
    values, _ = prepare(y, None)
    if values.size != design.n:
        raise ValueError(f"y has {values.size} values but the design has {design.n}")
    return values


def fgt(
    y: ArrayLike,
    z: float,
    alpha: float,
    design: Design,
    *,
    method: str = "linearization",
    reps: int = 200,
    seed: int | None = None,
    domain: ArrayLike | None = None,
) -> Estimate:
    """P_alpha with its standard error: the ratio Σ w g^α / Σ w, linearised as (g^α − P)/W."""
    values = _check(y, design)
    z = _line(z)
    d = np.ones(design.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    g = (values < z).astype(float) if alpha == 0 else gaps(values, z) ** alpha

    def statistic(w: Float) -> float:
        return float((w * g * d).sum() / (w * d).sum())

    value = statistic(design.weights)
    influence = d * (g - value) / (design.weights * d).sum()
    return _result(value, influence, design, statistic, method, reps, seed)


def _gini_influence(y: Float, w: Float, d: Float) -> tuple[float, Float]:
    ww = w * d
    value = _gini(y[d > 0], w[d > 0])
    total_w = ww.sum()
    mu = (ww * y).sum() / total_w
    order = np.argsort(y, kind="stable")
    cum_w = np.cumsum(ww[order])
    cum_wy = np.cumsum((ww * y)[order])
    F = np.empty_like(y)
    C = np.empty_like(y)
    # Mid-point cumulative shares, as convention (a) treats a unit's own weight half below itself.
    F[order] = (cum_w - ww[order] / 2) / total_w
    C[order] = (cum_wy - (ww * y)[order] / 2) / total_w
    influence = 2 / mu * (y * F + mu - C) - 2 * (value + 1) - (value + 1) * (y - mu) / mu
    return value, d * influence / total_w


def gini(
    y: ArrayLike,
    design: Design,
    *,
    method: str = "linearization",
    reps: int = 200,
    seed: int | None = None,
    domain: ArrayLike | None = None,
) -> Estimate:
    """The Gini (convention a) with its standard error, linearised with the Gini's influence function
    IF(y) = 2/μ [y F(y) + μ − C(y)] − 2(G + 1) − (G + 1)(y − μ)/μ (C the partial mean below y)."""
    values = _check(y, design)
    d = np.ones(design.n) if domain is None else np.asarray(domain, dtype=float)
    value, influence = _gini_influence(values, design.weights, d)
    return _result(value, influence, design, lambda w: _gini(values[d > 0], w[d > 0]), method, reps, seed)


def _density(y: Float, w: Float, at: float) -> float:
    """Weighted Gaussian kernel density at a point, Silverman's bandwidth (as laeken/convey)."""
    total = w.sum()
    mean = (w * y).sum() / total
    sd = np.sqrt((w * (y - mean) ** 2).sum() / total)
    h = 1.06 * sd * total ** (-0.2)
    if h <= 0:
        raise ValueError("the density is undefined for a constant welfare")
    return float((w * np.exp(-0.5 * ((y - at) / h) ** 2)).sum() / (total * h * np.sqrt(2 * np.pi)))


def arpr(
    y: ArrayLike,
    design: Design,
    *,
    p: float = 0.6,
    q: float = 0.5,
    method: str = "linearization",
    reps: int = 200,
    seed: int | None = None,
    domain: ArrayLike | None = None,
) -> Estimate:
    """At-risk-of-poverty rate: the share below p × the q-quantile (EU: 60 % of the median), with the
    density term for the estimated line in its influence function (Osier 2009)."""
    values = _check(y, design)
    d = np.ones(design.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)

    def statistic(w: Float) -> float:
        line = p * weighted_quantile(values, q, weights=w)
        return float((w * d * (values < line)).sum() / (w * d).sum())

    w = design.weights
    quantile = weighted_quantile(values, q, weights=w)
    line = p * quantile
    value = statistic(w)
    total_d = (w * d).sum()
    below = (values < line).astype(float)
    f_line = _density(values[d], w[d], line)
    f_quantile = _density(values, w, quantile)
    influence = d * (below - value) / total_d - p * f_line / f_quantile * ((values <= quantile) - q) / w.sum()
    return _result(value, influence, design, statistic, method, reps, seed)


def mpi_m0(
    deprivations: ArrayLike,
    indicator_weights: ArrayLike,
    k: float,
    design: Design,
    *,
    method: str = "linearization",
    reps: int = 200,
    seed: int | None = None,
    domain: ArrayLike | None = None,
) -> Estimate:
    """The Alkire–Foster M0 with its standard error (a ratio of totals, k fixed)."""
    g0 = np.asarray(deprivations, dtype=float)
    if g0.shape[0] != design.n:
        raise ValueError(f"deprivations has {g0.shape[0]} rows but the design has {design.n}")
    d = np.ones(design.n, dtype=bool) if domain is None else np.asarray(domain, dtype=bool)
    v = np.asarray(indicator_weights, dtype=float)
    score = g0 @ v
    censored = np.where(score >= k - 1e-12, score, 0.0)

    def statistic(w: Float) -> float:
        return float((w * d * censored).sum() / (w * d).sum())

    value = _mpi(g0[d], v, k, weights=design.weights[d]).M0
    influence = d * (censored - value) / (design.weights * d).sum()
    return _result(value, influence, design, statistic, method, reps, seed)


def by(
    func: Callable[..., Estimate], groups: ArrayLike, *args: Any, design: Design, **kwargs: Any
) -> dict[Hashable, Estimate]:
    """Domain estimates, one per group (e.g. kecamatan). The whole design is kept for the variance,
    with influence values zero outside the domain, as domain estimation requires."""
    labels = np.asarray(groups)
    if labels.shape != (design.n,):
        raise ValueError(f"groups has {labels.size} labels but the design has {design.n}")
    return {
        (g.item() if hasattr(g, "item") else g): func(*args, design=design, domain=labels == g, **kwargs)
        for g in np.unique(labels)
    }


__all__ = ["Design", "Estimate", "arpr", "by", "fgt", "gini", "mpi_m0"]
