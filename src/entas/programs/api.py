"""Cash programmes over the API: the same selectors, services, roles and maker-checker as the pages
and the command line. A refused step answers the API's error object (code, message, issues) with
the code's status, in the caller's language."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import CursorPagination, paginate
from pydantic import ValidationError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core.errors import Refused, from_form

from . import selectors, services
from .forms import AffectedForm
from .models import Cycle, Payment, Programme, ShockFlag

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


class StepIn(Schema):
    """Optional body of a step: for ``retry``, the failed payments to retry (ids; all when absent)."""

    payments: list[int] | None = None


class FailedPaymentOut(Schema):
    id: int
    reference: str
    kk_number: str
    kelurahan: str
    amount: int
    reason: str
    account: str  # masked


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


class FailedPaymentsOut(Schema):
    count: int
    items: list[FailedPaymentOut]


@cycles_router.get("/{cycle_id}/failed-payments", response=FailedPaymentsOut)
def failed_payments(
    request: HttpRequest, cycle_id: int, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
) -> FailedPaymentsOut:
    """Failed payments of the caller's areas not yet retried, with the bank's reason and the payee's
    account masked: what a client needs to choose the payments to retry (``count`` in all, ``items``
    from ``offset``, at most ``limit``)."""
    user = _user(request)
    cycle = _cycle(user, cycle_id)
    rows = selectors.failed_payments(user, cycle)
    page = list(rows[offset : offset + limit])
    accounts = selectors.payee_accounts(cycle.programme, {p.entitlement.household_id for p in page})
    return FailedPaymentsOut(
        count=rows.count(),
        items=[
            FailedPaymentOut(
                id=p.pk,
                reference=p.reference,
                kk_number=p.entitlement.household.kk_number,
                kelurahan=p.entitlement.household.kelurahan.name,
                amount=p.amount,
                reason=p.reason,
                account=selectors.mask_account(accounts.get(p.entitlement.household_id, ("", ""))[0]),
            )
            for p in page
        ],
    )


class PaymentOut(Schema):
    id: int
    reference: str
    household_id: int
    kk_number: str
    kelurahan_code: str
    amount: int
    status: str
    reason: str
    retry_of: int | None
    account: str  # masked


class PaymentPage(Schema):
    results: list[PaymentOut]
    next_after: int | None


@cycles_router.get("/{cycle_id}/payments", response=PaymentPage)
def cycle_payments(
    request: HttpRequest,
    cycle_id: int,
    after: int = Query(0, ge=0, description="The last id of the previous page (its next_after)."),
    limit: int = Query(100, ge=1, le=1000),
    status: str = Query("", description="sent, paid or failed."),
    kelurahan: str = Query("", description="A kelurahan's Kemendagri code."),
) -> PaymentPage:
    """The cycle's payment list in the caller's areas, by id, a page at a time (keyset: one query
    ``WHERE id > after ORDER BY id LIMIT limit+1``; follow ``next_after`` until it is null), with the
    bank's status and reason and the payee's account masked."""
    user = _user(request)
    cycle = _cycle(user, cycle_id)
    if status and status not in Payment.Status.values:
        raise Refused(_("Unknown payment status %(status)r.") % {"status": status}, code="invalid")
    rows = selectors.cycle_payments(user, cycle, status=status, kelurahan=kelurahan)
    page = list(rows.filter(pk__gt=after)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    accounts = selectors.payee_accounts(cycle.programme, {p.entitlement.household_id for p in page})
    return PaymentPage(
        results=[
            PaymentOut(
                id=p.pk,
                reference=p.reference,
                household_id=p.entitlement.household_id,
                kk_number=p.entitlement.household.kk_number,
                kelurahan_code=p.entitlement.household.kelurahan.code,
                amount=p.amount,
                status=p.status,
                reason=p.reason,
                retry_of=p.retry_of_id,
                account=selectors.mask_account(accounts.get(p.entitlement.household_id, ("", ""))[0]),
            )
            for p in page
        ],
        next_after=page[-1].pk if more else None,
    )


def _chosen_payments(request: HttpRequest) -> list[int] | None:
    """The ``payments`` of a step's optional JSON body (:class:`StepIn`); None without a JSON body."""
    if request.content_type != "application/json" or not request.body.strip():
        return None
    try:
        return StepIn.model_validate_json(request.body).payments
    except ValidationError as exc:
        raise Refused(
            _('The body of a step is {"payments": [id, …]}: the ids of failed payments.'), code="invalid"
        ) from exc


