"""The Fay–Herriot estimator against the R package sae's worked example (no database).

Source of the numbers: the ``milk`` data (Arora and Lahiri 1997, fresh-milk expenditure in 43
small areas of the U.S. Consumer Expenditure Survey, with You and Chapman's 2006 four major areas)
as shipped with the R package sae, and its example in Molina and Marhuenda (2015), "sae: An R
Package for Small Area Estimation", The R Journal 7(1), 81–98, Example 1:
``eblupFH(yi ~ as.factor(MajorArea), SD^2, data = milk)`` and ``mseFH(...)``. The expected
EBLUPs, MSEs and coefficients below are R's output for that call (REML and ML), as recorded to
seven digits in the samplics project's test suite (tests/sae/test_eblup_area_model.py), which
checks itself against the same R call. The published σ²_u (REML) is 0.01855.
"""

from __future__ import annotations

import numpy as np
import pytest

from entas.measures import sae

# SmallArea 1..43: yi, SD, MajorArea
MILK = [
    (1.099, 0.163, 1), (1.075, 0.080, 1), (1.105, 0.083, 1), (0.628, 0.109, 1), (0.753, 0.119, 1),
    (0.981, 0.141, 1), (1.257, 0.202, 1), (1.095, 0.127, 2), (1.405, 0.168, 2), (1.356, 0.178, 2),
    (0.615, 0.100, 2), (1.460, 0.201, 2), (1.338, 0.148, 2), (0.854, 0.143, 2), (1.176, 0.149, 3),
    (1.111, 0.145, 3), (1.257, 0.135, 3), (1.430, 0.172, 3), (1.278, 0.137, 3), (1.292, 0.163, 3),
    (1.002, 0.125, 3), (1.183, 0.247, 3), (1.044, 0.140, 3), (1.267, 0.171, 3), (1.193, 0.106, 3),
    (0.791, 0.121, 4), (0.795, 0.121, 4), (0.759, 0.259, 4), (0.796, 0.106, 4), (0.565, 0.089, 4),
    (0.886, 0.225, 4), (0.952, 0.205, 4), (0.807, 0.119, 4), (0.582, 0.067, 4), (0.684, 0.106, 4),
    (0.787, 0.126, 4), (0.440, 0.092, 4), (0.759, 0.132, 4), (0.770, 0.100, 4), (0.800, 0.113, 4),
    (0.756, 0.083, 4), (0.865, 0.121, 4), (0.640, 0.129, 4),
]  # fmt: skip

REML_BETA = [0.9681890, 0.1327801, 0.2269462, -0.2413011]
REML_BETA_SE = [0.06936208, 0.10300072, 0.09232981, 0.08161707]
REML_EBLUP = [
    1.0219703, 1.0476018, 1.0679513, 0.7608170, 0.8461574, 0.9743727, 1.0584523, 1.0977762, 1.2215449,
    1.1951455, 0.7852155, 1.2139456, 1.2096593, 0.9834967, 1.1864247, 1.1556982, 1.2263411, 1.2856486,
    1.2363247, 1.2349600, 1.0903019, 1.1923057, 1.1216470, 1.2230296, 1.1938054, 0.7627195, 0.7649550,
    0.7338443, 0.7699294, 0.6134418, 0.7695558, 0.7958250, 0.7723187, 0.6102302, 0.7001782, 0.7592787,
    0.5298867, 0.7434466, 0.7548996, 0.7701918, 0.7481164, 0.8040773, 0.6810870,
]  # fmt: skip
REML_MSE = [
    0.013460220, 0.005372876, 0.005701990, 0.008541740, 0.009579594, 0.011670632, 0.015926137, 0.010586518,
    0.014184043, 0.014901472, 0.007694262, 0.016336469, 0.012562726, 0.012117378, 0.012031229, 0.011709147,
    0.010859780, 0.013690860, 0.011034674, 0.013079686, 0.009948636, 0.017243977, 0.011292325, 0.013625297,
    0.008065787, 0.009205133, 0.009205133, 0.016476912, 0.007800626, 0.006098668, 0.015441564, 0.014657866,
    0.009024699, 0.003870786, 0.007800626, 0.009646139, 0.006404335, 0.010155645, 0.007209937, 0.008470277,
    0.005484860, 0.009205133, 0.009903626,
]  # fmt: skip
ML_BETA = [0.9677986, 0.1278756, 0.2266909, -0.2425804]
ML_EBLUP_FIRST = [1.0161733, 1.0436968, 1.0628168, 0.7753489, 0.8554903]
ML_MSE = [
    0.013579953, 0.005512868, 0.005850584, 0.008735454, 0.009774528, 0.011840745, 0.015934511, 0.010821811,
    0.014345961, 0.015036089, 0.007911095, 0.016404523, 0.012771021, 0.012334611, 0.012192499, 0.011877067,
    0.011041285, 0.013805155, 0.011213853, 0.013213712, 0.010138289, 0.017193729, 0.011467631, 0.013741841,
    0.008251436, 0.009344874, 0.009344874, 0.016390149, 0.007941642, 0.006222263, 0.015404327, 0.014655741,
    0.009165440, 0.003946977, 0.007941642, 0.009782385, 0.006532467, 0.010285994, 0.007347143, 0.008612538,
    0.005597690, 0.009344874, 0.010037140,
]  # fmt: skip


