"""Exporting the registry in the import format (so an export re-imports unchanged): CSV, XLSX or
Parquet, streamed in id-ordered batches of households, limited to what the user may see. Also the
import template and the ratified list of a kelurahan.

Every cell is written through :mod:`entas.core.spreadsheet`: no name or address becomes a formula
in a spreadsheet (CSV text cells that start like a formula get an apostrophe, which the import
removes again; XLSX text cells are strings). Parquet is read by data tools, not spreadsheets, and
holds the values as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.db.models import Prefetch

from entas.core.spreadsheet import CsvWriter, Sheet, workbook

from .columns import ALL_COLUMNS, COLUMN_NAMES
from .models import Member, ProgrammeReceipt
from .selectors import households_for

if TYPE_CHECKING:
    from entas.accounts.models import User

FORMATS = ("csv", "xlsx", "parquet")
BATCH = 1000


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def iter_rows(user: User, *, progress: Callable[[int], None] | None = None, ids: bool = False) -> Iterator[list[str]]:
    """One list of cells per member, the household's cells repeated, in COLUMN_NAMES order (with
    ``ids``, preceded by the household's and the member's id: ID_COLUMNS)."""
    qs = (
        households_for(user)
        .order_by("pk")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=Member.objects.filter(exited_on__isnull=True).order_by("relationship", "birth_date", "pk"),
            )
        )
        .prefetch_related(Prefetch("programme_receipts", queryset=ProgrammeReceipt.objects.order_by("month")))
    )
    household_columns = [c.name for c in ALL_COLUMNS if c.level == "household"]
    member_columns = [c.name for c in ALL_COLUMNS if c.level == "member"]
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        for household in batch:
            latest = {r.programme: r.month for r in household.programme_receipts.all()}
            head: list[str] = []
            for name in household_columns:
                if name == "kelurahan_code":
                    head.append(household.kelurahan.code)
                elif name.startswith("prog_"):
                    month = latest.get(name[5:])
                    head.append(f"{month:%Y-%m}" if month else "")
                else:
                    head.append(_text(getattr(household, name)))
            for member in household.members.all():
                cells = head + [_text(getattr(member, name)) for name in member_columns]
                yield [str(household.pk), str(member.pk), *cells] if ids else cells
        last = batch[-1].pk
        if progress:
            progress(len(batch))


TEXT = {"num_format": "@"}  # NIK and KK stay text: Excel keeps only 15 digits of a number
BOLD = {"bold": True}


def export_registry(user: User, out: Path, fmt: str, *, progress: Callable[[int], None] | None = None) -> int:
    """Write the registry the user may see to ``out``; returns the number of member rows."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    rows = 0
    if fmt == "xlsx":
        book = workbook(out, constant_memory=True)
        sheet = Sheet(book, "registri")
        sheet.write_row(0, 0, COLUMN_NAMES)
        for rows, cells in enumerate(iter_rows(user, progress=progress), start=1):
            sheet.write_row(rows, 0, cells, TEXT)
        book.close()
        return rows
    if fmt == "csv":
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = CsvWriter(handle)
            writer.writerow(COLUMN_NAMES)
            for cells in iter_rows(user, progress=progress):
                writer.writerow(cells)
                rows += 1
        return rows
    # Parquet through an intermediate CSV of the true values (unescaped: no spreadsheet reads it),
    # written beside the output and removed whatever happens.
    staging = out.with_name(out.name + ".csv.part")
    try:
        rows = _stage(user, staging, progress=progress)
        with _duckdb() as db:
            db.read_csv(str(staging), all_varchar=True, header=True).write_parquet(str(out))
    finally:
        staging.unlink(missing_ok=True)
    return rows


def _duckdb() -> Any:
    import duckdb

    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def _stage(user: User, staging: Path, *, progress: Callable[[int], None] | None, ids: bool = False) -> int:
    """The rows the user may see as a plain CSV of the true values; returns the number of rows."""
    rows = 0
    with staging.open("w", newline="", encoding="utf-8") as handle:
        plain = csv.writer(handle)
        plain.writerow([*ID_COLUMNS, *COLUMN_NAMES] if ids else COLUMN_NAMES)
        for cells in iter_rows(user, progress=progress, ids=ids):
            plain.writerow(cells)
            rows += 1
    return rows


# The partitioned export's columns before the import format's: entas's ids, so that what is computed
# over the export (PMT scores, duplicate pairs) can be joined back to the registry.
ID_COLUMNS = ["household_id", "member_id"]
# Its partition columns, after them: the kabupaten/kota and kecamatan codes of the kelurahan.
PARTITION_COLUMNS = ["kabupaten", "kecamatan"]


