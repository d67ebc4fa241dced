"""Difference-in-differences on panels: two-way fixed effects with clustered standard errors, the
event study with leads, lags and a pre-trend test, and Callaway & Sant'Anna's (2021) group-time
estimator that stays right when adoption is staggered and effects differ between cohorts.

The treatment is given as a 0/1 column per unit and period (1 in the periods in which the unit is
treated), so staggered adoption needs no other column: a unit's cohort is the first period in which
it is treated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .common import Z95, Result, clustered_vcov, codes, demean_two_way, influence_se, vector


def _panel(
    y: ArrayLike, unit: ArrayLike, time: ArrayLike, treat: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    y_ = vector(y, "outcome")
    n = y_.size
    d = vector(treat, "treatment", n)
    if not np.all(np.isin(d, (0.0, 1.0))):
        raise ValueError("the treatment column must be 0 or 1")
    unit_codes, _ = codes(unit)
    times = np.asarray(time)
    if unit_codes.size != n or times.size != n:
        raise ValueError("unit, time, treatment and outcome must have the same length")
    time_labels, time_codes = np.unique(times, return_inverse=True)
    pairs = unit_codes * (time_labels.size + 1) + time_codes
    if np.unique(pairs).size != n:
        raise ValueError("a unit appears twice in the same period")
    return y_, d, unit_codes, time_codes.astype(np.int64), time_labels


def _nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True when every value of ``inner`` lies in one value of ``outer`` (units within clusters)."""
    outer_of = np.zeros(int(inner.max()) + 1, dtype=np.int64)
    outer_of[inner] = outer  # any one row's outer value per inner value; nested iff every row agrees
    return bool(np.all(outer_of[inner] == outer))


def _cluster_codes(cluster: ArrayLike | None, unit: np.ndarray, n: int) -> np.ndarray:
    if cluster is None:
        return unit
    groups, _ = codes(cluster)
    if groups.size != n:
        raise ValueError(f"cluster has {groups.size} values for {n} observations")
    return groups