def milk() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = np.array(MILK)
    major = data[:, 2].astype(int)
    dummies = np.column_stack([(major == k).astype(float) for k in (2, 3, 4)])
    return data[:, 0], data[:, 1] ** 2, dummies


def test_reml_matches_sae_eblupfh_on_the_milk_data() -> None:
    y, psi, x = milk()
    fit = sae.fay_herriot(y, psi, x)
    assert fit.converged
    assert fit.sigma2_u == pytest.approx(0.01855, abs=5e-5)
    np.testing.assert_allclose(fit.beta, REML_BETA, atol=1e-5)
    np.testing.assert_allclose(fit.beta_se, REML_BETA_SE, atol=1e-5)
    np.testing.assert_allclose(fit.eblup, REML_EBLUP, atol=1e-5)
    np.testing.assert_allclose(fit.mse, REML_MSE, atol=1e-6)
    np.testing.assert_allclose(fit.gamma, fit.sigma2_u / (fit.sigma2_u + psi))
    assert fit.iterations >= 2


def test_ml_matches_sae_with_the_bias_corrected_mse() -> None:
    y, psi, x = milk()
    fit = sae.fay_herriot(y, psi, x, method="ML")
    np.testing.assert_allclose(fit.beta, ML_BETA, atol=1e-5)
    np.testing.assert_allclose(fit.eblup[:5], ML_EBLUP_FIRST, atol=1e-5)
    np.testing.assert_allclose(fit.mse, ML_MSE, atol=1e-6)


def test_without_intercept_the_same_model_gives_the_same_fit() -> None:
    y, psi, x = milk()
    full = np.column_stack([np.ones(len(y)), x])
    a = sae.fay_herriot(y, psi, full, intercept=False)
    b = sae.fay_herriot(y, psi, x)
    np.testing.assert_allclose(a.eblup, b.eblup)
    np.testing.assert_allclose(a.mse, b.mse)


def test_reml_maximises_the_restricted_likelihood() -> None:
    """Independent check: the REML σ²_u maximises the restricted log-likelihood (a grid search)."""
    y, psi, x = milk()
    fit = sae.fay_herriot(y, psi, x, tolerance=1e-10)
    xx = np.column_stack([np.ones(len(y)), x])
    grid = np.linspace(0.001, 0.06, 2000)
    values = [sae._loglike(a, y, xx, psi, "REML") for a in grid]
    assert fit.sigma2_u == pytest.approx(grid[int(np.argmax(values))], abs=5e-5)


def test_a_zero_variance_estimate_is_the_synthetic_estimator() -> None:
    # Direct estimates exactly on a line: no between-area variation beyond the sampling error.
    x = np.arange(10, dtype=float).reshape(-1, 1)
    y = 0.1 + 0.02 * x[:, 0] + np.array([0.001, -0.001] * 5)
    psi = np.full(10, 0.01)
    fit = sae.fay_herriot(y, psi, x)
    assert fit.sigma2_u == 0.0
    assert fit.converged
    np.testing.assert_allclose(fit.gamma, 0.0)
    np.testing.assert_allclose(fit.eblup, fit.synthetic)
    assert np.all(fit.mse > 0)
    assert np.all(fit.mse < psi)  # borrowing strength beats the direct estimate


def test_shrinkage_follows_the_sampling_variance() -> None:
    y, psi, x = milk()
    fit = sae.fay_herriot(y, psi, x)
    order = np.argsort(psi)
    assert np.all(np.diff(fit.gamma[order]) <= 1e-12)  # noisier areas are shrunk more
    assert np.all(fit.mse < psi + 1e-12) or np.mean(fit.mse < psi) > 0.9


def test_benchmarking_reproduces_the_city_direct_estimate() -> None:
    y, psi, x = milk()
    fit = sae.fay_herriot(y, psi, x)
    weights = np.linspace(1, 3, len(y))
    city = 0.95
    adjusted = sae.benchmark(fit.eblup, weights, city)
    assert float((weights * adjusted).sum() / weights.sum()) == pytest.approx(city)
    np.testing.assert_allclose(adjusted / fit.eblup, adjusted[0] / fit.eblup[0])


def test_cv_flags_unreliable_areas() -> None:
    flags = sae.cv(np.array([0.1, 0.1, 0.0]), np.array([0.0004, 0.0009, 0.01])) > sae.CV_UNRELIABLE
    assert flags.tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("direct", "variance", "covariates", "message"),
    [
        ([0.1, 0.2, 0.3], [0.01, 0.01], [[1], [2], [3]], "variance has 2 values"),
        ([0.1, 0.2, 0.3], [0.01, 0.0, 0.01], [[1], [2], [3]], "variance must be positive"),
        ([0.1, float("nan"), 0.3], [0.01] * 3, [[1], [2], [3]], "missing"),
        ([0.1, 0.2, 0.3], [0.01] * 3, [[1], [2]], "2 rows for 3 areas"),
        ([0.1, 0.2, 0.3, 0.4], [0.01] * 4, [[1, 2], [2, 4], [3, 6], [4, 8]], "collinear"),
        ([0.1, 0.2], [0.01] * 2, [[1], [2]], "too few"),
    ],
)
def test_bad_input_is_refused_with_a_reason(direct: list, variance: list, covariates: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sae.fay_herriot(direct, variance, covariates)
