"""The duplicate review queue over the API: the same area scoping and decisions as the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import CursorPagination, paginate

from entas.accounts.api import RoleAuth
from entas.accounts.models import User
from entas.accounts.roles import Capability

from . import selectors, services
from .models import DuplicatePair

router = Router(tags=["deduplication"], auth=RoleAuth((Capability.CHANGE_REGISTRY,)))


class PairOut(Schema):
    id: int
    member_l: int = Field(..., alias="member_l_id")
    member_r: int = Field(..., alias="member_r_id")
    household_l: int = Field(..., alias="member_l.household_id")
    household_r: int = Field(..., alias="member_r.household_id")
    probability: float
    match_weight: float
    cluster: int
    auto_link: bool
    decision: str


class DecisionIn(Schema):
    decision: str
    reason: str


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.can(Capability.CHANGE_REGISTRY):
        raise HttpError(403, "forbidden")
    return user


@router.get("", response=list[PairOut])
@paginate(CursorPagination, ordering=("-probability", "pk"), page_size=100)
def queue(request: HttpRequest) -> QuerySet[Any]:
    """Open pairs in the caller's areas, most likely first (no names or NIKs: ids only), a page at a time."""
    return selectors.queue_for(_user(request))


@router.post("/{pair_id}/decision", response=PairOut)
def decide(request: HttpRequest, pair_id: int, payload: DecisionIn) -> DuplicatePair:
    """same, different or unsure, with a reason; audited."""
    user = _user(request)
    pair = selectors.pairs_for(user).select_related("member_l", "member_r").filter(pk=pair_id).first()
    if pair is None:
        raise HttpError(404, "not found")
    return services.decide(pair=pair, decision=payload.decision, reason=payload.reason, actor=user)
