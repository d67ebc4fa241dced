"""Registry import speed and memory.

Figure: rows (members) per second of `import_registry` on a generated file, and the peak memory of
the importing process and of the process that reads the file beside it (entas.registry.reading).
Floor: a bare `executemany` (SQLite) / COPY (PostgreSQL) of the same rows, pre-parsed, into the
same two tables, measured in the same run. Targets (issue 3): within 3x of
the floor, >= 20,000 rows/s on SQLite, peak memory < 1.5 GB; issue #28: within 2x at every size.

On SQLite the import runs twice: as the office runs it (it ends a transaction after holding the write
lock ENTAS_IMPORT_COMMIT_SECONDS and pauses a quarter of that, so clerks' writes get their turn), and
as an initial load while nobody works (ENTAS_IMPORT_COMMIT_SECONDS=0: a commit every 100,000 rows).
A second floor writes, besides the same households and members, the other rows every import writes
for a new family: its KK number and each member's first membership (laid out, and the members' ids
read back, inside its clock). The import writes about 1.8x the rows of the first floor.

    .venv/bin/python benchmarks/import_registry.py [--members 1000000]
    ENTAS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/import_registry.py
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def generate(path: Path, members: int) -> int:
    """A realistic file: the synthetic city (entas.synth), every registry column filled."""
    sys.path.insert(0, str(HERE.parent / "src"))
    from entas.synth import SynthConfig, build, write

    city = build(SynthConfig(households=max(10, int(members / 3.05)), seed=7, survey_size=10))
    write(city, path.parent)
    return city.population.n_members


def child(path: str, mode: str) -> None:
    """Run in a fresh process so the peak memory is the import's own."""
    sys.path.insert(0, str(HERE))
    from _setup import django_setup, peak_memory_mb

    django_setup()
    from django.db import connection, transaction

    from entas.core.bulk import Inserter
    from entas.registry.columns import HOUSEHOLD_COLUMNS as HOUSEHOLD_COLUMNS_ALL
    from entas.registry.importer import import_registry
    from entas.registry.models import Household, KKNumber, Member, Membership

    start = time.perf_counter()
    if mode in ("import", "quiet"):
        summary = import_registry(Path(path), actor=None, rejection_path=Path(path + ".rejected.csv"))
        rows = summary.inserted
        extra = f" rejected={summary.rejected}"
    else:  # the floors: the same rows, parsed and laid out before the clock starts; bare executemany
        from entas.registry.columns import HOUSEHOLD_FIELDS, MEMBER_COLUMNS, parse_value

        with open(path, newline="") as handle:
            data = list(csv.DictReader(handle))
        with connection.cursor() as cursor:
            cursor.execute("SELECT code, id FROM regions_region")
            kel = dict(cursor.fetchall())
        columns = {c.name: c for c in HOUSEHOLD_COLUMNS_ALL}
        now = dt.datetime.now(dt.UTC)
        households, members = Inserter(Household), Inserter(Member)
        families: dict[str, list] = {}
        people = []
        for r in data:
            if r["kk_number"] not in families:
                values = {f: parse_value(columns[f], r.get(f, ""))[0] for f in HOUSEHOLD_FIELDS}
                families[r["kk_number"]] = households.values(
                    {**values, "kelurahan_id": kel[r["kelurahan_code"]], "created_at": now, "updated_at": now}
                )
            values = {c.name: parse_value(c, r.get(c.name, ""))[0] for c in MEMBER_COLUMNS}
            people.append((r["kk_number"], members.values({**values, "created_at": now, "updated_at": now})))
        slot = members.names.index("household_id")
        start = time.perf_counter()

        def write(cursor: Any, inserter: Inserter, rows: list[list[Any]]) -> None:
            if connection.vendor == "postgresql":  # COPY, as the import writes there
                table = inserter.meta.db_table
                with cursor.cursor.copy(
                    f"COPY {table} ({', '.join(f.column for f in inserter.fields)}) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(inserter.sql, rows)

        with transaction.atomic(), connection.cursor() as cursor:
            write(cursor, households, list(families.values()))
            cursor.execute("SELECT kk_number, id FROM registry_household")
            ids = dict(cursor.fetchall())
            for kk, values in people:
                values[slot] = ids[kk]
            write(cursor, members, [values for _, values in people])
            if mode == "floor-all":  # also the rows every import writes beside them: each family's KK
                # number and each member's first membership (what a new registry needs, nothing more)
                today = dt.date.today()
                history, memberships = Inserter(KKNumber), Inserter(Membership)
                write(
                    cursor,
                    history,
                    [
                        history.values({"household_id": pk, "kk_number": kk, "valid_from": today})
                        for kk, pk in ids.items()
                    ],
                )
                cursor.execute("SELECT nik, id, household_id, relationship FROM registry_member")
                write(
                    cursor,
                    memberships,
                    [
                        memberships.values({"member_id": pk, "household_id": h, "relationship": r, "start_date": today})
                        for _nik, pk, h, r in cursor.fetchall()
                    ],
                )
        rows = len(data)
        extra = ""
    elapsed = time.perf_counter() - start
    peak_mb = peak_memory_mb()
    import resource

    # The reading process (entas.registry.reading) runs beside the import: its peak counts too.
    reader_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{mode} {rows} {elapsed:.3f} {peak_mb:.0f} {reader_mb:.0f}{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    work = Path(tempfile.mkdtemp(prefix="entas-import-bench-"))
    path = work / "registry.csv"
    members = generate(path, args.members)
    size_mb = path.stat().st_size / 1e6
    results = {}
    sys.path.insert(0, str(HERE))
    from _setup import machine, report

    print(machine(), flush=True)
    sqlite = "postgres" not in os.environ.get("ENTAS_DATABASE_URL", "")
    for mode in ("floor", "floor-all", "import", "quiet") if sqlite else ("floor", "floor-all", "import"):
        # Each mode runs in a fresh process with a scratch folder and database of its own (_setup):
        # every one starts from empty tables, whatever database ENTAS_DATABASE_URL names.
        env = {**os.environ, "ENTAS_BENCH_CHILD": "1"}
        env.pop("ENTAS_BENCH_SCRATCH", None)
        if mode == "quiet":  # an initial load while nobody works: no pauses for other writers (SQLite only)
            env["ENTAS_IMPORT_COMMIT_SECONDS"] = "0"
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(path), mode], env=env, capture_output=True, text=True
        )
        if proc.returncode:
            sys.exit(f"{mode} failed:\n{proc.stderr[-3000:]}")
        out = proc.stdout.split()
        results[mode] = (int(out[1]), float(out[2]), float(out[3]), float(out[4]), " ".join(out[5:]))
    db = "PostgreSQL" if "postgres" in os.environ.get("ENTAS_DATABASE_URL", "") else "SQLite"
    f_rows, f_time, _, _, _ = results["floor"]
    i_rows, i_time, i_mem, r_mem, extra = results["import"]
    print(f"file: {members:,} members, {size_mb:.0f} MB CSV; database: {db}")
    print(
        f"floor  (bare {'COPY' if db == 'PostgreSQL' else 'executemany'} of pre-parsed rows): "
        f"{f_rows / f_time:10,.0f} rows/s"
    )
    print(
        f"import (read, parse, validate, upsert):       {i_rows / i_time:10,.0f} rows/s = {i_time / f_time:.2f}x the "
        f"floor's time (target <= 3x, and >= 20,000 rows/s on SQLite) {extra}"
    )
    a_time = results["floor-all"][1]
    print(
        f"floor  (the same, with each family's KK number and each member's first membership, as the import "
        f"writes them): {f_rows / a_time:10,.0f} rows/s; the import takes {i_time / a_time:.2f}x its time"
    )
    if "quiet" in results:
        q_rows, q_time, _, _, _ = results["quiet"]
        print(
            f"import, ENTAS_IMPORT_COMMIT_SECONDS=0 (no pauses for other writers): {q_rows / q_time:10,.0f} rows/s = "
            f"{q_time / f_time:.2f}x the floor's time"
        )
    print(
        f"peak memory: import process {i_mem:,.0f} MB + reading process {r_mem:,.0f} MB = {i_mem + r_mem:,.0f} MB "
        "(target < 1,500 MB)"
    )
    if i_rows != members:
        sys.exit(f"the import wrote {i_rows:,} members of the file's {members:,}: the figures measure something else")
    report("registry import", i_time, "s", floor=f_time, target="≤ 3x the floor; ≥ 20,000 rows/s on SQLite")
    if "quiet" in results:
        report(
            "registry import, no pauses (initial load)",
            results["quiet"][1],
            "s",
            floor=f_time,
            target="≤ 2x the floor at every size (issue #28)",
        )
        report(
            "registry import, no pauses, against a floor writing every table it writes",
            results["quiet"][1],
            "s",
            floor=a_time,
            target="≤ 2x the floor at every size (issue #28)",
        )
    report("registry import rate", i_rows / i_time, "rows/s")
    report("registry import peak memory", i_mem + r_mem, "MB", target="< 1,500 MB")


if __name__ == "__main__":
    main()
