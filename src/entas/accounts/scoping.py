"""Where a user may act: every selector filters through here.

An operator of Kelurahan Manggar must not see a household of Kelurahan Damai through any page, form,
export or API call. Selectors therefore never start from ``Model.objects.all()`` for area data;
they start from :func:`region_q` of the user.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import TYPE_CHECKING

from django.db.models import Q

from entas.regions.models import Region, RegionQuerySet

if TYPE_CHECKING:
    from entas.accounts.models import User


def area_codes(user: User) -> list[str]:
    """The codes of the user's assigned regions (cached on the user object for the request)."""
    cached: list[str] | None = getattr(user, "_entas_area_codes", None)
    if cached is None:
        cached = sorted(user.areas.values_list("code", flat=True)) if user.is_authenticated else []
        setattr(user, "_entas_area_codes", cached)  # noqa: B010  (a per-request cache on the user object)
    return cached


def region_q(user: User, path: str = "") -> Q:
    """A filter selecting rows whose region (reached by ``path``, e.g. ``"kelurahan"``) lies within
    the user's areas. Administrators get everything; a user without areas gets nothing.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_city_wide:
        return Q()
    codes = area_codes(user)
    if not codes:
        return Q(pk__in=[])
    field = f"{path}__code" if path else "code"
    return reduce(or_, (Q(**{field: c}) | Q(**{f"{field}__startswith": c + "."}) for c in codes))


def visible_regions(user: User) -> RegionQuerySet:
    return Region.objects.filter(region_q(user))


def can_act_in(user: User, region: Region) -> bool:
    """Whether ``region`` lies within the user's areas."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_city_wide:
        return True
    return any(region.code == c or region.code.startswith(c + ".") for c in area_codes(user))
