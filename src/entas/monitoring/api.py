"""Monitoring over the API: indicators, their computed values (facts) and the results framework —
the same selectors and roles as the dashboard. Starting a refresh goes through the job queue."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import Count
from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from pydantic import StrictBool

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core import jobqueue, uploads
from entas.core.errors import Refused, from_form

from . import selectors, smallarea
from .forms import SurveyForm
from .jobs import REFRESH_KIND, SURVEY_DIR, SURVEY_KIND
from .models import SurveyRound

router = Router(tags=["monitoring"], auth=RoleAuth((Capability.VIEW_SUMMARY,), (Capability.RUN_JOBS,)))


class IndicatorOut(Schema):
    code: str
    name: str
    definition: str
    sdg: str
    kind: str
    unit: str
    numerator: str
    denominator: str
    measure: str
    source: str
    factor: int
    disaggregations: list[str]
    period_type: str
    direction: str
    version: int


class ValueOut(Schema):
    area: str
    name: str
    period: str
    dimension: str
    category: str
    numerator: float | None
    denominator: float | None
    value: float | None
    se: float | None
    version: int
    confirmed: bool


class TargetOut(Schema):
    year: int
    value: float


class ResultIndicatorOut(Schema):
    indicator: str
    baseline: float | None
    baseline_year: int | None
    targets: list[TargetOut]


class ResultOut(Schema):
    code: str
    level: str
    statement: str
    assumptions: str
    parent: str | None
    plan: str | None
    programme: str | None
    indicators: list[ResultIndicatorOut]


class RefreshIn(Schema):
    full: StrictBool = False


class RefreshJobOut(Schema):
    job: int
    kind: str


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # RoleAuth let only signed-in users through
    return user


@router.get("/indicators", response=list[IndicatorOut], url_name="monitoring_indicators")
def list_indicators(request: HttpRequest) -> Any:
    return list(selectors.indicators())


@router.get("/indicators/{code}/values", response=list[ValueOut], url_name="monitoring_indicator_values")
def indicator_values(request: HttpRequest, code: str, area: str = "", period: str = "", by: str = "") -> Any:
    """Values of an indicator for an area (default the city); ``by=area`` gives the areas below it,
    ``by=sex|age_band|desil|disability`` a disaggregation."""
    from .models import Fact

    indicator = selectors.indicator(code)
    region = selectors.area_for(_user(request), area or None)
    qs = Fact.objects.filter(indicator=indicator).select_related("area")
    qs = qs.filter(area__parent=region, dimension="") if by == "area" else qs.filter(area=region, dimension=by)
    if period:
        qs = qs.filter(period=period)
    return [
        {
            "area": f.area.code,
            "name": f.area.name,
            "period": f.period,
            "dimension": f.dimension,
            "category": f.category,
            "numerator": f.numerator,
            "denominator": f.denominator,
            "value": f.value,
            "se": f.se,
            "version": f.version,
            "confirmed": f.confirmed,
        }
        for f in qs.order_by("period", "area__code", "category")
    ]


@router.get("/framework", response=list[ResultOut], url_name="monitoring_framework")
def framework(request: HttpRequest, plan: str = "") -> Any:
    return [
        {
            "code": r.code,
            "level": r.level,
            "statement": r.statement,
            "assumptions": r.assumptions,
            "parent": r.parent.code if r.parent else None,
            "plan": r.plan.code if r.plan else None,
            "programme": r.programme.code if r.programme else None,
            "indicators": [
                {
                    "indicator": ri.indicator.code,
                    "baseline": ri.baseline,
                    "baseline_year": ri.baseline_year,
                    "targets": [{"year": t.year, "value": t.value} for t in ri.targets.all()],
                }
                for ri in r.indicators.all()
            ],
        }
        for r in selectors.framework(plan or None)
    ]


@router.post("/refresh", response={202: RefreshJobOut}, url_name="monitoring_refresh")
def refresh(request: HttpRequest, body: RefreshIn) -> Any:
    """Queue a refresh of the facts (incremental unless ``full``); the job page shows its progress."""
    job = jobqueue.submit(kind=REFRESH_KIND, params={"full": body.full}, actor=_user(request))
    return Status(202, {"job": job.pk, "kind": REFRESH_KIND})


# -- survey rounds, the poverty profile and small-area estimates ----------------------------------------
# The reference-data and small-area pages: analytics to read, background jobs to load.
ANALYTICS = RoleAuth((Capability.VIEW_ANALYTICS,), (Capability.RUN_JOBS,))


class SurveyOut(Schema):
    id: int
    name: str
    year: int
    households: int
    imported_at: dt.datetime
    source_file: str


@router.get("/surveys", response=list[SurveyOut], auth=ANALYTICS, url_name="monitoring_surveys")
def list_surveys(request: HttpRequest) -> Any:
    """The survey rounds loaded, newest first, with their sampled households (a handful: not paginated)."""
    rounds = SurveyRound.objects.annotate(n=Count("households")).order_by("-year", "-imported_at")
    return [
        {
            "id": r.pk,
            "name": r.name,
            "year": r.year,
            "households": r.n,
            "imported_at": r.imported_at,
            "source_file": r.source_file,
        }
        for r in rounds
    ]


class SurveyIn(Schema):
    name: str = Field("Susenas", max_length=120, description="The round's name (Susenas when absent or empty).")
    year: int = Field(..., ge=2000, le=2100)


class SurveyJobOut(Schema):
    job: int
    kind: str


@router.post("/surveys", response={202: SurveyJobOut}, auth=ANALYTICS, url_name="monitoring_survey_import")
def import_survey(request: HttpRequest, file: File[UploadedFile], body: Form[SurveyIn]) -> Status[SurveyJobOut]:
    """Upload a survey round (CSV, multipart ``file``: one row per sampled household, columns
    kk_number, kelurahan_code, stratum, psu, weight, household_size, consumption_per_capita) and load
    it as a background job with the reference-data page's checks and service: whole or not at all,
    every bad line listed in the job's error (``GET /v1/jobs/{job}``)."""
    user = _user(request)
    if not user.can(Capability.VIEW_ANALYTICS):  # the page's role: analytics, and jobs to load
        raise Refused(_("Your role does not allow this."), code="forbidden")
    name = body.name.strip() or "Susenas"
    form = SurveyForm({"name": name, "year": body.year}, MultiValueDict({"file": [file]}))
    if not form.is_valid():
        raise from_form(form)
    upload = form.cleaned_data["file"]
    stored = uploads.store_upload(upload, owner=str(user.pk), folder=SURVEY_DIR)
    try:
        job = jobqueue.submit(
            kind=SURVEY_KIND,
            params={"file": stored, "name": upload.name, "survey_name": name, "year": body.year},
            actor=user,
        )
    except Refused:
        uploads.media_path(stored).unlink(missing_ok=True)
        raise
    return Status(202, SurveyJobOut(job=job.pk, kind=job.kind))


