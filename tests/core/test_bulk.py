"""Set-based writes: what Inserter writes is what the ORM would write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from entas.core.bulk import Inserter, allocate_ids
from entas.registry.models import Household, Member

pytestmark = pytest.mark.django_db


def test_rows_and_columns_write_the_same(manggar_household: Household) -> None:
    now = timezone.now()
    base: dict[str, Any] = {"household_id": manggar_household.pk, "sex": "1", "relationship": "3"}
    Inserter(Member).insert(
        [{**base, "nik": "6471010101909001", "name": "Satu", "birth_date": dt.date(1990, 1, 1), "created_at": now}]
    )
    with pytest.raises(ValueError, match="dates and JSON"):
        Inserter(Member).insert_columns({"birth_date": [dt.date(1990, 1, 1)]})
    with pytest.raises(ValueError, match="different lengths"):
        Inserter(Member).insert_columns({"nik": ["1", "2"], "name": ["a"]})
    written = Inserter(Member).insert_columns(
        {"nik": ["6471010101909002", "6471010101909003"], "name": ["Dua", "Tiga"]},
        constants={**base, "birth_date": dt.date(1990, 1, 1), "created_at": now},
    )
    assert written == 2
    rows = list(
        Member.objects.filter(nik__startswith="64710101019090")
        .order_by("nik")
        .values_list("name", "birth_date", "created_at", "marital_status", "pregnant")
    )
    assert rows == [(n, dt.date(1990, 1, 1), now, "", None) for n in ("Satu", "Dua", "Tiga")]


def test_insert_with_constants_and_uneven_rows(manggar_household: Household) -> None:
    """Rows given as dicts may leave keys out (the model's default then) and carry their own datetimes;
    constants are shared by every row. The written rows are what the ORM reads back."""
    now = timezone.now()
    earlier = now - dt.timedelta(days=3)
    rows: list[dict[str, Any]] = [
        {"nik": "6471010101909011", "name": "Satu", "birth_date": dt.date(1990, 1, 1), "pregnant": False},
        {"nik": "6471010101909012", "name": "Dua", "birth_date": dt.date(1980, 5, 6), "updated_at": earlier},
        {"nik": "6471010101909013", "name": "Tiga", "birth_date": dt.date(2001, 2, 3), "_row": 7},
    ]
    constants = {"household_id": manggar_household.pk, "sex": "2", "relationship": "3", "created_at": now}
    assert Inserter(Member).insert(rows, constants) == 3
    assert Inserter(Member).insert([], constants) == 0
    got = list(
        Member.objects.filter(nik__startswith="64710101019090")
        .order_by("nik")
        .values_list("name", "sex", "birth_date", "pregnant", "created_at", "household_id")
    )
    hid = manggar_household.pk
    assert got == [
        ("Satu", "2", dt.date(1990, 1, 1), False, now, hid),
        ("Dua", "2", dt.date(1980, 5, 6), None, now, hid),
        ("Tiga", "2", dt.date(2001, 2, 3), None, now, hid),
    ]
    updated = dict(Member.objects.filter(nik__startswith="64710101019090").values_list("name", "updated_at"))
    assert updated["Dua"] == earlier  # its own datetime, adapted per row
    assert updated["Satu"] >= now and updated["Tiga"] >= now  # left out: the model's default


def test_allocated_ids_are_fresh_and_the_table_numbers_on_after_them(manggar_household: Household) -> None:
    kelurahan = manggar_household.kelurahan
    ids = list(allocate_ids(Household, 3))
    assert len(set(ids)) == 3 and min(ids) > manggar_household.pk
    rows = [{"id": pk, "kk_number": f"64710101012999{i:02d}", "kelurahan_id": kelurahan.pk} for i, pk in enumerate(ids)]
    assert Inserter(Household, explicit_pk=True).insert(rows) == 3
    assert set(Household.objects.filter(kk_number__startswith="64710101012999").values_list("pk", flat=True)) == set(
        ids
    )
    later = Household.objects.create(kk_number="6471010101299999", kelurahan=kelurahan)
    last = later.pk
    assert last > max(ids)
    later.delete()  # a deleted row's key is not handed out again
    assert min(allocate_ids(Household, 2)) > last
    assert list(allocate_ids(Household, 0)) == []
