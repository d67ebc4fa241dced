"""Registry import speed and memory.

Figure: rows (members) per second of `import_registry` on a generated file, and the peak memory of
the importing process. Floor: a bare `executemany` (SQLite) / COPY (PostgreSQL) of the same rows,
pre-parsed, into the same two tables, measured in the same run. Targets (issue 3): within 3x of
the floor, >= 20,000 rows/s on SQLite, peak memory < 1.5 GB.

    .venv/bin/python benchmarks/import_registry.py [--members 1000000]
    ENTAS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/import_registry.py
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generate(path: Path, members: int) -> int:
    """A file of families of 1-6 members spread over Balikpapan's kecamatan, with valid, unique NIKs."""
    import numpy as np

    rng = np.random.default_rng(7)
    kelurahan = [
        ("64.71.01.1001", "647101"),
        ("64.71.02.1001", "647102"),
        ("64.71.03.1001", "647103"),
        ("64.71.04.1001", "647104"),
        ("64.71.05.1002", "647105"),
        ("64.71.06.1005", "647106"),
    ]
    sizes = rng.integers(1, 7, members)
    written, family = 0, 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "kelurahan_code",
                "kk_number",
                "address",
                "rt",
                "rw",
                "floor_area_m2",
                "floor_material",
                "wall_material",
                "roof_material",
                "water_source",
                "has_tv",
                "has_motorcycle",
                "nik",
                "name",
                "sex",
                "birth_date",
                "relationship",
                "marital_status",
            ]
        )
        while written < members:
            code, kec = kelurahan[family % len(kelurahan)]
            size = min(int(sizes[family]), members - written)
            home = [
                code,
                f"{kec}{family:010d}",
                f"Jl. Sintetis {family}",
                f"{1 + family % 40:03d}",
                f"{1 + family % 9:03d}",
                str(12 + family % 130),
                str(1 + family % 8),
                "1",
                "3",
                "3",
                str(family % 2),
                str((family // 2) % 2),
            ]
            for i in range(size):
                n = written  # unique per member: birth date and serial both follow from it
                sex = "2" if i == 1 else "1"
                birth = dt.date((1950, 1955, 1985, 1988, 1991, 1994)[i], 1, 1) + dt.timedelta(days=n // 9999)
                day = birth.day + (40 if sex == "2" else 0)
                nik = f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}{n % 9999 + 1:04d}"
                relationship = "1" if i == 0 else ("2" if i == 1 else "3")
                writer.writerow(
                    [*home, nik, f"Warga Sintetis {n}", sex, birth.isoformat(), relationship, "2" if i < 2 else "1"]
                )
                written += 1
            family += 1
    return written


def child(path: str, mode: str) -> None:
    """Run in a fresh process so the peak memory is the import's own."""
    sys.path.insert(0, str(HERE))
    from _setup import django_setup

    django_setup()
    from django.db import connection, transaction

    from entas.registry.importer import import_registry

    start = time.perf_counter()
    if mode == "import":
        summary = import_registry(Path(path), actor=None, rejection_path=Path(path + ".rejected.csv"))
        rows = summary.inserted
        extra = f" rejected={summary.rejected}"
    else:  # the floor: the same rows, parsed and laid out before the clock starts; bare executemany
        from entas.core.bulk import Inserter
        from entas.registry.models import Household, Member

        with open(path, newline="") as handle:
            data = list(csv.DictReader(handle))
        with connection.cursor() as cursor:
            cursor.execute("SELECT code, id FROM regions_region")
            kel = dict(cursor.fetchall())
        now = dt.datetime.now(dt.UTC)
        households, members = Inserter(Household), Inserter(Member)
        families: dict[str, list] = {}
        for r in data:
            if r["kk_number"] not in families:
                families[r["kk_number"]] = households.values(
                    {
                        "kk_number": r["kk_number"],
                        "kelurahan_id": kel[r["kelurahan_code"]],
                        "address": r["address"],
                        "rt": r["rt"],
                        "rw": r["rw"],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        people = [
            (
                r["kk_number"],
                members.values(
                    {
                        "nik": r["nik"],
                        "name": r["name"],
                        "name_key": r["name"].lower(),
                        "sex": r["sex"],
                        "birth_date": dt.date.fromisoformat(r["birth_date"]),
                        "relationship": r["relationship"],
                        "created_at": now,
                        "updated_at": now,
                    }
                ),
            )
            for r in data
        ]
        slot = members.names.index("household_id")
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(households.sql, list(families.values()))
            cursor.execute("SELECT kk_number, id FROM registry_household")
            ids = dict(cursor.fetchall())
            for kk, values in people:
                values[slot] = ids[kk]
            cursor.executemany(members.sql, [values for _, values in people])
        rows = len(data)
        extra = ""
    elapsed = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{mode} {rows} {elapsed:.3f} {peak_mb:.0f}{extra}")


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
    for mode in ("floor", "import"):
        env = {**os.environ}
        if "ENTAS_DATABASE_URL" not in env:
            env["ENTAS_VAR_DIR"] = str(work / mode)
        else:
            env["ENTAS_VAR_DIR"] = str(work / mode)
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import sys; sys.path.insert(0, 'src'); import os;"
                    "os.environ['DJANGO_SETTINGS_MODULE']='entas.settings'; import django; django.setup();"
                    "from django.db import connection; c = connection.cursor();"
                    "c.execute('DELETE FROM registry_membership; DELETE FROM registry_member;"
                    " DELETE FROM registry_kknumber; DELETE FROM registry_household')",
                ],
                env=env,
                cwd=HERE.parent,
                check=False,
                capture_output=True,
            )
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(path), mode], env=env, capture_output=True, text=True
        )
        if proc.returncode:
            sys.exit(f"{mode} failed:\n{proc.stderr[-3000:]}")
        out = proc.stdout.split()
        results[mode] = (int(out[1]), float(out[2]), float(out[3]), " ".join(out[4:]))
    db = "PostgreSQL" if "postgres" in os.environ.get("ENTAS_DATABASE_URL", "") else "SQLite"
    f_rows, f_time, _, _ = results["floor"]
    i_rows, i_time, i_mem, extra = results["import"]
    print(f"file: {members:,} members, {size_mb:.0f} MB CSV; database: {db}")
    print(f"floor  (bare executemany of pre-parsed rows): {f_rows / f_time:10,.0f} rows/s")
    print(
        f"import (read, parse, validate, upsert):       {i_rows / i_time:10,.0f} rows/s = {i_time / f_time:.2f}x the "
        f"floor's time (target <= 3x, and >= 20,000 rows/s on SQLite) {extra}"
    )
    print(f"peak memory of the import process: {i_mem:,.0f} MB (target < 1,500 MB)")


if __name__ == "__main__":
    main()
