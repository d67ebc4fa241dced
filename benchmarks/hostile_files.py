"""Hostile registry files: how long the import takes to refuse them, and the memory it takes.

Figures (issue 15, items 2 and 14): for each hostile file, the wall time until the import refuses it
and the peak memory of the process that reads it for the job (the worker's) and of the process that
reads a spreadsheet beside it (entas.registry.xlsxsandbox); for legitimate files of the same size
class, the time to read and parse them. Floors, measured in the same run: reading the file's bytes
once (refusals), a bare csv.reader pass (CSV) and a bare python-calamine load in this process (XLSX,
what the import did before the sandbox).

Each case runs in a fresh process, so each peak is the case's own. The big files are generated in a
temporary folder (about 6 GB of disk for the spreadsheet bomb's source is never written: it is
compressed as it is generated).

    .venv/bin/python benchmarks/hostile_files.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.security.hostile: the small files' builders


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the files ---------------------------------------------------------------------------------


def spreadsheet_bomb(path: Path, gigabytes: float) -> None:
    """A sheet of identical rows (16 cells each) that expands to ``gigabytes`` when unpacked."""
    from tests.security import hostile

    row = "<row>" + '<c t="inlineStr"><is><t>AAAAAAAAAAAAAAAA</t></is></c>' * 16 + "</row>"
    block = (row * 4096).encode()
    head = hostile.sheet_xml(hostile.registry_rows()).split("</sheetData>")[0].encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in {
            "[Content_Types].xml": hostile.CONTENT_TYPES,
            "_rels/.rels": hostile.ROOT_RELS,
            "xl/workbook.xml": hostile.WORKBOOK,
            "xl/_rels/workbook.xml.rels": hostile.WORKBOOK_RELS,
        }.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(head)
            for _ in range(int(gigabytes * (1 << 30)) // len(block)):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")


def build(folder: Path, quick: bool) -> dict[str, Path]:
    from tests.security import hostile

    files: dict[str, Path] = {}

    def put(name: str, content: bytes) -> None:
        files[name] = folder / name
        files[name].write_bytes(content)

    size = (5 if quick else 50) << 20
    header = hostile.registry_csv().split("\r\n")[0]
    put("the 5.8 KB spreadsheet (A1:XFD1048576 declared)", hostile.declares_a_billion_cells())
    put("a stray cell at XFD1048576 (dimension lies)", hostile.stray_cell_at_xfd1048576())
    put("billion laughs in sharedStrings.xml", hostile.billion_laughs_in_shared_strings())
    put(f"a {size >> 20} MB line", f"{header}\r\n{'x' * size}\r\n".encode())
    put(f"a {size >> 20} MB line of commas", f"{header}\r\n{',' * size}\r\n".encode())
    put(
        f"an unclosed quote before {size >> 20} MB",
        (hostile.an_unclosed_quote().decode() + ("y" * 1000 + "\r\n") * (size // 1002)).encode(),
    )
    put(f"{size >> 20} MB of random bytes", os.urandom(size))
    bomb = folder / "bomb.xlsx"
    spreadsheet_bomb(bomb, 0.45 if quick else 4.5)
    files[f"a {bomb.stat().st_size / (1 << 20):.0f} MB spreadsheet expanding to {0.45 if quick else 4.5} GB"] = bomb
    return files


def legitimate(folder: Path, quick: bool) -> dict[str, Path]:
    """A synthetic city's registry file as CSV, and as XLSX (inline strings, as xlsxwriter writes)."""
    sys.path.insert(0, str(HERE.parent / "src"))
    import xlsxwriter

    from entas.synth import SynthConfig, build, write

    households = 3_300 if quick else 33_000
    city = build(SynthConfig(households=households, seed=7, survey_size=10))
    write(city, folder)
    source = folder / "registry.csv"
    members = city.population.n_members
    xlsx = folder / "registry.xlsx"
    workbook = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet()
    with source.open(encoding="utf-8-sig", newline="") as handle:
        for r, row in enumerate(csv.reader(handle)):
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
    workbook.close()
    return {f"CSV, {members:,} members": source, f"XLSX, {members:,} members": xlsx}


