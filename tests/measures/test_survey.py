from __future__ import annotations

import math

import numpy as np
import pytest

from entas.measures import fgt, gini
from entas.measures import survey as s


def sample(n: int = 4000, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    strata = rng.integers(0, 4, n)
    psu = rng.integers(0, 40, n)
    y = np.exp(rng.normal(14 + 0.1 * strata, 0.6, n))
    w = rng.uniform(50, 150, n)
    return y, w, strata, psu


def test_srs_headcount_se_is_the_survey_formula() -> None:  # property F1
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    est = s.fgt(y, 4.5, 0, s.Design(np.ones(10)))
    p0 = 0.4
    assert est.value == pytest.approx(p0)
    assert est.se == pytest.approx(math.sqrt(p0 * (1 - p0) / 9), rel=1e-12)
    assert est.ci_low == pytest.approx(p0 - 1.959963984540054 * est.se)


def test_point_estimates_equal_the_plain_measures() -> None:
    y, w, strata, psu = sample()
    design = s.Design(w, strata=strata, psu=psu)
    z = float(np.quantile(y, 0.1))
    assert s.fgt(y, z, 1, design).value == pytest.approx(fgt(y, z, 1, weights=w))
    assert s.gini(y, design).value == pytest.approx(gini(y, weights=w))


@pytest.mark.parametrize("estimator", ["fgt0", "fgt2", "gini", "arpr"])
def test_linearised_se_agrees_with_the_bootstrap(estimator: str) -> None:
    y, w, strata, psu = sample()
    design = s.Design(w, strata=strata, psu=psu)
    z = float(np.quantile(y, 0.15))
    call = {
        "fgt0": lambda **k: s.fgt(y, z, 0, design, **k),
        "fgt2": lambda **k: s.fgt(y, z, 2, design, **k),
        "gini": lambda **k: s.gini(y, design, **k),
        "arpr": lambda **k: s.arpr(y, design, **k),
    }[estimator]
    linear = call()
    boot = call(method="bootstrap", reps=400, seed=1)
    assert linear.value == pytest.approx(boot.value)
    assert linear.se == pytest.approx(boot.se, rel=0.2), (linear.se, boot.se)


def test_clustering_is_taken_into_account() -> None:
    rng = np.random.default_rng(5)
    psu = np.repeat(np.arange(50), 20)
    cluster_effect = rng.normal(0, 0.5, 50)[psu]
    y = np.exp(14 + cluster_effect + rng.normal(0, 0.3, psu.size))
    z = float(np.median(y))
    naive = s.fgt(y, z, 0, s.Design(np.ones(y.size)))
    clustered = s.fgt(y, z, 0, s.Design(np.ones(y.size), psu=psu))
    assert clustered.se > 2 * naive.se


def test_domain_estimates_keep_the_whole_design() -> None:
    y, w, strata, psu = sample()
    design = s.Design(w, strata=strata, psu=psu)
    z = float(np.quantile(y, 0.2))
    by = s.by(s.fgt, strata, y, z, 0, design=design)
    assert set(by) == {0, 1, 2, 3}
    for g, est in by.items():
        assert est.value == pytest.approx(fgt(y[strata == g], z, 0, weights=w[strata == g]))
        assert est.se > 0


def test_m0_with_standard_error() -> None:
    rng = np.random.default_rng(2)
    deprivations = (rng.random((500, 4)) < 0.3).astype(float)
    est = s.mpi_m0(deprivations, [0.25] * 4, 0.5, s.Design(np.ones(500)))
    assert 0 < est.value < 1 and est.se > 0


def test_bad_designs_are_refused() -> None:
    with pytest.raises(ValueError, match="weights"):
        s.Design([1.0, -1.0])
    with pytest.raises(ValueError, match="strata has 1 values for 2"):
        s.Design([1.0, 1.0], strata=[1])
    with pytest.raises(ValueError, match="y has 3 values but the design has 2"):
        s.fgt([1, 2, 3], 2, 0, s.Design([1.0, 1.0]))
    with pytest.raises(ValueError, match="method"):
        s.fgt([1, 2], 2, 0, s.Design([1.0, 1.0]), method="jackknife")
