"""Reading registry files: CSV (comma, semicolon or tab; UTF-8 with or without BOM, Windows-1252 as
spreadsheets export it, or UTF-16 as Excel's "Unicode Text") and XLSX. Rows are streamed, never
loaded whole, and every file is read within the limits of :mod:`entas.core.uploads`: a file that
exceeds them is refused with a message naming the row and the limit.

A spreadsheet is read by a process of its own held to memory and time limits
(:mod:`entas.registry.xlsxsandbox`): a spreadsheet that would take the reader's memory ends that
process, never the importing one.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from entas.core import uploads
from entas.core.errors import FileFormatError, Refused

__all__ = ["FileFormatError", "RowSource", "open_rows"]

from . import xlsxsandbox

log = logging.getLogger(__name__)


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
    text: uploads.TextFile | None = None  # a text file's encoding and lines, as sniffed (None: XLSX)

    def close(self) -> None:
        """Release the file when its rows are not (all) read; safe to call twice."""
        self.closer()


def open_rows(path: Path, name: str | None = None, *, text: uploads.TextFile | None = None) -> RowSource:
    """The rows of a registry file; ``name`` is the file's name as the user knows it (messages).
    ``text``: the sniffing of this text file already done (a RowSource's ``text``), not done again."""
    name = name or path.name
    if not path.exists():
        raise FileFormatError(_("The file %(name)s does not exist.") % {"name": name})
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic.startswith(b"PK\x03\x04"):
            return _open_xlsx(path, name)
        return _open_csv(path, name, text)
    except Refused as exc:
        raise FileFormatError(exc.message) from None


def _delimiter(first: str) -> str:
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _open_csv(path: Path, name: str, text: uploads.TextFile | None = None) -> RowSource:
    handle, info = uploads.open_text(path, name=name, known=text)
    limits = uploads.limits()
    lines = uploads.BoundedLines(handle, limits.row_chars, name)
    try:
        first = next(lines, "")
    except BaseException:
        handle.close()
        raise
    if not first.strip():
        handle.close()
        raise FileFormatError(_("The file is empty: the first line must hold the column names."))
    lines.row_done()
    delimiter = _delimiter(first)
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
    if len(header) > limits.columns:
        handle.close()
        raise uploads.too_many_cells(1, len(header), name)
    width = len(header)
    columns = limits.columns

    def rows() -> Iterator[tuple[int, list[str]]]:
        with handle:
            reader = csv.reader(lines, delimiter=delimiter)
            try:
                for cells in reader:
                    number = lines.row
                    if len(cells) > columns:
                        raise uploads.too_many_cells(number, len(cells), name)
                    lines.row_done()
                    if len(cells) < width:
                        cells += [""] * (width - len(cells))
                    if not any(cells) or not any(c.strip() for c in cells):
                        continue
                    yield number, cells
            except csv.Error as exc:
                raise FileFormatError(
                    _("Row %(row)d of %(name)s cannot be read as CSV: %(error)s")
                    % {"row": lines.row, "name": name, "error": exc}
                ) from None
            except Refused as exc:
                raise FileFormatError(exc.message) from None

    return RowSource(header, rows(), max(info.lines - 1, 0), info.encoding, handle.close, escaped=True, text=info)


# -- spreadsheets --------------------------------------------------------------------------------


def _sandbox_limits() -> dict[str, int]:
    limits = uploads.limits()
    return {
        "memory": limits.xlsx_memory_bytes,
        "seconds": limits.xlsx_seconds,
        "columns": limits.columns,
        "cells": limits.cells,
        "row_chars": limits.row_chars,
        "xlsx_bytes": limits.xlsx_bytes,
        "xlsx_ratio": limits.xlsx_ratio,
    }


class _Sandbox:
    """The reading process of one spreadsheet and its messages."""

    MAX_FRAME = 256 << 20

    def __init__(self, path: Path, name: str) -> None:
        self.name = name
        self.limits = _sandbox_limits()
        self.errors: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self.child = subprocess.Popen(  # noqa: S603 - our own module, no shell; the path is one argument
            [sys.executable, "-m", "entas.registry.xlsxsandbox", str(path), json.dumps(self.limits)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env={
                **os.environ,
                "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
                "RUST_BACKTRACE": "0",
            },
        )

    def receive(self) -> list[Any]:
        """The next message; a refusal, a reading error or the process's end raise FileFormatError."""
        stream = self.child.stdout
        assert stream is not None
        head = stream.read(xlsxsandbox.FRAME.size)
        if len(head) == xlsxsandbox.FRAME.size:
            (size,) = xlsxsandbox.FRAME.unpack(head)
            data = stream.read(size) if size <= self.MAX_FRAME else b""
            if len(data) == size:
                message: list[Any] = json.loads(data)
                if message[0] == "refused":
                    raise FileFormatError(self._refusal(message[1], message[2]))
                if message[0] == "unreadable":
                    raise FileFormatError(
                        _("The spreadsheet cannot be read: %(error)s") % {"error": message[1].split(": ", 1)[-1]}
                    )
                return message
        raise FileFormatError(self._ended())

    def _ended(self) -> str:
        code = self.child.wait()
        self.errors.seek(0, os.SEEK_END)
        self.errors.seek(max(0, self.errors.tell() - 2000))
        detail = self.errors.read().decode(errors="replace")
        log.warning("the spreadsheet reader of %s ended with %s: %s", self.name, code, detail)
        if code in {-signal.SIGXCPU, -signal.SIGKILL}:
            return _(
                "Reading the spreadsheet took more than %(seconds)d seconds of processing "
                "(ENTAS_IMPORT_MAX_XLSX_SECONDS) and was stopped. Save it as CSV, or split it."
            ) % {"seconds": self.limits["seconds"]}
        if code == -signal.SIGABRT:
            return self._refusal("memory", {})
        return _("Reading the spreadsheet stopped unexpectedly (exit code %(code)s). Save it as CSV and try again.") % {
            "code": code
        }

    def _refusal(self, code: str, p: dict[str, Any]) -> str:
        size = uploads.size_text
        name = self.name
        if code == "not_zip":
            return _("%(name)s is not a readable XLSX workbook (a damaged ZIP archive).") % {"name": name}
        if code == "not_xlsx":
            return _(
                "%(name)s is a ZIP archive but not an XLSX workbook (an .ods, .docx or other file?). "
                "Save it from the spreadsheet program as XLSX or CSV."
            ) % {"name": name}
        if code == "parts":
            return _("%(name)s holds %(parts)d parts; an XLSX workbook has a few dozen.") % {**p, "name": name}
        if code == "expands":
            return _(
                "%(name)s expands to %(size)s when unpacked; spreadsheets of at most %(limit)s are read "
                "(ENTAS_IMPORT_MAX_XLSX_UNCOMPRESSED_MB). Split it, or save it as CSV."
            ) % {"name": name, "size": size(p["size"]), "limit": size(p["limit"])}
        if code == "ratio":
            return _(
                "%(name)s looks like a compression bomb: its part %(part)s expands %(ratio)d-fold "
                "(%(compressed)s to %(size)s; at most %(limit)d-fold is read, ENTAS_IMPORT_MAX_XLSX_RATIO)."
            ) % {**p, "name": name, "compressed": size(p["compressed"]), "size": size(p["size"])}
        if code == "dtd":
            return _(
                "%(name)s is refused: its part %(part)s declares a document type (<!DOCTYPE …>) or hides it "
                "behind a long prolog, which no spreadsheet does (entity declarations can make a small file "
                "expand without bound)."
            ) % {**p, "name": name}
        if code in {"declared", "extent"}:
            params = {
                "name": name,
                "ref": p.get("ref", ""),
                "rows": p["rows"],
                "columns": p["columns"],
                "cells": p["rows"] * p["columns"],
                "limit": p["limit"],
                "column_limit": p["column_limit"],
            }
            if code == "declared":
                return (
                    _(
                        "The sheet of %(name)s declares the range %(ref)s: %(rows)d rows by %(columns)d columns, "
                        "%(cells)d cells. At most %(limit)d cells and %(column_limit)d columns are read "
                        "(ENTAS_IMPORT_MAX_CELLS, ENTAS_IMPORT_MAX_COLUMNS). Delete the empty rows and columns after "
                        "the data (a stray cell far to the right or bottom stretches the range), or save it as CSV."
                    )
                    % params
                )
            return (
                _(
                    "The cells of %(name)s's sheet span %(rows)d rows by %(columns)d columns, %(cells)d cells. At "
                    "most %(limit)d cells and %(column_limit)d columns are read (ENTAS_IMPORT_MAX_CELLS, "
                    "ENTAS_IMPORT_MAX_COLUMNS). Delete the empty rows and columns after the data (a stray cell far "
                    "to the right or bottom stretches the range), or save it as CSV."
                )
                % params
            )
        if code == "row":
            return _(
                "Row %(row)d of %(name)s holds %(size)s of text; a row may hold at most %(limit)s "
                "(ENTAS_IMPORT_MAX_ROW_KB)."
            ) % {"row": p["row"], "name": name, "size": size(p["size"]), "limit": size(p["limit"])}
        if code == "memory":
            return _(
                "Reading %(name)s needs more than %(limit)s of memory (ENTAS_IMPORT_MAX_XLSX_MEMORY_MB) and was "
                "stopped. Its cells probably stretch far beyond its data (a stray cell far to the right or "
                "bottom): delete the empty rows and columns after the data, or save it as CSV."
            ) % {"name": name, "limit": size(self.limits["memory"])}
        return _("%(name)s cannot be read as a spreadsheet (%(code)s).") % {"name": name, "code": code}

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        if self.child.stdout is not None:
            self.child.stdout.close()
        self.errors.close()


def _open_xlsx(path: Path, name: str) -> RowSource:
    uploads.check_size(path.stat().st_size, name)
    sandbox = _Sandbox(path, name)
    try:
        message = sandbox.receive()
        if message[0] != "head":
            raise FileFormatError(_("The spreadsheet is empty: the first row must hold the column names."))
    except BaseException:
        sandbox.close()
        raise
    _kind, cells, total = message
    header = [str(h).lower() for h in cells]
    if not any(header) and total == 0:
        sandbox.close()
        raise FileFormatError(_("The spreadsheet is empty: the first row must hold the column names."))
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            while (message := sandbox.receive())[0] == "rows":
                for number, packed in message[1]:
                    values = packed.split(xlsxsandbox.SEPARATOR) if isinstance(packed, str) else packed
                    values = values[:width]
                    yield number, values + [""] * (width - len(values))
        finally:
            sandbox.close()

    return RowSource(header, rows(), total, "xlsx", sandbox.close)
