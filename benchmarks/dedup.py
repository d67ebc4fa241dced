"""Deduplication accuracy, speed and memory on the synthetic city with faults.

Figures: precision, recall and F1 of the candidate pairs at or above the review threshold against
the planted duplicates (duplicates.csv), at the default fault rate (0.02); the seconds to build the
linkage table, train the model (EM) and predict + cluster; and the peak memory of the process
(DuckDB's included: ru_maxrss). Floor: DuckDB's bare self-join of the same members on birth date
(the cheapest blocking rule, without any comparison), measured in the same run.
Targets (issue 8): recall ≥ 0.95 at precision ≥ 0.90; 1,000,000 members in under 10 minutes on
2 cores within 8 GB. The members are read from the generated registry file, not the database
(reading them through the ORM adds about 10 s per million).

    .venv/bin/python benchmarks/dedup.py [--members 100000] [--faults 0.02]
    .venv/bin/python benchmarks/dedup.py --members 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--faults", type=float, default=0.02)
    parser.add_argument("--threshold", type=float, default=0.5, help="Review threshold (match probability).")
    args = parser.parse_args()
    from _setup import django_settings, report

    django_settings()  # the linkage's progress messages are translated
    import duckdb

    from entas.dedup import linkage
    from entas.dedup.evaluation import accuracy, found_pairs, labelled_city
    from entas.synth import SynthConfig, build, write

    folder = Path(tempfile.mkdtemp(prefix="entas-bench-dedup-"))
    write(build(SynthConfig(households=int(args.members / 3.1), seed=8, faults=args.faults, survey_size=10)), folder)
    records, truth = labelled_city(folder)
    print(f"{len(records):,} members, {len(truth):,} planted duplicate pairs (faults {args.faults})")

    start = time.perf_counter()
    table = linkage.member_frame(records)
    built = time.perf_counter() - start

    con = duckdb.connect()
    con.register("members", table)
    start = time.perf_counter()
    con.sql(
        "select count(*) from members l join members r on l.birth_date = r.birth_date and l.unique_id < r.unique_id"
    ).fetchall()
    floor = time.perf_counter() - start
    con.close()

    start = time.perf_counter()
    trained = linkage.train(table, log=lambda m: print(f"  {time.perf_counter() - start:6.1f} s  {m}", flush=True))
    fitted = time.perf_counter() - start
    print(f"  model: {trained.summary}")
    start = time.perf_counter()
    predicted = linkage.predict(trained.linker, threshold=args.threshold)
    pairs = predicted.as_record_list()
    clusters = linkage.cluster(trained.linker, predicted, threshold=args.threshold).as_record_list()
    scored = time.perf_counter() - start

    found = found_pairs(pairs)
    precision, recall, f1 = accuracy(found, truth)
    for higher in (0.8, 0.9, 0.95, 0.99):
        p, r, f = accuracy(found_pairs(x for x in pairs if x["match_probability"] >= higher), truth)
        print(f"  at a review threshold of {higher}: precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total = built + fitted + scored
    sizes: dict[Any, int] = {}
    for c in clusters:
        sizes[c["cluster_id"]] = sizes.get(c["cluster_id"], 0) + 1
    multi = sum(1 for n in sizes.values() if n > 1)
    print(f"pairs ≥ {args.threshold}: {len(found):,}; clusters of two or more records: {multi:,}")
    print(f"precision {precision:.3f}  recall {recall:.3f}  F1 {f1:.3f}   (target: recall ≥ 0.95 at precision ≥ 0.90)")
    print(
        f"linkage table {built:.1f} s, training {fitted:.1f} s, predict + cluster {scored:.1f} s: total {total:.1f} s"
    )
    print(f"floor (bare self-join on birth date): {floor:.2f} s; predict + cluster = {scored / floor:.1f}× the floor")
    print(f"peak memory {peak:,.0f} MB   (target for 1,000,000 members: under 10 minutes, within 8 GB)")
    report("dedup recall", recall, "", target="≥ 0.95 at precision ≥ 0.90")
    report("dedup precision", precision, "")
    report("dedup total (table, training, predict, cluster)", total, "s", target="1,000,000 members < 600 s")
    report("dedup predict + cluster", scored, "s", floor=floor)
    report("dedup peak memory", peak, "MB", target="< 8 GB at 1,000,000 members")


if __name__ == "__main__":
    main()
