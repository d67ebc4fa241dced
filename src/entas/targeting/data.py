"""Reading the registry into column arrays for the PMT and the rule language (entas.core.columnar)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from django.db.models import Q, QuerySet
from django.utils import timezone

from entas.core.columnar import read_columns
from entas.registry.models import Household, Member

from . import pmt

HOUSEHOLD_FIELDS = [
    "id",
    "kelurahan_id",
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


def area_codes(kelurahan_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kelurahan codes, kecamatan codes) of households given their kelurahan ids: looked up in the few
    dozen regions rather than joined and sent as text for every household (None for an unknown id)."""
    from entas.regions.models import Region, RegionLevel

    rows = list(Region.objects.filter(level=RegionLevel.KELURAHAN).values_list("pk", "code", "parent__code"))
    unknown = max((pk for pk, _code, _parent in rows), default=0) + 1
    kelurahan = np.full(unknown + 1, None, dtype=object)
    kecamatan = np.full(unknown + 1, None, dtype=object)
    for pk, code, parent in rows:
        kelurahan[pk], kecamatan[pk] = code, parent
    at = np.asarray(kelurahan_ids).astype(np.int64)
    at[(at < 0) | (at > unknown)] = unknown
    return kelurahan[at], kecamatan[at]


def registry_arrays(
    households: QuerySet[Household], today: dt.date | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(household ids, household sizes, PMT features) for the households of ``households``."""
    today = today or timezone.localdate()
    h = read_columns(households, HOUSEHOLD_FIELDS)
    if h["id"].size == 0:
        return np.array([], dtype=np.int64), np.array([]), {}
    h["kecamatan"] = area_codes(h.pop("kelurahan_id"))[1]
    ids = h["id"].astype(np.int64)
    for name in ("floor_area_m2", "cattle", "goats"):
        h[name] = h[name].astype(float)
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
        **{k: m[k] for k in ["worked", "disabled", "sex", "relationship", "diploma"]},
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
# Where each name of the rule language comes from: registry fields read for it (households, members).
HOUSEHOLD_SOURCES: dict[str, list[str]] = {
    "dtsen_desil": ["desil_city"],
    "dtsen_desil_national": ["desil_national"],
    "floor_area": ["floor_area_m2"],
    "floor_area_per_person": ["floor_area_m2"],
    "kecamatan": [],  # from the kelurahan ids read at the start
    "status": ["verification_status"],
    **{name: [name] for name in RULE_FLAGS},
}
MEMBER_SOURCES: dict[str, list[str]] = {
    "age": ["birth_date"],
    "female": ["sex"],
    "head": ["relationship"],
    "in_school": ["school_participation"],
    "working": ["worked"],
    "disabled": ["disabled"],
    "pregnant": ["pregnant"],
    "chronic_illness": ["chronic_illness"],
    "pbi": ["health_insurance"],
}
SCORE_NAMES = {"desil", "predicted_consumption"}
RECEIPT_NAMES = {"receives_pkh": "pkh", "receives_bpnt": "bpnt"}
BASE_HOUSEHOLD = ("id", "size", "kelurahan")  # every view has these (the selection and its summary need them)


class StaleRead(RuntimeError):
    """Rows read later do not line up with rows read earlier: the registry changed in between."""


class RuleData:
    """The rule language's columns for a set of households, read from the database only as rules need
    them (a rule naming three fields reads three, not thirty) and kept for the next rule.

    Households are held in id order, members in id order; every later read is checked to line up
    with the first (same ids), or raises StaleRead."""

    def __init__(
        self,
        households: QuerySet[Household],
        *,
        model_id: int | None,
        today: dt.date | None = None,
        names: Any = None,
    ):
        """Reads the ids (and the member columns of ``names``, in the same pass over the members)."""
        from .rules import MEMBER_FIELDS

        self.qs = households
        self.model_id = model_id
        self.today = today or timezone.localdate()
        self.members_qs = of_households(Member.objects.filter(exited_on__isnull=True), households)
        self.lock = threading.Lock()
        base = _by_id(households, ["kelurahan_id"])
        self.ids = base["id"]
        kelurahan, self.kecamatan = area_codes(base["kelurahan_id"])
        self.h: dict[str, np.ndarray] = {"id": self.ids, "kelurahan": kelurahan}
        member_names = sorted(set(MEMBER_FIELDS) if names is None else {n for n in names if n in MEMBER_FIELDS})
        fields, conditions = self._member_fields(member_names)
        m = _by_id(self.members_qs, ["household_id", *fields], conditions)
        self.member_ids = m["id"]
        self.m: dict[str, np.ndarray] = {"household": self.position(m["household_id"])}
        self.h["size"] = np.bincount(self.m["household"], minlength=self.ids.size).astype(float)
        self._derive_members(member_names, m)

    def position(self, household_ids: np.ndarray) -> np.ndarray:
        """Index into the household arrays of each of ``household_ids``."""
        if not self.ids.size:
            return np.empty(0, dtype=np.int64)
        return np.searchsorted(self.ids, np.asarray(household_ids).astype(np.int64))

    def arrays(self, names: Any = None) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """(households, members) holding at least ``names`` (rule-language names; None: all of them)."""
        from .rules import HOUSEHOLD_FIELDS, MEMBER_FIELDS

        wanted = set(HOUSEHOLD_FIELDS) | set(MEMBER_FIELDS) if names is None else set(names)
        with self.lock:
            self._load_households([n for n in wanted if n in HOUSEHOLD_FIELDS and n not in self.h])
            self._load_members([n for n in wanted if n in MEMBER_FIELDS and n not in self.m])
        households = {n: self.h[n] for n in (*BASE_HOUSEHOLD, *sorted(wanted)) if n in self.h}
        members = {n: self.m[n] for n in ("household", *sorted(wanted)) if n in self.m}
        return households, members

    def _load_households(self, names: list[str]) -> None:
        from entas.registry.models import ProgrammeReceipt

        from .models import HouseholdScore

        n = self.ids.size
        if "kecamatan" in names:
            self.h["kecamatan"] = self.kecamatan
        fields = sorted({f for name in names for f in HOUSEHOLD_SOURCES.get(name, [])})
        if fields:
            raw = self._aligned(self.qs, fields, self.ids)
            floor = raw["floor_area_m2"].astype(float) if "floor_area_m2" in raw else np.empty(0)
            derived: dict[str, Callable[[], np.ndarray]] = {
                "dtsen_desil": lambda: raw["desil_city"].astype(float),
                "dtsen_desil_national": lambda: raw["desil_national"].astype(float),
                "floor_area": lambda: floor,
                "floor_area_per_person": lambda: floor / np.maximum(self.h["size"], 1),
                "status": lambda: raw["verification_status"],
            }
            for name in names:
                if name in RULE_FLAGS:
                    self.h[name] = raw[name]
                elif name in derived:
                    self.h[name] = derived[name]()
        if SCORE_NAMES & set(names):
            desil, predicted = np.full(n, np.nan), np.full(n, np.nan)
            if self.model_id is not None:
                scores = read_columns(
                    of_households(HouseholdScore.objects.filter(model_id=self.model_id), self.qs),
                    ["household_id", "desil", "predicted_consumption"],
                )
                at = self.position(scores["household_id"])
                desil[at] = scores["desil"].astype(float)
                predicted[at] = scores["predicted_consumption"].astype(float)
            self.h["desil"], self.h["predicted_consumption"] = desil, predicted
        if RECEIPT_NAMES.keys() & set(names):
            receipts = read_columns(
                of_households(ProgrammeReceipt.objects.filter(programme__in=list(RECEIPT_NAMES.values())), self.qs),
                ["household_id", "programme"],
            )
            for name, programme in RECEIPT_NAMES.items():
                receives = np.zeros(n, dtype=bool)
                receives[self.position(receipts["household_id"][receipts["programme"] == programme])] = True
                self.h[name] = receives

    def _load_members(self, names: list[str]) -> None:
        fields, conditions = self._member_fields(names)
        if fields or conditions:
            self._derive_members(names, self._aligned(self.members_qs, fields, self.member_ids, conditions=conditions))

    @staticmethod
    def _member_fields(names: list[str]) -> tuple[list[str], dict[str, Q] | None]:
        fields = sorted({f for name in names for f in MEMBER_SOURCES[name]} - {"disabled"})
        return fields, ({"disabled": disability_condition()} if "disabled" in names else None)

    def _derive_members(self, names: list[str], m: dict[str, np.ndarray]) -> None:
        derived: dict[str, Callable[[], np.ndarray]] = {
            "age": lambda: ages(m["birth_date"], self.today),
            "female": lambda: m["sex"] == "2",
            "head": lambda: m["relationship"] == "1",
            "in_school": lambda: m["school_participation"] == "1",
            "working": lambda: m["worked"],
            "disabled": lambda: m["disabled"],
            "pregnant": lambda: m["pregnant"],
            "chronic_illness": lambda: ~np.isin(m["chronic_illness"], ["", "0"]),  # "": not recorded
            "pbi": lambda: m["health_insurance"] == "1",
        }
        for name in names:
            self.m[name] = derived[name]()

    @staticmethod
    def _aligned(
        qs: QuerySet[Any], fields: list[str], ids: np.ndarray, conditions: dict[str, Q] | None = None
    ) -> dict[str, np.ndarray]:
        got = _by_id(qs, fields, conditions)
        if not np.array_equal(got["id"], ids):
            raise StaleRead("the rows changed between two reads")
        return got


def _by_id(qs: QuerySet[Any], fields: list[str], conditions: dict[str, Q] | None = None) -> dict[str, np.ndarray]:
    """read_columns of ``id`` and ``fields``, every column in id order."""
    got = read_columns(qs, ["id", *fields], conditions=conditions)
    order = np.argsort(got["id"], kind="stable")
    return {name: values[order] for name, values in got.items()}


def rule_arrays(
    households: QuerySet[Household],
    *,
    model_id: int | None,
    today: dt.date | None = None,
    names: Any = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Household and member columns for the rule language (rules.HOUSEHOLD_FIELDS / MEMBER_FIELDS):
    ``names`` of them (all when None), with id, size and kelurahan; members with their household index."""
    return RuleData(households, model_id=model_id, today=today, names=names).arrays(names)


# -- a columnar cache for repeated previews ---------------------------------------------------------
# Reading a million members from the database costs seconds; evaluating a rule on the arrays costs
# milliseconds. A manager refining a rule previews it many times on an unchanged registry, so the
# columns read so far are kept in this process, keyed by a change token of everything they come from.
_CACHE: dict[tuple[Any, ...], RuleData] = {}
CACHE_ENTRIES = 4


def change_token(model_id: int | None) -> tuple[Any, ...]:
    """Aggregates that change whenever the registry, its scores or its programme receipts do, each
    answered from an index: counts (a row added or removed), the newest ``updated_at`` (every change
    of a household or member sets it: edits, verification, exits, moves, merges, imports), the newest
    score id (a scoring writes new rows) and the receipts. A change that bypasses ``updated_at`` (a
    bulk SQL update) goes unseen until the next one or the next day, unless it adds or removes rows,
    which RuleData's alignment check catches."""
    from django.db.models import Count, Max

    from entas.registry.models import ProgrammeReceipt

    from .models import HouseholdScore

    households = Household.objects.aggregate(n=Count("id"), updated=Max("updated_at"))
    members = Member.objects.aggregate(n=Count("id"), updated=Max("updated_at"))
    scores = HouseholdScore.objects.aggregate(last=Max("id"))
    scored = HouseholdScore.objects.filter(model_id=model_id).count() if model_id is not None else 0
    return (
        tuple(households.values()),
        tuple(members.values()),
        scores["last"],
        scored,
        ProgrammeReceipt.objects.count(),
    )


def cached_rule_arrays(
    households: QuerySet[Household], *, scope: Any, model_id: int | None, names: Any = None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """rule_arrays, reusing the columns already read while nothing they come from has changed (same
    scope, model and day); a rule naming a new field reads just that field."""
    key = (scope, model_id, timezone.localdate(), change_token(model_id))
    for _attempt in range(2):
        data = _CACHE.get(key)
        if data is None:
            data = RuleData(households, model_id=model_id, names=names)
            if len(_CACHE) >= CACHE_ENTRIES:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = data
        try:
            return data.arrays(names)
        except StaleRead:  # changed without touching the token (e.g. a bulk update): read afresh
            _CACHE.pop(key, None)
    return RuleData(households, model_id=model_id, names=names).arrays(names)