def export_partitioned(user: User, out: Path, *, progress: Callable[[int], None] | None = None) -> int:
    """Write the registry the user may see to the folder ``out`` as Parquet partitioned by kabupaten/kota
    and kecamatan code (``out/kabupaten=64.71/kecamatan=64.71.01/data_0.parquet``, Hive-style, as Spark,
    DuckDB and pyarrow read a dataset); returns the number of member rows.

    The rows are the import format's (:func:`iter_rows`, one per member, the household's cells repeated,
    text as the import reads it), preceded by ``household_id`` and ``member_id`` (integers) and followed
    by the partition columns. A national registry exports each kabupaten/kota into the same folder
    layout; Spark reads the union. ``out`` must not exist or be empty: an export never mixes with
    another's files."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(out.name + ".csv.part")
    try:
        rows = _stage(user, staging, progress=progress, ids=True)
        with _duckdb() as db:
            rows_read = db.read_csv(str(staging), all_varchar=True, header=True)
            rows_read.create_view("registry_rows")
            typed = db.sql(
                "SELECT CAST(household_id AS BIGINT) AS household_id, CAST(member_id AS BIGINT) AS member_id, "
                "* EXCLUDE (household_id, member_id), "
                "array_to_string(string_split(kelurahan_code, '.')[1:2], '.') AS kabupaten, "
                "array_to_string(string_split(kelurahan_code, '.')[1:3], '.') AS kecamatan "
                "FROM registry_rows ORDER BY household_id, member_id"
            )
            typed.write_parquet(str(out), partition_by=PARTITION_COLUMNS, overwrite=True)
    finally:
        staging.unlink(missing_ok=True)
    return rows


def template_xlsx(out: Path | IO[bytes]) -> None:
    """The import template: the header row and a sheet explaining each column."""
    book = workbook(out)
    sheet = Sheet(book, "registri")
    sheet.write_row(0, 0, COLUMN_NAMES, BOLD)
    sheet.set_column(0, len(COLUMN_NAMES) - 1, 16, TEXT)
    guide = Sheet(book, "petunjuk")
    guide.write_row(0, 0, ["column", "label", "level", "required", "values"], BOLD)
    for row, column in enumerate(ALL_COLUMNS, start=1):
        guide.write_row(
            row, 0, [column.name, str(column.label), column.level, "yes" if column.required else "", column.help]
        )
    guide.set_column(0, 0, 24)
    guide.set_column(1, 1, 36)
    guide.set_column(4, 4, 120)
    book.close()


RATIFIED_COLUMNS = [
    "No",
    "Nomor KK",
    "NIK kepala keluarga",
    "Nama kepala keluarga",
    "Alamat",
    "RT",
    "RW",
    "Desil",
    "Tanggal verifikasi",
    "Tanggal pengesahan",
]


def ratified_rows(user: User, kelurahan: Any) -> list[list[Any]]:
    """The ratified households of a kelurahan by name and address (head of family), by RT, RW and
    address: the rows of the list for the berita acara, one per household, in RATIFIED_COLUMNS."""
    from .choices import Relationship, VerificationStatus

    households = (
        households_for(user)
        .filter(kelurahan=kelurahan, verification_status=VerificationStatus.DISAHKAN)
        .order_by("rt", "rw", "address", "pk")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.filter(exited_on__isnull=True, relationship=Relationship.HEAD))
        )
    )
    rows = []
    for number, household in enumerate(households, start=1):
        head = next(iter(household.members.all()), None)
        rows.append(
            [
                number,
                household.kk_number,
                head.nik if head else "",
                head.name if head else "",
                household.address,
                household.rt,
                household.rw,
                household.desil_city or "",
                household.visit_date.isoformat() if household.visit_date else "",
                household.ratified_at.date().isoformat() if household.ratified_at else "",
            ]
        )
    return rows


def ratified_list_xlsx(user: User, kelurahan: Any, out: Path | IO[bytes]) -> int:
    """The ratified list as XLSX with a signature block. Returns the number of households listed."""
    rows = ratified_rows(user, kelurahan)
    book = workbook(out)
    sheet = Sheet(book, "daftar")
    sheet.write(0, 0, f"Daftar keluarga disahkan - Kelurahan {kelurahan.name} ({kelurahan.code})", BOLD)
    sheet.write_row(2, 0, RATIFIED_COLUMNS, BOLD)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(2 + number, 0, row, TEXT)
    count = len(rows)
    sheet.write(4 + count, 0, "Jumlah keluarga:", BOLD)
    sheet.write(4 + count, 1, count)
    sheet.write(6 + count, 1, "Mengetahui, Lurah")
    sheet.write(6 + count, 5, "Kepala Dinas Sosial")
    sheet.set_column(1, 4, 22)
    book.close()
    return count


def ratified_list_pdf(user: User, kelurahan: Any, out: Path | IO[bytes]) -> int:
    """The ratified list as PDF to print and sign for the berita acara (always in Indonesian)."""
    from entas.core.documents import Section, table_pdf

    rows = ratified_rows(user, kelurahan)
    table_pdf(
        out,
        title=f"Daftar Keluarga Disahkan - Kelurahan {kelurahan.name} ({kelurahan.code})",
        columns=RATIFIED_COLUMNS,
        widths_mm=[10, 36, 36, 48, 50, 10, 10, 12, 30, 35],
        sections=[
            Section(
                heading=f"Kelurahan {kelurahan.name}",
                rows=rows,
                summary=f"Jumlah keluarga: {len(rows)}",
                signatures=["Mengetahui, Lurah", "", "Kepala Dinas Sosial"],
            )
        ],
        empty="Belum ada keluarga yang disahkan di kelurahan ini.",
        footer=f"entas - daftar disahkan {kelurahan.code}",
    )
    return len(rows)
