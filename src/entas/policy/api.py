"""The policy register over the API: the same selectors, services, roles and maker-checker as the
pages and the command line. The register is read by role (policy.view) and changed by its editors
(policy.edit); a household's benefit timeline is read like the household (its area)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StrictBool

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.registry import selectors as registry
from entas.registry.models import Household

from . import selectors, services
from .models import Adjustment, Plan, ProgrammeRecord

router = Router(tags=["policy"], auth=RoleAuth((Capability.VIEW_POLICY,), (Capability.EDIT_POLICY,)))
benefits_router = Router(tags=["policy"], auth=RoleAuth((Capability.VIEW_REGISTRY,)))


class AdjustmentIn(Schema):
    field: str
    value: str
    reason: str
    evidence: list[str] = []
    effective_on: dt.date | None = None
    activity: str | None = None  # a kode rekening: pagu.YYYY, output, unit, volume_target or location


class AdjustmentDecisionIn(Schema):
    approve: StrictBool
    note: str = ""


class AdjustmentOut(Schema):
    id: int
    programme: str
    activity: str
    field: str
    before: Any
    after: Any
    reason: str
    evidence: list[str]
    effective_on: dt.date
    state: str
    proposed_by: str
    decided_by: str


class BenefitOut(Schema):
    day: dt.date
    programme: str
    kind: str
    what: str
    quantity: int
    unit: str
    amount: int
    person: str
    person_id: int | None


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _adjustment_out(a: Adjustment) -> AdjustmentOut:
    return AdjustmentOut(
        id=a.pk,
        programme=a.record.programme.name,
        activity=a.activity.code if a.activity else "",
        field=a.field,
        before=a.before,
        after=a.after,
        reason=a.reason,
        evidence=list(a.evidence),
        effective_on=a.effective_on,
        state=a.state,
        proposed_by=a.proposed_by.username,
        decided_by=a.decided_by.username if a.decided_by else "",
    )


def _register(user: User, plan: int | None, as_of: dt.date | None) -> selectors.Register:
    try:
        chosen = selectors.plan_for(user, plan) if plan else selectors.current_plan(user)
    except Plan.DoesNotExist:
        chosen = None
    if chosen is None:
        raise HttpError(404, "not found")
    return selectors.register(user, chosen, as_of)


@router.get("/register", response=dict[str, Any], url_name="policy_register")
def get_register(request: HttpRequest, plan: int | None = None, as_of: dt.date | None = None) -> dict[str, Any]:
    """The plan's tree (strategies → programmes → activities) with budget, realisation and funding
    rolled up in whole rupiah, as it stood on ``as_of`` (today by default); the adopted RPKD by default."""
    return selectors.register_json(_register(_user(request), plan, as_of))


@router.get("/programmes/{record_id}", response=dict[str, Any], url_name="policy_programme")
def get_programme(request: HttpRequest, record_id: int, as_of: dt.date | None = None) -> dict[str, Any]:
    """One registered programme as in the register's tree, with its adjustments."""
    user = _user(request)
    try:
        record = selectors.record_for(user, record_id)
    except ProgrammeRecord.DoesNotExist:
        raise HttpError(404, "not found") from None
    tree = selectors.register_json(selectors.register(user, record.strategy.plan, as_of))
    found = next(p for s in tree["strategies"] for p in s["programmes"] if p["id"] == record.pk)
    found["adjustments"] = [_adjustment_out(a).dict() for a in selectors.adjustments_for(user, record)]
    return found


@router.post("/programmes/{record_id}/adjustments", response={201: AdjustmentOut}, url_name="policy_propose")
def propose(request: HttpRequest, record_id: int, payload: AdjustmentIn) -> Status[AdjustmentOut]:
    """Propose an adjustment; it changes nothing until another editor approves it."""
    user = _user(request)
    try:
        record = selectors.record_for(user, record_id)
    except ProgrammeRecord.DoesNotExist:
        raise HttpError(404, "not found") from None
    activity = record.activities.filter(code=payload.activity).first() if payload.activity else None
    if payload.activity and activity is None:
        raise HttpError(404, "not found")
    adjustment = services.propose_adjustment(
        activity=activity,
        record=record,
        field=payload.field,
        value=payload.value,
        reason=payload.reason,
        evidence=payload.evidence,
        effective_on=payload.effective_on,
        actor=user,
    )
    return Status(201, _adjustment_out(selectors.adjustment_for(user, adjustment.pk)))


@router.post("/adjustments/{adjustment_id}/decision", response=AdjustmentOut, url_name="policy_decide")
def decide(request: HttpRequest, adjustment_id: int, payload: AdjustmentDecisionIn) -> AdjustmentOut:
    """Approve (the change is applied) or reject an adjustment; refused (403) for its proposer."""
    user = _user(request)
    try:
        adjustment = selectors.adjustment_for(user, adjustment_id)
    except Adjustment.DoesNotExist:
        raise HttpError(404, "not found") from None
    decided = services.decide_adjustment(adjustment=adjustment, approve=payload.approve, actor=user, note=payload.note)
    return _adjustment_out(selectors.adjustment_for(user, decided.pk))


@benefits_router.get("/{household_id}/benefits", response=list[BenefitOut])
def household_benefits(request: HttpRequest, household_id: int, member: int | None = None) -> list[BenefitOut]:
    """What a household (or one of its members) received, newest first, across every programme kind:
    cash payments paid and the benefits the other kinds recorded. 404 outside the caller's areas."""
    user = _user(request)
    try:
        household = registry.household_for(user, household_id)
    except Household.DoesNotExist:
        raise Http404 from None
    person = None
    if member is not None:
        person = household.members.filter(pk=member).first()
        if person is None:
            raise Http404
    return [BenefitOut(**e.__dict__) for e in selectors.benefit_timeline(household, person)]


class RealisationRowIn(Schema):
    activity_code: str = Field(..., max_length=40, description="The activity's code in the register.")
    month: str = Field(..., max_length=10, description="The month, written 2026-03.")
    realised: int = Field(..., ge=0, le=10**15, description="Rupiah spent in the month.")
    physical: int | None = Field(None, ge=0, le=100, description="Physical progress, whole percent.")


class RealisationIn(Schema):
    rows: list[RealisationRowIn] = Field(..., min_length=1, max_length=1000)


class RealisationOut(Schema):
    inserted: int
    updated: int
    unchanged: int


@router.post(
    "/realisation",
    response=RealisationOut,
    url_name="policy_realisation",
    auth=RoleAuth((Capability.EDIT_POLICY, Capability.REALISE_POLICY)),
)
def enter_realisation(request: HttpRequest, payload: RealisationIn) -> dict[str, int]:
    """Enter budget realisation, row by row: the same rules as the realisation file (an OPD officer for
    their own OPD's activities; not an activity realised from payments; within the programme's period);
    every row or none (400 lists each refused row as ``rows.N``). Audited per changed month."""
    return services.enter_realisation(
        actor=_user(request),
        entries=[(r.activity_code, r.month, r.realised, r.physical) for r in payload.rows],
    )
