"""The estimators against the published reference implementations on their own example data:
rdrobust's U.S. Senate example (RD) and the did package's ``mpdta`` minimum-wage panel (Callaway &
Sant'Anna). The data are test fixtures (tests/evaluation/data/, README there: source, licence,
citation); the reference numbers were computed once with the reference packages and are pinned here,
with the call that produced them, so these tests need neither rdrobust nor csdid.

The numbers were produced with rdrobust 2.1.1 and csdid 0.4.3 (PyPI), pandas 3.1.1, numpy 2.4.6.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from entas.evaluation.estimators import callaway_santanna, rd_local_linear
from entas.evaluation.estimators.rd import mse_bandwidth

DATA = Path(__file__).parent / "data"


def _columns(name: str, *columns: str) -> dict[str, np.ndarray]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if all(r[c] not in ("", "NA") for c in columns)]
    return {c: np.array([float(r[c]) for r in rows]) for c in columns}


@pytest.fixture(scope="module")
def senate() -> dict[str, np.ndarray]:
    """rdrobust_RDsenate.csv without the 93 elections whose vote share is missing (rdrobust drops them
    too): 1,297 elections, 595 left of the cut-off and 702 right."""
    return _columns("rdrobust_RDsenate.csv", "margin", "vote")


@pytest.fixture(scope="module")
def mpdta() -> dict[str, np.ndarray]:
    return _columns("mpdta.csv", "year", "countyreal", "lemp", "first.treat")


# --- Regression discontinuity: rdrobust 2.1.1 ----------------------------------------------------
# rdrobust(y=vote, x=margin)                 (defaults: p=1, q=2, triangular, bwselect="mserd", vce="nn")
RDROBUST_H = 17.75439819268752  # r.bws.iloc[0, 0]; printed "17.754"
RDROBUST_B = 28.028088587703014  # r.bws.iloc[1, 0]; printed "28.028"
RDROBUST_N_H = (360, 323)  # r.N_h: effective observations left and right
# rdrobust(y=vote, x=margin, h=RDROBUST_H, rho=1, vce="hc1")   (entas's choices: ρ = 1, HC1)
RDROBUST_HC1 = {
    "conventional": 7.4141307491104556,  # r.coef.iloc[0, 0]; also the default call's conventional estimate
    "conventional_se": 1.4592737008966479,  # r.se.iloc[0, 0]
    "bias_corrected": 8.321203929554542,  # r.coef.iloc[1, 0]
    "robust_se": 2.066433472017776,  # r.se.iloc[2, 0]
    "robust_ci": (4.271068747951644, 12.37133911115744),  # r.ci.iloc[2, :]
    "conventional_ci": (4.55400685176655, 10.274254646454361),  # r.ci.iloc[0, :]
}


def test_the_mse_optimal_bandwidth_equals_rdrobust_on_the_senate_data(senate: dict[str, np.ndarray]) -> None:
    chosen = mse_bandwidth(senate["vote"], senate["margin"], 0.0)
    # 2e-8 relative: rdrobust inverts the pilot quartic's ill-conditioned Gram matrix by Cholesky,
    # entas by pseudo-inverse
    assert chosen["h"] == pytest.approx(RDROBUST_H, rel=1e-7)
    assert chosen["b"] == pytest.approx(RDROBUST_B, rel=1e-7)
    result = rd_local_linear(senate["vote"], senate["margin"], 0.0)
    assert result.diagnostics["bandwidth_choice"]["rule"] == "mserd"
    assert (result.n["effective_left"], result.n["effective_right"]) == RDROBUST_N_H
    assert result.effect == pytest.approx(RDROBUST_HC1["conventional"], abs=1e-6)


def test_the_rd_estimate_and_robust_interval_equal_rdrobust_at_its_bandwidth(senate: dict[str, np.ndarray]) -> None:
    result = rd_local_linear(senate["vote"], senate["margin"], 0.0, bandwidth=RDROBUST_H)
    assert result.effect == pytest.approx(RDROBUST_HC1["conventional"], abs=1e-9)
    assert result.se == pytest.approx(RDROBUST_HC1["conventional_se"], rel=1e-9)
    assert result.diagnostics["bias_corrected"] == pytest.approx(RDROBUST_HC1["bias_corrected"], abs=1e-9)
    assert result.diagnostics["robust_se"] == pytest.approx(RDROBUST_HC1["robust_se"], rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx(RDROBUST_HC1["robust_ci"], abs=1e-8)
    assert result.diagnostics["conventional_ci"] == pytest.approx(RDROBUST_HC1["conventional_ci"], abs=1e-8)
    assert (result.n["effective_left"], result.n["effective_right"]) == RDROBUST_N_H


def test_the_bandwidth_on_running_variables_with_mass_points_equals_rdrobust() -> None:
    """A running variable on 21 values (scores rounded to 0.1): rdrobust's masspoints="adjust" then
    makes every pilot reach the 10th distinct value on each side (bwcheck=10). Reference:
    rdbwselect(y, x, c=0.2, bwselect="mserd") on the data below, rdrobust 2.1.1."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 800)
    y = 0.5 * (x >= 0.2) + x + 0.6 * x**2 + rng.normal(0, 0.3, 800)
    chosen = mse_bandwidth(y, np.round(x, 1), 0.2)
    assert chosen["h"] == pytest.approx(0.25323516966323695, rel=1e-7)
    assert chosen["b"] == pytest.approx(0.5227267941219504, rel=1e-7)
    # without mass points (reference: the same call on the unrounded x)
    assert mse_bandwidth(y, x, 0.2)["h"] == pytest.approx(0.19864164684482793, rel=1e-7)


