from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from . import selectors, services
from .models import Household

router = Router(tags=["registry"])


class HouseholdOut(Schema):
    id: int
    kk_number: str
    kelurahan_code: str
    kelurahan: str
    address: str
    rt: str
    rw: str
    size: int


class MemberOut(Schema):
    id: int
    nik_masked: str
    name: str
    sex: str
    birth_date: str
    relationship: str


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]


def _out(h: Household, size: int) -> HouseholdOut:
    return HouseholdOut(
        id=h.pk,
        kk_number=h.kk_number,
        kelurahan_code=h.kelurahan.code,
        kelurahan=h.kelurahan.name,
        address=h.address,
        rt=h.rt,
        rw=h.rw,
        size=size,
    )


@router.get("", response=list[HouseholdOut])
@paginate(LimitOffsetPagination)
def list_households(request: HttpRequest, q: str = "") -> list[HouseholdOut]:
    """Households in the caller's areas (none outside them, whatever the query)."""
    qs = selectors.search_households(request.user, q)  # type: ignore[arg-type]
    return [_out(h, h.size) for h in qs]  # type: ignore[attr-defined]


@router.get("/{household_id}", response=HouseholdDetailOut)
def get_household(request: HttpRequest, household_id: int) -> HouseholdDetailOut:
    """One household with its members (NIKs masked). 404 outside the caller's areas. Audited."""
    try:
        household = selectors.household_for(request.user, household_id)  # type: ignore[arg-type]
    except Household.DoesNotExist:
        raise Http404 from None
    services.record_household_view(actor=request.user, household=household)  # type: ignore[arg-type]
    members = list(selectors.members_of(household))
    base = _out(household, len(members)).dict()
    return HouseholdDetailOut(
        **base,
        members=[
            MemberOut(
                id=m.pk,
                nik_masked=m.masked_nik,
                name=m.name,
                sex=m.sex,
                birth_date=m.birth_date.isoformat(),
                relationship=m.relationship,
            )
            for m in members
        ],
    )
