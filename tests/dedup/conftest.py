"""Fixtures of the deduplication tests."""

from __future__ import annotations

import pytest

from entas.regions.models import Region
from entas.registry.models import Member, Membership
from tests.conftest import MANGGAR, make_household


@pytest.fixture
def twins(regions: dict[str, Region]) -> tuple[Member, Member]:
    """One person entered twice: in a Manggar family and in another Manggar family."""
    home = make_household(regions[MANGGAR], "6471010101200011", members=3)
    other = make_household(regions[MANGGAR], "6471010101200012", members=2)
    first = home.members.order_by("pk")[1]
    second = Member.objects.create(
        household=other,
        nik=first.nik[:-1] + "7",
        name=first.name + "h",
        sex=first.sex,
        birth_date=first.birth_date,
        relationship="8",
        receives_pip=True,
    )
    for m in (first, second):
        Membership.objects.create(member=m, household=m.household, relationship=m.relationship)
    return first, second
