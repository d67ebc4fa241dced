"""A province on PostgreSQL: Kalimantan Timur's 10 kabupaten/kota as one synthetic registry, at 1,000,000
and 5,000,000 members (issue #27), and how each step's cost grows with the size.

Each size runs in a process of its own on a fresh scratch database (_setup): the province generated
(entas.synth.province: every kabupaten/kota in proportion to its population, unique NIKs across the
province; synthetic kecamatan and kelurahan/desa outside Balikpapan) and its region tree loaded, then:

- **import**: the registry file through the real import (read, parse, validate, upsert).
  Floor: the same rows copied inside the database (CREATE TABLE … AS SELECT of both tables, no index).
- **scoring**: PMT scoring + people-weighted desil ranking of every household, end to end from the
  database (a WLS model fitted on the province's survey sample first, untimed).
  Floor: a numpy matrix-vector product of households × the model's variables.
- **cycle preparation**: a programme for `desil <= 3` enrolled (untimed), then a cycle prepared (rule
  re-checked, every entitlement computed and written). Floor: a bare bulk insert of as many entitlements.
- **indicator refresh**: a full refresh of ``--indicators`` registry indicators × every kelurahan/desa,
  kecamatan, kabupaten/kota and the province × 3 disaggregations. Floor: one GROUP BY of the current
  members per kelurahan.
- **search**: ``--searches`` queries of each kind (a NIK, a KK number's first 12 digits, a name with one
  wrong letter, an address word in one kelurahan) by a user whose area is the province, each a different
  person; latency percentiles p50/p95/p99. Floor: one member by NIK through the ORM.

The table at the end puts each figure next to its floor, and the growth ratio from the smallest size
to the largest (linear growth: the ratio of the sizes). docs/scaling.md explains each ratio.

    ENTAS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python benchmarks/province.py --members 1000000,5000000 [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

STEPS = ["import", "scoring", "cycle preparation", "indicator refresh"]
SEARCHES = ["NIK", "KK prefix", "name with a typo", "address word"]


def child(members: int, indicators: int, searches: int, result_path: str) -> None:
    """One size, in a fresh process and scratch database: its figures written to ``result_path``."""
    from _setup import django_setup, peak_memory_mb

    django_setup()
    import datetime as dt

    import numpy as np
    from django.db import connection, transaction
    from django.db.models import Count

    from entas.core.bulk import Inserter
    from entas.regions.services import load_regions
    from entas.registry.importer import import_registry
    from entas.registry.models import Member
    from entas.synth.province import build_province

    results: dict[str, Any] = {"members_asked": members, "database": connection.vendor}

    def step(label: str) -> None:
        # The figures so far, after every step: a run stopped part-way still leaves what it measured.
        Path(result_path).write_text(json.dumps(results), encoding="utf-8")
        print(f"[{members:,}] {label} … ({time.strftime('%H:%M:%S')})", flush=True)

    # Inside the scratch folder (_setup removes it at exit, even after a failure: 1.3 GB at 5M members).
    out = Path(tempfile.mkdtemp(prefix="province-", dir=os.environ["ENTAS_VAR_DIR"]))
    step("generating the province")
    start = time.perf_counter()
    summary = build_province(out, members=members, seed=27)
    results["generation"] = time.perf_counter() - start
    results["members"], results["households"] = summary.members, summary.households
    results["registry_mb"] = summary.files["registry"].stat().st_size / 1e6
    load_regions(text=summary.files["regions"].read_text(encoding="utf-8"), actor=None, source="province")
    from entas.regions.models import Region

    results["kelurahan"] = Region.objects.filter(level=4).count()

    # -- import -----------------------------------------------------------------------------------------
    step(f"importing {summary.members:,} members")
    start = time.perf_counter()
    imported = import_registry(summary.files["registry"], actor=None, rejection_path=out / "rejected.csv")
    results["import"] = time.perf_counter() - start
    landed = Member.objects.count()
    if landed != summary.members or imported.rejected:
        raise SystemExit(f"{landed:,} of {summary.members:,} members landed ({imported.rejected:,} rejected)")
    results["import_peak_mb"] = peak_memory_mb()
    with connection.cursor() as cursor:
        start = time.perf_counter()
        with transaction.atomic():
            for table in ("registry_household", "registry_member"):
                cursor.execute(f"CREATE TABLE floor_{table} AS SELECT * FROM {table}")
        results["import_floor"] = time.perf_counter() - start
        for table in ("registry_household", "registry_member"):
            cursor.execute(f"DROP TABLE floor_{table}")
    summary.files["registry"].unlink()  # gigabytes at 5,000,000 members

    # -- scoring ------------------------------------------------------------------------------------------
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.targeting import services as targeting

    step("fitting the PMT on the survey sample")
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    survey = import_survey(path=summary.files["survey"], name="province", year=2025, actor=None)
    model = targeting.fit_model(survey=survey, kind="wls", line=782248, actor=None)
    width = len(model.coefficients or {})
    X = np.random.default_rng(0).random((summary.households, width))
    beta = np.random.default_rng(1).random(width)
    start = time.perf_counter()
    X @ beta
    results["scoring_floor"] = time.perf_counter() - start
    del X
    step("scoring the province")
    start = time.perf_counter()
    targeting.score_registry(model=model, actor=None)
    results["scoring"] = time.perf_counter() - start

    # -- cycle preparation -------------------------------------------------------------------------------
    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.payees.models import Payee
    from entas.programs import services as programs
    from entas.programs.models import Cycle, Enrolment, Entitlement, Programme

    step("enrolling desil <= 3")
    maker = User.objects.create_user(username="maker", role=Role.DINSOS_MANAGER)
    rule = targeting.save_rule(actor=None, name="desil 1-3", expression="desil <= 3", benefit=300_000)
    programme = Programme.objects.create(
        name="province",
        agency="Dinsos",
        funding="apbd",
        start=dt.date(2026, 12, 1),
        end=dt.date(2027, 12, 1),
        rule=rule,
        base_amount=300_000,
        per_child_in_school=50_000,
        cap=500_000,
        budget_ceiling=10**15,
        channel="bank",
    )
    programs.enrol(programme=programme, actor=maker)
    enrolled = list(Enrolment.objects.values_list("household_id", flat=True))
    results["enrolled"] = len(enrolled)
    with transaction.atomic():
        Inserter(Payee).insert(
            {
                "household_id": h,
                "bank_code": "014",
                "account_number": f"{h:010d}",
                "account_holder": "Penerima",
                "source": "benchmark",
            }
            for h in enrolled
        )
    floor_cycle = Cycle.objects.create(programme=programme, number=99, period="floor")
    start = time.perf_counter()
    with transaction.atomic():
        Inserter(Entitlement).insert(
            {"cycle_id": floor_cycle.pk, "household_id": h, "amount": 300_000} for h in enrolled
        )
    results["cycle preparation_floor"] = time.perf_counter() - start
    Entitlement.objects.filter(cycle=floor_cycle).delete()
    floor_cycle.delete()
    cycle = programs.create_cycle(programme=programme, period="2026-12", actor=maker)
    step(f"preparing a cycle of {len(enrolled):,} households")
    start = time.perf_counter()
    programs.prepare(cycle=cycle, actor=maker)
    results["cycle preparation"] = time.perf_counter() - start

    # -- indicator refresh -----------------------------------------------------------------------------
    from indicators import CONDITIONS

    from entas.monitoring import engine
    from entas.monitoring import services as monitoring

    for i in range(indicators):
        unit, numerator, denominator, dims = CONDITIONS[i % len(CONDITIONS)]
        extra = f" and dtsen_desil <= {10 - i // len(CONDITIONS)}" if i >= len(CONDITIONS) else ""
        monitoring.define_indicator(
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
    start = time.perf_counter()
    list(
        Member.objects.filter(exited_on__isnull=True)
        .values("household__kelurahan_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    results["indicator refresh_floor"] = time.perf_counter() - start
    step(f"refreshing {indicators} indicators")
    start = time.perf_counter()
    refreshed = engine.refresh(full=True)
    results["indicator refresh"] = time.perf_counter() - start
    results["facts"] = refreshed.facts_written

    # -- search -------------------------------------------------------------------------------------------
    from entas.registry.selectors import SearchFilters, search_households

    step(f"searching ({searches} queries of each kind)")
    searcher = User.objects.create_user(username="province", role=Role.DINSOS_MANAGER)
    searcher.areas.set(Region.objects.filter(code="64"))
    total = Member.objects.count()
    picks = np.random.default_rng(5).choice(total, size=searches, replace=False)
    ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
    sample = list(Member.objects.select_related("household__kelurahan").filter(pk__in=[ids[i] for i in picks]))
    del ids

    def typo(name: str) -> str:
        name = name.split(" ", 1)[-1] if name.startswith(("H. ", "Hj. ")) else name
        return name[:2] + ("a" if name[2] != "a" else "e") + name[3:]

    def page(filters: SearchFilters) -> float:
        began = time.perf_counter()
        qs = search_households(searcher, filters)
        qs.count()
        list(qs[:50])
        return time.perf_counter() - began

    queries = {
        "NIK": [SearchFilters(query=m.nik) for m in sample],
        "KK prefix": [SearchFilters(query=m.household.kk_number[:12]) for m in sample],
        "name with a typo": [SearchFilters(query=typo(m.name)) for m in sample],
        "address word": [
            SearchFilters(query=m.household.address.split()[1], kelurahan=m.household.kelurahan.code) for m in sample
        ],
    }
    floor_times = []
    for m in sample[: min(20, len(sample))]:
        began = time.perf_counter()
        Member.objects.get(nik=m.nik)
        floor_times.append(time.perf_counter() - began)
    results["search_floor"] = float(np.median(floor_times))
    page(queries["NIK"][0])  # the first query pays for the connection's caches
    results["search"] = {
        kind: [float(v) for v in np.percentile([page(f) for f in filters], [50, 95, 99])]
        for kind, filters in queries.items()
    }
    results["peak_mb"] = peak_memory_mb()
    Path(result_path).write_text(json.dumps(results), encoding="utf-8")


def cell(value: float, floor: float) -> str:
    return f"{value:.1f} s ({value / floor:.1f}x floor)" if floor > 0 else f"{value:.1f} s"


def growth(small: float, large: float) -> str:
    return f"{large / small:.1f}x" if small > 0 else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", default="1000000,5000000", help="Sizes, comma-separated (members).")
    parser.add_argument("--indicators", type=int, default=10, help="Registry indicators in the full refresh.")
    parser.add_argument("--searches", type=int, default=30, help="Queries of each kind (different people).")
    parser.add_argument("--json", type=Path, help="Also write every size's figures to this file.")
    parser.add_argument("--table", type=Path, help="Only print the table of a --json file (a run cut short).")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), int(args.child[1]), int(args.child[2]), args.child[3])
        return
    from _setup import machine

    if args.table:
        runs = {int(k): v for k, v in json.loads(args.table.read_text(encoding="utf-8")).items()}
        table(sorted(runs), runs)
        return
    print(machine(), flush=True)
    sizes = [int(s) for s in args.members.split(",") if s.strip()]
    runs = {}
    for size in sizes:
        # Each size in a fresh process (its own peak memory) on a fresh scratch database (_setup).
        env = {**os.environ, "ENTAS_BENCH_CHILD": "1"}
        env.pop("ENTAS_BENCH_SCRATCH", None)
        # The registry file of 5,000,000 members is 1.28 GB: above the upload limit (1 GB by default), which
        # guards the web form, not what the import can do; a province delivers its file in one piece.
        env.setdefault("ENTAS_IMPORT_MAX_FILE_MB", str(16 * 1024))
        if args.json:
            result_path = f"{args.json}.{size}.json"
        else:
            with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
                result_path = handle.name
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(size), str(args.indicators), str(args.searches), result_path],
            env=env,
        )
        if done.returncode:
            sys.exit(f"the run at {size:,} members failed (exit {done.returncode})")
        runs[size] = json.loads(Path(result_path).read_text(encoding="utf-8"))
        os.unlink(result_path)
        runs[size]["wall"] = time.perf_counter() - began
        if args.json:
            args.json.write_text(json.dumps(runs, indent=2), encoding="utf-8")
    table(sizes, runs)


def table(sizes: list[int], runs: dict[int, dict[str, Any]]) -> None:
    """Each figure next to its floor at every size, and the growth from the first size to the last."""
    from _setup import report

    first, last = sizes[0], sizes[-1]
    a, b = runs[first], runs[last]
    print(
        f"\nprovince 64 (Kalimantan Timur, 10 kabupaten/kota) on {a['database']}; growth = figure at "
        f"{b['members']:,} / figure at {a['members']:,} members (linear: {b['members'] / a['members']:.1f}x)"
    )
    for size in sizes:
        r = runs[size]
        print(
            f"  {r['members']:,} members, {r['households']:,} households, {r['kelurahan']:,} kelurahan/desa; "
            f"{r['enrolled']:,} enrolled; {r['facts']:,} facts; generated in {r['generation']:.0f} s; "
            f"peak memory {r['peak_mb']:,.0f} MB; whole run {r['wall'] / 60:.0f} min"
        )
    header = "".join(f"{f'{s:,} members':>30}" for s in sizes)
    print(f"{'step':<22}{header}{'growth':>10}{'floor growth':>14}")
    for name in STEPS:
        cells = "".join(f"{cell(runs[s][name], runs[s][name + '_floor']):>30}" for s in sizes)
        print(f"{name:<22}{cells}{growth(a[name], b[name]):>10}{growth(a[name + '_floor'], b[name + '_floor']):>14}")
        for s in sizes:
            report(f"province {s:,}: {name}", runs[s][name], "s", floor=runs[s][name + "_floor"])
    for kind in SEARCHES:
        cells = "".join(f"{'/'.join(f'{v * 1000:.0f}' for v in runs[s]['search'][kind]) + ' ms':>30}" for s in sizes)
        print(f"search {kind:<15}{cells}{growth(a['search'][kind][1], b['search'][kind][1]):>10}  (p50/p95/p99)")
        for s in sizes:
            report(
                f"province {s:,}: search {kind}, p95",
                runs[s]["search"][kind][1] * 1000,
                "ms",
                floor=runs[s]["search_floor"] * 1000,
                target="well under 1 s",
            )
    print("search floor (one member by NIK): " + ", ".join(f"{runs[s]['search_floor'] * 1000:.1f} ms" for s in sizes))


if __name__ == "__main__":
    main()
