"""Reading the registry into column arrays for the PMT and the rule language (entas.core.columnar)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone

from entas.core.columnar import read_columns
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
MEMBER_FIELDS = ["household_id", "birth_date", "sex", "relationship", "diploma", "worked", "disabled"]


def disability_condition() -> Q:
    """A lot of difficulty, or none possible, in some Washington Group domain."""
    condition = Q()
    for item in pmt.DIFFICULTY:
        condition |= Q(**{f"{item}__in": ["3", "4"]})
    return condition


def of_households(rows: QuerySet[Any], households: QuerySet[Household]) -> QuerySet[Any]:
    """The rows (members, scores, …) of ``households``; no join when that is every household (the
    city-wide read, where the join costs more than reading the rows)."""
    return rows.filter(household__in=households) if households.query.has_filters() else rows


def ages(births: np.ndarray, today: dt.date) -> np.ndarray:
    """Completed years on ``today`` for an array of dates (date objects or ISO strings), vectorised."""
    birth = np.asarray(births, dtype="datetime64[D]")
    years = birth.astype("datetime64[Y]").astype(int) + 1970
    month = birth.astype("datetime64[M]").astype(int) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    before_birthday = (month > today.month) | ((month == today.month) & (day > today.day))
    return (today.year - years - before_birthday).astype(float)


def flags(values: np.ndarray) -> np.ndarray:
    """Yes/no values from any driver (True/False, 1/0, None → no)."""
    return np.asarray(values == True, dtype=bool)  # noqa: E712 - elementwise on an object array


def numbers(values: np.ndarray) -> np.ndarray:
    """Numbers from any driver, None → NaN."""
    out = np.full(values.size, np.nan)
    present = values != None  # noqa: E711 - elementwise on an object array
    out[present] = values[present].astype(float)
    return out


def registry_arrays(
    households: QuerySet[Household], today: dt.date | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(household ids, household sizes, PMT features) for the households of ``households``."""
    today = today or timezone.localdate()
    h = read_columns(households, [*HOUSEHOLD_FIELDS, "kelurahan__parent__code"])
    if h["id"].size == 0:
        return np.array([], dtype=np.int64), np.array([]), {}
    h["kecamatan"] = h.pop("kelurahan__parent__code")
    ids = h["id"].astype(np.int64)
    for name in pmt.BOOLEAN:
        h[name] = flags(h[name])
    for name in ("floor_area_m2", "cattle", "goats"):
        h[name] = numbers(h[name])
    m = read_columns(
        of_households(Member.objects.filter(exited_on__isnull=True), households),
        MEMBER_FIELDS,
        conditions={"disabled": disability_condition()},
    )
    order = np.argsort(ids)
    ids_sorted = ids[order]
    household_index = order[np.searchsorted(ids_sorted, m["household_id"].astype(np.int64))]
    members = {
        "household": household_index,
        "age": ages(m["birth_date"], today),
        "worked": flags(m["worked"]),
        "disabled": flags(m["disabled"]),
        **{k: m[k] for k in ["sex", "relationship", "diploma"]},
    }
    data = pmt.features(h, members)
    size = np.maximum(np.bincount(household_index, minlength=ids.size), 1).astype(float)
    return ids, size, data


# yes/no household variables a rule may name as they are
RULE_FLAGS = [
    "has_car",
    "has_motorcycle",
    "has_fridge",
    "has_ac",
    "has_computer",
    "has_gold",
    "owns_land",
    "bank_account",
]
RULE_HOUSEHOLD_FIELDS = [
    "id",
    "kelurahan__code",
    "kelurahan__parent__code",
    "desil_city",
    "desil_national",
    "floor_area_m2",
    "verification_status",
    *RULE_FLAGS,
]
RULE_MEMBER_FIELDS = [
    "disabled",
    "household_id",
    "birth_date",
    "sex",
    "relationship",
    "school_participation",
    "worked",
    "pregnant",
    "chronic_illness",
    "health_insurance",
]


