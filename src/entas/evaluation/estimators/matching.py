"""Matching and weighting on the propensity score for the effect on the treated (ATT).

The propensity score is a logistic regression of treatment on the covariates (Newton–Raphson). Common
support keeps the units whose score lies within the range of the other group's scores. Nearest-neighbour
matching pairs each treated unit with the control of the closest score (with replacement; ties to
the lower index), with the Abadie & Imbens (2006) variance for the ATT (conditional variances from the
nearest unit of the same group). Inverse-probability weighting gives each control the weight
p/(1−p), normalised (Hájek), with the influence function of Sant'Anna & Zhao (2020) that accounts for
the score being estimated. The balance table shows each covariate's standardised mean difference
before and after (|SMD| below 0.1 is the usual mark of balance, Austin 2011).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .common import Result, vector


def _design(covariates: ArrayLike, n: int) -> np.ndarray:
    x = np.asarray(covariates, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.shape[0] != n:
        raise ValueError(f"the covariates have {x.shape[0]} rows for {n} observations")
    if not np.all(np.isfinite(x)):
        raise ValueError("a covariate has missing or infinite values")
    return np.column_stack([np.ones(n), x])


def propensity_score(treat: ArrayLike, covariates: ArrayLike, *, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Fitted P(treated | covariates) from a logistic regression, and its coefficients (constant first)."""
    d = vector(treat, "treatment")
    if not np.all(np.isin(d, (0.0, 1.0))):
        raise ValueError("the treatment column must be 0 or 1")
    if d.min() == d.max():
        raise ValueError("everyone is treated or no one is: nothing to compare")
    x = _design(covariates, d.size)
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = 1 / (1 + np.exp(-np.clip(x @ beta, -35, 35)))
        w = p * (1 - p)
        step = np.linalg.lstsq(x.T @ (x * w[:, None]), x.T @ (d - p), rcond=None)[0]
        beta += step
        if np.abs(step).max() < 1e-10:
            break
    p = 1 / (1 + np.exp(-np.clip(x @ beta, -35, 35)))
    return p, beta


def _support(ps: np.ndarray, d: np.ndarray) -> np.ndarray:
    treated, control = ps[d == 1], ps[d == 0]
    low, high = max(treated.min(), control.min()), min(treated.max(), control.max())
    return (ps >= low) & (ps <= high)


def _smd(x: np.ndarray, d: np.ndarray, w: np.ndarray, scale: np.ndarray) -> np.ndarray:
    t, c = d == 1, d == 0
    mean_t = (x[t] * w[t, None]).sum(axis=0) / w[t].sum()
    mean_c = (x[c] * w[c, None]).sum(axis=0) / w[c].sum()
    return (mean_t - mean_c) / scale


def balance_table(
    covariates: ArrayLike, treat: ArrayLike, weights: ArrayLike, names: list[str] | None = None
) -> list[dict[str, Any]]:
    """Per covariate: the means of the treated and the controls before and after weighting (matching
    counts a control as often as it is used), and the standardised mean difference before and after,
    both on the pooled standard deviation before weighting so the two are comparable."""
    d = vector(treat, "treatment")
    x = _design(covariates, d.size)[:, 1:]
    w = vector(weights, "weights", d.size)
    names = names or [f"x{i + 1}" for i in range(x.shape[1])]
    t, c = d == 1, d == 0
    pooled = np.sqrt((x[t].var(axis=0, ddof=1) + x[c].var(axis=0, ddof=1)) / 2)
    scale = np.where(pooled > 0, pooled, 1.0)
    ones = np.ones(d.size)
    before = _smd(x, d, ones, scale)
    after = _smd(x, d, w, scale)
    rows = []
    for j, name in enumerate(names):
        rows.append(
            {
                "covariate": name,
                "mean_treated": float(x[t, j].mean()),
                "mean_control_before": float(x[c, j].mean()),
                "mean_control_after": float((x[c, j] * w[c]).sum() / w[c].sum()),
                "smd_before": float(before[j]),
                "smd_after": float(after[j]),
                "balanced": bool(abs(after[j]) < 0.1),
            }
        )
    return rows


