"""Reading registry files: CSV (comma or semicolon; UTF-8 with or without BOM, or Windows-1252 as
spreadsheets export it) and XLSX. Rows are streamed, never loaded whole.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _


class FileFormatError(ValueError):
    """The file as a whole cannot be read (the message says why and what to do)."""


@dataclass
class RowSource:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]  # (row number in the file: header 1, data from 2; cells in header order)
    total: int | None  # number of data rows when known up front
    encoding: str
    closer: Callable[[], None] = field(default=lambda: None, repr=False)
    # CSV text cells may carry the apostrophe an export puts before a formula character
    # (entas.core.spreadsheet); XLSX cells are values.
    escaped: bool = False

    def close(self) -> None:
        """Release the file when its rows are not (all) read; safe to call twice."""
        self.closer()


def _detect_encoding(path: Path) -> tuple[str, int]:
    """UTF-8 when every byte decodes as UTF-8, else Windows-1252. Also counts the lines."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, utf8 = 0, True
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return ("utf-8-sig" if utf8 else "cp1252"), lines


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def open_rows(path: Path) -> RowSource:
    if not path.exists():
        raise FileFormatError(_("The file %(name)s does not exist.") % {"name": path})
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(b"PK\x03\x04"):
        return _open_xlsx(path)
    return _open_csv(path)


def _open_csv(path: Path) -> RowSource:
    encoding, lines = _detect_encoding(path)
    handle = path.open(encoding=encoding, newline="")
    first = handle.readline()
    if not first.strip():
        handle.close()
        raise FileFormatError(_("The file is empty: the first line must hold the column names."))
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]

    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with handle:
            reader = csv.reader(handle, delimiter=delimiter)
            for number, cells in enumerate(reader, start=2):
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                if not any(cells) or not any(c.strip() for c in cells):
                    continue
                yield number, cells

    return RowSource(header, rows(), max(lines - 1, 0), encoding, handle.close, escaped=True)


def _open_xlsx(path: Path) -> RowSource:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:
        raise FileFormatError(_("The spreadsheet cannot be read: %(error)s") % {"error": exc}) from exc
    iterator = iter(sheet.iter_rows())
    try:
        header = [_cell(h).lower() for h in next(iterator)]
    except StopIteration:
        raise FileFormatError(_("The spreadsheet is empty: the first row must hold the column names.")) from None

    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(iterator, start=2):
            values = [_cell(c) for c in cells][:width]
            if not any(values):
                continue
            yield number, values + [""] * (width - len(values))

    return RowSource(header, rows(), max(sheet.height - 1, 0), "xlsx")
