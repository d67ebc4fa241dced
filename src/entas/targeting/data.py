"""Reading the registry into column arrays for the PMT, set-based and in id-ordered chunks."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils import timezone

from entas.registry.models import Household, Member

from . import pmt

HOUSEHOLD_FIELDS = [
    "id",
    "kk_number",
    "floor_area_m2",
    "cattle",
    "goats",
    *pmt.BOOLEAN,
    *(c for c in pmt.CATEGORICAL if c != "kecamatan"),
]
MEMBER_FIELDS = ["household_id", "birth_date", "sex", "relationship", "diploma", "worked", *pmt.DIFFICULTY]
CHUNK = 100_000


def _chunks(qs: QuerySet[Any], fields: list[str]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", *fields)[:CHUNK])
        if not chunk:
            return rows
        last = chunk[-1][0]
        rows.extend(r[1:] for r in chunk)


def registry_arrays(
    households: QuerySet[Household], today: dt.date | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(household ids, household sizes, PMT features) for the households of ``households``."""
    today = today or timezone.localdate()
    h_rows = _chunks(households, [*HOUSEHOLD_FIELDS, "kelurahan__parent__code"])
    if not h_rows:
        return np.array([], dtype=np.int64), np.array([]), {}
    columns = list(zip(*h_rows, strict=True))
    h = {name: np.asarray(columns[i], dtype=object) for i, name in enumerate([*HOUSEHOLD_FIELDS, "kecamatan"])}
    ids = np.asarray(h["id"], dtype=np.int64)
    position = {pk: i for i, pk in enumerate(ids.tolist())}
    m_rows = _chunks(Member.objects.filter(household__in=households, exited_on__isnull=True), MEMBER_FIELDS)
    m_columns: list[Any] = list(zip(*m_rows, strict=True)) if m_rows else [() for _ in MEMBER_FIELDS]
    m = {name: np.asarray(m_columns[i], dtype=object) for i, name in enumerate(MEMBER_FIELDS)}
    births = m["birth_date"]
    age = np.array([today.year - b.year - ((today.month, today.day) < (b.month, b.day)) for b in births], dtype=float)
    members = {
        "household": np.array([position[pk] for pk in m["household_id"].tolist()], dtype=np.int64),
        "age": age,
        "worked": np.array([bool(v) for v in m["worked"]]),
        **{k: m[k] for k in ["sex", "relationship", "diploma", *pmt.DIFFICULTY]},
    }
    data = pmt.features(h, members)
    size = np.maximum(np.bincount(members["household"], minlength=ids.size), 1).astype(float)
    return ids, size, data