def _fit(
    y: np.ndarray, x: np.ndarray, unit: np.ndarray, time: np.ndarray, cluster: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Two-way fixed-effects OLS of y on the columns of x: coefficients, clustered covariance, the
    number of clusters and the parameter count used in the small-sample factor."""
    within = demean_two_way(np.column_stack([y, x]), unit, time)
    yy, xx = within[:, 0], within[:, 1:]
    keep = np.abs(xx).max(axis=0) > 1e-12
    if not keep.all():
        raise ValueError("a regressor does not vary within units and periods (nothing identifies it)")
    beta, *_ = np.linalg.lstsq(xx, yy, rcond=None)
    residuals = yy - xx @ beta
    n_unit = int(unit.max()) + 1
    n_time = int(time.max()) + 1
    # Parameters: the regressors, the period effects and a constant; unit effects too unless the units
    # are nested in the clusters (they then cost no degree of freedom: Stata's xtreg/reghdfe, fixest).
    k = x.shape[1] + n_time + (0 if _nested(unit, cluster) else n_unit - 1)
    vcov, g = clustered_vcov(xx, residuals, cluster, k=k)
    return beta, vcov, g, k


def twfe(
    y: ArrayLike, unit: ArrayLike, time: ArrayLike, treat: ArrayLike, *, cluster: ArrayLike | None = None
) -> Result:
    """The two-way fixed-effects DiD: y_it = α_i + λ_t + β·D_it + ε_it, standard errors clustered by
    unit (or by ``cluster``, e.g. the kelurahan, when asked). β is the ATT when effects are the same
    for every cohort and period; with staggered adoption and changing effects it is a weighted average
    that can even take the wrong sign (Goodman-Bacon 2021): compare :func:`callaway_santanna`."""
    y_, d, unit_codes, time_codes, _ = _panel(y, unit, time, treat)
    groups = _cluster_codes(cluster, unit_codes, y_.size)
    if d.min() == d.max():
        raise ValueError("the treatment never varies: nothing to compare")
    beta, vcov, g, k = _fit(y_, d[:, None], unit_codes, time_codes, groups)
    treated_units = np.unique(unit_codes[d == 1]).size
    n = {
        "observations": int(y_.size),
        "units": int(unit_codes.max()) + 1,
        "periods": int(time_codes.max()) + 1,
        "treated_units": int(treated_units),
        "clusters": g,
    }
    result = Result.normal("did_twfe", beta[0], np.sqrt(vcov[0, 0]), n)
    result.diagnostics["parameters_in_small_sample_factor"] = k
    if g < 30:
        result.warnings.append(f"Only {g} clusters: clustered standard errors are unreliable below about 30.")
    return result


def _cohorts(d: np.ndarray, unit: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, bool]:
    """Per unit, the first period (code) in which it is treated (−1: never), and whether any unit's
    treatment switches off again (the event study and Callaway–Sant'Anna assume it stays on)."""
    n_unit = int(unit.max()) + 1
    first = np.full(n_unit, np.iinfo(np.int64).max)
    np.minimum.at(first, unit[d == 1], time[d == 1])
    never = first == np.iinfo(np.int64).max
    first[never] = -1
    cohort = first[unit]
    should_be = (cohort >= 0) & (time >= cohort)
    return first, bool(np.any(should_be & (d == 0)))


def event_study(
    y: ArrayLike,
    unit: ArrayLike,
    time: ArrayLike,
    treat: ArrayLike,
    *,
    leads: int | None = None,
    lags: int | None = None,
    cluster: ArrayLike | None = None,
) -> Result:
    """Leads and lags of adoption in a two-way fixed-effects regression: a coefficient for each period
    relative to the first treated one (period −1 is the reference; the ends are binned), clustered
    standard errors, and the joint F test that every lead (−2, −3, …) is zero: the pre-trend test. A
    small p-value says treated and comparison units were already drifting apart before the programme.
    The reported effect is the average of the lag coefficients (0, 1, …)."""
    y_, d, unit_codes, time_codes, _time_labels = _panel(y, unit, time, treat)
    groups = _cluster_codes(cluster, unit_codes, y_.size)
    first, switches_off = _cohorts(d, unit_codes, time_codes)
    cohort = first[unit_codes]
    ever = cohort >= 0
    if not ever.any():
        raise ValueError("no unit is ever treated")
    relative = np.where(ever, time_codes - cohort, 0)
    low, high = int(relative[ever].min()), int(relative[ever].max())
    low = max(low, -(leads + 1)) if leads is not None else low
    high = min(high, lags) if lags is not None else high
    binned = np.clip(relative, low, high)
    has_never = bool((first < 0).any())
    omitted = {-1}
    warnings: list[str] = []
    if not has_never and low < -1:
        omitted.add(low)  # without never-treated units one more relative period must go (Borusyak et al.)
        warnings.append(
            "No unit is untreated throughout: the earliest lead is also a reference period, and the "
            "comparison rests on units not yet treated."
        )
    periods = [r for r in range(low, high + 1) if r not in omitted]
    if not periods or not any(r >= 0 for r in periods):
        raise ValueError("the panel has no period after adoption to estimate")
    x = np.column_stack([(ever & (binned == r)).astype(float) for r in periods])
    beta, vcov, g, _ = _fit(y_, x, unit_codes, time_codes, groups)
    se = np.sqrt(np.diag(vcov))
    coefficients = [
        {
            "relative_period": r,
            "coef": float(b),
            "se": float(s),
            "ci_low": float(b - Z95 * s),
            "ci_high": float(b + Z95 * s),
            "binned": r in (low, high) and r != -1,
        }
        for r, b, s in zip(periods, beta, se, strict=True)
    ]
    lead_index = [i for i, r in enumerate(periods) if r <= -2]
    lag_index = [i for i, r in enumerate(periods) if r >= 0]
    pre_trend: dict[str, Any] = {"leads": len(lead_index), "f": None, "p": None}
    if lead_index:
        b = beta[lead_index]
        v = vcov[np.ix_(lead_index, lead_index)]
        wald = float(b @ np.linalg.pinv(v) @ b)
        q = len(lead_index)
        f = wald / q
        from scipy import stats  # here: a second to import, and only this test needs it

        pre_trend.update(f=f, p=float(stats.f.sf(f, q, max(g - 1, 1))), df=[q, max(g - 1, 1)])
        if pre_trend["p"] < 0.05:
            warnings.append(
                "The leads are jointly different from zero (pre-trend test p < 0.05): treated and comparison "
                "units already moved differently before the programme, so the parallel-trends assumption is doubtful."
            )
    else:
        warnings.append("No period two or more before adoption: the pre-trends cannot be tested.")
    if switches_off:
        warnings.append("Some units stop being treated: the event study assumes treatment stays on once started.")
    weights = np.zeros(len(periods))
    weights[lag_index] = 1 / len(lag_index)
    effect = float(weights @ beta)
    effect_se = float(np.sqrt(weights @ vcov @ weights))
    n = {
        "observations": int(y_.size),
        "units": int(unit_codes.max()) + 1,
        "periods": int(time_codes.max()) + 1,
        "treated_units": int((first >= 0).sum()),
        "clusters": g,
    }
    result = Result.normal("event_study", effect, effect_se, n, warnings=warnings)
    result.diagnostics.update(
        coefficients=coefficients, pre_trend=pre_trend, pre_trend_p=pre_trend["p"], reference_period=-1
    )
    return result


def _balanced(
    y: np.ndarray, unit: np.ndarray, time: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The panel as a units × periods matrix, keeping units observed in every period (and the count of
    units dropped), and each unit's cohort."""
    n_unit, n_time = int(unit.max()) + 1, int(time.max()) + 1
    seen = np.bincount(unit, minlength=n_unit)
    complete = seen == n_time
    first, _ = _cohorts(d, unit, time)
    matrix = np.full((n_unit, n_time), np.nan)
    matrix[unit, time] = y
    keep_units = np.flatnonzero(complete)
    return matrix[complete], first[complete], keep_units, int((~complete).sum())


def _aggregate(
    att: np.ndarray, influence: np.ndarray, share: np.ndarray, group_indicator: np.ndarray
) -> tuple[float, np.ndarray]:
    """θ = Σ_k p_k·ATT_k / Σ_k p_k with its influence function, including the estimation of the cohort
    shares p_k (the ``wif`` term of the did package)."""
    total = share.sum()
    weights = share / total
    theta = float(weights @ att)
    # d(p_k/S): (dp_k·S − p_k·ΣdP)/S², with dp_k = 1{G_i = g_k} − p_k.
    dp = group_indicator - share[None, :]
    wif = dp / total - np.outer(dp.sum(axis=1), share) / total**2
    return theta, influence @ weights + wif @ att


def callaway_santanna(
    y: ArrayLike,
    unit: ArrayLike,
    time: ArrayLike,
    treat: ArrayLike,
    *,
    control: str = "never",
    cluster: ArrayLike | None = None,
) -> Result:
    """Callaway & Sant'Anna (2021) without covariates: for each cohort g (first treated period) and
    later period t, ATT(g,t) = mean change from g−1 to t among cohort g minus the same among the
    comparison units (never treated, or ``control="notyet"``: not yet treated by t). The effect is the
    average of the post-adoption ATT(g,t) weighted by cohort size (the "simple" aggregation of the did
    package); the standard errors come from the influence functions, including the weights' estimation.
    Units treated from the first period (nothing to compare before) and units missing a period are left
    out, and said so."""
    if control not in {"never", "notyet"}:
        raise ValueError("control must be 'never' or 'notyet'")
    y_, d, unit_codes, time_codes, time_labels = _panel(y, unit, time, treat)
    matrix, first, kept, dropped_unbalanced = _balanced(y_, unit_codes, time_codes, d)
    warnings: list[str] = []
    if dropped_unbalanced:
        warnings.append(f"{dropped_unbalanced} units not observed in every period were left out.")
    always = first == 0
    if always.any():
        warnings.append(f"{int(always.sum())} units treated from the first period were left out (no period before).")
    matrix, first, kept = matrix[~always], first[~always], kept[~always]
    n_units, n_time = matrix.shape
    never = first < 0
    if control == "never" and not never.any():
        control = "notyet"
        warnings.append("No unit is never treated: units not yet treated serve as the comparison.")
    cohorts = np.unique(first[first > 0])
    if cohorts.size == 0:
        raise ValueError("no cohort is treated after the first period")
    cluster_codes = None
    if cluster is not None:
        per_row, _ = codes(cluster)
        per_unit = np.zeros(int(unit_codes.max()) + 1, dtype=np.int64)
        per_unit[unit_codes] = per_row
        cluster_codes = per_unit[kept]
    share_of = {int(g): float((first == g).mean()) for g in cohorts}
    cells: list[dict[str, Any]] = []
    influences: list[np.ndarray] = []
    for g in cohorts:
        in_g = first == g
        for t in range(n_time):
            base = g - 1 if t >= g else t - 1  # post: the last period before; pre: the period before (varying)
            if base < 0:
                continue
            comparison = never if control == "never" else never | ((first > max(t, base)) & (first != g))
            if not comparison.any():
                continue
            change = matrix[:, t] - matrix[:, base]
            m_g, m_c = change[in_g].mean(), change[comparison].mean()
            psi = np.zeros(n_units)
            psi[in_g] = n_units * (change[in_g] - m_g) / in_g.sum()
            psi[comparison] -= n_units * (change[comparison] - m_c) / comparison.sum()
            cell_att = float(m_g - m_c)
            cells.append(
                {
                    "cohort": time_labels[g].item() if hasattr(time_labels[g], "item") else time_labels[g],
                    "period": time_labels[t].item() if hasattr(time_labels[t], "item") else time_labels[t],
                    "relative_period": int(t - g),
                    "att": cell_att,
                    "se": influence_se(psi, cluster_codes),
                    "treated": int(in_g.sum()),
                    "comparison": int(comparison.sum()),
                    "_g": int(g),
                }
            )
            influences.append(psi)
    if not cells:
        raise ValueError("no cohort has a comparison group")
    att: np.ndarray = np.array([c["att"] for c in cells])
    inf = np.column_stack(influences)
    group_of = np.array([c["_g"] for c in cells])
    relative = np.array([c["relative_period"] for c in cells])
    indicator = np.column_stack([(first == g).astype(float) for g in group_of])
    shares = np.array([share_of[g] for g in group_of])
    post = relative >= 0
    if not post.any():
        raise ValueError("no period after adoption has a comparison group")
    effect, psi = _aggregate(att[post], inf[:, post], shares[post], indicator[:, post])
    dynamic = []
    for e in sorted(set(relative.tolist())):
        at = relative == e
        value, psi_e = _aggregate(att[at], inf[:, at], shares[at], indicator[:, at])
        se_e = influence_se(psi_e, cluster_codes)
        dynamic.append(
            {
                "relative_period": e,
                "att": value,
                "se": se_e,
                "ci_low": value - Z95 * se_e,
                "ci_high": value + Z95 * se_e,
            }
        )
    for c in cells:
        del c["_g"]
    n = {
        "units": int(n_units),
        "periods": int(n_time),
        "treated_units": int((first > 0).sum()),
        "never_treated": int(never.sum()),
        "cohorts": int(cohorts.size),
        "clusters": int(np.unique(cluster_codes).size) if cluster_codes is not None else int(n_units),
    }
    result = Result.normal("callaway_santanna", effect, influence_se(psi, cluster_codes), n, warnings=warnings)
    result.diagnostics.update(group_time=cells, dynamic=dynamic, control=control)
    return result


def staggered(
    y: ArrayLike, unit: ArrayLike, time: ArrayLike, treat: ArrayLike, *, cluster: ArrayLike | None = None
) -> dict[str, Result]:
    """The TWFE estimate next to Callaway–Sant'Anna's, with a warning on both when they disagree: the
    TWFE estimate outside the robust estimate's 95 % interval, or of the other sign."""
    fixed = twfe(y, unit, time, treat, cluster=cluster)
    robust = callaway_santanna(y, unit, time, treat, cluster=cluster)
    if not robust.ci_low <= fixed.effect <= robust.ci_high or np.sign(fixed.effect) != np.sign(robust.effect):
        message = (
            f"The two-way fixed-effects estimate ({fixed.effect:.4g}) disagrees with the heterogeneity-robust "
            f"Callaway–Sant'Anna estimate ({robust.effect:.4g}, 95 % CI {robust.ci_low:.4g} to {robust.ci_high:.4g}): "
            "with staggered adoption and effects that change over time, trust the robust one."
        )
        fixed.warnings.append(message)
        robust.warnings.append(message)
    return {"twfe": fixed, "callaway_santanna": robust}
