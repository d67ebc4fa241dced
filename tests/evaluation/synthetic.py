"""Synthetic data with a known effect, for the estimators' validation (pure numpy)."""

from __future__ import annotations

import numpy as np


def panel(
    seed: int,
    *,
    units: int = 200,
    periods: int = 5,
    cohorts: tuple[int, ...] = (2,),
    effect: float = 1.0,
    dynamic: float = 0.0,
    pre_trend: float = 0.0,
    never_share: float = 0.4,
    clusters: int | None = None,
) -> dict[str, np.ndarray]:
    """A household panel: unit and period effects, serially correlated noise within a unit, adoption
    in one of ``cohorts`` (or never), an effect ``effect + dynamic·(periods since adoption)`` and, if
    ``pre_trend``, treated units drifting apart before adoption. ``true_att`` is the average effect over
    treated unit-periods weighted as Callaway–Sant'Anna's simple aggregation weights them."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(units), periods)
    time = np.tile(np.arange(periods), units)
    never = rng.uniform(size=units) < never_share
    cohort = np.where(never, -1, rng.choice(np.array(cohorts), size=units))
    g = cohort[unit]
    treated = (g >= 0) & (time >= g)
    exposure = np.where(treated, time - g, 0)
    alpha = rng.normal(scale=2.0, size=units)
    lam = np.linspace(0, 1.5, periods)
    shock = rng.normal(size=units)[unit] * 0.5 + rng.normal(size=unit.size)
    drift = pre_trend * np.where(g >= 0, time, 0)
    tau = np.where(treated, effect + dynamic * exposure, 0.0)
    y = alpha[unit] + lam[time] + drift + tau + shock
    cluster = unit % clusters if clusters else unit
    true_att = float(tau[treated].mean())
    return {
        "y": y,
        "unit": unit,
        "time": time,
        "treat": treated.astype(float),
        "cluster": cluster,
        "true_att": np.array(true_att),
    }


def discontinuity(seed: int, *, n: int = 2000, effect: float = 0.5, manipulated: bool = False) -> dict[str, np.ndarray]:
    """A running variable on [−1, 1] with a curved outcome and a jump of ``effect`` at 0; with
    ``manipulated``, a share of those just below the cut-off pushed just above it."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=n)
    if manipulated:
        movers = (x > -0.15) & (x < 0) & (rng.uniform(size=n) < 0.6)
        x[movers] = -x[movers]
    y = 0.5 + 0.8 * x + 1.2 * x**2 - 0.8 * x**3 + effect * (x >= 0) + rng.normal(scale=0.4, size=n)
    return {"x": x, "y": y}


def selection(seed: int, *, n: int = 1500, effect: float = 1.0) -> dict[str, np.ndarray]:
    """Treatment chosen on two covariates (a logistic score) that also drive the outcome: the naive
    difference is biased, matching and weighting on the score are not. The effect is constant."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(-0.7 + 0.8 * x[:, 0] - 0.5 * x[:, 1])))
    d = (rng.uniform(size=n) < p).astype(float)
    y = 1 + 1.5 * x[:, 0] + 1.0 * x[:, 1] + effect * d + rng.normal(size=n)
    return {"y": y, "d": d, "x": x}
