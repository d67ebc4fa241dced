"""Indicator refresh speed: the facts table from the registry, fully and incrementally, and the
dashboard's reads.

Figures: (1) a full refresh of N registry indicators (default 40: rule-language conditions over people
and families) × 34 kelurahan (+ kecamatan and city) × 3 disaggregations each, for one period (each
month's refresh writes that month: 24 months are 24 refreshes, each of this size); (2) an incremental
refresh after 1 % of families changed, (a) spread over the city (every kelurahan changes, so it
recomputes everything: the incremental unit is the kelurahan) and (b) concentrated in 3 kelurahan (a
verification round); (3) the dashboard's reads (facts only) for the city and a kecamatan.
Floor: one GROUP BY over the members table (current members per kelurahan), in the same run.
(4) ``--months`` (24) months of operation: each month 1 % of families change and that month's refresh
writes its period; the facts table then holds 24 periods × 40 indicators × 34 kelurahan (+ kecamatan and
city) × 3 disaggregations, and the dashboard's reads are measured again on it.
Targets (issue 23): the refresh a small multiple of the floor; dashboard queries < 50 ms.

    .venv/bin/python benchmarks/indicators.py [--members 1000000] [--indicators 40]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

CONDITIONS = [
    ("members", "in_school", "age >= 7 and age <= 18", ["sex", "age_band", "desil"]),
    ("members", "pbi", "dtsen_desil <= 4", ["sex", "age_band", "disability"]),
    ("members", "working", "age >= 15 and age <= 64", ["sex", "desil", "disability"]),
    ("members", "pbi or receives_pkh or receives_bpnt", "", ["sex", "age_band", "desil"]),
    ("members", "dtsen_desil <= 4 and floor_area_per_person < 8", "", ["sex", "age_band", "disability"]),
    ("households", "receives_pkh", "dtsen_desil <= 2", ["sex", "desil", "disability"]),
    ("households", "dtsen_desil <= 3", "", ["sex", "desil", "disability"]),
    ("households", "not has_motorcycle and not has_car", "", ["sex", "desil", "disability"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument(
        "--months", type=int, default=24, help="Months of monthly refreshes to run (the facts table they leave)."
    )
    args = parser.parse_args()
    from _setup import django_setup, load_city, report, timed

    django_setup()
    import numpy as np
    from django.db.models import Count
    from django.utils import timezone

    from entas.monitoring import engine, selectors, services
    from entas.regions.models import Region
    from entas.registry.models import Household, Member

    households = int(args.members / 3.05)
    load_city(households, seed=3)
    for i in range(args.indicators):
        unit, numerator, denominator, dims = CONDITIONS[i % len(CONDITIONS)]
        # Each indicator its own definition (a different age or desil cut), as 40 real ones would be.
        extra = f" and dtsen_desil <= {10 - i // len(CONDITIONS)}" if i >= len(CONDITIONS) else ""
        services.define_indicator(
            spec={
                "code": f"bench-{i:02d}",
                "name": f"bench {i}",
                "kind": "registry",
                "unit": unit,
                "numerator": numerator,
                "denominator": (denominator or "true") + extra,
                "disaggregations": dims,
            },
            actor=None,
        )

    def group_by() -> object:
        return list(
            Member.objects.filter(exited_on__isnull=True)
            .values("household__kelurahan_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    floor = timed(group_by, repeat=3)
    summaries: list[engine.Summary] = []
    full = timed(lambda: summaries.append(engine.refresh(full=True)), repeat=2)
    written = summaries[-1].facts_written

    rng = np.random.default_rng(1)
    ids = np.array(Household.objects.values_list("pk", flat=True))

    def touch(chosen: np.ndarray) -> None:
        Household.objects.filter(pk__in=chosen.tolist()).update(updated_at=timezone.now())

    spread = rng.choice(ids, size=max(1, ids.size // 100), replace=False)
    incremental_spread = timed(lambda: summaries.append(engine.refresh()), repeat=1, before=lambda: touch(spread))
    spread_kelurahan = summaries[-1].kelurahan_recomputed
    three = list(Region.objects.filter(level=4).order_by("code").values_list("pk", flat=True)[:3])
    local = np.array(Household.objects.filter(kelurahan_id__in=three).values_list("pk", flat=True))
    local = rng.choice(local, size=min(local.size, max(1, ids.size // 100)), replace=False)
    incremental_local = timed(lambda: summaries.append(engine.refresh()), repeat=2, before=lambda: touch(local))
    local_kelurahan = summaries[-1].kelurahan_recomputed
    nothing = timed(lambda: summaries.append(engine.refresh()), repeat=2)

    indicator = selectors.indicator("bench-00")
    city = selectors.area_for(None, None)
    kecamatan = Region.objects.get(code="64.71.01")

    def dashboard_reads() -> None:
        list(selectors.facts_for(None, indicator.pk, area=city))
        list(selectors.facts_for(None, indicator.pk, children_of=city))
        list(selectors.facts_for(None, indicator.pk, children_of=kecamatan))
        period = selectors.periods_of(indicator.pk)[-1]
        list(selectors.breakdown_for(None, indicator.pk, city, period))

    reads = timed(dashboard_reads, repeat=5)

    # 24 months of operation: each month's refresh writes that month's facts (the registry is a
    # snapshot), after 1 % of families changed; the dashboard then reads a table of 24 periods.
    import datetime as dt
    import time

    start = timezone.now().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    monthly: list[float] = []
    for month in range(1, args.months):
        when = (start + dt.timedelta(days=32 * month)).replace(day=1)
        touch(rng.choice(ids, size=max(1, ids.size // 100), replace=False))
        began = time.perf_counter()
        summaries.append(engine.refresh(now=when))
        monthly.append(time.perf_counter() - began)
    from entas.monitoring.models import Fact

    periods = len(selectors.periods_of(indicator.pk))
    facts_total = Fact.objects.count()
    reads_24 = timed(dashboard_reads, repeat=5)
    db = "PostgreSQL" if "postgres" in os.environ.get("ENTAS_DATABASE_URL", "") else "SQLite"
    members = Member.objects.filter(exited_on__isnull=True).count()
    print(f"city: {ids.size:,} households, {members:,} members; {args.indicators} indicators; database: {db}")
    print(f"floor (one GROUP BY over the members table): {floor}")
    print(f"full refresh ({written:,} facts): {full}")
    print(f"incremental, 1 % of families changed across the city ({spread_kelurahan} kelurahan): {incremental_spread}")
    print(f"incremental, 1 % of families changed in 3 kelurahan ({local_kelurahan} kelurahan): {incremental_local}")
    print(f"incremental, nothing changed: {nothing}")
    print(f"dashboard reads (4 queries on facts): {reads}")
    if monthly:
        print(
            f"{args.months} months of monthly refreshes: {periods} periods, {facts_total:,} facts in the table; "
            f"{len(monthly)} further months took {sum(monthly):.1f} s "
            f"(median {sorted(monthly)[len(monthly) // 2]:.2f} s a month)"
        )
        print(f"dashboard reads over {periods} periods: {reads_24}")
        report(f"dashboard reads, {periods} periods of facts", reads_24.best * 1000, "ms", target="< 50 ms")
        report("a month's refresh (new period)", sorted(monthly)[len(monthly) // 2], "s", floor=floor.best)
    report("indicator full refresh", full.best, "s", floor=floor.best, target="a small multiple of the floor")
    report("incremental refresh, 1 % in 3 kelurahan", incremental_local.best, "s", floor=floor.best)
    report("incremental refresh, nothing changed", nothing.best, "s", floor=floor.best)
    report("dashboard reads", reads.best * 1000, "ms", target="< 50 ms")


if __name__ == "__main__":
    main()
