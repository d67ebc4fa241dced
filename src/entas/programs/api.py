"""Cash programmes over the API: the same selectors, services, roles and maker-checker as the pages
and the command line. A refused step answers the API's error object (code, message, issues) with
the code's status, in the caller's language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability

from . import selectors, services
from .models import Cycle, Programme

VIEW = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES, Capability.VIEW_AUDIT)
ACT = (Capability.MANAGE_PROGRAMMES, Capability.APPROVE_PROGRAMMES)
router = Router(tags=["programmes"], auth=RoleAuth(VIEW, ACT))
cycles_router = Router(tags=["programmes"], auth=RoleAuth(VIEW, ACT))


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
    enrolments: dict[str, int]


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
    return ProgrammeOut(
        id=p.pk,
        name=p.name,
        agency=p.agency,
        funding=p.funding,
        channel=p.channel,
        start=p.start.isoformat(),
        end=p.end.isoformat(),
        budget_ceiling=p.budget_ceiling,
        budget_remaining=selectors.budget_remaining(p),
        shock_event=p.shock_event,
        enrolments=selectors.enrolment_counts(p),
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


def _programme(user: User, pk: int) -> Programme:
    try:
        return selectors.programme_for(user, pk)
    except Programme.DoesNotExist:
        raise HttpError(404, "not found") from None


def _cycle(user: User, pk: int) -> Cycle:
    try:
        return selectors.cycle_for(user, pk)
    except Cycle.DoesNotExist:
        raise HttpError(404, "not found") from None


@router.get("", response=list[ProgrammeOut])
def list_programmes(request: HttpRequest) -> list[ProgrammeOut]:
    """The city's programmes (a handful: not paginated)."""
    return [_programme_out(p) for p in selectors.programmes_for(_user(request))]


@router.get("/{programme_id}", response=ProgrammeOut)
def get_programme(request: HttpRequest, programme_id: int) -> ProgrammeOut:
    return _programme_out(_programme(_user(request), programme_id))


@router.post("/{programme_id}/enrol", response=dict[str, int])
def enrol(request: HttpRequest, programme_id: int) -> dict[str, int]:
    """Enrol the households the rule selects (holding duplicates and exclusive-programme households)."""
    user = _user(request)
    return services.enrol(programme=_programme(user, programme_id), actor=user)


@router.get("/{programme_id}/cycles", response=list[CycleOut])
def list_cycles(request: HttpRequest, programme_id: int) -> list[CycleOut]:
    user = _user(request)
    qs = selectors.cycles_of(user, _programme(user, programme_id)).select_related("prepared_by", "approved_by")
    return [_cycle_out(c) for c in qs.order_by("number")]


@router.post("/{programme_id}/cycles", response={201: CycleOut})
def create_cycle(request: HttpRequest, programme_id: int, payload: PeriodIn) -> Status[CycleOut]:
    user = _user(request)
    cycle = services.create_cycle(programme=_programme(user, programme_id), period=payload.period, actor=user)
    return Status(201, _cycle_out(_cycle(user, cycle.pk)))


@cycles_router.get("/{cycle_id}", response=CycleOut)
def get_cycle(request: HttpRequest, cycle_id: int) -> CycleOut:
    return _cycle_out(_cycle(_user(request), cycle_id))


@cycles_router.post("/{cycle_id}/{step}", response=dict[str, Any])
def cycle_step(request: HttpRequest, cycle_id: int, step: str) -> dict[str, Any]:
    """prepare, submit, approve, disburse, retry, close or cancel; the result with the new state."""
    user = _user(request)
    cycle = _cycle(user, cycle_id)
    if step not in services.STEPS:
        raise HttpError(404, "unknown step")
    return services.run_step(cycle=cycle, step=step, actor=user)
