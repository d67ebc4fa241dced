"""Complaints over the API, for the officers who handle them (never the public: citizens use the
portal's pages and their tracking code). The same area-scoped selectors, services and roles as the
case pages: read by handlers and auditors of the case's kelurahan, changed by handlers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability

from . import selectors, services
from .choices import State
from .models import Case

router = Router(
    tags=["portal"],
    auth=RoleAuth((Capability.HANDLE_GRIEVANCES, Capability.VIEW_AUDIT), (Capability.HANDLE_GRIEVANCES,)),
)


class CaseOut(Schema):
    id: int
    reference: str
    category: str
    severity: str
    unit: str
    state: str
    channel: str
    kelurahan: str
    submitted_at: str
    first_response_due: str
    resolution_due: str
    escalation: int
    household_kk: str
    assigned_to: str
    spam: bool


class NoteIn(Schema):
    kind: str  # internal or public
    text: str


class CaseStepIn(Schema):
    action: str  # start, ask_citizen, resolve, close, reopen


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case(user: User, pk: int, action: str = "view") -> Case:
    try:
        return selectors.case_for(user, pk, action)
    except Case.DoesNotExist:
        raise HttpError(404, "not found") from None


def _out(c: Case) -> CaseOut:
    return CaseOut(
        id=c.pk,
        reference=c.reference,
        category=c.category,
        severity=c.severity,
        unit=c.unit,
        state=c.state,
        channel=c.channel,
        kelurahan=c.kelurahan.code,
        submitted_at=c.submitted_at.isoformat(),
        first_response_due=c.first_response_due.isoformat(),
        resolution_due=c.resolution_due.isoformat(),
        escalation=c.escalation,
        household_kk=c.household.kk_number if c.household else "",
        assigned_to=c.assigned_to.username if c.assigned_to else "",
        spam=c.spam,
    )


@router.get("", response=list[CaseOut])
def list_cases(request: HttpRequest, state: str = "open", category: str = "", mine: bool = False) -> list[CaseOut]:
    """The queue of the user's areas, most overdue first; ``state``: open (default), all, or a state."""
    if state not in ("open", "all", *State.values):
        raise HttpError(422, "state")
    qs = selectors.queue_for(_user(request), state="" if state == "all" else state, category=category, mine=mine)
    return [_out(c) for c in qs.select_related("kelurahan", "household", "assigned_to")[:500]]


@router.get("/{case_id}", response=dict[str, Any])
def get_case(request: HttpRequest, case_id: int) -> dict[str, Any]:
    """A case with its description, notes (internal and public) and messages sent to the citizen."""
    case = _case(_user(request), case_id)
    out = _out(case).dict()
    out["description"] = case.description
    out["notes"] = [
        {
            "kind": n.kind,
            "text": n.text,
            "author": n.author.username if n.author else "",
            "at": n.written_at.isoformat(),
        }
        for n in case.notes.select_related("author").order_by("written_at", "pk")
    ]
    out["notifications"] = [
        {"channel": n.channel, "event": n.event, "status": n.status, "at": n.sent_at.isoformat()}
        for n in case.notifications.order_by("sent_at", "pk")
    ]
    return out


@router.post("/{case_id}/notes", response={201: CaseOut})
def add_case_note(request: HttpRequest, case_id: int, payload: NoteIn) -> Status[CaseOut]:
    """An internal note or a public answer (the citizen is told of an answer)."""
    user = _user(request)
    case = _case(user, case_id, "change")
    services.add_note(case=case, kind=payload.kind, text=payload.text, actor=user)
    return Status(201, _out(_case(user, case_id)))


@router.post("/{case_id}/steps", response=CaseOut)
def take_case_step(request: HttpRequest, case_id: int, payload: CaseStepIn) -> CaseOut:
    """Move the case on; resolving an usul needs its registered family, a sanggah its household (which
    then goes back to verification)."""
    user = _user(request)
    case = _case(user, case_id, "change")
    services.take_step(case=case, action=payload.action, actor=user)
    return _out(_case(user, case_id))
