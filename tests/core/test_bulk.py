"""Set-based writes: what Inserter writes is what the ORM would write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from entas.core.bulk import Inserter
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
