from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import CursorPagination, paginate

from . import selectors, services
from .models import Household

router = Router(tags=["registry"])


class HouseholdOut(Schema):
    id: int
    kk_number: str
    kelurahan_code: str = Field(..., alias="kelurahan.code")
    kelurahan: str = Field(..., alias="kelurahan.name")
    address: str
    rt: str
    rw: str
    size: int


class MemberOut(Schema):
    id: int
    nik_masked: str = Field(..., alias="masked_nik")
    name: str
    sex: str
    birth_date: dt.date
    relationship: str


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut] = Field(..., alias="current_members")


@router.get("", response=list[HouseholdOut])
@paginate(CursorPagination, ordering=("pk",), page_size=100)
def list_households(request: HttpRequest, q: str = "") -> QuerySet[Any]:
    """Households in the caller's areas (none outside them, whatever the query), by id, a page at a
    time: follow ``next`` (a cursor), so a page costs the same at the start or the end of a city."""
    return selectors.search_households(request.user, q)  # type: ignore[arg-type]


@router.get("/{household_id}", response=HouseholdDetailOut)
def get_household(request: HttpRequest, household_id: int) -> Household:
    """One household with its members (NIKs masked). 404 outside the caller's areas. Audited."""
    try:
        household = selectors.household_for(request.user, household_id)  # type: ignore[arg-type]
    except Household.DoesNotExist:
        raise Http404 from None
    services.record_household_view(actor=request.user, household=household)  # type: ignore[arg-type]
    household.current_members = list(selectors.members_of(household))  # type: ignore[attr-defined]
    household.size = len(household.current_members)  # type: ignore[attr-defined]
    return household