# --- Callaway & Sant'Anna: csdid 0.4.3 -------------------------------------------------------------
# ATTgt(yname="lemp", gname="first.treat", idname="countyreal", tname="year", data=mpdta,
#       control_group="nevertreated").fit(est_method="reg", bstrap=False)
# (no covariates: "reg", "ipw" and "dr" coincide; base_period="varying"; analytical standard errors
# from the influence functions). The ATT(g,t) agree with the did package's vignette "Getting Started
# with the did Package" (R did 2.x, att_gt(yname="lemp", tname="year", idname="countyreal",
# gname="first.treat", xformla=~1, data=mpdta)), which prints ATT(2004,2004) = -0.0105.
CSDID_ATT_GT = {
    # (group, year): (ATT(g,t), analytical SE)   = results["att"], results["se"]
    (2004, 2004): (-0.010503246220962423, 0.023251036368166333),
    (2004, 2005): (-0.07042315810314674, 0.03098476675727665),
    (2004, 2006): (-0.13725873888940318, 0.0364356642876865),
    (2004, 2007): (-0.10081136308540414, 0.034359225834673233),
    (2006, 2004): (0.006520112424232977, 0.023326805141804702),
    (2006, 2005): (-0.0027508187505188107, 0.019558561035881657),
    (2006, 2006): (-0.004594606952863036, 0.017755196659276287),
    (2006, 2007): (-0.04122447154621746, 0.020229180704106835),
    (2007, 2004): (0.03050665558329277, 0.01503356028013004),
    (2007, 2005): (-0.002725892886116259, 0.01639583289553442),
    (2007, 2006): (-0.031087119389688875, 0.017877511313343517),
    (2007, 2007): (-0.02605441071919662, 0.016655435349252175),
}
# .aggte(typec="simple", bstrap=False): atte["overall_att"], atte["overall_se"]
CSDID_SIMPLE = (-0.03995127515517631, 0.01203401277018542)
# .aggte(typec="dynamic", bstrap=False): atte["egt"], atte["att_egt"], atte["se_egt"]
CSDID_DYNAMIC = {
    -3: (0.03050665558329277, 0.015033560280130042),
    -2: (-0.0005630846263854439, 0.013291644736549993),
    -1: (-0.024458744971169562, 0.01423640221051932),
    0: (-0.019931816789259302, 0.011826364058058179),
    1: (-0.050957367065193895, 0.016893476268677998),
    2: (-0.13725873888940318, 0.0364356642876865),
    3: (-0.10081136308540414, 0.034359225834673233),
}


def _callaway_santanna(mpdta: dict[str, np.ndarray]):  # type: ignore[no-untyped-def]
    first = mpdta["first.treat"]
    treated = ((first > 0) & (mpdta["year"] >= first)).astype(float)  # entas takes D_it, not the cohort
    return callaway_santanna(mpdta["lemp"], mpdta["countyreal"], mpdta["year"].astype(int), treated)


def test_group_time_effects_equal_csdid_on_mpdta(mpdta: dict[str, np.ndarray]) -> None:
    result = _callaway_santanna(mpdta)
    assert result.n["units"] == 500 and result.n["never_treated"] == 309 and result.n["cohorts"] == 3
    cells = {(c["cohort"], c["period"]): c for c in result.diagnostics["group_time"]}
    assert set(cells) == set(CSDID_ATT_GT)
    for key, (att, se) in CSDID_ATT_GT.items():
        assert cells[key]["att"] == pytest.approx(att, abs=1e-12), key
        assert cells[key]["se"] == pytest.approx(se, rel=1e-10), key
    assert cells[2004, 2004]["att"] == pytest.approx(-0.0105, abs=5e-5)  # as the vignette prints it


def test_the_aggregates_equal_csdid_on_mpdta(mpdta: dict[str, np.ndarray]) -> None:
    result = _callaway_santanna(mpdta)
    assert result.effect == pytest.approx(CSDID_SIMPLE[0], abs=1e-12)
    assert result.se == pytest.approx(CSDID_SIMPLE[1], rel=1e-10)
    dynamic = {d["relative_period"]: d for d in result.diagnostics["dynamic"]}
    assert set(dynamic) == set(CSDID_DYNAMIC)
    for e, (att, se) in CSDID_DYNAMIC.items():
        assert dynamic[e]["att"] == pytest.approx(att, abs=1e-12), e
        assert dynamic[e]["se"] == pytest.approx(se, rel=1e-10), e
