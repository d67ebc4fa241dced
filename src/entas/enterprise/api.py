"""Economic empowerment over the API: groups of the caller's areas (read by the officer and the
auditor), a group's loans with their position, business reports and repayments recorded through the
same services as the pages (a payment reference already recorded is ``unchanged``, never counted
twice), and the results as aggregates (for TKPK analysts too)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import CursorPagination, paginate

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability

from . import selectors, services
from .models import Group, Loan

router = Router(
    tags=["enterprise"],
    auth=RoleAuth(
        (Capability.MANAGE_TRAINING, Capability.VIEW_AUDIT, Capability.VIEW_ANALYTICS), (Capability.MANAGE_TRAINING,)
    ),
)


class GroupOut(Schema):
    id: int
    name: str
    type: str
    kbli: str
    kelurahan_code: str = Field(..., alias="kelurahan.code")
    founded: dt.date
    closed_on: dt.date | None
    members: int


class LoanOut(Schema):
    id: int
    reference: str
    principal: int
    disbursed_on: dt.date
    due: int
    paid: int
    arrears: dict[str, int]
    outstanding_principal: int
    days_late: int
    written_off_on: dt.date | None


class GroupDetailOut(GroupOut):
    loans: list[LoanOut] = Field(..., alias="loan_positions")


class ReportIn(Schema):
    period: str
    period_start: dt.date
    revenue: int
    costs: int
    production: int = 0
    workers_family: int = 0
    workers_hired: int = 0
    capital: int = 0


class ReportOut(Schema):
    id: int
    outcome: str
    flagged: str


class RepaymentIn(Schema):
    reference: str
    paid_on: dt.date
    amount: int


class RepaymentOut(Schema):
    id: int
    outcome: str


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _viewer(user: User) -> None:
    if not (user.can(Capability.MANAGE_TRAINING) or user.can(Capability.VIEW_AUDIT)):
        raise HttpError(403, "forbidden")  # analysts: aggregates only


@router.get("/groups", response=list[GroupOut])
@paginate(CursorPagination, ordering=("pk",), page_size=100)
def list_groups(request: HttpRequest) -> QuerySet[Any]:
    """The groups of the caller's areas, by id, a page at a time (follow ``next``)."""
    user = _user(request)
    _viewer(user)
    return selectors.groups_for(user).order_by("pk")


@router.get("/groups/{group_id}", response=GroupDetailOut)
def get_group(request: HttpRequest, group_id: int) -> Group:
    """One group with its loans and where each stands today. 404 outside the caller's areas."""
    user = _user(request)
    _viewer(user)
    try:
        group = selectors.group_for(user, group_id)
    except Group.DoesNotExist:
        raise Http404 from None
    loans = [
        {
            "id": v.loan.pk,
            "reference": v.loan.reference,
            "principal": v.loan.principal,
            "disbursed_on": v.loan.disbursed_on,
            "due": v.position.due,
            "paid": v.position.paid,
            "arrears": v.position.overdue,
            "outstanding_principal": v.position.outstanding_principal,
            "days_late": v.position.days_late,
            "written_off_on": v.loan.written_off_on,
        }
        for v in selectors.loan_views(group.loans.all())
    ]
    group.members = group.memberships.filter(left_on__isnull=True).count()  # type: ignore[attr-defined]
    group.loan_positions = loans  # type: ignore[attr-defined]
    return group


@router.post("/groups/{group_id}/reports", response=ReportOut)
def record_report(request: HttpRequest, group_id: int, payload: ReportIn) -> dict[str, Any]:
    """Record (or correct) a group's monthly or quarterly report; negatives refused, jumps flagged."""
    user = _user(request)
    try:
        group = selectors.group_for(user, group_id, "change")
    except Group.DoesNotExist:
        raise Http404 from None
    out = services.record_report(actor=user, group=group, source="api", **payload.dict())
    return {"id": out.obj.pk, "outcome": out.outcome, "flagged": out.obj.flagged}


@router.post("/loans/{loan_id}/repayments", response=RepaymentOut)
def record_repayment(request: HttpRequest, loan_id: int, payload: RepaymentIn) -> dict[str, Any]:
    """Record a payment on a loan; the same reference again is ``unchanged`` (never counted twice)."""
    user = _user(request)
    loan = Loan.objects.restrict(user, "change").select_related("group__kelurahan").filter(pk=loan_id).first()
    if loan is None:
        raise Http404
    out = services.record_repayment(actor=user, loan=loan, **payload.dict())
    return {"id": out.obj.pk, "outcome": out.outcome}


@router.get("/results", response=list[dict[str, Any]])
def results(request: HttpRequest, by: str = "") -> list[dict[str, Any]]:
    """The results of the groups of the caller's areas (aggregates), whole and by ``by`` (type, sector,
    kelurahan, chair_sex, assistance)."""
    user = _user(request)
    return [selectors.outcome_dict(o) for o in selectors.results_for(user, None, by)]
