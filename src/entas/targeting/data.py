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


RULE_HOUSEHOLD_FIELDS = [
    "id",
    "kelurahan__code",
    "kelurahan__parent__code",
    "desil_city",
    "desil_national",
    "floor_area_m2",
    "verification_status",
    "has_car",
    "has_motorcycle",
    "has_fridge",
    "has_ac",
    "has_computer",
    "has_gold",
    "owns_land",
    "bank_account",
]
RULE_MEMBER_FIELDS = [
    "household_id",
    "birth_date",
    "sex",
    "relationship",
    "school_participation",
    "worked",
    "pregnant",
    "chronic_illness",
    "health_insurance",
    *pmt.DIFFICULTY,
]


def rule_arrays(
    households: QuerySet[Household], *, model_id: int | None, today: dt.date | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Household and member columns for the rule language (rules.HOUSEHOLD_FIELDS / MEMBER_FIELDS)."""
    from entas.registry.models import ProgrammeReceipt

    from .models import HouseholdScore

    today = today or timezone.localdate()
    rows = _chunks(households, RULE_HOUSEHOLD_FIELDS)
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [() for _ in RULE_HOUSEHOLD_FIELDS]
    raw = {name: np.asarray(cols[i], dtype=object) for i, name in enumerate(RULE_HOUSEHOLD_FIELDS)}
    ids = raw["id"].astype(np.int64)
    position = {pk: i for i, pk in enumerate(ids.tolist())}
    n = ids.size

    def number(values: np.ndarray) -> np.ndarray:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)

    def flag(values: np.ndarray) -> np.ndarray:
        return np.array([bool(v) for v in values], dtype=bool)

    m_rows = _chunks(Member.objects.filter(household__in=households, exited_on__isnull=True), RULE_MEMBER_FIELDS)
    m_cols: list[Any] = list(zip(*m_rows, strict=True)) if m_rows else [() for _ in RULE_MEMBER_FIELDS]
    m = {name: np.asarray(m_cols[i], dtype=object) for i, name in enumerate(RULE_MEMBER_FIELDS)}
    household_index = np.array([position[pk] for pk in m["household_id"].tolist()], dtype=np.int64)
    size = np.bincount(household_index, minlength=n).astype(float)
    severe = np.zeros(household_index.size, dtype=bool)
    for item in pmt.DIFFICULTY:
        severe |= np.isin(m[item], ["3", "4"])
    desil = np.full(n, np.nan)
    predicted = np.full(n, np.nan)
    if model_id is not None:
        for pk, d, p in (
            HouseholdScore.objects.filter(model_id=model_id, household__in=households)
            .values_list("household_id", "desil", "predicted_consumption")
            .iterator(chunk_size=50_000)
        ):
            desil[position[pk]] = d
            predicted[position[pk]] = p
    receives: dict[str, np.ndarray] = {p: np.zeros(n, dtype=bool) for p in ("pkh", "bpnt")}
    for pk, programme in ProgrammeReceipt.objects.filter(
        household__in=households, programme__in=["pkh", "bpnt"]
    ).values_list("household_id", "programme"):
        receives[programme][position[pk]] = True
    floor = number(raw["floor_area_m2"])
    household = {
        "id": ids,
        "size": size,
        "desil": desil,
        "predicted_consumption": predicted,
        "dtsen_desil": number(raw["desil_city"]),
        "dtsen_desil_national": number(raw["desil_national"]),
        "floor_area": floor,
        "floor_area_per_person": floor / np.maximum(size, 1),
        "kelurahan": raw["kelurahan__code"],
        "kecamatan": raw["kelurahan__parent__code"],
        "status": raw["verification_status"],
        **{
            k: flag(raw[k])
            for k in (
                "has_car",
                "has_motorcycle",
                "has_fridge",
                "has_ac",
                "has_computer",
                "has_gold",
                "owns_land",
                "bank_account",
            )
        },
        "receives_pkh": receives["pkh"],
        "receives_bpnt": receives["bpnt"],
    }
    births = m["birth_date"]
    members = {
        "household": household_index,
        "age": np.array(
            [today.year - b.year - ((today.month, today.day) < (b.month, b.day)) for b in births], dtype=float
        ),
        "female": m["sex"] == "2",
        "head": m["relationship"] == "1",
        "in_school": m["school_participation"] == "1",
        "working": flag(m["worked"]),
        "disabled": severe,
        "pregnant": flag(m["pregnant"]),
        "chronic_illness": np.array([v not in ("", "0", None) for v in m["chronic_illness"]], dtype=bool),
        "pbi": m["health_insurance"] == "1",
    }
    return household, members
