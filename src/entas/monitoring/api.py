"""Monitoring over the API: indicators, their computed values (facts) and the results framework —
the same selectors and roles as the dashboard. Starting a refresh goes through the job queue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import StrictBool

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core import jobqueue

from . import selectors
from .jobs import REFRESH_KIND

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
