"""Cash programmes over the API: the same services, roles and maker-checker as the pages and the
command line. A refused step answers 400 with the reason (in the caller's language)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core.errors import Refused

from . import services
from .models import Cycle, Membership, Programme

router = Router(tags=["programmes"])
cycles_router = Router(tags=["programmes"])
VIEW = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_AUDIT)


class ProgrammeOut(Schema):
    id: int
    name: str
    agency: str
    funding: str
    channel: str
    start: str
    end: str
    budget_ceiling: int
    budget_remaining: int
    shock_event: str
    memberships: dict[str, int]


class CycleOut(Schema):
    id: int
    programme_id: int
    number: int
    period: str
    state: str
    control_count: int
    control_sum: int
    prepared_by: str
    approved_by: str


class PeriodIn(Schema):
    period: str


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not any(user.can(c) for c in VIEW):
        raise HttpError(403, "forbidden")
    return user


def _programme_out(p: Programme) -> ProgrammeOut:
    states = dict(Membership.objects.filter(programme=p).values_list("state").annotate(n=Count("id")).order_by())
    return ProgrammeOut(
        id=p.pk,
        name=p.name,
        agency=p.agency,
        funding=p.funding,
        channel=p.channel,
        start=p.start.isoformat(),
        end=p.end.isoformat(),
        budget_ceiling=p.budget_ceiling,
        budget_remaining=services.budget_remaining(p),
        shock_event=p.shock_event,
        memberships={s: int(states.get(s, 0)) for s in Membership.State.values},
    )


def _cycle_out(c: Cycle) -> CycleOut:
    return CycleOut(
        id=c.pk,
        programme_id=c.programme_id,
        number=c.number,
        period=c.period,
        state=c.state,
        control_count=c.control_count,
        control_sum=c.control_sum,
        prepared_by=c.prepared_by.username if c.prepared_by else "",
        approved_by=c.approved_by.username if c.approved_by else "",
    )


def _programme(pk: int) -> Programme:
    programme = Programme.objects.filter(pk=pk).first()
    if programme is None:
        raise HttpError(404, "not found")
    return programme


def _cycle(pk: int) -> Cycle:
    cycle = Cycle.objects.select_related("programme", "prepared_by", "approved_by").filter(pk=pk).first()
    if cycle is None:
        raise HttpError(404, "not found")
    return cycle


@router.get("", response=list[ProgrammeOut])
def list_programmes(request: HttpRequest) -> list[ProgrammeOut]:
    _user(request)
    return [_programme_out(p) for p in Programme.objects.all()]


@router.get("/{programme_id}", response=ProgrammeOut)
def get_programme(request: HttpRequest, programme_id: int) -> ProgrammeOut:
    _user(request)
    return _programme_out(_programme(programme_id))


@router.post("/{programme_id}/enrol", response=dict[str, int])
def enrol(request: HttpRequest, programme_id: int) -> dict[str, int]:
    """Enrol the households the rule selects (holding duplicates and exclusive-programme households)."""
    user = _user(request)
    try:
        return services.enrol(programme=_programme(programme_id), actor=user)
    except Refused as exc:
        raise HttpError(400, str(exc)) from exc


@router.get("/{programme_id}/cycles", response=list[CycleOut])
def list_cycles(request: HttpRequest, programme_id: int) -> list[CycleOut]:
    _user(request)
    qs = Cycle.objects.filter(programme=_programme(programme_id)).select_related("prepared_by", "approved_by")
    return [_cycle_out(c) for c in qs.order_by("number")]


@router.post("/{programme_id}/cycles", response={201: CycleOut})
def create_cycle(request: HttpRequest, programme_id: int, payload: PeriodIn) -> Status[CycleOut]:
    user = _user(request)
    try:
        cycle = services.create_cycle(programme=_programme(programme_id), period=payload.period, actor=user)
    except Refused as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, _cycle_out(_cycle(cycle.pk)))


@cycles_router.get("/{cycle_id}", response=CycleOut)
def get_cycle(request: HttpRequest, cycle_id: int) -> CycleOut:
    _user(request)
    return _cycle_out(_cycle(cycle_id))


@cycles_router.post("/{cycle_id}/{step}", response=dict[str, Any])
def cycle_step(request: HttpRequest, cycle_id: int, step: str) -> dict[str, Any]:
    """prepare, submit, approve, disburse, retry, close or cancel; the result with the new state."""
    user = _user(request)
    cycle = _cycle(cycle_id)
    if step not in services.STEPS:
        raise HttpError(404, "unknown step")
    try:
        return services.run_step(cycle=cycle, step=step, actor=user)
    except Refused as exc:
        raise HttpError(400, str(exc)) from exc
