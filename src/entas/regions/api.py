from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from .models import Region

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    parent_code: str | None
    bps_code: str
    postal_code: str
    centroid_lat: float | None
    centroid_lng: float | None


@router.get("", response=list[RegionOut])
def list_regions(request: HttpRequest, within: str = "") -> list[RegionOut]:
    """The region tree (public reference data), optionally only the part under a code."""
    qs = Region.objects.select_related("parent")
    if within:
        qs = qs.within(within)
    return [
        RegionOut(
            code=r.code,
            name=r.name,
            level=r.level,
            parent_code=r.parent.code if r.parent else None,
            bps_code=r.bps_code,
            postal_code=r.postal_code,
            centroid_lat=r.centroid_lat,
            centroid_lng=r.centroid_lng,
        )
        for r in qs
    ]
