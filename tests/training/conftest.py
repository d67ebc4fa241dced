"""Fixtures of skills training: a training officer, a course with a cohort, young people in the
registry of Manggar and Damai."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from entas.accounts.models import User
from entas.accounts.roles import Role
from entas.regions.models import Region
from entas.registry.models import Household, Member
from entas.training import services
from entas.training.models import Cohort, Course, Provider
from tests.conftest import CITY, DAMAI, MANGGAR

START = dt.date(2027, 2, 1)


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user("pelatihan", Role.TRAINING_OFFICER, [CITY])


def nik_for(kelurahan: Region, birth: dt.date, female: bool, serial: int) -> str:
    prefix = kelurahan.code.replace(".", "")[:6]
    return f"{prefix}{birth.day + 40 * female:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


@pytest.fixture
def add_person(regions: dict[str, Region]) -> Callable[..., Member]:
    counter = {"n": 0}

    def add(
        code: str = MANGGAR,
        *,
        female: bool = True,
        age: int = 25,
        desil: int | None = 3,
        worked: bool | None = False,
        household: Household | None = None,
        **extra: Any,
    ) -> Member:
        counter["n"] += 1
        n = counter["n"]
        kelurahan = regions[code]
        if household is None:
            household = Household.objects.create(
                kk_number=f"{kelurahan.code.replace('.', '')[:6]}0101{n:06d}",
                kelurahan=kelurahan,
                desil_city=desil,
            )
        birth = dt.date(START.year - age, 1 + n % 12, 1 + n % 27)
        return Member.objects.create(
            household=household,
            nik=nik_for(kelurahan, birth, female, 1000 + n),
            name=f"Peserta Sintetis {n}",
            sex="2" if female else "1",
            birth_date=birth,
            relationship="1",
            worked=worked,
            school_level="7",
            **extra,
        )

    return add


@pytest.fixture
def course(db: Any) -> Course:
    provider = Provider.objects.create(code="blki", name="UPTD BLKI Balikpapan", kind="blk")
    return Course.objects.create(
        provider=provider,
        code="las",
        name="Juru Las",
        competency_area="Welding",
        scheme="SKKNI Las",
        hours=200,
        class_size=4,
        cost_per_trainee=6_000_000,
        max_desil=5,
        min_women_share="0.50",
        max_per_kelurahan=3,
    )


@pytest.fixture
def cohort(course: Course, officer: User) -> Cohort:
    cohort, _ = services.save_cohort(
        course=course, code="las-1", start=START, end=START + dt.timedelta(days=11), seats=4, actor=officer
    )
    return cohort


__all__ = ["DAMAI", "MANGGAR", "START"]