def _common(
    y: ArrayLike, treat: ArrayLike, covariates: ArrayLike, trim: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    d = vector(treat, "treatment")
    y_ = vector(y, "outcome", d.size)
    x = _design(covariates, d.size)[:, 1:]
    ps, beta = propensity_score(d, x)
    keep = _support(ps, d) if trim else np.ones(d.size, dtype=bool)
    return y_, d, x, ps, keep, beta


def nearest_neighbour_att(
    y: ArrayLike, treat: ArrayLike, covariates: ArrayLike, *, names: list[str] | None = None, trim: bool = True
) -> Result:
    """The ATT by one-to-one nearest-neighbour matching on the propensity score, with replacement,
    after common-support trimming, and the Abadie–Imbens variance
    V = (1/N₁²)[Σ_treated (Yᵢ − Y_m(i) − τ)² + Σ_controls (Kⱼ² − Kⱼ)·σ̂²ⱼ],
    Kⱼ the times control j is used and σ̂²ⱼ = ½(Yⱼ − Y of its nearest control)². The score's estimation
    is ignored (Abadie & Imbens 2016: for the ATT this can err either way; the IPW estimate accounts for it)."""
    y_, d, x, ps, keep, beta = _common(y, treat, covariates, trim)
    treated = np.flatnonzero((d == 1) & keep)
    controls = np.flatnonzero((d == 0) & keep)
    if treated.size == 0 or controls.size < 2:
        raise ValueError("too few units on common support to match")
    order = controls[np.argsort(ps[controls], kind="stable")]
    sorted_ps = ps[order]
    pos = np.clip(np.searchsorted(sorted_ps, ps[treated]), 1, order.size - 1)
    below, above = order[pos - 1], order[pos]
    match = np.where(np.abs(ps[treated] - ps[below]) <= np.abs(ps[above] - ps[treated]), below, above)
    differences = y_[treated] - y_[match]
    tau = float(differences.mean())
    uses = np.bincount(match, minlength=d.size).astype(float)
    # σ̂² of each used control from its nearest other control (same group).
    used = np.flatnonzero(uses > 0)
    position_in_order = np.empty(d.size, dtype=np.int64)
    position_in_order[order] = np.arange(order.size)
    position = position_in_order[used]
    prev = np.clip(position - 1, 0, order.size - 1)
    nxt = np.clip(position + 1, 0, order.size - 1)
    gap_prev = np.where(position > 0, np.abs(ps[used] - sorted_ps[prev]), np.inf)
    gap_next = np.where(position < order.size - 1, np.abs(sorted_ps[nxt] - ps[used]), np.inf)
    neighbour = np.where(gap_prev <= gap_next, order[prev], order[nxt])
    sigma2 = 0.5 * (y_[used] - y_[neighbour]) ** 2
    variance = (((differences - tau) ** 2).sum() + ((uses[used] ** 2 - uses[used]) * sigma2).sum()) / treated.size**2
    weights = np.zeros(d.size)
    weights[treated] = 1.0
    weights += np.where(d == 0, uses, 0.0)
    n = {
        "observations": int(d.size),
        "treated": int((d == 1).sum()),
        "controls": int((d == 0).sum()),
        "treated_on_support": int(treated.size),
        "controls_used": int(used.size),
        "dropped_off_support": int((~keep).sum()),
    }
    result = Result.normal("psm_nearest_neighbour", tau, float(np.sqrt(variance)), n)
    _diagnose(result, x, d, weights, ps, keep, beta, names)
    return result


def ipw_att(
    y: ArrayLike, treat: ArrayLike, covariates: ArrayLike, *, names: list[str] | None = None, trim: bool = True
) -> Result:
    """The ATT by inverse-probability weighting (controls weighted p/(1−p), normalised) on common
    support, with the influence function that includes the logistic score's estimation (Sant'Anna &
    Zhao 2020, the standardised IPW estimator)."""
    y_all, d_all, x_all, ps_all, keep, _ = _common(y, treat, covariates, trim)
    y_, d, x = y_all[keep], d_all[keep], x_all[keep]
    ps, beta = propensity_score(d, x)  # refit on the support the estimate uses
    ps = np.clip(ps, 1e-6, 1 - 1e-6)
    n_obs = d.size
    w1 = d
    w0 = ps * (1 - d) / (1 - ps)
    eta1 = (w1 * y_).mean() / w1.mean()
    eta0 = (w0 * y_).mean() / w0.mean()
    inf_treat = (w1 * y_ - w1 * eta1) / w1.mean()
    inf_control = (w0 * y_ - w0 * eta0) / w0.mean()
    design = np.column_stack([np.ones(n_obs), x])
    hessian = np.linalg.pinv(design.T @ (design * (ps * (1 - ps))[:, None]) / n_obs)
    score = design * (d - ps)[:, None]
    linear_ps = score @ hessian
    m2 = (design * (w0 * (y_ - eta0))[:, None]).mean(axis=0) / w0.mean()
    influence = inf_treat - (inf_control + linear_ps @ m2)
    tau = float(eta1 - eta0)
    se = float(np.sqrt((influence**2).mean() / n_obs))
    weights = np.zeros(d_all.size)
    weights[np.flatnonzero(keep)] = np.where(d == 1, 1.0, w0)
    n = {
        "observations": int(d_all.size),
        "treated": int((d_all == 1).sum()),
        "controls": int((d_all == 0).sum()),
        "treated_on_support": int((d == 1).sum()),
        "controls_on_support": int((d == 0).sum()),
        "dropped_off_support": int((~keep).sum()),
    }
    result = Result.normal("psm_ipw", tau, se, n)
    _diagnose(result, x_all, d_all, weights, ps_all, keep, beta, names)
    large = w0[d == 0] / w0[d == 0].sum()
    if large.size and large.max() > 0.1:
        result.warnings.append(
            "One control carries more than a tenth of the weight: the estimate leans on few households."
        )
    return result


def _diagnose(
    result: Result,
    x: np.ndarray,
    d: np.ndarray,
    weights: np.ndarray,
    ps: np.ndarray,
    keep: np.ndarray,
    beta: np.ndarray,
    names: list[str] | None,
) -> None:
    table = balance_table(x, d, np.where(d == 1, np.where(keep, 1.0, 0.0), weights), names)
    result.diagnostics.update(
        balance=table,
        propensity_coefficients=beta.tolist(),
        support=[float(ps[keep].min()), float(ps[keep].max())] if keep.any() else None,
        score_histogram=_histogram(ps, d),
    )
    unbalanced = [row["covariate"] for row in table if not row["balanced"]]
    if unbalanced:
        result.warnings.append(
            "Still unbalanced after adjustment (|SMD| ≥ 0.1): "
            + ", ".join(unbalanced)
            + ". Compare like with like first."
        )
    if (~keep).mean() > 0.1:
        result.warnings.append(
            f"{int((~keep).sum())} units ({100 * (~keep).mean():.0f} %) lie outside common support and were left out."
        )


def _histogram(ps: np.ndarray, d: np.ndarray, bins: int = 20) -> list[dict[str, Any]]:
    edges = np.linspace(0, 1, bins + 1)
    rows: list[dict[str, Any]] = []
    for group, label in ((1, "treated"), (0, "control")):
        counts, _ = np.histogram(ps[d == group], bins=edges)
        rows.extend(
            {"group": label, "low": float(edges[i]), "high": float(edges[i + 1]), "count": int(c)}
            for i, c in enumerate(counts)
        )
    return rows
