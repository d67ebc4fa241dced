"""The duplicate review queue over the API: the same area scoping and decisions as the pages."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from entas.accounts.models import User
from entas.accounts.roles import Capability
from entas.core.errors import Refused

from . import services
from .models import DuplicatePair

router = Router(tags=["deduplication"])


class PairOut(Schema):
    id: int
    member_l: int
    member_r: int
    household_l: int
    household_r: int
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


def _out(p: DuplicatePair) -> PairOut:
    return PairOut(
        id=p.pk,
        member_l=p.member_l_id,
        member_r=p.member_r_id,
        household_l=p.member_l.household_id,
        household_r=p.member_r.household_id,
        probability=p.probability,
        match_weight=p.match_weight,
        cluster=p.cluster,
        auto_link=p.auto_link,
        decision=p.decision,
    )


@router.get("", response=list[PairOut])
@paginate(LimitOffsetPagination)
def queue(request: HttpRequest) -> list[PairOut]:
    """Open pairs in the caller's areas, most likely first (no names or NIKs: ids only)."""
    return [_out(p) for p in services.queue_for(_user(request))]


@router.post("/{pair_id}/decision", response=PairOut)
def decide(request: HttpRequest, pair_id: int, payload: DecisionIn) -> PairOut:
    """same, different or unsure, with a reason; audited."""
    user = _user(request)
    pair = services.pairs_for(user).select_related("member_l", "member_r").filter(pk=pair_id).first()
    if pair is None:
        raise HttpError(404, "not found")
    try:
        services.decide(pair=pair, decision=payload.decision, reason=payload.reason, actor=user)
    except Refused as exc:
        raise HttpError(400, str(exc)) from exc
    return _out(pair)
