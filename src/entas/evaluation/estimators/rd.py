"""Regression discontinuity at an eligibility cut-off (a PMT score, a desil threshold).

The effect is the jump of the outcome's mean at the cut-off: the limit from the right (running
variable ≥ cut-off) minus the limit from the left, each estimated by a local linear regression with a
triangular kernel. The bandwidth is MSE-optimal in the manner of Calonico, Cattaneo & Titiunik
(2014) (rdrobust's "mserd": one bandwidth for both sides, nearest-neighbour variances, regularised);
the confidence interval is robust bias-corrected as in CCT (2014): the bias of the local linear
estimate is estimated with a local quadratic and the interval accounts for that estimation. With the
pilot bandwidth equal to the main one (ρ = h/b = 1, rdrobust's default when only h is given) the
bias-corrected estimate is the local quadratic one and its robust variance is that estimate's variance
(CCT 2014, remark 7), which is how it is computed here. Variances of the estimates are
heteroskedasticity-robust (HC1) on each side. On rdrobust's own Senate example the bandwidth, the
estimate and the interval equal rdrobust 2.1.1's (``h=17.754``; ``vce="hc1", rho=1`` for the
interval): tests/evaluation/test_reference.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .common import Z95, Result, vector

# The constant of the pilot bandwidth for a triangular kernel (CCT 2014's rule-of-thumb start).
PILOT_CONSTANT = 2.576
NEIGHBOURS = 3  # the nearest-neighbour variance estimator's matches (CCT 2014, section 3)
_TIE = float(np.sqrt(np.finfo(np.float64).eps))


def _local_fit(y: np.ndarray, x: np.ndarray, h: float, order: int) -> tuple[float, float, int]:
    """Intercept of a triangular-kernel weighted polynomial of ``order`` in x (x centred at the
    cut-off, one side), its HC1 variance, and the observations with positive weight."""
    weight = np.maximum(0.0, 1.0 - np.abs(x) / h)
    inside = weight > 0
    n = int(inside.sum())
    k = order + 1
    if n <= k:
        raise ValueError(f"only {n} observations within the bandwidth on one side; need more than {k}")
    xs, ys, ws = x[inside], y[inside], weight[inside]
    design = np.vander(xs, k, increasing=True)
    bread = np.linalg.pinv(design.T @ (design * ws[:, None]))
    beta = bread @ (design.T @ (ws * ys))
    residual = ys - design @ beta
    score = design * (ws * residual)[:, None]
    vcov = bread @ (score.T @ score) @ bread * n / (n - k)
    return float(beta[0]), float(vcov[0, 0]), n


def _neighbour_residuals(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The nearest-neighbour residuals of CCT (2014): for each observation (x sorted), its outcome
    minus the mean outcome of its ``NEIGHBOURS`` nearest neighbours in x, times √(J/(J+1)). Ties
    in x are kept together (all observations at a mass point enter at once, and a neighbour as far
    on the left as on the right brings both), so J can exceed 3."""
    n = x.size
    if n < 2:
        return np.zeros(n)
    _, first, counts = np.unique(x, return_index=True, return_counts=True)
    group = np.repeat(np.arange(first.size), counts)
    wanted = min(NEIGHBOURS, n - 1)
    out = np.empty(n)
    cumulative = np.concatenate([[0.0], np.cumsum(y)])
    for i in range(n):
        g = group[i]
        lo, hi = first[g], first[g] + counts[g]  # the window [lo, hi) starts as i's mass point
        while hi - lo - 1 < wanted:
            if lo == 0:
                hi += counts[group[hi]]
            elif hi == n:
                lo -= counts[group[lo - 1]]
            else:
                left, right = x[i] - x[lo - 1], x[hi] - x[i]
                tolerance = max(left, right) * _TIE
                if left - right > tolerance:
                    hi += counts[group[hi]]
                elif right - left > tolerance:
                    lo -= counts[group[lo - 1]]
                else:
                    hi += counts[group[hi]]
                    lo -= counts[group[lo - 1]]
        j = hi - lo - 1
        others = (cumulative[hi] - cumulative[lo] - y[i]) / j
        out[i] = np.sqrt(j / (j + 1)) * (y[i] - others)
    return out