def rule_arrays(
    households: QuerySet[Household], *, model_id: int | None, today: dt.date | None = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Household and member columns for the rule language (rules.HOUSEHOLD_FIELDS / MEMBER_FIELDS)."""
    from entas.registry.models import ProgrammeReceipt

    from .models import HouseholdScore

    today = today or timezone.localdate()
    raw = read_columns(households, RULE_HOUSEHOLD_FIELDS)
    ids = raw["id"].astype(np.int64)
    n = ids.size
    order = np.argsort(ids)
    ids_sorted = ids[order]

    def position(values: np.ndarray) -> np.ndarray:
        return order[np.searchsorted(ids_sorted, np.asarray(values).astype(np.int64))] if n else np.empty(0, int)

    m = read_columns(
        of_households(Member.objects.filter(exited_on__isnull=True), households),
        RULE_MEMBER_FIELDS,
        conditions={"disabled": disability_condition()},
    )
    household_index = position(m["household_id"])
    size = np.bincount(household_index, minlength=n).astype(float)
    desil = np.full(n, np.nan)
    predicted = np.full(n, np.nan)
    if model_id is not None:
        scores = read_columns(
            of_households(HouseholdScore.objects.filter(model_id=model_id), households),
            ["household_id", "desil", "predicted_consumption"],
        )
        at = position(scores["household_id"])
        desil[at] = scores["desil"].astype(float)
        predicted[at] = scores["predicted_consumption"].astype(float)
    receipts = read_columns(
        of_households(ProgrammeReceipt.objects.filter(programme__in=["pkh", "bpnt"]), households),
        ["household_id", "programme"],
    )
    receives = {}
    for programme in ("pkh", "bpnt"):
        receives[programme] = np.zeros(n, dtype=bool)
        receives[programme][position(receipts["household_id"][receipts["programme"] == programme])] = True
    floor = numbers(raw["floor_area_m2"])
    household = {
        "id": ids,
        "size": size,
        "desil": desil,
        "predicted_consumption": predicted,
        "dtsen_desil": numbers(raw["desil_city"]),
        "dtsen_desil_national": numbers(raw["desil_national"]),
        "floor_area": floor,
        "floor_area_per_person": floor / np.maximum(size, 1),
        "kelurahan": raw["kelurahan__code"],
        "kecamatan": raw["kelurahan__parent__code"],
        "status": raw["verification_status"],
        **{k: flags(raw[k]) for k in RULE_FLAGS},
        "receives_pkh": receives["pkh"],
        "receives_bpnt": receives["bpnt"],
    }
    members = {
        "household": household_index,
        "age": ages(m["birth_date"], today),
        "female": m["sex"] == "2",
        "head": m["relationship"] == "1",
        "in_school": m["school_participation"] == "1",
        "working": flags(m["worked"]),
        "disabled": flags(m["disabled"]),
        "pregnant": flags(m["pregnant"]),
        "chronic_illness": ~np.isin(m["chronic_illness"].astype(str), ["", "0", "None"]),
        "pbi": m["health_insurance"] == "1",
    }
    return household, members


# -- a columnar cache for repeated previews ---------------------------------------------------------
# Reading a million members from the database costs seconds; evaluating a rule on the arrays costs
# milliseconds. A manager refining a rule previews it many times on an unchanged registry, so the
# arrays are kept in this process, keyed by a change token of everything they are built from.
_CACHE: dict[tuple[Any, ...], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]] = {}
CACHE_ENTRIES = 4


def change_token(model_id: int | None) -> tuple[Any, ...]:
    """Cheap aggregates that change whenever the registry, its scores or its programme receipts do."""
    from django.db.models import Count, Max, Sum

    from entas.registry.models import ProgrammeReceipt

    from .models import HouseholdScore

    households = Household.objects.aggregate(n=Count("id"), updated=Max("updated_at"), versions=Sum("version"))
    members = Member.objects.aggregate(n=Count("id"), updated=Max("updated_at"), exited=Count("exited_on"))
    scores = HouseholdScore.objects.filter(model_id=model_id).aggregate(n=Count("id"), at=Max("scored_at"))
    return (
        tuple(households.values()),
        tuple(members.values()),
        tuple(scores.values()),
        ProgrammeReceipt.objects.count(),
    )


def cached_rule_arrays(
    households: QuerySet[Household], *, scope: Any, model_id: int | None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """rule_arrays, reused while nothing it reads has changed (same scope, model and day)."""
    key = (scope, model_id, timezone.localdate(), change_token(model_id))
    hit = _CACHE.get(key)
    if hit is None:
        hit = rule_arrays(households, model_id=model_id)
        if len(_CACHE) >= CACHE_ENTRIES:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = hit
    return hit
