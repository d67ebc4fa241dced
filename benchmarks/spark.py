"""Spark beside DuckDB and the database: the path from a city to a nation (docs/scaling.md).

Figures, each next to a floor measured in the same run on the same engine:

1. **Linkage**: predicting and clustering the candidate pairs of the synthetic city with faults, with
   one model (the default model with this city's prior), on DuckDB and on Spark (local mode, two cores
   at most). Floors: each engine's bare self-join of the members on birth date (the cheapest blocking
   rule, no comparison). The two must find the same pairs.
2. **PMT scoring + desil ranking**: in the database (`score_registry`: read, predict, rank, write) and
   on Spark over the partitioned Parquet export (`entas.targeting.spark.score`: features, predict,
   rank, collected). Floors: reading the registry's PMT columns from the database (`registry_arrays`);
   Spark's bare pass over the export (members counted per household).
3. **Registry indicators by kelurahan** (six of docs/examples/indicators-balikpapan.yaml): the engine
   (read the rule columns, evaluate, count) and Spark over the export. Floors: a bare GROUP BY of the
   active members by kelurahan in the database; Spark's bare count of the export's rows by kelurahan.

Also printed: the export's time (`entas export parquet`). Spark's session start (seconds of JVM) is
printed apart and left out of the figures. Timings are the best of ``--repeat``.

    .venv/bin/python benchmarks/spark.py [--members 100000] [--repeat 2]

Needs the optional extra (make install-spark) and a Java runtime; without them it says so and stops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

INDICATORS = [
    ("sdg-1-3-1", "members", "pbi or receives_pkh or receives_bpnt", "true"),
    ("school-7-18", "members", "in_school", "age >= 7 and age <= 18"),
    ("pbi-desil-1-4", "members", "pbi", "dtsen_desil <= 4"),
    ("working-15-64", "members", "working", "age >= 15 and age <= 64"),
    ("pkh-desil-1-2", "households", "receives_pkh", "dtsen_desil <= 2"),
    ("desil-1-3", "households", "dtsen_desil <= 3", "true"),
]


def _pairs(records: list[dict[str, Any]]) -> set[tuple[int, int]]:
    return {tuple(sorted((int(r["unique_id_l"]), int(r["unique_id_r"])))) for r in records}  # type: ignore[misc]


def linkage_figures(members: int, repeat: int, report: Any, timed: Any) -> None:
    import duckdb

    from entas.core import spark
    from entas.dedup import linkage
    from entas.dedup.evaluation import labelled_city
    from entas.synth import SynthConfig, build, write

    folder = Path(tempfile.mkdtemp(prefix="entas-bench-spark-"))
    write(build(SynthConfig(households=int(members / 3.1), seed=8, faults=0.02, survey_size=10)), folder)
    records, truth = labelled_city(folder)
    table = linkage.member_frame(records)
    print(f"linkage: {table.num_rows:,} members, {len(truth):,} planted duplicate pairs", flush=True)
    duck = linkage.database_api("duckdb")
    model = linkage.use_default(table, db_api=duck).model

    con = duckdb.connect()
    con.register("members", table)
    self_join = (
        "select count(*) from members l join members r on l.birth_date = r.birth_date and l.unique_id < r.unique_id"
    )
    duck_floor = timed(lambda: con.sql(self_join).fetchall(), repeat=repeat)
    con.close()

    def run(db_api: Any) -> set[tuple[int, int]]:
        linker = linkage.make_linker(table, model, db_api=db_api)
        predicted = linkage.predict(linker, threshold=0.5)
        found = _pairs(predicted.as_record_list())
        linkage.cluster(linker, predicted, threshold=0.5).as_record_list()
        return found

    found: dict[str, set[tuple[int, int]]] = {}
    on_duck = timed(lambda: found.__setitem__("duckdb", run(duck)), repeat=repeat)

    start = time.perf_counter()
    on_spark_api = linkage.database_api("spark")
    print(f"  Spark session started in {time.perf_counter() - start:.1f} s (not counted)", flush=True)
    session = spark.session()
    frame = session.createDataFrame(table.select(["unique_id", "birth_date"]))
    frame.cache().count()
    frame.createOrReplaceTempView("bench_members")
    spark_floor = timed(lambda: session.sql(self_join.replace("members", "bench_members")).collect(), repeat=repeat)
    on_spark = timed(lambda: found.__setitem__("spark", run(on_spark_api)), repeat=repeat)
    same = found["duckdb"] == found["spark"]
    print(f"  pairs at 0.5: DuckDB {len(found['duckdb']):,}, Spark {len(found['spark']):,}, the same: {same}")
    print(f"  DuckDB self-join floor {duck_floor}; predict + cluster {on_duck}")
    print(f"  Spark self-join floor {spark_floor}; predict + cluster {on_spark}")
    report(
        "linkage predict + cluster, DuckDB", on_duck.best, "s", floor=duck_floor.best, target="the same pairs as Spark"
    )
    report(
        "linkage predict + cluster, Spark local[2]",
        on_spark.best,
        "s",
        floor=spark_floor.best,
        target="the same pairs as DuckDB",
    )
    for side, mine, other in (("DuckDB", "duckdb", "spark"), ("Spark", "spark", "duckdb")):
        for pair in sorted(found[mine] - found[other])[:10]:
            print(f"  only on {side}: {pair}")


def analytics_figures(members: int, repeat: int, report: Any, timed: Any, load_city: Any) -> None:
    from django.db import connection
    from django.utils import timezone

    from entas.accounts.models import User
    from entas.accounts.roles import Role
    from entas.core import spark
    from entas.monitoring import engine
    from entas.monitoring import spark as monitoring_spark
    from entas.monitoring.models import Indicator
    from entas.monitoring.services import DEFAULT_LINES_FILE, import_survey, load_poverty_lines
    from entas.regions.models import Region
    from entas.registry.exporter import export_partitioned
    from entas.registry.models import Household
    from entas.targeting import data, services
    from entas.targeting import spark as targeting_spark
    from entas.targeting.data import RuleData
    from entas.targeting.models import HouseholdScore

    households = int(members / 3.05)
    out = load_city(households, seed=3, survey_size=min(3000, max(300, households // 4)))
    load_poverty_lines(text=DEFAULT_LINES_FILE.read_text(), actor=None)
    survey = import_survey(path=out / "survey.csv", name="bench", year=2025, actor=None)
    model = services.fit_model(survey=survey, kind="wls", line=782248, actor=None)
    user = User.objects.create_user(username="bench.export", password="x-bench-only-x", role=Role.DINSOS_MANAGER)
    user.areas.set(Region.objects.filter(code="64.71"))

    folder = Path(tempfile.mkdtemp(prefix="entas-bench-export-")) / "registry"
    start = time.perf_counter()
    rows = export_partitioned(user, folder)
    exported = time.perf_counter() - start
    parts = len(list(folder.rglob("*.parquet")))
    print(
        f"analytics: {households:,} households, {rows:,} members; "
        f"export to Parquet {exported:.1f} s, {parts} partitions"
    )

    # PMT scoring + ranking: the database path and Spark over the export.
    db_floor = timed(lambda: data.registry_arrays(Household.objects.all()), repeat=repeat)
    in_db = timed(lambda: services.score_registry(model=model, actor=None), repeat=repeat)
    session = spark.session()
    export = targeting_spark.read_export(session, str(folder))
    today = timezone.localdate()
    design, coefficients = targeting_spark.model_terms(model)
    scored: dict[str, list[Any]] = {}

    def spark_score() -> None:
        scored["rows"] = targeting_spark.score(export, design=design, coefficients=coefficients, today=today).collect()

    spark_floor = timed(lambda: export.groupBy("household_id").count().collect(), repeat=repeat)
    on_spark = timed(spark_score, repeat=repeat)
    desil = dict(HouseholdScore.objects.filter(model=model).values_list("household_id", "desil"))
    agree = sum(desil.get(r["household_id"]) == r["desil"] for r in scored["rows"]) / max(len(desil), 1)
    print(f"  scoring in the database {in_db} (floor: reading the PMT columns {db_floor})")
    print(f"  scoring on Spark {on_spark} (floor: one pass over the export {spark_floor}); same desil: {agree:.1%}")
    report("PMT scoring + desil, in the database", in_db.best, "s", floor=db_floor.best)
    report(
        "PMT scoring + desil, Spark over Parquet", on_spark.best, "s", floor=spark_floor.best, target="the same desil"
    )

    # Registry indicators by kelurahan.
    indicators = [
        Indicator(code=c, name=c, kind="registry", unit=u, numerator=n, denominator=d, disaggregations=[])
        for c, u, n, d in INDICATORS
    ]
    areas = engine.Areas()
    names = engine._rule_names(indicators)

    def in_database() -> None:
        h, m = RuleData(Household.objects.all(), model_id=None, today=today, names=names).arrays(names)
        groups = engine.Groups(h, m, areas)
        for indicator in indicators:
            engine.registry_counts(indicator, groups)

    def group_by() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT h.kelurahan_id, count(*) FROM registry_member m JOIN registry_household h "
                "ON h.id = m.household_id WHERE m.exited_on IS NULL GROUP BY h.kelurahan_id"
            )
            cursor.fetchall()

    db_floor = timed(group_by, repeat=repeat)
    engine_time = timed(in_database, repeat=repeat)
    spark_floor = timed(lambda: export.groupBy("kelurahan_code").count().collect(), repeat=repeat)
    spark_time = timed(lambda: monitoring_spark.counts(export, indicators, today=today), repeat=repeat)
    print(
        f"  {len(indicators)} indicators: engine {engine_time} (floor GROUP BY {db_floor}); "
        f"Spark {spark_time} (floor {spark_floor})"
    )
    report(f"{len(indicators)} registry indicators by kelurahan, engine", engine_time.best, "s", floor=db_floor.best)
    report(
        f"{len(indicators)} registry indicators by kelurahan, Spark over Parquet",
        spark_time.best,
        "s",
        floor=spark_floor.best,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    from _setup import django_setup, load_city, report, timed

    django_setup()
    from entas.core import spark

    if not spark.available():
        print("Spark is not installed (the optional extra: make install-spark; and a Java runtime): nothing measured.")
        return
    print(f"Spark master {os.environ.get('ENTAS_SPARK_MASTER', 'local[2]')}; {dt.date.today()}", flush=True)
    try:
        linkage_figures(args.members, args.repeat, report, timed)
        analytics_figures(args.members, args.repeat, report, timed, load_city)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