def _weighted_fit(
    y: np.ndarray, x: np.ndarray, h: float, order: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """A triangular-kernel polynomial fit of ``order`` in x (centred, one side, sorted): the
    coefficients, the inverse Gram matrix, the design, the weights and the in-window mask; None when
    the window holds too few distinct values."""
    weight = np.maximum(0.0, 1.0 - np.abs(x) / h) / h
    inside = weight > 0
    if np.unique(x[inside]).size < order + 1:
        return None
    design = np.vander(x[inside], order + 1, increasing=True)
    w = weight[inside]
    inverse = np.linalg.pinv(design.T @ (design * w[:, None]))
    beta = inverse @ (design.T @ (w * y[inside]))
    return beta, inverse, design, w, inside


def _sandwich(inverse: np.ndarray, design: np.ndarray, w: np.ndarray, residual: np.ndarray) -> np.ndarray:
    score = design * (w * residual)[:, None]
    return inverse @ (score.T @ score) @ inverse


def _side_constants(
    y: np.ndarray, x: np.ndarray, pilot: float, order: int, deriv: int, bias_order: int, bias_h: float, regularise: bool
) -> tuple[float, float, float] | None:
    """One side's terms of the MSE-optimal bandwidth of a local polynomial of ``order`` estimating
    the ``deriv``-th derivative at the cut-off (Calonico, Cattaneo & Titiunik 2014, section 3.2):
    the variance constant V (from a fit at the pilot bandwidth, nearest-neighbour residuals), the
    bias constant B (the leading bias from a fit of ``bias_order`` at ``bias_h``), and the
    regularisation R (3·B-constant²·the variance of that higher derivative), which keeps the
    bandwidth finite when the two sides' curvatures are equal."""
    variance_fit = _weighted_fit(y, x, pilot, order)
    if variance_fit is None or not (np.isfinite(bias_h) and bias_h > 0):
        return None
    _, inverse, design, w, inside = variance_fit
    residual = _neighbour_residuals(x[inside], y[inside])
    v_v = _sandwich(inverse, design, w, residual)[deriv, deriv]
    moment = design.T @ (w * (x[inside] / pilot) ** (order + 1))
    constant = float((pilot ** np.arange(order + 1) * (inverse @ moment))[deriv])
    bias_fit = _weighted_fit(y, x, bias_h, bias_order)
    if bias_fit is None:
        return None
    beta_b, inverse_b, design_b, w_b, inside_b = bias_fit
    regulariser = 0.0
    if regularise:
        residual_b = _neighbour_residuals(x[inside_b], y[inside_b])
        regulariser = 3 * constant**2 * _sandwich(inverse_b, design_b, w_b, residual_b)[-1, -1]
    variance = (2 * deriv + 1) * pilot ** (2 * deriv + 1) * v_v
    bias = np.sqrt(2 * (order + 1 - deriv)) * constant * beta_b[-1]
    return float(variance), float(bias), float(2 * (order + 1 - deriv) * regulariser)


def _quantile_type2(values: np.ndarray, p: float) -> float:
    """The empirical quantile that averages at discontinuities (Hyndman & Fan's type 2, R's type=2)."""
    ordered = np.sort(values)
    position = ordered.size * p
    j = int(np.floor(position))
    return float((ordered[j - 1] + ordered[j]) / 2 if position == j else ordered[j])


def mse_bandwidth(y: ArrayLike, x: ArrayLike, cutoff: float) -> dict[str, float]:
    """The MSE-optimal bandwidth of a local linear RD estimate with a triangular kernel, one common
    bandwidth on both sides (Calonico, Cattaneo & Titiunik 2014; rdrobust's ``bwselect="mserd"``
    with its defaults: nearest-neighbour variance with 3 matches, regularisation, the bandwidth
    capped at the running variable's range, the pilot counted in distinct values of the running
    variable). In three steps: a rule-of-thumb pilot c = 2.576·min(SD, IQR/1.349)·M^(-1/5) for the
    variances; the bandwidth d for the third derivative (a global quartic for its bias); the bias
    bandwidth b of the local quadratic; then h from the local linear fit's variance and the
    curvature estimated at b. When a fifth of a side's observations sit on repeated values (mass
    points), the pilots reach at least the 10th distinct value on each side, as rdrobust does.
    Returns h, the bias bandwidth b and the pilots c and d."""
    y_ = vector(y, "outcome")
    x_ = vector(x, "running variable", y_.size) - cutoff
    order = np.argsort(x_, kind="mergesort")
    x_, y_ = x_[order], y_[order]
    left, right = x_ < 0, x_ >= 0
    if min(int(left.sum()), int(right.sum())) < 10:
        raise ValueError("fewer than 10 observations on one side of the cut-off")
    distinct = np.unique(x_[left]).size + np.unique(x_[right]).size
    iqr = _quantile_type2(x_, 0.75) - _quantile_type2(x_, 0.25)
    spread = min(float(x_.std(ddof=1)), iqr / 1.349)
    largest = max(abs(float(x_.min())), abs(float(x_.max())))
    pilot = min(PILOT_CONSTANT * spread * distinct ** (-1 / 5), largest)
    floor = 0.0
    distances = [np.unique(-x_[left]), np.unique(x_[right])]  # distinct distances from the cut-off, nearest first
    if any(1 - u.size / side.sum() >= 0.2 for u, side in zip(distances, (left, right), strict=True)):
        # mass points (a fifth of a side on repeated values): every bandwidth of the first steps must
        # reach the 10th distinct value on each side (rdrobust's masspoints="adjust", bwcheck=10)
        floor = max(float(u[min(10, u.size) - 1]) for u in distances) * (1 + _TIE)
        pilot = max(pilot, floor)
    # each side as distances from the cut-off in sorted order: the left side's x stays negative
    sides = [(y_[left], x_[left], float(-x_[left].min())), (y_[right], x_[right], float(x_[right].max()))]

    def step(order_: int, deriv: int, bias_order: int, bias_h: list[float], regularise: bool) -> float:
        terms = [
            _side_constants(ys, xs, pilot, order_, deriv, bias_order, bh, regularise)
            for (ys, xs, _), bh in zip(sides, bias_h, strict=True)
        ]
        if any(t is None for t in terms):
            raise ValueError("too few distinct values of the running variable near the cut-off to choose a bandwidth")
        (v_l, b_l, r_l), (v_r, b_r, r_r) = terms  # type: ignore[misc]
        denominator = (b_r - b_l) ** 2 + (r_l + r_r if regularise else 0.0)
        if not denominator > 0:
            raise ValueError("the curvature on the two sides cannot be estimated: no bandwidth can be chosen")
        return min(((v_l + v_r) / denominator) ** (1 / (2 * order_ + 3)), largest)

    eps = 1 + _TIE
    d = max(step(3, 3, 4, [sides[0][2] * eps, sides[1][2] * eps], regularise=False), floor)
    b = step(2, 2, 3, [d, d], regularise=True)
    h = step(1, 0, 2, [b, b], regularise=True)
    return {"h": float(h), "b": float(b), "pilot": float(pilot), "pilot_third_derivative": float(d)}


def rd_local_linear(y: ArrayLike, x: ArrayLike, cutoff: float, *, bandwidth: float | None = None) -> Result:
    """The sharp RD effect at ``cutoff``: ``effect`` the conventional local linear estimate at the
    bandwidth h (chosen MSE-optimally, :func:`mse_bandwidth`, unless given), ``ci_low``/``ci_high``
    the robust bias-corrected 95 % interval, and in the diagnostics the bias-corrected estimate, both
    standard errors, the effective sample sizes and the density test."""
    y_ = vector(y, "outcome")
    x_ = vector(x, "running variable", y_.size)
    centred = x_ - cutoff
    left, right = centred < 0, centred >= 0
    if min(left.sum(), right.sum()) < 5:
        raise ValueError("fewer than 5 observations on one side of the cut-off")
    chosen: dict[str, Any] = {"rule": "given"}
    if bandwidth is None:
        chosen = {"rule": "mserd", **mse_bandwidth(y_, x_, cutoff)}
        h = chosen["h"]
    else:
        h = float(bandwidth)
        if not h > 0:
            raise ValueError("the bandwidth must be positive")
    right_1, var_right_1, n_right = _local_fit(y_[right], centred[right], h, 1)
    left_1, var_left_1, n_left = _local_fit(y_[left], -centred[left], h, 1)
    right_2, var_right_2, _ = _local_fit(y_[right], centred[right], h, 2)
    left_2, var_left_2, _ = _local_fit(y_[left], -centred[left], h, 2)
    effect = right_1 - left_1
    se = float(np.sqrt(var_right_1 + var_left_1))
    corrected = right_2 - left_2
    robust_se = float(np.sqrt(var_right_2 + var_left_2))
    n = {
        "observations": int(y_.size),
        "left": int(left.sum()),
        "right": int(right.sum()),
        "effective_left": n_left,
        "effective_right": n_right,
    }
    result = Result(
        "rd_local_linear",
        float(effect),
        se,
        float(corrected - Z95 * robust_se),
        float(corrected + Z95 * robust_se),
        n,
    )
    result.diagnostics.update(
        bandwidth=h,
        bandwidth_choice=chosen,
        conventional_ci=[float(effect - Z95 * se), float(effect + Z95 * se)],
        bias_corrected=float(corrected),
        robust_se=robust_se,
        kernel="triangular",
        cutoff=float(cutoff),
    )
    if min(n_left, n_right) < 20:
        result.warnings.append("Fewer than 20 observations within the bandwidth on one side: the estimate is fragile.")
    try:
        result.diagnostics["density_test"] = density_test(x_, cutoff)
        if result.diagnostics["density_test"]["p"] < 0.05:
            result.warnings.append(
                "The density of the running variable jumps at the cut-off (p < 0.05): scores may have been "
                "manipulated to cross it, and the comparison is doubtful."
            )
    except ValueError as exc:
        result.diagnostics["density_test"] = {"error": str(exc)}
    result.diagnostics["binned"] = binned_scatter(y_, x_, cutoff, bandwidth=h)
    return result


def density_test(
    x: ArrayLike, cutoff: float, *, bin_size: float | None = None, bandwidth: float | None = None
) -> dict[str, float]:
    """McCrary's (2008) manipulation test: a histogram with bins that do not straddle the cut-off, a
    local linear (triangular) fit of the bin heights on each side, and the log difference of the two
    density limits θ = ln f₊ − ln f₋ with its standard error √((1/nh)·(24/5)·(1/f₊ + 1/f₋))."""
    x_ = vector(x, "running variable") - cutoff
    n = x_.size
    if (x_ < 0).sum() < 10 or (x_ >= 0).sum() < 10:
        raise ValueError("fewer than 10 observations on one side of the cut-off")
    b = bin_size or 2 * x_.std(ddof=1) * n ** (-1 / 2)
    index = np.floor(x_ / b).astype(np.int64)  # bin j covers [j·b, (j+1)·b): none straddles 0
    low, high = int(index.min()), int(index.max())
    counts = np.bincount(index - low, minlength=high - low + 1)
    mids = (np.arange(low, high + 1) + 0.5) * b
    heights = counts / (n * b)
    left, right = mids < 0, mids >= 0
    if bandwidth is None:
        # McCrary's rule: a global quartic on each side, h = 3.348·[σ̃²(range)/Σ f̃''²]^(1/5), averaged.
        hs = []
        for side in (left, right):
            xs, fs = mids[side], heights[side]
            if xs.size < 6:
                raise ValueError("too few bins on one side of the cut-off")
            design = np.vander(xs, 5, increasing=True)
            coef, *_ = np.linalg.lstsq(design, fs, rcond=None)
            residual_var = float(((fs - design @ coef) ** 2).sum() / max(xs.size - 5, 1))
            second = 2 * coef[2] + 6 * coef[3] * xs + 12 * coef[4] * xs**2
            span = xs.max() - xs.min() + b
            hs.append(3.348 * (residual_var * span / max((second**2).sum(), 1e-12)) ** (1 / 5))
        h = float(np.mean(hs))
    else:
        h = float(bandwidth)
    limits = []
    for side, sign in ((right, 1.0), (left, -1.0)):
        xs, fs = sign * mids[side], heights[side]
        w = np.maximum(0.0, 1 - np.abs(xs) / h)
        keep = w > 0
        if keep.sum() < 3:
            raise ValueError("too few bins within the density test's bandwidth")
        design = np.column_stack([np.ones(keep.sum()), xs[keep]])
        coef = np.linalg.lstsq(design * np.sqrt(w[keep])[:, None], fs[keep] * np.sqrt(w[keep]), rcond=None)[0]
        limits.append(max(float(coef[0]), 1e-12))
    f_right, f_left = limits
    theta = float(np.log(f_right) - np.log(f_left))
    se = float(np.sqrt(1 / (n * h) * 24 / 5 * (1 / f_right + 1 / f_left)))
    z = theta / se
    return {
        "log_difference": theta,
        "se": se,
        "z": float(z),
        "p": math.erfc(abs(z) / math.sqrt(2)),  # 2 × the normal tail beyond |z|
        "bin_size": float(b),
        "bandwidth": h,
        "density_left": f_left,
        "density_right": f_right,
    }


def binned_scatter(
    y: ArrayLike, x: ArrayLike, cutoff: float, *, bins: int = 20, bandwidth: float | None = None
) -> dict[str, Any]:
    """The RD plot's data: the outcome's mean in ``bins`` equal-width bins on each side of the cut-off
    (none straddles it), and the local linear fits on each side within the bandwidth, on a grid."""
    y_ = vector(y, "outcome")
    x_ = vector(x, "running variable", y_.size)
    points: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    for side, mask in (("left", x_ < cutoff), ("right", x_ >= cutoff)):
        xs, ys = x_[mask], y_[mask]
        if xs.size == 0:
            continue
        edges = np.linspace(xs.min(), cutoff, bins + 1) if side == "left" else np.linspace(cutoff, xs.max(), bins + 1)
        which = np.clip(np.searchsorted(edges, xs, side="right") - 1, 0, bins - 1)
        count = np.bincount(which, minlength=bins)
        total = np.bincount(which, weights=ys, minlength=bins)
        for j in np.flatnonzero(count):
            points.append(
                {
                    "side": side,
                    "x": float((edges[j] + edges[j + 1]) / 2),
                    "y": float(total[j] / count[j]),
                    "n": int(count[j]),
                }
            )
        if bandwidth:
            sign = 1.0 if side == "right" else -1.0
            distance = sign * (xs - cutoff)
            weight = np.maximum(0.0, 1 - distance / bandwidth)
            keep = weight > 0
            if keep.sum() > 2:
                design = np.column_stack([np.ones(keep.sum()), distance[keep]])
                root = np.sqrt(weight[keep])
                coef = np.linalg.lstsq(design * root[:, None], ys[keep] * root, rcond=None)[0]
                for d in np.linspace(0, min(bandwidth, distance.max()), 11):
                    lines.append({"side": side, "x": float(cutoff + sign * d), "y": float(coef[0] + coef[1] * d)})
    return {"points": points, "fit": lines, "cutoff": float(cutoff), "bandwidth": bandwidth}
