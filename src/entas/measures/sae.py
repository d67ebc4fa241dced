"""Small-area estimation: the Fay–Herriot area-level model (pure numpy/scipy, no Django).

The model (Fay and Herriot 1979; Rao and Molina 2015, ch. 6): for areas d = 1..D,

    direct_d = x_d'β + u_d + e_d,   u_d ~ N(0, σ²_u),   e_d ~ N(0, ψ_d) with ψ_d known (the
    sampling variance of the direct estimate).

σ²_u is estimated by REML (or ML) with Fisher scoring from the median of ψ, as the R package
``sae`` (``eblupFH``, Molina and Marhuenda 2015) does; a negative estimate is truncated at zero,
which is a valid answer (every area then gets the synthetic estimate x_d'β̂). The EBLUP is
γ_d·direct_d + (1 − γ_d)·x_d'β̂ with the shrinkage factor γ_d = σ²_u/(σ²_u + ψ_d).

The MSE is the Prasad–Rao second-order approximation g1 + g2 + 2·g3 for REML (Datta and Lahiri
2000), and for ML with the bias correction of the ML estimator of σ²_u (Datta and Lahiri 2000;
``sae::mseFH``):

    g1_d = γ_d ψ_d,  g2_d = (1 − γ_d)² x_d'(X'V⁻¹X)⁻¹x_d,
    g3_d = ψ_d² / (σ²_u + ψ_d)³ · V̄(σ̂²_u),  V̄(σ̂²_u) = 2 / Σ_d (σ²_u + ψ_d)⁻².

:func:`benchmark` ratio-adjusts estimates so their weighted sum equals a higher-level direct
estimate (the city's), and :func:`cv` gives the coefficients of variation that BPS flags above 25 %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["CV_UNRELIABLE", "FayHerriot", "benchmark", "cv", "fay_herriot"]

Float = NDArray[np.float64]
CV_UNRELIABLE = 0.25  # BPS: a CV above 25 % is not reliable enough to publish without a warning


@dataclass(frozen=True)
class FayHerriot:
    """A fitted Fay–Herriot model: per-area results (arrays over areas) and the model parameters."""

    eblup: Float
    mse: Float
    gamma: Float
    beta: Float
    beta_se: Float
    sigma2_u: float
    iterations: int
    converged: bool
    method: str
    direct: Float
    variance: Float
    synthetic: Float
    residuals: Float  # standardised: (direct − x'β̂)/√(σ²_u + ψ)
    loglike: float

    @property
    def rmse(self) -> Float:
        return np.sqrt(self.mse)

    @property
    def cv(self) -> Float:
        return cv(self.eblup, self.mse)


def _vector(values: ArrayLike, name: str) -> Float:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{name} has a missing or infinite value at position {int(np.flatnonzero(~np.isfinite(array))[0])}"
        )
    return array


def _design(covariates: ArrayLike, areas: int, intercept: bool) -> Float:
    x = np.asarray(covariates, dtype=np.float64)
    if x.ndim == 1:
        x = x.reshape(-1, 1)
    if x.ndim != 2:
        raise ValueError(f"covariates must be a 2-D array (areas × covariates), got shape {x.shape}")
    if x.shape[0] != areas:
        raise ValueError(f"covariates has {x.shape[0]} rows for {areas} areas")
    if not np.all(np.isfinite(x)):
        raise ValueError("covariates has a missing or infinite value")
    if intercept:
        x = np.column_stack([np.ones(areas), x])
    if x.shape[1] == 0:
        raise ValueError("the model has no covariate and no intercept")
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError("the covariates are collinear (the design matrix is not of full column rank)")
    if areas <= x.shape[1]:
        raise ValueError(f"{areas} areas are too few for {x.shape[1]} regression coefficients")
    return x


def _gls(y: Float, x: Float, v: Float) -> tuple[Float, Float]:
    """β̂ and (X'V⁻¹X)⁻¹ for a diagonal V."""
    xv = x / v[:, None]
    q: Float = np.linalg.inv(x.T @ xv).astype(np.float64)
    beta: Float = q @ (xv.T @ y)
    return beta, q


def _score_info(a: float, y: Float, x: Float, psi: Float, method: str) -> tuple[float, float]:
    v = a + psi
    vinv = 1.0 / v
    if method == "ML":
        beta, _ = _gls(y, x, v)
        r = y - x @ beta
        score = -0.5 * float(vinv.sum()) + 0.5 * float(((r * vinv) ** 2).sum())
        info = 0.5 * float((vinv**2).sum())
        return score, info
    # REML: P = V⁻¹ − V⁻¹X(X'V⁻¹X)⁻¹X'V⁻¹
    xv = x * vinv[:, None]
    q = np.linalg.inv(x.T @ xv)
    p = np.diag(vinv) - xv @ q @ xv.T
    py = p @ y
    score = -0.5 * float(np.trace(p)) + 0.5 * float(py @ py)
    info = 0.5 * float(np.sum(p * p.T))
    return score, info


def _loglike(a: float, y: Float, x: Float, psi: Float, method: str) -> float:
    v = a + psi
    beta, q = _gls(y, x, v)
    r = y - x @ beta
    d, p = x.shape
    if method == "ML":
        return float(-0.5 * (d * np.log(2 * np.pi) + np.log(v).sum() + (r * r / v).sum()))
    _, logdet_xvx = np.linalg.slogdet(np.linalg.inv(q))
    return float(-0.5 * ((d - p) * np.log(2 * np.pi) + np.log(v).sum() + logdet_xvx + (r * r / v).sum()))


def fay_herriot(
    direct: ArrayLike,
    variance: ArrayLike,
    covariates: ArrayLike,
    *,
    method: str = "REML",
    intercept: bool = True,
    max_iterations: int = 100,
    tolerance: float = 1e-4,
) -> FayHerriot:
    """Fit the Fay–Herriot model and return the EBLUP of every area with its Prasad–Rao MSE.

    ``direct`` and ``variance`` are arrays over areas (the direct estimates and their sampling
    variances, assumed known); ``covariates`` is areas × covariates (an intercept column is added
    when ``intercept``). ``method`` is ``"REML"`` (default) or ``"ML"``. Fisher scoring stops when
    the relative change of σ²_u is below ``tolerance`` (``sae``'s ``PRECISION``).
    """
    y = _vector(direct, "direct")
    psi = _vector(variance, "variance")
    if psi.size != y.size:
        raise ValueError(f"variance has {psi.size} values for {y.size} direct estimates")
    if np.any(psi <= 0):
        raise ValueError(f"variance must be positive, position {int(np.flatnonzero(psi <= 0)[0])} is not")
    method = method.upper()
    if method not in ("REML", "ML"):
        raise ValueError(f"method must be 'REML' or 'ML', not {method!r}")
    x = _design(covariates, y.size, intercept)

    a = float(np.median(psi))
    iterations = 0
    converged = False
    while iterations < max_iterations:
        iterations += 1
        score, info = _score_info(a, y, x, psi, method)
        new = max(a + score / info, 0.0)
        change = abs(new - a) / a if a > 0 else abs(new - a)
        a = new
        if change < tolerance or (a == 0.0 and score <= 0):
            converged = True
            break

    v = a + psi
    beta, q = _gls(y, x, v)
    synthetic = x @ beta
    gamma = a / v
    eblup = synthetic + gamma * (y - synthetic)

    g1 = gamma * psi
    g2 = (1 - gamma) ** 2 * np.einsum("ij,jk,ik->i", x, q, x)
    var_a = 2.0 / float((1.0 / v**2).sum())
    g3 = psi**2 / v**3 * var_a
    mse = g1 + g2 + 2 * g3
    if method == "ML":
        # The ML estimator of σ²_u is biased down by b = −tr[(X'V⁻¹X)⁻¹X'V⁻²X]/Σv⁻²; MSE − b·∂g1/∂σ²_u.
        xv2 = x / (v**2)[:, None]
        bias = float(np.trace(q @ (x.T @ xv2))) / float((1.0 / v**2).sum())
        mse = mse + bias * (psi / v) ** 2
    return FayHerriot(
        eblup=eblup,
        mse=mse,
        gamma=gamma,
        beta=beta,
        beta_se=np.sqrt(np.diag(q)),
        sigma2_u=a,
        iterations=iterations,
        converged=converged,
        method=method,
        direct=y,
        variance=psi,
        synthetic=synthetic,
        residuals=(y - synthetic) / np.sqrt(v),
        loglike=_loglike(a, y, x, psi, method),
    )


def benchmark(estimates: ArrayLike, weights: ArrayLike, total: float) -> Float:
    """Ratio benchmarking: scale ``estimates`` so Σ w·estimate / Σ w equals ``total``.

    ``weights`` are the areas' population shares (or counts); ``total`` the direct estimate of the
    whole (the city's), on the same scale as the estimates (a rate, not a count).
    """
    theta = _vector(estimates, "estimates")
    w = _vector(weights, "weights")
    if w.size != theta.size:
        raise ValueError(f"weights has {w.size} values for {theta.size} estimates")
    if np.any(w < 0) or not w.sum() > 0:
        raise ValueError("weights must be >= 0 and not all zero")
    current = float((w * theta).sum() / w.sum())
    if current == 0:
        if total == 0:
            return theta.copy()
        raise ValueError("the estimates are all zero and cannot be scaled to a non-zero total")
    return theta * (float(total) / current)


def cv(estimate: ArrayLike, mse: ArrayLike) -> Float:
    """Coefficient of variation √MSE / estimate (infinite where the estimate is zero)."""
    e = np.asarray(estimate, dtype=np.float64)
    m = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(m) / np.abs(e)
    return np.where(e == 0, np.inf, out)
