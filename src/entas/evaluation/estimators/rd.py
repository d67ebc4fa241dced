"""Regression discontinuity at an eligibility cut-off (a PMT score, a desil threshold).

The effect is the jump of the outcome's mean at the cut-off: the limit from the right (running
variable ≥ cut-off) minus the limit from the left, each estimated by a local linear regression with a
triangular kernel. The bandwidth is MSE-optimal (Imbens & Kalyanaraman 2012's plug-in for this
kernel and order); the confidence interval is robust bias-corrected in the manner of Calonico,
Cattaneo & Titiunik (2014): the bias of the local linear estimate is estimated with a local quadratic
and the interval accounts for that estimation. With the pilot bandwidth equal to the main one
(ρ = h/b = 1, rdrobust's default when only h is given) the bias-corrected estimate is the local
quadratic one and its robust variance is that estimate's variance (CCT 2014, remark 7), which is
how it is computed here. Variances are heteroskedasticity-robust (HC1) on each side.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .common import Z95, Result, vector

IK_CONSTANT = 3.4375  # C_K for a triangular kernel and a local linear fit at a boundary (IK 2012, table 1)


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


def mse_bandwidth(y: ArrayLike, x: ArrayLike, cutoff: float) -> dict[str, float]:
    """The MSE-optimal bandwidth of a local linear RD with a triangular kernel, Imbens & Kalyanaraman
    (2012, section 4.2): a pilot density and conditional variances at the cut-off, the third derivative
    from a global cubic, the second derivatives on each side from local quadratics, and the
    regularisation terms that keep the bandwidth finite when the curvatures are equal."""
    y_ = vector(y, "outcome")
    x_ = vector(x, "running variable", y_.size) - cutoff
    n = x_.size
    left, right = x_ < 0, x_ >= 0
    n_left, n_right = int(left.sum()), int(right.sum())
    if min(n_left, n_right) < 10:
        raise ValueError("fewer than 10 observations on one side of the cut-off")
    h1 = 1.84 * x_.std(ddof=1) * n ** (-1 / 5)
    in_left, in_right = left & (x_ >= -h1), right & (x_ <= h1)
    if in_left.sum() < 2 or in_right.sum() < 2:
        raise ValueError("too few observations near the cut-off to choose a bandwidth")
    density = (in_left.sum() + in_right.sum()) / (2 * n * h1)
    var_left, var_right = y_[in_left].var(ddof=1), y_[in_right].var(ddof=1)
    window = (x_ >= np.median(x_[left])) & (x_ <= np.median(x_[right]))
    design = np.column_stack([np.ones(window.sum()), right[window], x_[window], x_[window] ** 2, x_[window] ** 3])
    gamma, *_ = np.linalg.lstsq(design, y_[window], rcond=None)
    m3 = 6 * gamma[4]
    m3_sq = max(m3**2, 1e-12)

    def curvature(side: np.ndarray, n_side: int, variance: float) -> tuple[float, float]:
        h2 = 3.56 * (variance / (density * m3_sq)) ** (1 / 7) * n_side ** (-1 / 7)
        near = side & (np.abs(x_) <= h2)
        if near.sum() < 4:
            near = side & (np.abs(x_) <= np.sort(np.abs(x_[side]))[min(3, side.sum() - 1)])
        xs = x_[near]
        coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(xs.size), xs, xs**2]), y_[near], rcond=None)
        regularise = 2160 * variance / (near.sum() * h2**4)
        return 2 * coef[2], regularise

    m2_left, r_left = curvature(left, n_left, var_left)
    m2_right, r_right = curvature(right, n_right, var_right)
    h = (
        IK_CONSTANT
        * ((var_left + var_right) / (density * ((m2_right - m2_left) ** 2 + r_left + r_right))) ** (1 / 5)
        * n ** (-1 / 5)
    )
    return {"h": float(h), "pilot": float(h1), "density": float(density), "m2_left": m2_left, "m2_right": m2_right}


def rd_local_linear(y: ArrayLike, x: ArrayLike, cutoff: float, *, bandwidth: float | None = None) -> Result:
    """The sharp RD effect at ``cutoff``: ``effect`` the conventional local linear estimate at the
    bandwidth h (chosen MSE-optimally unless given), ``ci_low``/``ci_high`` the robust bias-corrected
    95 % interval, and in the diagnostics the bias-corrected estimate, both standard errors, the
    effective sample sizes and the density test."""
    y_ = vector(y, "outcome")
    x_ = vector(x, "running variable", y_.size)
    centred = x_ - cutoff
    left, right = centred < 0, centred >= 0
    if min(left.sum(), right.sum()) < 5:
        raise ValueError("fewer than 5 observations on one side of the cut-off")
    chosen: dict[str, Any] = {"rule": "given"}
    if bandwidth is None:
        chosen = {"rule": "mse_ik", **mse_bandwidth(y_, x_, cutoff)}
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