@cycles_router.post(
    "/{cycle_id}/{step}",
    response=dict[str, Any],
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": StepIn.model_json_schema()}},
        }
    },
)
def cycle_step(request: HttpRequest, cycle_id: int, step: str) -> dict[str, Any]:
    """prepare, submit, approve, disburse, retry, close or cancel; the result with the new state.
    ``retry`` takes an optional JSON body ``{"payments": [id, …]}`` to retry only those failed
    payments (listed by ``GET /cycles/{id}/failed-payments``); without it, every failed payment."""
    user = _user(request)
    cycle = _cycle(user, cycle_id)
    if step not in services.STEPS:
        raise HttpError(404, "unknown step")
    payments = _chosen_payments(request)
    if payments is not None and step != "retry":
        raise Refused(_("Only the retry step takes a list of payments."), code="invalid")
    return services.run_step(cycle=cycle, step=step, actor=user, payments=payments)


# -- shock mode: households reported as affected by an event (the "affected" page) ---------------------
# The page's role: who changes the registry in a kelurahan reports its households.
AFFECTED = RoleAuth((Capability.CHANGE_REGISTRY,))
shock_router = Router(tags=["programmes"], auth=AFFECTED)  # mounted at /v1/shock-flags
ShockKind = Literal["lost_income", "disaster", "other"]


class ShockFlagOut(Schema):
    id: int
    household_id: int
    kk_number: str = Field(..., alias="household.kk_number")
    kelurahan_code: str = Field(..., alias="household.kelurahan.code")
    event: str
    kind: str
    note: str
    reported_by: str | None = Field(None, alias="reported_by.username")
    reported_at: dt.datetime


@shock_router.get("", response=list[ShockFlagOut], url_name="programmes_shock_flags")
@paginate(CursorPagination, ordering=("-pk",), page_size=100)
def list_shock_flags(
    request: HttpRequest, event: str = Query("", max_length=120, description="Only the flags of this event.")
) -> QuerySet[ShockFlag]:
    """Households of the caller's areas reported as affected by a shock, newest first, a page at a
    time (follow ``next``); what shock programmes for an event select from."""
    flags = selectors.affected_households(request.user)  # type: ignore[arg-type]
    return flags.filter(event=event.strip()) if event.strip() else flags


class ShockFlagIn(Schema):
    kk_number: str = Field(..., max_length=16)
    event: str = Field(..., max_length=120, description="e.g. Banjir Januari 2027")
    kind: ShockKind
    note: str = Field("", max_length=300)


@shock_router.post("", response={201: ShockFlagOut}, url_name="programmes_flag_affected")
def flag_affected(request: HttpRequest, body: ShockFlagIn) -> Any:
    """Report one household of the caller's areas as affected by an event (the page's form and
    service; audited): reported again for the same event, its kind and note are refreshed. A KK
    number outside the caller's areas is refused as unknown (400, field ``kk_number``)."""
    form = AffectedForm(body.dict(), user=request.user)
    if not form.is_valid():
        raise from_form(form)
    assert form.household is not None
    flag = services.flag_affected(
        household=form.household,
        event=form.cleaned_data["event"],
        kind=form.cleaned_data["kind"],
        note=form.cleaned_data["note"],
        actor=request.user,  # type: ignore[arg-type]
    )
    return Status(201, selectors.affected_households(request.user).get(pk=flag.pk))  # type: ignore[arg-type]


class ShockRowIn(Schema):
    kk_number: str = Field(..., max_length=32)
    kind: ShockKind | None = Field(None, description="This row's kind (default: the body's).")
    note: str = Field("", max_length=300, description="This row's note (default: the body's).")


class ShockBulkIn(Schema):
    event: str = Field(..., min_length=1, max_length=120)
    kind: ShockKind
    note: str = Field("", max_length=300)
    rows: list[ShockRowIn] = Field(..., min_length=1, max_length=20_000)


class ShockRefusedOut(Schema):
    line: int
    kk_number: str
    reason: str


class ShockBulkOut(Schema):
    event: str
    rows: int
    flagged: int
    new: int
    already: int
    refused: list[ShockRefusedOut]


@shock_router.post("/bulk", response=ShockBulkOut, url_name="programmes_flag_affected_bulk")
def flag_affected_bulk(request: HttpRequest, body: ShockBulkIn) -> dict[str, Any]:
    """Report many households at once (the page's file or pasted list): every row is reported or
    listed in ``refused`` with its line (1 = the first row) and reason; nothing is lost. A KK number
    outside the caller's areas is answered as one that does not exist."""
    rows = [
        {"line": i, "kk_number": r.kk_number, "kind": r.kind or "", "note": r.note}
        for i, r in enumerate(body.rows, start=1)
    ]
    return services.flag_affected_rows(
        rows=rows,
        event=body.event,
        kind=body.kind,
        note=body.note,
        actor=request.user,  # type: ignore[arg-type]
    )
