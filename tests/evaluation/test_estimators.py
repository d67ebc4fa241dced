"""The evaluation estimators against independent references (statsmodels, computed another way) and
against synthetic data with a known effect.

Each estimator is checked to rounding against the same number computed independently with statsmodels
(a different code path: dummy-variable OLS, WLS with HC1, logit), and its intervals are checked for
coverage over many seeds. The published reference implementations on their own example data
(rdrobust's Senate example, the did package's mpdta) are in test_reference.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from entas.evaluation.estimators import (
    before_after,
    callaway_santanna,
    density_test,
    event_study,
    ipw_att,
    nearest_neighbour_att,
    propensity_score,
    rd_local_linear,
    staggered,
    twfe,
)

from .synthetic import discontinuity, panel, selection

sm = pytest.importorskip("statsmodels.api")


def _dummies(codes: np.ndarray) -> np.ndarray:
    values = np.unique(codes)
    return (codes[:, None] == values[None, 1:]).astype(float)


def _twfe_statsmodels(data: dict[str, np.ndarray], extra: np.ndarray, groups: np.ndarray) -> object:
    x = np.column_stack([extra, np.ones(data["y"].size), _dummies(data["unit"]), _dummies(data["time"])])
    return sm.OLS(data["y"], x).fit(cov_type="cluster", cov_kwds={"groups": groups})


def test_twfe_equals_dummy_variable_ols_with_clustered_errors_from_statsmodels() -> None:
    data = panel(3, units=60, periods=4, cohorts=(1, 2, 3))
    result = twfe(data["y"], data["unit"], data["time"], data["treat"])
    reference = _twfe_statsmodels(data, data["treat"][:, None], data["unit"])
    assert result.effect == pytest.approx(reference.params[0], abs=1e-9)
    # statsmodels counts every unit dummy in N − k; Stata's xtreg/reghdfe (and entas) do not count the unit
    # effects nested in the clusters: the two differ by exactly √((N − k_sm)/(N − k)).
    n, k_sm, k = data["y"].size, reference.params.size, 1 + 4
    assert result.se == pytest.approx(reference.bse[0] * np.sqrt((n - k_sm) / (n - k)), rel=1e-8)
    assert result.n["clusters"] == 60


def test_twfe_clusters_by_a_higher_level_when_asked() -> None:
    data = panel(4, units=120, periods=4, cohorts=(2,), clusters=30)
    # Units nested in 30 clusters (unit % 30).
    result = twfe(data["y"], data["unit"], data["time"], data["treat"], cluster=data["cluster"])
    reference = _twfe_statsmodels(data, data["treat"][:, None], data["cluster"])
    n, k_sm = data["y"].size, reference.params.size
    assert result.effect == pytest.approx(reference.params[0], abs=1e-9)
    assert result.se == pytest.approx(reference.bse[0] * np.sqrt((n - k_sm) / (n - 5)), rel=1e-8)
    assert result.n["clusters"] == 30


def test_event_study_coefficients_equal_dummy_variable_ols() -> None:
    data = panel(5, units=80, periods=6, cohorts=(3,))
    result = event_study(data["y"], data["unit"], data["time"], data["treat"])
    g = np.where(data["treat"].reshape(80, 6).any(axis=1), 3, -1)[data["unit"]]
    rel = np.where(g >= 0, data["time"] - g, 99)
    periods = [c["relative_period"] for c in result.diagnostics["coefficients"]]
    assert periods == [-3, -2, 0, 1, 2]
    extra = np.column_stack([(rel == r).astype(float) for r in periods])
    reference = _twfe_statsmodels(data, extra, data["unit"])
    ours = np.array([c["coef"] for c in result.diagnostics["coefficients"]])
    np.testing.assert_allclose(ours, reference.params[: len(periods)], atol=1e-9)
    assert result.diagnostics["pre_trend_p"] is not None


def test_the_pre_trend_test_sees_units_drifting_apart_before_adoption() -> None:
    drifting = panel(6, units=300, periods=6, cohorts=(3, 4), pre_trend=0.4)
    parallel = panel(6, units=300, periods=6, cohorts=(3, 4))
    bad = event_study(drifting["y"], drifting["unit"], drifting["time"], drifting["treat"])
    good = event_study(parallel["y"], parallel["unit"], parallel["time"], parallel["treat"])
    assert bad.diagnostics["pre_trend_p"] < 0.001
    assert any("pre-trend" in w for w in bad.warnings)
    assert good.diagnostics["pre_trend_p"] > 0.01


def test_callaway_santanna_group_time_effects_equal_two_by_two_regressions() -> None:
    data = panel(7, units=150, periods=5, cohorts=(2, 3))
    result = callaway_santanna(data["y"], data["unit"], data["time"], data["treat"])
    y = data["y"].reshape(150, 5)
    cohort = np.full(150, -1)
    treated = data["treat"].reshape(150, 5)
    for i in range(150):
        if treated[i].any():
            cohort[i] = int(np.argmax(treated[i]))
    for cell in result.diagnostics["group_time"]:
        g, t = cell["cohort"], cell["period"]
        base = g - 1 if t >= g else t - 1
        keep = (cohort == g) | (cohort == -1)
        change = y[keep, t] - y[keep, base]
        fit = sm.OLS(change, np.column_stack([np.ones(keep.sum()), cohort[keep] == g])).fit(cov_type="HC0")
        assert cell["att"] == pytest.approx(fit.params[1], abs=1e-10)
        assert cell["se"] == pytest.approx(fit.bse[1], rel=1e-10)


def test_twfe_is_flagged_when_it_disagrees_with_the_heterogeneity_robust_estimate() -> None:
    # Early adopters' effect grows over time: TWFE uses them as controls for later adopters and is biased.
    data = panel(8, units=600, periods=6, cohorts=(1, 4), effect=0.0, dynamic=1.5, never_share=0.2)
    both = staggered(data["y"], data["unit"], data["time"], data["treat"])
    assert both["callaway_santanna"].ci_low <= data["true_att"] <= both["callaway_santanna"].ci_high
    assert any("disagrees" in w for w in both["twfe"].warnings)
    calm = panel(8, units=600, periods=6, cohorts=(2, 4), effect=1.0)
    quiet = staggered(calm["y"], calm["unit"], calm["time"], calm["treat"])
    assert not any("disagrees" in w for w in quiet["twfe"].warnings)


def test_rd_equals_weighted_least_squares_on_each_side_with_hc1() -> None:
    data = discontinuity(9)
    h = 0.4
    result = rd_local_linear(data["y"], data["x"], 0.0, bandwidth=h)
    sides = {}
    for name, mask, sign in (("right", data["x"] >= 0, 1), ("left", data["x"] < 0, -1)):
        x = sign * data["x"][mask]
        w = np.maximum(0, 1 - x / h)
        keep = w > 0
        for order in (1, 2):
            design = np.vander(x[keep], order + 1, increasing=True)
            sides[name, order] = sm.WLS(data["y"][mask][keep], design, weights=w[keep]).fit(cov_type="HC1")
    effect = sides["right", 1].params[0] - sides["left", 1].params[0]
    se = np.hypot(sides["right", 1].bse[0], sides["left", 1].bse[0])
    corrected = sides["right", 2].params[0] - sides["left", 2].params[0]
    robust = np.hypot(sides["right", 2].bse[0], sides["left", 2].bse[0])
    assert result.effect == pytest.approx(effect, abs=1e-10)
    assert result.se == pytest.approx(se, rel=1e-8)
    assert result.ci_low == pytest.approx(corrected - 1.959963984540054 * robust, rel=1e-8)
    assert result.diagnostics["bandwidth"] == h


def test_rd_chooses_a_bandwidth_and_plots_bins() -> None:
    data = discontinuity(10, n=4000)
    result = rd_local_linear(data["y"], data["x"], 0.0)
    assert 0.05 < result.diagnostics["bandwidth"] < 1.0
    assert result.diagnostics["binned"]["points"]
    assert result.n["effective_left"] + result.n["effective_right"] < 4000


def test_the_density_test_sees_scores_pushed_over_the_cut_off() -> None:
    assert density_test(discontinuity(11, n=5000, manipulated=True)["x"], 0.0)["p"] < 0.001
    assert density_test(discontinuity(11, n=5000)["x"], 0.0)["p"] > 0.01


def test_the_propensity_score_equals_statsmodels_logit() -> None:
    data = selection(12)
    _, beta = propensity_score(data["d"], data["x"])
    reference = sm.Logit(data["d"], sm.add_constant(data["x"])).fit(disp=0)
    np.testing.assert_allclose(beta, reference.params, atol=1e-7)


def test_ipw_att_equals_the_weighted_difference_of_means() -> None:
    data = selection(13)
    result = ipw_att(data["y"], data["d"], data["x"], trim=False)
    p = sm.Logit(data["d"], sm.add_constant(data["x"])).fit(disp=0).predict()
    w = p / (1 - p)
    t, c = data["d"] == 1, data["d"] == 0
    expected = data["y"][t].mean() - (w[c] * data["y"][c]).sum() / w[c].sum()
    assert result.effect == pytest.approx(expected, abs=1e-7)


def test_matching_balances_the_covariates_and_reports_it() -> None:
    data = selection(14)
    result = nearest_neighbour_att(data["y"], data["d"], data["x"], names=["income", "size"])
    table = result.diagnostics["balance"]
    assert [row["covariate"] for row in table] == ["income", "size"]
    assert abs(table[0]["smd_before"]) > 0.3
    assert all(abs(row["smd_after"]) < 0.1 for row in table)


def test_before_after_is_labelled_not_causal() -> None:
    rng = np.random.default_rng(15)
    result = before_after(rng.normal(size=40), rng.normal(size=40) + 1, np.r_[np.ones(20), np.zeros(20)])
    assert result.causal is False
    assert result.as_dict()["causal"] is False
    assert "not a causal" in result.warnings[0]


def test_bad_input_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        twfe([1.0, 2.0], [1, 1], [1, 2], [0, 2])
    with pytest.raises(ValueError, match="twice"):
        twfe([1.0, 2.0], [1, 1], [1, 1], [0, 1])
    with pytest.raises(ValueError, match="never varies"):
        twfe([1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2], [1, 2, 1, 2], [0, 0, 0, 0])


def _coverage(estimate, seeds: range) -> float:  # type: ignore[no-untyped-def]
    hits = [estimate(seed) for seed in seeds]
    return float(np.mean(hits))


# Coverage of the 95 % intervals over many seeds (measured 2026-12-01, 400 seeds each; see
# docs/evaluation.md). The bounds allow for the binomial noise of 400 draws (±2.2 points is one SE×2).
COVERAGE_SEEDS = range(1000, 1400)


def test_twfe_intervals_cover_the_true_effect_about_95_percent_of_the_time() -> None:
    def covered(seed: int) -> bool:
        d = panel(seed, units=80, periods=4, cohorts=(2,))
        r = twfe(d["y"], d["unit"], d["time"], d["treat"])
        return bool(r.ci_low <= d["true_att"] <= r.ci_high)

    assert 0.92 <= _coverage(covered, COVERAGE_SEEDS) <= 0.98


def test_callaway_santanna_intervals_cover_a_heterogeneous_effect() -> None:
    def covered(seed: int) -> bool:
        d = panel(seed, units=120, periods=5, cohorts=(2, 3), effect=0.5, dynamic=0.5)
        r = callaway_santanna(d["y"], d["unit"], d["time"], d["treat"])
        return bool(r.ci_low <= d["true_att"] <= r.ci_high)

    assert 0.92 <= _coverage(covered, COVERAGE_SEEDS) <= 0.98


def test_rd_robust_intervals_cover_the_jump() -> None:
    def covered(seed: int) -> bool:
        d = discontinuity(seed, n=1500)
        r = rd_local_linear(d["y"], d["x"], 0.0)
        return bool(r.ci_low <= 0.5 <= r.ci_high)

    assert 0.91 <= _coverage(covered, COVERAGE_SEEDS) <= 0.99


@pytest.mark.parametrize("estimator", [ipw_att, nearest_neighbour_att])
def test_matching_and_weighting_intervals_cover_the_effect(estimator) -> None:  # type: ignore[no-untyped-def]
    def covered(seed: int) -> bool:
        d = selection(seed, n=800)
        r = estimator(d["y"], d["d"], d["x"])
        return bool(r.ci_low <= 1.0 <= r.ci_high)

    assert 0.92 <= _coverage(covered, COVERAGE_SEEDS) <= 0.99


def test_the_written_out_normal_quantile_and_tail_equal_scipy() -> None:
    """The estimators avoid importing scipy.stats at start-up: the constants they write out are scipy's."""
    import math

    from scipy import stats

    from entas.evaluation.estimators.common import Z95

    assert pytest.approx(float(stats.norm.ppf(0.975)), abs=1e-15) == Z95
    for z in (0.0, 0.5, 1.96, 3.3, -2.4):
        assert math.erfc(abs(z) / math.sqrt(2)) == pytest.approx(float(2 * stats.norm.sf(abs(z))), rel=1e-12)


def test_the_raw_trends_are_the_group_means_by_period() -> None:
    from django.utils import translation

    from entas.evaluation.runs import raw_trends

    unit = np.array(["a", "a", "b", "b", "c", "c", "d", "d"])
    time = np.array([1.0, 2.0] * 4)
    treat = np.array([0, 1, 0, 1, 0, 0, 0, 0])  # a and b adopt in period 2; c and d never
    outcome = np.array([1.0, 5.0, 3.0, 9.0, 2.0, 3.0, 4.0, 5.0])
    with translation.override("en"):
        trends = raw_trends(outcome, unit, time, treat)
    means = {(r["group"], r["period"]): (r["mean"], r["n"]) for r in trends["rows"]}
    assert means == {
        ("never treated", 1.0): (3.0, 2),
        ("never treated", 2.0): (4.0, 2),
        ("adopted in 2", 1.0): (2.0, 2),
        ("adopted in 2", 2.0): (7.0, 2),
    }
    assert trends["adoption"] == [2.0]
