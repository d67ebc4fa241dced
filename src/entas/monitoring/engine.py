"""The indicator engine: computes every indicator into the facts table, fully or incrementally.

Registry indicators are conditions in the targeting rule language (entas.targeting.rules, one
language and one evaluator) over the households or members of each kelurahan, counted for the
current period (the registry is a snapshot: each month's refresh adds that month's values, earlier
months keep theirs). The numerator counts the units meeting both the numerator's and the
denominator's conditions. Kelurahan facts are summed to kecamatan and city facts (numerators and
denominators add up; the value is recomputed from the sums).

Incremental refresh: a kelurahan is recomputed when its fingerprint changed since the last run —
(households, newest household change, current members, newest member change), one GROUP BY each —
which catches edits, verifications, exits, moves out (the count falls) and in, merges and imports.
An indicator whose definition changed, or that has no facts yet for the current period, is
recomputed everywhere. Survey, official and module-source indicators are small and recomputed
whole when their inputs changed (a survey round or an official value newer than the last run) or
always (module sources). ``tests/monitoring/test_engine.py`` checks incremental == full.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from entas.regions.models import Region, RegionLevel

from . import sources
from .models import Fact, Indicator, OfficialValue, RefreshRun, SurveyHousehold, SurveyRound

AGE_BANDS = [(0, 6, "0-6"), (7, 12, "7-12"), (13, 17, "13-17"), (18, 59, "18-59"), (60, 200, "60+")]
DIMENSIONS = ("sex", "age_band", "desil", "disability")
SURVEY_MEASURES = {"p0": ("national", 0), "p1": ("national", 1), "p2": ("national", 2), "extreme": ("extreme", 0)}


def period_of(indicator: Indicator, when: dt.date) -> str:
    return f"{when.year}" if indicator.period_type == Indicator.PeriodType.YEAR else f"{when:%Y-%m}"


@dataclass
class Summary:
    full: bool
    facts_written: int = 0
    facts_deleted: int = 0
    kelurahan_recomputed: int = 0
    indicators: int = 0
    alerts_raised: int = 0
    seconds: float = 0.0
    by_indicator: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "full": self.full,
            "facts_written": self.facts_written,
            "facts_deleted": self.facts_deleted,
            "kelurahan_recomputed": self.kelurahan_recomputed,
            "indicators": self.indicators,
            "alerts_raised": self.alerts_raised,
            "seconds": round(self.seconds, 3),
            "by_indicator": self.by_indicator,
        }


class Areas:
    """The region tree below the city, read once: kelurahan → kecamatan → city."""

    def __init__(self) -> None:
        rows = list(
            Region.objects.filter(level__gte=RegionLevel.REGENCY_CITY).values_list("pk", "code", "level", "parent_id")
        )
        self.code = {pk: code for pk, code, _l, _p in rows}
        self.level = {pk: level for pk, _c, level, _p in rows}
        self.parent = {pk: parent for pk, _c, _l, parent in rows}
        self.by_code = {code: pk for pk, code, _l, _p in rows}
        self.kelurahan = sorted(pk for pk, _c, level, _p in rows if level == RegionLevel.KELURAHAN)

    def ancestors(self, pk: int) -> list[int]:
        out = []
        parent = self.parent.get(pk)
        while parent is not None and parent in self.level:
            out.append(parent)
            parent = self.parent.get(parent)
        return out


def fingerprint() -> dict[str, list[Any]]:
    """Per kelurahan: households, newest household change, current members, newest member change."""
    from entas.registry.models import Household, Member

    out: dict[str, list[Any]] = defaultdict(lambda: [0, "", 0, ""])
    for row in Household.objects.values("kelurahan_id").annotate(n=Count("pk"), u=Max("updated_at")).order_by():
        out[str(row["kelurahan_id"])][0:2] = [row["n"], row["u"].isoformat() if row["u"] else ""]
    members = (
        Member.objects.filter(exited_on__isnull=True)
        .values("household__kelurahan_id")
        .annotate(n=Count("pk"), u=Max("updated_at"))
        .order_by()
    )
    for row in members:
        out[str(row["household__kelurahan_id"])][2:4] = [row["n"], row["u"].isoformat() if row["u"] else ""]
    return dict(out)


# -- registry indicators: the rule language over kelurahan --------------------------------------------


def _compiled(indicator: Indicator) -> tuple[Any, Any]:
    from entas.targeting.rules import compile_rule

    on = "members" if indicator.unit == Indicator.Unit.MEMBERS else "households"
    numerator = compile_rule(indicator.numerator, on=on)
    denominator = compile_rule(indicator.denominator or "true", on=on)
    return numerator, denominator


def validate(indicator: Indicator) -> None:
    """Raise Refused (RuleError) when a registry indicator's conditions do not compile."""
    if indicator.kind == Indicator.Kind.REGISTRY:
        _compiled(indicator)