class ProfileRowOut(Schema):
    code: str
    name: str
    households: int = Field(..., description="Sampled households (the registry's, for source=registry).")
    people: float
    p0: float = Field(..., description="Headcount (%).")
    p0_se: float
    p0_low: float
    p0_high: float
    p1: float = Field(..., description="Poverty gap (%).")
    p2: float = Field(..., description="Poverty severity (%).")
    poor: float
    gini: float | None
    gini_se: float | None
    extreme: float | None = Field(..., description="Extreme poverty headcount (%), with an extreme line loaded.")
    no_poor_sampled: bool


class ProfileOut(Schema):
    source: str
    by: str
    survey_id: int | None
    survey: str | None
    year: int | None
    line: float = Field(..., description="The poverty line used (Rp per capita per month).")
    extreme_line: float | None
    model_version: int | None = Field(..., description="The PMT model of a registry profile.")
    total: ProfileRowOut
    areas: list[ProfileRowOut]


@router.get("/poverty-profile", response=ProfileOut, url_name="monitoring_poverty_profile")
def poverty_profile(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2100, description="The survey year (default: the latest round)."),
    by: Literal["kecamatan", "kelurahan"] | None = Query(None, description="Default: the caller's level."),
    line: float | None = Query(None, gt=0, description="Rp per capita per month (default: the national line)."),
    source: Literal["survey", "registry"] = "survey",
) -> dict[str, Any]:
    """Profil Kemiskinan of the caller's areas (P0, P1, P2, the number of poor, Gini and extreme
    poverty, with standard errors and intervals) by kecamatan or kelurahan: the poverty profile
    page's reads. ``source=registry``: from the PMT's predicted consumption (model-based, not official)."""
    user = _user(request)
    level = by or selectors.default_level(user)
    survey = selectors.latest_survey(year)
    if survey is None and source == "survey":
        raise Refused(_("No survey round is loaded for that year."), code="not_found")
    national = selectors.poverty_line("national", survey.year if survey else year)
    if line is None and national is not None:
        line = float(national.rupiah_per_capita_month)
    if line is None:
        raise Refused(_("No national poverty line is loaded: give the line."), code="not_found")
    extreme = selectors.poverty_line("extreme", survey.year if survey else year)
    extreme_line = float(extreme.rupiah_per_capita_month) if extreme else None
    model = None
    if source == "registry":
        total, areas, model = selectors.registry_profile_for(user, line=line, by=level, extreme_line=extreme_line)
    else:
        assert survey is not None
        total, areas = selectors.profile_for(user, survey=survey, line=line, by=level, extreme_line=extreme_line)
    sampled = source == "survey"
    return {
        "source": source,
        "by": level,
        "survey_id": survey.pk if survey and sampled else None,
        "survey": str(survey) if survey and sampled else None,
        "year": survey.year if survey else year,
        "line": line,
        "extreme_line": extreme_line,
        "model_version": getattr(model, "version", None),
        "total": selectors.profile_row(total, sampled=sampled),
        "areas": [selectors.profile_row(a, sampled=sampled) for a in areas],
    }


class SaeRowOut(Schema):
    code: str
    name: str
    direct: float | None = Field(
        ..., description="The survey's direct P0 (%), where at least two households are sampled."
    )
    direct_se: float | None
    in_model: bool = Field(..., description="False: a synthetic estimate (unsampled, or no sampled poor household).")
    eblup: float = Field(..., description="The Fay–Herriot estimate of P0 (%).")
    rmse: float
    cv: float | None
    gamma: float = Field(..., description="The shrinkage factor.")
    benchmarked: float = Field(..., description="The EBLUP benchmarked to the city's direct P0.")
    unreliable: bool = Field(..., description="CV above 25 % (BPS practice).")
    residual: float | None


class SaeOut(Schema):
    year: int
    city_direct: float
    city_se: float
    sigma2_u: float
    beta: list[float]
    iterations: int
    covariates: list[str]
    kelurahan: list[SaeRowOut]


@router.get("/small-area", response=SaeOut, auth=ANALYTICS, url_name="monitoring_small_area")
def small_area(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2100, description="The survey year (default: the latest round)."),
) -> dict[str, Any]:
    """Kelurahan P0 by the Fay–Herriot model next to the direct survey estimate, with its diagnostics:
    the small-area page's fit (city-wide aggregates), computed on the latest round of the year."""
    _user(request)
    return smallarea.fit_p0(year).as_dict()
