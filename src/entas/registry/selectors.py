"""Reading the registry, always within the user's areas."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from entas.accounts.roles import Capability
from entas.accounts.scoping import region_q
from entas.regions.models import Region, RegionLevel

from .models import Household, Member

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from entas.accounts.models import User


def households_for(user: User) -> QuerySet[Household]:
    """Households the user may see: none without the registry capability, else those in their areas."""
    if not user.is_authenticated or not user.can(Capability.VIEW_REGISTRY):
        return Household.objects.none()
    return Household.objects.filter(region_q(user, "kelurahan")).select_related("kelurahan", "kelurahan__parent")


def search_households(user: User, query: str = "") -> QuerySet[Household]:
    qs = households_for(user).annotate(size=Count("members")).order_by("kelurahan__code", "rt", "pk")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(kk_number__startswith=query) | Q(members__nik=query) | Q(members__name__icontains=query)
        ).distinct()
    return qs


def household_for(user: User, pk: int) -> Household:
    """One household, or Household.DoesNotExist when it does not exist *or* lies outside the user's
    areas (the two are indistinguishable on purpose: existence is itself personal data).
    """
    return households_for(user).get(pk=pk)


def members_of(household: Household) -> QuerySet[Member]:
    return household.members.order_by("relationship", "birth_date")


def summary_by_kelurahan(user: User) -> list[dict[str, Any]]:
    """Households and people per kelurahan in the user's areas: two GROUP BY queries over the
    registry (no join between the two big tables) and one over the regions.
    """
    if not user.is_authenticated or not user.can(Capability.VIEW_SUMMARY):
        return []
    regions = list(
        Region.objects.filter(region_q(user), level=RegionLevel.KELURAHAN).select_related("parent").order_by("code")
    )
    ids = [r.pk for r in regions]
    households = dict(
        Household.objects.filter(kelurahan_id__in=ids)
        .order_by()
        .values_list("kelurahan_id")
        .annotate(n=Count("id"))
        .values_list("kelurahan_id", "n")
    )
    people = dict(
        Member.objects.filter(household__kelurahan_id__in=ids)
        .order_by()
        .values_list("household__kelurahan_id")
        .annotate(n=Count("id"))
        .values_list("household__kelurahan_id", "n")
    )
    return [
        {
            "kecamatan_code": r.parent.code if r.parent else "",
            "kecamatan": r.parent.name if r.parent else "",
            "code": r.code,
            "name": r.name,
            "households": households.get(r.pk, 0),
            "people": people.get(r.pk, 0),
            "lat": r.centroid_lat,
            "lng": r.centroid_lng,
            "boundary": r.boundary,
        }
        for r in regions
    ]