def _categories(dimension: str, h: dict[str, np.ndarray], m: dict[str, np.ndarray], members: bool) -> np.ndarray:
    """The category of each unit (member or household) along ``dimension``."""
    if dimension == "desil":
        desil = np.asarray(h["dtsen_desil"], dtype=float)
        labels = np.where(np.isfinite(desil), np.nan_to_num(desil).astype(int).astype(str), "")
        return labels[m["household"]] if members else labels
    if dimension == "sex":
        if members:
            return np.where(m["female"], "female", "male")
        head_female = np.bincount(
            m["household"], weights=(m["head"] & m["female"]).astype(float), minlength=len(h["id"])
        )
        return np.where(head_female > 0, "female", "male")
    if dimension == "disability":
        if members:
            return np.where(m["disabled"], "yes", "no")
        any_disabled = np.bincount(m["household"], weights=m["disabled"].astype(float), minlength=len(h["id"]))
        return np.where(any_disabled > 0, "yes", "no")
    if dimension == "age_band":
        age = np.asarray(m["age"], dtype=float)
        labels = np.full(age.size, "", dtype=object)
        for low, high, label in AGE_BANDS:
            labels[(age >= low) & (age <= high)] = label
        if members:
            return labels.astype(str)
        raise ValueError("age bands are for indicators counting people")
    raise ValueError(f"unknown disaggregation {dimension!r}")


class Groups:
    """Integer codes of each unit's kelurahan and category, computed once per refresh for households
    and for members and shared by every indicator (a bincount per indicator, no string work)."""

    def __init__(self, h: dict[str, np.ndarray], m: dict[str, np.ndarray], areas: Areas):
        self.h, self.m, self.areas = h, m, areas
        kel = np.asarray(h["kelurahan"], dtype=object)
        kel = np.where(kel == None, "", kel).astype(str)  # noqa: E711 (an element-wise comparison)
        self.kel_codes, kel_index = np.unique(kel, return_inverse=True)
        self.kel_pk = [areas.by_code.get(c) for c in self.kel_codes.tolist()]
        self.kel = {"households": kel_index, "members": kel_index[m["household"]]}
        self._cats: dict[tuple[str, str], tuple[np.ndarray, list[str]]] = {}

    def categories(self, dimension: str, unit: str) -> tuple[np.ndarray, list[str]]:
        key = (dimension, unit)
        if key not in self._cats:
            labels = _categories(dimension, self.h, self.m, unit == "members")
            names, index = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
            self._cats[key] = (index, names.tolist())
        return self._cats[key]


