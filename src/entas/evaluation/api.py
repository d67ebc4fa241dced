"""Impact evaluation and policy simulation over the API: the same selectors, services and roles as
the pages and the command line (city-wide aggregates only, no person)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User

from . import selectors, services
from .models import Evaluation, Scenario
from .simulation import Formula

router = Router(tags=["evaluation"], auth=RoleAuth(selectors.VIEW, (selectors.RUN,)))


class EvaluationOut(Schema):
    id: int
    title: str
    method: str
    source: str
    snapshot_date: str
    specification: dict[str, Any]
    result: dict[str, Any]
    reference: str


class ScenarioOut(Schema):
    id: int
    title: str
    programme: str | None
    specification: dict[str, Any]
    result: dict[str, Any]
    status_quo: dict[str, Any] | None
    adjustment: int | None
    reference: str


class SimulateIn(Schema):
    programme: int | None = None
    rule: str = ""
    base_amount: int | None = None
    per_child_in_school: int = 0
    per_elderly: int = 0
    per_disabled: int = 0
    cap: int | None = None
    budget: int | None = None
    target_kelurahan: list[str] = []
    survey_year: int | None = None
    save_as: str = ""


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _evaluation(e: Evaluation) -> EvaluationOut:
    return EvaluationOut(
        id=e.pk,
        title=e.title,
        method=e.method,
        source=e.source,
        snapshot_date=e.snapshot_date.isoformat(),
        specification=e.specification,
        result=e.result,
        reference=e.reference,
    )


def _scenario(s: Scenario) -> ScenarioOut:
    return ScenarioOut(
        id=s.pk,
        title=s.title,
        programme=s.programme.name if s.programme else None,
        specification=s.specification,
        result=s.result,
        status_quo=s.status_quo,
        adjustment=s.adjustment_id,
        reference=s.reference,
    )


@router.get("/evaluations", response=list[EvaluationOut])
def list_evaluations(request: HttpRequest) -> list[EvaluationOut]:
    """Saved evaluations, newest first, with their specification and result."""
    return [_evaluation(e) for e in selectors.evaluations_for(_user(request))[:200]]


@router.get("/evaluations/{evaluation_id}", response=EvaluationOut)
def get_evaluation(request: HttpRequest, evaluation_id: int) -> EvaluationOut:
    found = selectors.evaluations_for(_user(request)).filter(pk=evaluation_id).first()
    if found is None:
        raise HttpError(404, "not found")
    return _evaluation(found)


@router.get("/scenarios", response=list[ScenarioOut])
def list_scenarios(request: HttpRequest) -> list[ScenarioOut]:
    """Saved scenarios, newest first, with their figures and the status quo's."""
    return [_scenario(s) for s in selectors.scenarios_for(_user(request))[:200]]


@router.post("/simulate", response=dict[str, Any])
def simulate(request: HttpRequest, payload: SimulateIn) -> dict[str, Any]:
    """Simulate a scenario (as `entas simulate`); with ``save_as`` it is kept as a saved scenario."""
    from entas.programs.models import Programme

    user = _user(request)
    programme = None
    if payload.programme is not None:
        programme = Programme.objects.filter(pk=payload.programme).select_related("rule").first()
        if programme is None:
            raise HttpError(404, "not found")
    formula = None
    if payload.base_amount is not None:
        formula = Formula(
            base=payload.base_amount,
            per_child_in_school=payload.per_child_in_school,
            per_elderly=payload.per_elderly,
            per_disabled=payload.per_disabled,
            cap=payload.cap,
        )
    result = services.simulate(
        expression=payload.rule or None,
        formula=formula,
        programme=programme,
        budget=payload.budget,
        target_kelurahan=payload.target_kelurahan or None,
        survey_year=payload.survey_year,
    )
    if payload.save_as:
        scenario = services.save_scenario(
            actor=user,
            title=payload.save_as,
            result=result,
            specification={
                "rule": result["rule"],
                "formula": result["formula"],
                "budget": result["budget"],
                "target_kelurahan": result["target_kelurahan"],
                "survey_year": result["survey_year"],
                "programme": programme.name if programme else None,
            },
            programme=programme,
        )
        result["saved"] = scenario.pk
    return result
