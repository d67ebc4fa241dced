"""Files a person opens in a spreadsheet (CSV and XLSX), written so that no cell becomes a formula.

A name or an address typed as ``=HYPERLINK("http://…","klik")``, ``=1+1``, ``+62…`` or ``@SUM(…)``
is data. A spreadsheet that opens a CSV file, or an XLSX cell written as a formula, runs it instead:
a link that sends the row to a stranger, a DDE command, or simply a wrong number (formula or "CSV"
injection, OWASP). Every CSV and XLSX file entas writes goes through this module:

* XLSX: a text cell is written as a string (xlsxwriter's ``write_string``), never through
  ``write()``, which guesses: it makes ``=…`` a formula and ``http://…`` a link. A text cell that
  starts like a formula also gets Excel's quote prefix, so that editing it keeps it text. Numbers are
  written as numbers. The workbook is also opened with the guessing turned off, for any cell written
  around this module.
* CSV: a text cell that starts (after any apostrophes or white space) with ``=``, ``+``, ``-``, ``@``,
  a tab or a carriage return, or the full-width ``＝ ＋ － ＠`` that Japanese and Chinese input methods
  type, is written with one apostrophe in front: spreadsheets show ``'=1+1`` as the text ``=1+1``.
  A cell that is a plain decimal number (``-1.25``, ``+62``) is a number, not a formula, and stays
  as it is, so that a negative latitude is still a number.
* Reading back (the registry import): :func:`unescape_cell` removes that one apostrophe, so an export
  in the import format imports unchanged. Apostrophes before the formula character are counted in,
  so a value that itself starts with ``'=`` survives the round trip too.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

# First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), and their
# full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20).
FORMULA_CHARACTERS = "=+-@\t\r\uff1d\uff0b\uff0d\uff20"
# White space a spreadsheet may trim before it looks for a formula (with no-break and ideographic space).
_SPACE = " \t\r\n\u00a0\u3000"
_FORMULA = re.compile(f"'*[{_SPACE}]*[{re.escape(FORMULA_CHARACTERS)}]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")
# The first characters a formula-like text can have: one set lookup clears the common cell (a name,
# a code, a date) before any pattern runs.
_SUSPECT_FIRST = frozenset(FORMULA_CHARACTERS + "'" + _SPACE)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` (or ``text`` without its leading apostrophes) as a
    formula: it starts with a formula character, after any apostrophes and white space, and is not
    a plain decimal number."""
    return text[:1] in _SUSPECT_FIRST and _FORMULA.match(text) is not None and _NUMBER.fullmatch(text) is None


def escape_text(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs: an apostrophe in front when it looks like a
    formula (``=1+1`` → ``'=1+1``), else unchanged."""
    return "'" + text if is_formula_like(text) else text


def unescape_cell(text: str) -> str:
    """The value of a cell written by :func:`escape_text`: one leading apostrophe removed when a
    formula character follows it (after any further apostrophes and white space). Every other text,
    ``'abc`` included, is returned as it is."""
    if text[:1] == "'" and _FORMULA.match(text):
        return text[1:]
    return text


def csv_cell(value: Any) -> Any:
    """One CSV cell: text escaped (:func:`escape_text`), numbers and everything else as they are."""
    return escape_text(value) if isinstance(value, str) else value


def inert_cell(cell: str) -> str:
    """A cell read from a file (not a value), to be written back to a CSV file: a cell that already
    starts with an apostrophe is text to a spreadsheet and is kept as read, so that importing the
    written file again means what importing the original meant; any other cell is escaped."""
    return cell if cell[:1] == "'" else escape_text(cell)


class CsvWriter:
    """``csv.writer`` whose text cells are escaped (:func:`csv_cell`)."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        suspect = _SUSPECT_FIRST  # inlined first test: an export writes millions of cells
        self._writer.writerow([escape_text(v) if v and isinstance(v, str) and v[0] in suspect else v for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def write_read_cells(self, cells: Iterable[Any]) -> None:
        """A row of cells read from a file, written back as read but made inert (:func:`inert_cell`)."""
        self._writer.writerow([inert_cell(c) if isinstance(c, str) else c for c in cells])


# Options that stop xlsxwriter's write() from turning text into formulas, links or numbers.
NO_GUESSING = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def workbook(out: Path | IO[bytes], **options: Any) -> Any:
    """An xlsxwriter workbook writing to ``out`` (a path, or a binary file object such as BytesIO: then
    built in memory, leaving no temporary file), with write()'s guessing turned off."""
    import xlsxwriter

    if isinstance(out, Path):
        return xlsxwriter.Workbook(str(out), {**NO_GUESSING, **options})
    return xlsxwriter.Workbook(out, {**NO_GUESSING, "in_memory": True, **options})


class Sheet:
    """An xlsxwriter worksheet whose cells are written by their Python type, never guessed: text as a
    string (with the quote prefix when it looks like a formula), int/float/Decimal as a number, a
    bool as a boolean, a date as its ISO text, None as an empty cell."""

    def __init__(self, book: Any, name: str) -> None:
        self.book = book
        self.sheet = book.add_worksheet(name)
        self._formats: dict[tuple[tuple[str, Any], ...], Any] = {}

    def format(self, style: Mapping[str, Any] | None, *, quoted: bool = False) -> Any:
        """The workbook format for ``style`` (xlsxwriter format properties), made once."""
        if not style and not quoted:
            return None
        key = (*sorted((style or {}).items()), ("quote_prefix", quoted))
        if key not in self._formats:
            self._formats[key] = self.book.add_format({**(style or {}), **({"quote_prefix": True} if quoted else {})})
        return self._formats[key]

    def write(self, row: int, column: int, value: Any, style: Mapping[str, Any] | None = None) -> None:
        self._write(row, column, value, style, self.format(style))

    def write_row(self, row: int, column: int, values: Iterable[Any], style: Mapping[str, Any] | None = None) -> None:
        plain = self.format(style)
        for offset, value in enumerate(values):
            self._write(row, column + offset, value, style, plain)

    def _write(self, row: int, column: int, value: Any, style: Mapping[str, Any] | None, plain: Any) -> None:
        sheet = self.sheet
        if isinstance(value, str):
            if not value:
                if style:
                    sheet.write_blank(row, column, None, plain)
            elif value[:1] in _SUSPECT_FIRST and is_formula_like(value):
                sheet.write_string(row, column, value, self.format(style, quoted=True))
            else:
                sheet.write_string(row, column, value, plain)
        elif value is None:
            if style:
                sheet.write_blank(row, column, None, plain)
        elif isinstance(value, bool):
            sheet.write_boolean(row, column, value, plain)
        elif isinstance(value, int | float | Decimal) and math.isfinite(value):
            sheet.write_number(row, column, value, plain)
        elif isinstance(value, dt.date):
            sheet.write_string(row, column, value.isoformat(), plain)
        else:
            self._write(row, column, str(value), style, plain)

    def set_column(self, first: int, last: int, width: float, style: Mapping[str, Any] | None = None) -> None:
        self.sheet.set_column(first, last, width, self.format(style))