def registry_counts(indicator: Indicator, groups: Groups) -> list[tuple[int, str, str, float, float]]:
    """(kelurahan id, dimension, category, numerator, denominator) of a registry indicator."""
    numerator, denominator = _compiled(indicator)
    unit = "members" if indicator.unit == Indicator.Unit.MEMBERS else "households"
    h, m = groups.h, groups.m
    den = denominator.evaluate(h, m)
    num = (numerator.evaluate(h, m) & den).astype(float)
    den_f = den.astype(float)
    kel = groups.kel[unit]
    n_kel = len(groups.kel_codes)
    out: list[tuple[int, str, str, float, float]] = []
    for dimension in ["", *[d for d in indicator.disaggregations if d in DIMENSIONS]]:
        if dimension == "age_band" and unit != "members":
            continue
        if dimension:
            cat, names = groups.categories(dimension, unit)
        else:
            cat, names = np.zeros(kel.size, dtype=np.int64), [""]
        keys = kel * len(names) + cat
        size = n_kel * len(names)
        nums = np.bincount(keys, weights=num, minlength=size)
        dens = np.bincount(keys, weights=den_f, minlength=size)
        present = np.bincount(keys, minlength=size) > 0
        for key in np.flatnonzero(present).tolist():
            pk = groups.kel_pk[key // len(names)]
            category = names[key % len(names)]
            if pk is None or (dimension and not category):
                continue
            out.append((pk, dimension, category, float(nums[key]), float(dens[key])))
    return out


def _rule_names(indicators: Iterable[Indicator]) -> set[str]:
    names: set[str] = {"dtsen_desil", "female", "head", "disabled", "age"}
    for indicator in indicators:
        numerator, denominator = _compiled(indicator)
        names |= set(numerator.fields) | set(denominator.fields)
    return names


# -- writing facts -------------------------------------------------------------------------------------


def _value(n: float | None, d: float | None, factor: int) -> float | None:
    if n is None or d is None or d <= 0:
        return None
    return n / d * factor


class Writer:
    """Replaces sets of facts: one DELETE and set-based INSERTs (entas.core.bulk), never a save per row."""

    def __init__(self, now: dt.datetime, summary: Summary):
        from entas.core.bulk import Inserter

        self.now = now
        self.summary = summary
        self.inserter = Inserter(Fact)

    def replace(self, query: Q, facts: list[dict[str, Any]]) -> None:
        deleted, _detail = Fact.objects.filter(query).delete()
        self.summary.facts_deleted += deleted
        if facts:
            self.inserter.insert(facts)
        self.summary.facts_written += len(facts)

    def fact(self, indicator: Indicator, area: int, level: int, period: str, **values: Any) -> dict[str, Any]:
        return {
            "indicator_id": indicator.pk,
            "version": indicator.version,
            "area_id": area,
            "level": level,
            "period": period,
            "computed_at": self.now,
            "confirmed": True,
            "se": None,
            **values,
        }


def _additive_facts(
    indicator: Indicator,
    period: str,
    counts: list[tuple[int, str, str, float, float]],
    areas: Areas,
    writer: Writer,
    kelurahan: set[int] | None,
) -> None:
    """Write kelurahan facts of ``kelurahan`` (None: all) and recompute their ancestors from the
    kelurahan facts in the table."""
    base = Q(indicator=indicator, period=period)
    facts = [
        writer.fact(
            indicator,
            pk,
            RegionLevel.KELURAHAN,
            period,
            dimension=dim,
            category=cat,
            numerator=n,
            denominator=d,
            value=_value(n, d, indicator.factor),
        )
        for pk, dim, cat, n, d in counts
        if kelurahan is None or pk in kelurahan
    ]
    scope = Q(level=RegionLevel.KELURAHAN) if kelurahan is None else Q(area_id__in=sorted(kelurahan))
    writer.replace(base & scope, facts)
    touched = set(areas.kelurahan) if kelurahan is None else kelurahan
    parents = sorted({a for pk in touched for a in areas.ancestors(pk)})
    if not parents:
        return
    sums: dict[tuple[int, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    rows = Fact.objects.filter(base, level=RegionLevel.KELURAHAN).values_list(
        "area_id", "dimension", "category", "numerator", "denominator"
    )
    for pk, dim, cat, n, d in rows:
        for parent in areas.ancestors(pk):
            if parent in parents:
                total = sums[(parent, dim, cat)]
                total[0] += n or 0.0
                total[1] += d or 0.0
    upper = [
        writer.fact(
            indicator,
            pk,
            areas.level[pk],
            period,
            dimension=dim,
            category=cat,
            numerator=n,
            denominator=d,
            value=_value(n, d, indicator.factor),
        )
        for (pk, dim, cat), (n, d) in sorted(sums.items())
    ]
    writer.replace(base & Q(area_id__in=parents), upper)


# -- survey, official and module-source indicators -----------------------------------------------------


def survey_facts(indicator: Indicator, areas: Areas, writer: Writer) -> None:
    """Direct survey estimates with standard errors for the city, each kecamatan and kelurahan, one
    period per survey year (its latest round)."""
    from entas.measures import survey as s

    from .selectors import poverty_line

    measure = indicator.measure
    facts: list[dict[str, Any]] = []
    latest: dict[int, SurveyRound] = {}
    for survey in SurveyRound.objects.order_by("year", "imported_at"):
        latest[survey.year] = survey
    for year, survey in sorted(latest.items()):
        rows = list(
            SurveyHousehold.objects.filter(survey=survey).values_list(
                "consumption_per_capita", "household_size", "weight", "stratum", "psu", "kelurahan_id"
            )
        )
        if len(rows) < 2:
            continue
        cols = list(zip(*rows, strict=True))
        y = np.asarray(cols[0], dtype=float)
        people = np.asarray(cols[2], dtype=float) * np.asarray(cols[1], dtype=float)
        design = s.Design(people, strata=np.asarray(cols[3]), psu=np.asarray(cols[4]))
        kel = np.asarray(cols[5])
        z, alpha = 0.0, 0
        if measure != "gini":
            kind, alpha = SURVEY_MEASURES[measure]
            line = poverty_line(kind, year)
            if line is None:
                continue
            z = float(line.rupiah_per_capita_month)
        groups: dict[int, np.ndarray] = {}
        for pk in np.unique(kel).tolist():
            for area in [pk, *areas.ancestors(pk)]:
                groups[area] = groups.get(area, np.zeros(y.size, dtype=bool)) | (kel == pk)
        for area, mask in sorted(groups.items()):
            if mask.sum() < 2:
                continue
            est = s.gini(y, design, domain=mask) if measure == "gini" else s.fgt(y, z, alpha, design, domain=mask)
            facts.append(
                writer.fact(
                    indicator,
                    area,
                    areas.level[area],
                    str(year),
                    dimension="",
                    category="",
                    numerator=None,
                    denominator=float(mask.sum()),
                    value=est.value * indicator.factor,
                    se=est.se * indicator.factor,
                )
            )
    writer.replace(Q(indicator=indicator), facts)


def official_facts(indicator: Indicator, areas: Areas, writer: Writer) -> None:
    facts = [
        writer.fact(
            indicator,
            v.area_id,
            areas.level.get(v.area_id, 0),
            v.period,
            dimension="",
            category="",
            numerator=None,
            denominator=None,
            value=v.value,
            se=v.se,
            confirmed=v.confirmed,
        )
        for v in OfficialValue.objects.filter(indicator=indicator)
    ]
    writer.replace(Q(indicator=indicator), facts)


def source_facts(indicator: Indicator, areas: Areas, writer: Writer) -> None:
    source = sources.get(indicator.source)
    if source is None:
        return
    by_period: dict[str, list[tuple[int, str, str, float, float]]] = defaultdict(list)
    for pk, period, n, d in source.rows():
        by_period[period].append((pk, "", "", n, d))
    Fact.objects.filter(indicator=indicator).exclude(period__in=list(by_period)).delete()
    for period, counts in sorted(by_period.items()):
        _additive_facts(indicator, period, counts, areas, writer, None)


# -- the refresh --------------------------------------------------------------------------------------


def refresh(
    *, full: bool = False, now: dt.datetime | None = None, progress: Callable[[str], None] | None = None
) -> Summary:
    """Recompute the facts (everything when ``full``, else what changed since the last run), then
    evaluate the alert rules. Returns what was written."""
    from entas.targeting.data import RuleData

    from . import alerts

    started = timezone.now()
    now = now or started
    today = timezone.localdate(now)
    last = RefreshRun.objects.filter(finished_at__isnull=False).order_by("-started_at").first()
    full = full or last is None
    summary = Summary(full=full)
    run = RefreshRun.objects.create(started_at=now, full=full)
    writer = Writer(now, summary)
    areas = Areas()
    indicators = list(Indicator.objects.all())
    summary.indicators = len(indicators)
    watermark = None if full or last is None else last.started_at
    say = progress or (lambda _text: None)

    prints = fingerprint()
    if full or last is None:
        changed_kel = set(areas.kelurahan)
    else:
        old = last.fingerprint or {}
        changed_kel = {int(k) for k in set(prints) | set(old) if prints.get(k) != old.get(k) and int(k) in areas.level}
    # Every kelurahan changed: one read of the whole registry, as a full refresh (no per-area filters).
    everywhere_changed = bool(areas.kelurahan) and changed_kel >= set(areas.kelurahan)
    registry = [i for i in indicators if i.kind == Indicator.Kind.REGISTRY]
    plans: list[tuple[Indicator, str, set[int] | None]] = []
    for indicator in registry:
        period = period_of(indicator, today)
        current = Fact.objects.filter(indicator=indicator, period=period, version=indicator.version).exists()
        if full or everywhere_changed or not current or (watermark is not None and indicator.changed_at >= watermark):
            plans.append((indicator, period, None))
        elif changed_kel:
            plans.append((indicator, period, changed_kel))
    if plans:
        everywhere = any(k is None for _i, _p, k in plans)
        wanted = set(areas.kelurahan) if everywhere else set().union(*(k for _i, _p, k in plans if k))
        summary.kelurahan_recomputed = len(wanted)
        from entas.registry.models import Household

        households = (
            Household.objects.all() if everywhere else Household.objects.filter(kelurahan_id__in=sorted(wanted))
        )
        names = _rule_names(i for i, _p, _k in plans)
        say(f"reading the registry for {len(wanted)} kelurahan")
        data = RuleData(households, model_id=None, today=today, names=names)
        h, m = data.arrays(names)
        groups = Groups(h, m, areas)
        for indicator, period, kelurahan in plans:
            with transaction.atomic():
                before = summary.facts_written
                _additive_facts(indicator, period, registry_counts(indicator, groups), areas, writer, kelurahan)
                summary.by_indicator[indicator.code] = summary.facts_written - before
            say(f"{indicator.code}: {summary.by_indicator[indicator.code]} facts")
    for indicator in indicators:
        if indicator.kind == Indicator.Kind.REGISTRY:
            continue
        changed = watermark is None or indicator.changed_at >= watermark
        if indicator.kind == Indicator.Kind.SURVEY:
            changed = changed or SurveyRound.objects.filter(imported_at__gte=watermark).exists()
            compute: Callable[[Indicator, Areas, Writer], None] = survey_facts
        elif indicator.kind == Indicator.Kind.OFFICIAL:
            changed = changed or OfficialValue.objects.filter(indicator=indicator, entered_at__gte=watermark).exists()
            compute = official_facts
        else:
            changed = True  # module sources are small and carry no change marker
            compute = source_facts
        if changed:
            with transaction.atomic():
                before = summary.facts_written
                compute(indicator, areas, writer)
                summary.by_indicator[indicator.code] = summary.facts_written - before
    summary.alerts_raised = alerts.evaluate(now=now)
    run.finished_at = timezone.now()
    run.facts_written = summary.facts_written
    run.facts_deleted = summary.facts_deleted
    run.kelurahan_recomputed = summary.kelurahan_recomputed
    run.alerts_raised = summary.alerts_raised
    run.fingerprint = prints
    run.save()
    summary.seconds = (run.finished_at - started).total_seconds()
    return summary
