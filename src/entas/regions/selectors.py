"""Reading regions."""

from __future__ import annotations

from django.conf import settings

from .models import Region, RegionQuerySet


def city() -> Region | None:
    """The kabupaten/kota this installation serves (ENTAS_CITY_CODE), if loaded."""
    return Region.objects.filter(code=settings.ENTAS_CITY_CODE).first()


def city_regions() -> RegionQuerySet:
    return Region.objects.within(settings.ENTAS_CITY_CODE)
