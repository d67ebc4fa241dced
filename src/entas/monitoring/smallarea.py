"""Kelurahan poverty by small-area estimation: the survey's direct estimates combined with registry
covariates in the Fay–Herriot model (entas.measures.sae), benchmarked to the city's direct estimate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from entas.core.errors import Refused
from entas.measures import sae
from entas.measures import survey as s
from entas.regions.models import Region, RegionLevel

from .models import SurveyHousehold
from .selectors import latest_survey, poverty_line

COVARIATES = (
    ("share_desil_1_3", "share of households in DTSEN desil 1–3"),
    ("mean_size", "mean household size"),
    ("share_pbi", "share of people with PBI health insurance"),
)


@dataclass
class SaeResult:
    year: int
    city_direct: float
    city_se: float
    fit: sae.FayHerriot
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "city_direct": self.city_direct,
            "city_se": self.city_se,
            "sigma2_u": self.fit.sigma2_u,
            "beta": self.fit.beta.tolist(),
            "iterations": self.fit.iterations,
            "covariates": [c for c, _d in COVARIATES],
            "kelurahan": self.rows,
        }


def registry_covariates(kelurahan_ids: list[int]) -> np.ndarray:
    """Kelurahan covariates aggregated from the registry (rows in the order of ``kelurahan_ids``)."""
    from entas.registry.models import Household
    from entas.targeting.data import RuleData

    names = {"dtsen_desil", "pbi"}
    data = RuleData(Household.objects.filter(kelurahan_id__in=kelurahan_ids), model_id=None, names=names)
    h, m = data.arrays(names)
    codes = dict(Region.objects.filter(pk__in=kelurahan_ids).values_list("code", "pk"))
    kel = np.array([codes.get(c, -1) if c else -1 for c in h["kelurahan"]])
    out = np.zeros((len(kelurahan_ids), len(COVARIATES)))
    member_kel = kel[m["household"]]
    for row, pk in enumerate(kelurahan_ids):
        mask = kel == pk
        n = mask.sum()
        if not n:
            continue
        desil = np.asarray(h["dtsen_desil"], dtype=float)[mask]
        out[row, 0] = np.nanmean(desil <= 3) if desil.size else 0.0
        out[row, 1] = float(np.asarray(h["size"])[mask].mean())
        members = member_kel == pk
        out[row, 2] = float(m["pbi"][members].mean()) if members.any() else 0.0
    return out


def fit_p0(year: int | None = None, *, method: str = "REML") -> SaeResult:
    """Fay–Herriot P0 (percent) per kelurahan for a survey year: direct estimate and SE, EBLUP,
    RMSE, CV, gamma, the estimate benchmarked to the city's direct P0, and the unreliable flag."""
    survey = latest_survey(year)
    if survey is None:
        raise Refused(_("No survey round is loaded for that year."), code="not_found")
    line = poverty_line("national", survey.year)
    if line is None:
        raise Refused(_("No national poverty line is loaded for %(y)d.") % {"y": survey.year}, code="not_found")
    rows = list(
        SurveyHousehold.objects.filter(survey=survey).values_list(
            "consumption_per_capita", "household_size", "weight", "stratum", "psu", "kelurahan_id"
        )
    )
    cols = list(zip(*rows, strict=True))
    y = np.asarray(cols[0], dtype=float)
    people = np.asarray(cols[2], dtype=float) * np.asarray(cols[1], dtype=float)
    design = s.Design(people, strata=np.asarray(cols[3]), psu=np.asarray(cols[4]))
    kel = np.asarray(cols[5])
    z = float(line.rupiah_per_capita_month)
    city = s.fgt(y, z, 0, design)
    regions = list(Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("code"))
    direct, se, population = [], [], []
    for region in regions:
        mask = kel == region.pk
        if mask.sum() >= 2:
            est = s.fgt(y, z, 0, design, domain=mask)
            direct.append(est.value * 100)
            se.append(est.se * 100)
        else:
            direct.append(np.nan)
            se.append(np.nan)
        population.append(float(people[mask].sum()))
    direct_a, se_a = np.array(direct), np.array(se)
    x = registry_covariates([r.pk for r in regions])
    # Areas with no sampled poor household have SE 0: their variance is unknown, not zero. They are
    # left out of the fit and get the synthetic estimate, like unsampled areas.
    fitted = np.isfinite(direct_a) & (se_a > 0)
    if fitted.sum() <= x.shape[1] + 1:
        raise Refused(_("Too few kelurahan with a usable direct estimate to fit the model."), code="invalid")
    fit = sae.fay_herriot(direct_a[fitted], se_a[fitted] ** 2, x[fitted], method=method)
    full_x = np.column_stack([np.ones(len(regions)), x])
    estimate = full_x @ fit.beta
    mse = np.full(len(regions), np.nan)
    gamma = np.zeros(len(regions))
    estimate[fitted] = fit.eblup
    mse[fitted] = fit.mse
    gamma[fitted] = fit.gamma
    # Out-of-sample areas: synthetic estimate, MSE σ²_u + x'(X'V⁻¹X)⁻¹x.
    v = fit.sigma2_u + fit.variance
    q = np.linalg.inv((full_x[fitted] / v[:, None]).T @ full_x[fitted])
    others = ~fitted
    mse[others] = fit.sigma2_u + np.einsum("ij,jk,ik->i", full_x[others], q, full_x[others])
    estimate = np.clip(estimate, 0, 100)
    weights = np.array(population)
    weights = weights if weights.sum() > 0 else np.ones(len(regions))
    benchmarked = sae.benchmark(np.maximum(estimate, 1e-9), weights, city.value * 100)
    cvs = sae.cv(estimate, mse)
    residual = np.full(len(regions), np.nan)
    residual[fitted] = fit.residuals
    out = []
    for i, region in enumerate(regions):
        out.append(
            {
                "code": region.code,
                "name": region.name,
                "direct": None if not np.isfinite(direct_a[i]) else round(float(direct_a[i]), 4),
                "direct_se": None if not np.isfinite(se_a[i]) else round(float(se_a[i]), 4),
                "in_model": bool(fitted[i]),
                "eblup": round(float(estimate[i]), 4),
                "rmse": round(float(np.sqrt(mse[i])), 4),
                "cv": None if not np.isfinite(cvs[i]) else round(float(cvs[i]), 4),
                "gamma": round(float(gamma[i]), 4),
                "benchmarked": round(float(benchmarked[i]), 4),
                "unreliable": bool(not np.isfinite(cvs[i]) or cvs[i] > sae.CV_UNRELIABLE),
                "residual": None if not fitted[i] else round(float(residual[i]), 4),
            }
        )
    return SaeResult(survey.year, city.value * 100, city.se * 100, fit, out)
