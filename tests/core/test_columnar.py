"""Reading querysets into numpy columns: the packed aggregates give what the ORM reads, field by field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.db.models import Q

from entas.core import columnar
from entas.core.columnar import read_columns
from entas.registry.models import Household, Member
from tests.conftest import MANGGAR, make_household

pytestmark = pytest.mark.django_db


def test_each_kind_of_field_comes_back_as_the_orm_reads_it(manggar_household: Household) -> None:
    Household.objects.filter(pk=manggar_household.pk).update(
        floor_area_m2=36,
        latitude=-1.2654321,
        cattle=None,
        goats=2,
        has_car=True,
        has_tv=None,
        water_source="10",
        desil_date=None,
    )
    members = list(Member.objects.filter(household=manggar_household).order_by("id"))
    Member.objects.filter(pk=members[1].pk).update(industry="11", worked=None, pregnant=True, diploma="")
    qs = Member.objects.filter(household=manggar_household).order_by("id")
    fields = ["id", "household_id", "nik", "name", "sex", "birth_date", "industry", "diploma", "worked", "pregnant"]
    got = read_columns(qs, [*fields, "household__kk_number", "household__kelurahan__code"])
    rows = list(qs.values_list(*fields, "household__kk_number", "household__kelurahan__code"))
    order = np.argsort(got["id"])  # the aggregates keep one order for every column, not necessarily the ids'
    assert got["id"].dtype == np.int64 and got["id"][order].tolist() == [r[0] for r in rows]
    assert got["household_id"][order].tolist() == [r[1] for r in rows]
    assert got["nik"][order].tolist() == [r[2] for r in rows]
    assert got["name"][order].tolist() == [r[3] for r in rows]
    assert got["sex"][order].tolist() == [r[4] for r in rows]
    assert got["birth_date"][order].astype("datetime64[D]").tolist() == [r[5] for r in rows]
    assert got["industry"][order].tolist() == [r[6] or "" for r in rows]  # a two-character code
    assert got["diploma"][order].tolist() == [r[7] or "" for r in rows]  # blank code → ""
    assert got["worked"].dtype == bool and got["worked"][order].tolist() == [bool(r[8]) for r in rows]
    assert got["pregnant"][order].tolist() == [bool(r[9]) for r in rows]
    assert set(got["household__kk_number"]) == {manggar_household.kk_number}
    assert set(got["household__kelurahan__code"]) == {manggar_household.kelurahan.code}

    h = read_columns(
        Household.objects.filter(pk=manggar_household.pk),
        [
            "floor_area_m2",
            "latitude",
            "longitude",
            "cattle",
            "goats",
            "has_car",
            "has_tv",
            "water_source",
            "desil_date",
            "address",
        ],
    )
    assert h["floor_area_m2"].tolist() == [36] and h["latitude"].tolist() == [-1.2654321]
    assert np.isnan(h["longitude"][0])  # NULL decimals → NaN
    assert np.isnan(h["cattle"][0]) and h["goats"].tolist() == [2]  # NULL integers → NaN
    assert h["has_car"].tolist() == [True] and h["has_tv"].tolist() == [False]  # NULL yes/no → no
    assert h["water_source"].tolist() == ["10"]
    assert h["desil_date"].dtype == np.dtype("datetime64[D]") and np.isnat(h["desil_date"][0])
    assert h["address"].tolist() == ["Jl. Contoh"]


def test_conditions_are_evaluated_by_the_database(manggar_household: Household) -> None:
    first = Member.objects.filter(household=manggar_household).order_by("id").first()
    assert first is not None
    Member.objects.filter(pk=first.pk).update(difficulty_walking="3")
    got = read_columns(
        Member.objects.filter(household=manggar_household),
        ["id"],
        conditions={"walks_badly": Q(difficulty_walking__in=["3", "4"])},
    )
    assert dict(zip(got["id"].tolist(), got["walks_badly"].tolist(), strict=True)) == {
        m.pk: m.pk == first.pk for m in Member.objects.filter(household=manggar_household)
    }


def test_an_empty_queryset_gives_empty_columns(regions: object) -> None:
    got = read_columns(Member.objects.none(), ["id", "sex", "birth_date", "worked", "name", "household__kk_number"])
    assert all(v.size == 0 for v in got.values())
    got = read_columns(Member.objects.filter(nik="0"), ["id", "sex", "name"])
    assert all(v.size == 0 for v in got.values())


def test_text_with_separators_and_quotes_survives(manggar_household: Household) -> None:
    odd = 'Jl. "Kutai" No. 5, RT 1; Blok C\tbelakang'
    Household.objects.filter(pk=manggar_household.pk).update(address=odd)
    assert read_columns(Household.objects.filter(pk=manggar_household.pk), ["address"])["address"].tolist() == [odd]


def test_one_row_with_an_empty_text_is_one_value(manggar_household: Household) -> None:
    Household.objects.filter(pk=manggar_household.pk).update(address="", rt="")
    got = read_columns(Household.objects.filter(pk=manggar_household.pk), ["id", "address", "rt"])
    assert got["address"].tolist() == [""] and got["rt"].tolist() == [""] and got["id"].size == 1


def test_a_date_read_matches_the_registry(manggar_household: Household) -> None:
    Member.objects.filter(household=manggar_household).update(birth_date=dt.date(2000, 2, 29))
    got = read_columns(Member.objects.filter(household=manggar_household), ["birth_date"])
    assert set(got["birth_date"].tolist()) == {dt.date(2000, 2, 29)}


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_slices_are_read_in_parallel_and_line_up(
    regions: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no transaction open (on PostgreSQL), the read runs in slices of ids on their own connections
    (threads); the slices join into the same columns as one query gives."""
    for i in range(7):
        make_household(regions[MANGGAR], f"647101010120{i:04d}", members=1 + i % 3)
    monkeypatch.setattr(columnar.os, "cpu_count", lambda: 4)
    monkeypatch.setattr(columnar, "PARALLEL_VENDORS", {"postgresql", "sqlite"})  # the slicing, on both
    pools = []
    real = columnar.ThreadPoolExecutor

    def spy(*args: Any, **kwargs: Any) -> Any:
        pools.append(kwargs.get("max_workers"))
        return real(*args, **kwargs)

    monkeypatch.setattr(columnar, "ThreadPoolExecutor", spy)
    qs = Member.objects.all()
    got = read_columns(qs, ["id", "household_id", "name", "birth_date", "sex"])
    assert pools and pools[0] > 1
    expected = sorted(qs.values_list("id", "household_id", "name", "birth_date", "sex"))
    rows = sorted(
        zip(
            got["id"].tolist(),
            got["household_id"].tolist(),
            got["name"].tolist(),
            got["birth_date"].astype("datetime64[D]").tolist(),
            got["sex"].tolist(),
            strict=True,
        )
    )
    assert rows == expected
