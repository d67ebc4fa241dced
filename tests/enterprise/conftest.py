from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.enterprise import services
from entas.enterprise.models import Group
from entas.regions.models import Region
from entas.registry.models import Household
from tests.conftest import DAMAI, MANGGAR


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    """A DKUMKMP facilitator of Kelurahan Manggar."""
    return make_user("umkm.manggar", Role.TRAINING_OFFICER, [MANGGAR])


@pytest.fixture
def officer_damai(make_user: Callable[..., User]) -> User:
    return make_user("umkm.damai", Role.TRAINING_OFFICER, [DAMAI])


@pytest.fixture
def city_officer(make_user: Callable[..., User]) -> User:
    return make_user("umkm.kota", Role.TRAINING_OFFICER, ["64.71"])


@pytest.fixture
def group(officer: User, regions: dict[str, Region], manggar_household: Household) -> Group:
    out = services.save_group(
        actor=officer,
        name="KUBE Amplang",
        type="kube",
        kbli="10792",
        kelurahan=regions[MANGGAR],
        founded=dt.date(2024, 3, 1),
    )
    head = manggar_household.members.order_by("nik").first()
    assert head is not None
    services.seat(actor=officer, group=out.obj, member=head, role="chair", joined_on=dt.date(2024, 3, 1))
    return out.obj