# -- one case, in a process of its own ---------------------------------------------------------


def case(path: str, mode: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entas.settings")  # ENTAS_VAR_DIR: the run's folder
    sys.path.insert(0, str(HERE.parent / "src"))
    import datetime as dt

    import django

    django.setup()
    from django.utils import translation

    translation.activate("en")
    start = time.perf_counter()
    outcome = ""
    if mode == "read-bytes":
        with open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass
        outcome = "read"
    elif mode == "bare-csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            outcome = f"{sum(1 for _ in csv.reader(handle)) - 1} rows"
    elif mode == "bare-calamine":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).iter_rows()
        outcome = f"{sum(1 for _ in rows) - 1} rows"
    else:
        from entas.registry.fileformats import FileFormatError, open_rows
        from entas.registry.parsing import FileParser, ParseContext

        context = ParseContext(frozenset(), {}, frozenset(), dt.date(2026, 1, 1), "en")
        try:
            batches = FileParser(open_rows(Path(path)), context).batches()
            outcome = f"{sum(len(f.rows) for batch in batches for f in batch)} rows"
        except FileFormatError as exc:
            outcome = f"refused: {str(exc)[:90]}"
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"seconds": time.perf_counter() - start, "mb": _peak_mb(), "child_mb": children, "out": outcome}))


def run(path: Path, mode: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, "--case", str(path), mode],
        capture_output=True,
        text=True,
        env={**os.environ, "ENTAS_VAR_DIR": str(path.parent / "var"), **(env or {})},
        check=False,
    )
    if done.returncode:
        return {"seconds": float("nan"), "mb": float("nan"), "child_mb": 0.0, "out": f"DIED ({done.returncode})"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="files a tenth of the size")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.case:
        case(*options.case)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _setup import machine

    print(machine())
    with tempfile.TemporaryDirectory(prefix="entas-hostile-") as tmp:
        folder = Path(tmp)
        print(f"{'file':<52}{'size':>10}{'import':>9}{'floor':>8}{'ratio':>7}{'worker':>9}{'sandbox':>9}  outcome")

        def line(name: str, path: Path, floor_mode: str, env: dict[str, str] | None = None) -> None:
            result = run(path, "import", env)
            floor = run(path, floor_mode)
            ratio = float(result["seconds"]) / max(float(floor["seconds"]), 1e-3)  # type: ignore[arg-type]
            print(
                f"{name[:51]:<52}{path.stat().st_size / (1 << 20):>8.1f}MB{result['seconds']:>8.2f}s"
                f"{floor['seconds']:>7.2f}s{ratio:>6.1f}x{result['mb']:>7.0f}MB{result['child_mb']:>7.0f}MB"
                f"  {result['out']}"
            )

        for name, path in build(folder, options.quick).items():
            line(name, path, "read-bytes")
        bomb = folder / "bomb.xlsx"
        unlimited = {"ENTAS_IMPORT_MAX_XLSX_UNCOMPRESSED_MB": "1000000", "ENTAS_IMPORT_MAX_XLSX_RATIO": "1000000"}
        line("the same, unpacked-size and ratio limits lifted", bomb, "read-bytes", unlimited)
        for name, path in legitimate(folder, options.quick).items():
            line(name, path, "bare-csv" if path.suffix == ".csv" else "bare-calamine")
        print(
            "import: open_rows + FileParser (read, parse, validate) until the rows end or the refusal; floor: the "
            "file's bytes read once (hostile files), a bare csv.reader pass (CSV), a bare calamine load in the "
            "same process (XLSX, the import before the sandbox). worker: the reading process's peak (VmHWM); "
            "sandbox: the largest child's peak."
        )


if __name__ == "__main__":
    main()
