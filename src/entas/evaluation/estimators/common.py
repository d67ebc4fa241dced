"""What every estimator shares: the result, codes for labels, two-way demeaning, clustered variance."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

# scipy.stats.norm.ppf(0.975), written out: scipy.stats takes a second to import, and the URL
# configuration reaches this module (tests/evaluation check the constant against scipy).
Z95 = 1.959963984540054


@dataclass
class Result:
    """An estimated effect with its uncertainty. ``n`` counts what the estimate rests on (observations,
    units, clusters, treated…); ``diagnostics`` holds what a reader needs to judge it (tables, tests,
    plot data); ``warnings`` are sentences a page shows next to the number."""

    method: str
    effect: float
    se: float
    ci_low: float
    ci_high: float
    n: dict[str, int]
    diagnostics: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    causal: bool = True

    @classmethod
    def normal(cls, method: str, effect: float, se: float, n: dict[str, int], **extra: Any) -> Result:
        return cls(method, float(effect), float(se), float(effect - Z95 * se), float(effect + Z95 * se), n, **extra)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (numpy scalars and arrays converted)."""
        return _plain(
            {
                "method": self.method,
                "effect": self.effect,
                "se": self.se,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "n": self.n,
                "causal": self.causal,
                "diagnostics": self.diagnostics,
                "warnings": self.warnings,
            }
        )


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if np.isfinite(v) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def codes(values: ArrayLike) -> tuple[np.ndarray, int]:
    """Integer codes 0..k−1 for any labels (strings or numbers), and k."""
    labels, inverse = np.unique(np.asarray(values), return_inverse=True)
    return inverse.astype(np.int64).ravel(), int(labels.size)


def vector(values: ArrayLike, name: str, n: int | None = None) -> np.ndarray:
    array = np.asarray(values, dtype=float).ravel()
    if n is not None and array.size != n:
        raise ValueError(f"{name} has {array.size} values for {n} observations")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} has missing or infinite values")
    return array


def demean_two_way(
    columns: np.ndarray, unit: np.ndarray, time: np.ndarray, *, tol: float = 1e-10, max_iter: int = 1000
) -> np.ndarray:
    """Remove unit and time means from each column (the within transformation of a two-way fixed-effects
    model). One sweep is exact on a balanced panel; an unbalanced one needs alternating projections
    (Guimarães & Portugal 2010), iterated until the means are below ``tol``."""
    x = np.array(columns, dtype=float, copy=True)
    if x.ndim == 1:
        x = x[:, None]
    n_unit = int(unit.max()) + 1
    n_time = int(time.max()) + 1
    unit_count = np.bincount(unit, minlength=n_unit).astype(float)
    time_count = np.bincount(time, minlength=n_time).astype(float)
    scale = np.maximum(np.abs(x).max(axis=0), 1.0)
    balanced = x.shape[0] == n_unit * n_time and bool((unit_count == unit_count[0]).all())
    for _ in range(1 if balanced else max_iter):
        for j in range(x.shape[1]):
            x[:, j] -= (np.bincount(unit, weights=x[:, j], minlength=n_unit) / unit_count)[unit]
            x[:, j] -= (np.bincount(time, weights=x[:, j], minlength=n_time) / time_count)[time]
        if balanced:
            break  # one sweep is exact: the time means of unit-demeaned data are the only ones left
        residual_unit_means = np.stack(
            [np.bincount(unit, weights=x[:, j], minlength=n_unit) / unit_count for j in range(x.shape[1])], axis=1
        )
        if np.all(np.abs(residual_unit_means).max(axis=0) <= tol * scale):
            break
    return x


def clustered_vcov(x: np.ndarray, residuals: np.ndarray, cluster: np.ndarray, *, k: int) -> tuple[np.ndarray, int]:
    """The cluster-robust (Liang–Zeger) variance of OLS coefficients with Stata's small-sample factor
    G/(G−1)·(N−1)/(N−k), ``k`` the parameters that are not absorbed by fixed effects nested in the
    clusters (as reghdfe and fixest count them). Returns the matrix and G."""
    n = x.shape[0]
    groups, g = codes(cluster)
    bread = np.linalg.pinv(x.T @ x)
    scores = np.zeros((g, x.shape[1]))
    for j in range(x.shape[1]):
        scores[:, j] = np.bincount(groups, weights=x[:, j] * residuals, minlength=g)
    meat = scores.T @ scores
    factor = g / (g - 1) * (n - 1) / (n - k) if g > 1 and n > k else 1.0
    return factor * bread @ meat @ bread, g


def influence_se(influence: np.ndarray, cluster: np.ndarray | None = None) -> float:
    """Standard error of a mean-zero influence function ψ with θ̂ − θ ≈ (1/n)Σψᵢ, summed within clusters
    when given (the clusters are independent, the rows within one are not)."""
    n = influence.size
    if cluster is None:
        return float(np.sqrt((influence**2).sum()) / n)
    groups, g = codes(cluster)
    totals = np.bincount(groups, weights=influence, minlength=g)
    return float(np.sqrt(g / max(g - 1, 1) * (totals**2).sum()) / n)
