"""Files that people hand to entas: uploads from the pages and files named on the command line.

A file from a user is hostile until read: it may be huge, a compression bomb, a spreadsheet that
declares a billion cells, binary, in an unexpected encoding, one endless line, or XML with entity
tricks. This module holds what every reader of such a file shares, so each applies the same limits
and says the same clear thing (docs/security-notes/uploads.md):

- :func:`limits`, the configurable limits (``ENTAS_IMPORT_MAX_*`` settings);
- :func:`store_upload` / :func:`store_copy`, which write a file under ``MEDIA_ROOT`` and leave no
  partial copy behind when the disk fills, and :func:`purge_uploads`, which deletes stored uploads
  after ``ENTAS_UPLOAD_RETENTION_DAYS``;
- :func:`sniff_text`, :func:`open_text`, :func:`read_text` and :class:`BoundedLines`, which read a
  text (CSV) file in its encoding, in bounded memory, and refuse with the line number;
- :func:`refuse_doctype` and :func:`xml_parser`, which read XML without DTDs, entities or network.

Every refusal is an :class:`~entas.core.errors.Refused` (code ``invalid``) whose message says what
is wrong and what to do, in the user's language.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import errno
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Refused

log = logging.getLogger(__name__)

MB = 1024 * 1024
CHUNK = 1 << 20
UPLOAD_DIR = "imports"  # stored uploads, relative to MEDIA_ROOT (kept ENTAS_UPLOAD_RETENTION_DAYS)
TMP_DIR = "tmp"  # a job's temporary files, relative to MEDIA_ROOT (deleted when the job ends)
PARTIAL = ".partial"  # a file still being written (renamed when complete)


@dataclass(frozen=True)
class Limits:
    """How much of a user's file entas will read (settings ``ENTAS_IMPORT_MAX_*``)."""

    file_bytes: int  # the file itself, as uploaded
    row_chars: int  # one row (a CSV line or record; the cells of a spreadsheet row)
    columns: int  # cells in one row
    cells: int  # cells of a spreadsheet's extent (rows x columns), declared or real
    xlsx_bytes: int  # a spreadsheet's parts, uncompressed, together
    xlsx_ratio: int  # compression ratio of any part over 1 MB
    xlsx_memory_bytes: int  # memory of the process that reads a spreadsheet
    xlsx_seconds: int  # processor time of that process


def limits() -> Limits:
    """The limits now in force (read at each call, so a changed setting applies at once)."""
    return Limits(
        file_bytes=settings.ENTAS_IMPORT_MAX_FILE_MB * MB,
        row_chars=settings.ENTAS_IMPORT_MAX_ROW_KB * 1024,
        columns=settings.ENTAS_IMPORT_MAX_COLUMNS,
        cells=settings.ENTAS_IMPORT_MAX_CELLS,
        xlsx_bytes=settings.ENTAS_IMPORT_MAX_XLSX_UNCOMPRESSED_MB * MB,
        xlsx_ratio=settings.ENTAS_IMPORT_MAX_XLSX_RATIO,
        xlsx_memory_bytes=settings.ENTAS_IMPORT_MAX_XLSX_MEMORY_MB * MB,
        xlsx_seconds=settings.ENTAS_IMPORT_MAX_XLSX_SECONDS,
    )


def size_text(size: float) -> str:
    """A byte count for people, in the active language's numbers: 5.8 KB, 14.0 MB (14,0 MB), 4.5 GB."""
    from django.utils.formats import number_format

    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{number_format(size, 0 if unit == 'bytes' else 1)} {unit}"
        size /= 1024
    raise AssertionError  # pragma: no cover


def check_size(size: int, name: str) -> None:
    """Refuse a file larger than ENTAS_IMPORT_MAX_FILE_MB."""
    limit = limits().file_bytes
    if size > limit:
        raise Refused(
            _("%(name)s is %(size)s; files of at most %(limit)s are accepted (ENTAS_IMPORT_MAX_FILE_MB).")
            % {"name": name, "size": size_text(size), "limit": size_text(limit)},
            code="invalid",
        )


# -- storing and purging ---------------------------------------------------------------------------


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def _safe_name(name: str) -> str:
    """The last part of a user's file name, reduced to characters safe in a path."""
    base = Path(name.replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._")[:80]
    return cleaned or "file"


def _write_complete(target: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``target`` through a ``.partial`` file renamed when complete; on any
    failure (a full disk, a broken upload) the partial file is deleted and the error re-raised."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + PARTIAL)
    try:
        with partial.open("xb") as handle:
            for chunk in chunks:
                handle.write(chunk)
        partial.rename(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _stored(folder: str, original: str, owner: str, chunks: Iterable[bytes]) -> str:
    relative = f"{folder}/{timezone.localtime():%Y%m%d-%H%M%S}-{owner}-{uuid.uuid4().hex[:8]}-{_safe_name(original)}"
    try:
        _write_complete(media_path(relative), chunks)
    except OSError as exc:
        raise not_stored(original, exc) from exc
    return relative


def not_stored(name: str, exc: OSError) -> Refused:
    """The refusal for a file the server could not write (a full disk, a quota): logged for the
    administrator, worded for the user."""
    log.error("storing %s failed: %s", name, exc)
    reason = _("the disk is full") if exc.errno in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG} else exc.strerror
    return Refused(
        _(
            "The server could not store %(name)s (%(reason)s); nothing was imported. Try again later, or "
            "tell the administrator."
        )
        % {"name": name, "reason": reason},
        code="busy",
    )


def store_upload(upload: Any, *, owner: str, folder: str = UPLOAD_DIR) -> str:
    """Store an uploaded file (a Django ``UploadedFile``) under ``MEDIA_ROOT/folder``; returns its
    name relative to MEDIA_ROOT. Refuses a file over the size limit; leaves nothing on failure."""
    check_size(upload.size, upload.name)
    return _stored(folder, upload.name, owner, upload.chunks())


def store_copy(path: Path, *, owner: str, folder: str = UPLOAD_DIR) -> str:
    """Store a copy of a local file (a command's argument) as :func:`store_upload` stores an upload."""
    check_size(path.stat().st_size, path.name)

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    return _stored(folder, path.name, owner, chunks())


@dataclass
class PurgeReport:
    uploads: int = 0
    temporary: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"uploads": self.uploads, "temporary": self.temporary, "bytes": self.bytes}


_JOB_FILE = re.compile(r"-(\d+)\.[A-Za-z0-9]+$")  # tmp/<what>-<job id>.<ext>


def purge_uploads(*, now: dt.datetime | None = None) -> PurgeReport:
    """Delete what users handed in once it is no longer needed; returns what was deleted.

    - Stored uploads (``MEDIA_ROOT/imports``) older than ENTAS_UPLOAD_RETENTION_DAYS, unless a job
      still waiting or running reads them. A failed import can be re-run until then.
    - A job's temporary files (``MEDIA_ROOT/tmp``: rejection and export files being written, named
      ``<what>-<job id>.<ext>``) once the job has ended (and the file is ten minutes old), and any
      other file there older than a day; partial copies left by a full disk (``*.partial``) older
      than an hour.
    """
    from .models import Job

    now = now or timezone.now()
    report = PurgeReport()
    active = Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])
    active_ids = set(active.values_list("pk", flat=True))
    in_use = {str(p.get("file", "")) for p in active.values_list("params", flat=True) if isinstance(p, dict)}
    retention = dt.timedelta(days=settings.ENTAS_UPLOAD_RETENTION_DAYS)

    def age(path: Path) -> dt.timedelta:
        return now - dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)

    def delete(path: Path) -> int:
        size = path.stat().st_size
        path.unlink(missing_ok=True)
        return size

    uploads = media_path(UPLOAD_DIR)
    for path in sorted(uploads.rglob("*")) if uploads.is_dir() else []:
        relative = path.relative_to(settings.MEDIA_ROOT).as_posix()
        try:
            if not path.is_file() or relative in in_use:
                continue
            partial = path.name.endswith(PARTIAL)
            if age(path) >= (dt.timedelta(hours=1) if partial else retention):
                report.bytes += delete(path)
                if partial:
                    report.temporary += 1
                else:
                    report.uploads += 1
        except FileNotFoundError:  # deleted meanwhile
            continue
    temporary = media_path(TMP_DIR)
    for path in sorted(temporary.rglob("*")) if temporary.is_dir() else []:
        try:
            if not path.is_file():
                continue
            match = _JOB_FILE.search(path.name)
            # Ten minutes untouched as well: a job that started after active_ids was read is not in it.
            job_ended = match is not None and int(match.group(1)) not in active_ids
            if (job_ended and age(path) >= dt.timedelta(minutes=10)) or age(path) >= dt.timedelta(days=1):
                report.bytes += delete(path)
                report.temporary += 1
        except FileNotFoundError:
            continue
    if report.uploads or report.temporary:
        log.info("purged %s uploads and %s temporary files (%s bytes)", report.uploads, report.temporary, report.bytes)
        _record_purge(report)
    return report


def _record_purge(report: PurgeReport) -> None:
    """Files of personal data were deleted: the audit trail says when and how many (UU PDP)."""
    from . import audit  # this module is imported before Django is set up (the reading processes)
    from .services import service

    service(audit.record)(
        actor=None,
        action="uploads.purge",
        object_type="core.upload",
        object_repr=f"{report.uploads} uploads, {report.temporary} temporary files",
        after=report.as_dict(),
    )


# -- text files --------------------------------------------------------------------------------

_BOMS = [  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_SIGNATURES = [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xls"),
    (b"PK\x03\x04", "zip"),
    (b"%PDF", "pdf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"\x1f\x8b", "gzip"),
]
_NOT_CP1252 = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")  # the five bytes Windows-1252 leaves undefined
# Control bytes no text file holds (tab, line feed, form feed and carriage return aside).
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32)])


@dataclass(frozen=True)
class TextFile:
    encoding: str  # a Python codec name: utf-8-sig, cp1252, utf-16, utf-16-le, utf-32…
    lines: int  # line feeds in the file


def _binary_kind(head: bytes) -> str | None:
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _refuse_binary(kind: str, name: str) -> Refused:
    what = {
        "xls": _("an old Excel workbook (.xls) or a password-protected one"),
        "zip": _("a ZIP archive or an XLSX workbook"),
        "pdf": _("a PDF document"),
        "image": _("a picture"),
        "gzip": _("a compressed (gzip) file"),
    }.get(kind, _("a binary file"))
    return Refused(
        _("%(name)s is %(what)s, not a text (CSV) file. Save it as CSV UTF-8 and try again.")
        % {"name": name, "what": what},
        code="invalid",
    )


def _binary_text(head: bytes) -> bool:
    """More than one byte in a hundred is a control byte: binary data, not text."""
    return sum(head.count(b) for b in _CONTROL_BYTES) > len(head) / 100


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 written without a byte-order mark: every other byte zero (Latin text)."""
    if len(head) < 16:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _too_long(name: str, line: int, length: float, limit: int) -> Refused:
    return Refused(
        _(
            "Line %(line)d of %(name)s is %(size)s long; a row may be at most %(limit)s (ENTAS_IMPORT_MAX_ROW_KB). "
            "Is it the right file?"
        )
        % {"line": line, "name": name, "size": size_text(length), "limit": size_text(limit)},
        code="invalid",
    )


def sniff_text(path: Path, *, name: str | None = None, rows: bool = True) -> TextFile:
    """The encoding and line count of a text file, refusing what cannot be read as text.

    Reads the whole file once, in chunks (bounded memory): UTF-8 (with or without BOM) when every
    byte decodes as UTF-8, else Windows-1252 (what Excel writes as "CSV") when every byte is defined
    there; UTF-16 and UTF-32 by their byte-order mark (Excel's "Unicode Text"), UTF-16 without one
    by its zero bytes. Refuses a file over the size limit, a binary file (with what it looks like),
    a line longer than ENTAS_IMPORT_MAX_ROW_KB (with its number; unless ``rows`` is false: a file
    that is not made of rows, like a GeoJSON written on one line), and bytes that are neither UTF-8
    nor Windows-1252 (with the line and the byte)."""
    name = name or path.name
    if not path.is_file():
        raise Refused(_("The file %(name)s does not exist.") % {"name": name}, code="not_found")
    check_size(path.stat().st_size, name)
    limit = limits().row_chars if rows else sys.maxsize
    with path.open("rb") as handle:
        head = handle.read(8192)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            if encoding == "utf-8-sig":
                break
            return _scan_wide(path, encoding, name, limit)
    else:
        if kind := _binary_kind(head):
            raise _refuse_binary(kind, name)
        if wide := _utf16_without_bom(head):
            head = head.decode(wide, errors="replace").encode("utf-8")
            if not _binary_text(head):
                return _scan_wide(path, wide, name, limit)
        if _binary_text(head):
            raise _refuse_binary("binary", name)
    return _scan_bytes(path, name, limit)


def _scan_bytes(path: Path, name: str, limit: int) -> TextFile:
    """One pass over an 8-bit text file: its lines, its longest line (``limit`` in bytes, which is
    never fewer than its characters), and whether it is UTF-8 or Windows-1252."""
    utf8 = codecs.getincrementaldecoder("utf-8")()
    utf8_error: tuple[int, int] | None = None  # (line, byte) of the first byte that is not UTF-8
    cp1252_error: tuple[int, int] | None = None
    lines = 0
    run = 0  # bytes of the current (unfinished) line
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if utf8_error is None:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError as exc:
                    utf8_error = (lines + chunk.count(b"\n", 0, exc.start) + 1, chunk[exc.start])
            if cp1252_error is None and (bad := _NOT_CP1252.search(chunk)):
                cp1252_error = (lines + chunk.count(b"\n", 0, bad.start()) + 1, chunk[bad.start()])
            parts = chunk.split(b"\n")
            if len(parts) == 1:
                run += len(chunk)
            else:
                lengths = [run + len(parts[0]), *map(len, parts[1:-1])]
                longest = max(lengths)
                if longest > limit:
                    raise _too_long(name, lines + 1 + lengths.index(longest), longest, limit)
                lines += len(parts) - 1
                run = len(parts[-1])
            if run > limit:  # the line goes on: measure the rest of it, without keeping it
                while (more := handle.read(CHUNK)) and (end := more.find(b"\n")) < 0:
                    run += len(more)
                raise _too_long(name, lines + 1, run + (end if more else 0), limit)
    if utf8_error is None:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = (lines + 1, 0)
    if utf8_error is None:
        return TextFile("utf-8-sig", lines)
    if cp1252_error is None:
        return TextFile("cp1252", lines)
    line, byte = cp1252_error
    raise Refused(
        _(
            "%(name)s is neither UTF-8 nor Windows-1252 text: line %(line)d holds the byte 0x%(byte)02X. "
            "Is it a CSV file? Save it as CSV UTF-8 and try again."
        )
        % {"name": name, "line": line, "byte": byte},
        code="invalid",
    )


def _scan_wide(path: Path, encoding: str, name: str, limit: int) -> TextFile:
    """One pass over a UTF-16 or UTF-32 file, decoded (``limit`` in characters)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = run = 0
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(CHUNK):
                text = decoder.decode(chunk)
                parts = text.split("\n")
                lengths = [run + len(parts[0]), *map(len, parts[1:-1])]
                longest = max(lengths)
                if longest > limit:
                    raise _too_long(name, lines + 1 + lengths.index(longest), longest, limit)
                lines += len(parts) - 1
                run = len(parts[-1]) if len(parts) > 1 else run + len(text)
            decoder.decode(b"", final=True)
            if run > limit:
                raise _too_long(name, lines + 1, run, limit)
        except UnicodeDecodeError:
            raise Refused(
                _("%(name)s starts as %(encoding)s text but line %(line)d is not: save it as CSV UTF-8.")
                % {"name": name, "encoding": encoding.upper(), "line": lines + 1},
                code="invalid",
            ) from None
    return TextFile(encoding, lines)


class BoundedLines:
    """The lines of a text file for ``csv.reader``, refusing a row longer than ``limit`` characters.

    A CSV row is one line, or several when a quoted cell holds line breaks (or a quote is left open,
    which swallows the file). ``csv.reader`` takes the lines it needs for one row from this iterator;
    the row's characters are counted here as they are read (each line read at most ``limit + 1``
    characters at a time), so no row, however broken, takes more memory than the limit. Call
    :meth:`row_done` after each row the reader yields; ``row`` numbers the row being read."""

    def __init__(self, handle: IO[str], limit: int, name: str, first_row: int = 1) -> None:
        self.handle = handle
        self.limit = limit
        self.name = name
        self.row = first_row
        self.used = 0

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(self.limit + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            raise Refused(
                _(
                    "Row %(row)d of %(name)s is longer than %(limit)s (ENTAS_IMPORT_MAX_ROW_KB); nothing after it "
                    "was read. A quote left open makes a cell swallow the rows after it: check the quotes."
                )
                % {"row": self.row, "name": self.name, "limit": size_text(self.limit)},
                code="invalid",
            )
        return line

    def row_done(self) -> None:
        self.row += 1
        self.used = 0


def too_many_cells(row: int, cells: int, name: str) -> Refused:
    return Refused(
        _("Row %(row)d of %(name)s has %(cells)d cells; a row may have at most %(limit)d (ENTAS_IMPORT_MAX_COLUMNS).")
        % {"row": row, "name": name, "cells": cells, "limit": limits().columns},
        code="invalid",
    )


def open_text(path: Path, *, name: str | None = None, known: TextFile | None = None) -> tuple[IO[str], TextFile]:
    """A text file opened in its encoding for ``csv`` (newline=""), after :func:`sniff_text` (or with
    ``known``: what sniffing the same file found already, in the process that hands it on)."""
    info = known or sniff_text(path, name=name)
    return path.open(encoding=info.encoding, newline=""), info


@contextlib.contextmanager
def csv_dict_rows(
    path: Path, *, name: str | None = None
) -> Iterator[tuple[list[str], Iterator[tuple[int, dict[str, str]]]]]:
    """A CSV file with a header line, as ``with csv_dict_rows(path) as (header, rows)``: each row its
    number (the header is row 1) and its cells by column name. Sniffed (encoding, binary), and bounded
    in row length and in cells, each refusal naming the row."""
    import csv

    name = name or path.name
    handle, _info = open_text(path, name=name)
    with handle:
        lines = BoundedLines(handle, limits().row_chars, name)
        reader = csv.reader(lines)
        header = [h.strip() for h in next(reader, [])]
        lines.row_done()
        columns = limits().columns
        if len(header) > columns:
            raise too_many_cells(1, len(header), name)

        def rows() -> Iterator[tuple[int, dict[str, str]]]:
            for cells in reader:
                number = lines.row
                if len(cells) > columns:
                    raise too_many_cells(number, len(cells), name)
                lines.row_done()
                if not any(cells):
                    continue  # a blank line
                yield number, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))

        yield header, rows()


def read_text(path: Path, *, name: str | None = None, rows: bool = True) -> str:
    """The whole text of a small file (a reference table; a GeoJSON with ``rows=False``: its lines
    are not rows), in its encoding."""
    info = sniff_text(path, name=name, rows=rows)
    return path.read_text(encoding=info.encoding)


# -- XML ------------------------------------------------------------------------------------------


def refuse_doctype(chunks: Iterable[bytes], name: str) -> None:
    """Refuse XML that declares a document type (a DTD: where entity bombs and external entities
    live). Reads only up to the first element: the prolog. Neither a bank's status report nor a
    spreadsheet's parts ever has one."""
    import xml.parsers.expat

    class _Stop(Exception):
        pass

    class _Doctype(Exception):
        pass

    def doctype(*args: Any) -> None:
        raise _Doctype

    def element(*args: Any) -> None:
        raise _Stop

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = element
    seen = 0
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            seen += len(chunk)
            if seen > MB:  # a prolog of a megabyte is no prolog
                break
        parser.Parse(b"", True)
    except _Stop:
        return
    except _Doctype:
        raise Refused(
            _(
                "%(name)s declares a document type (<!DOCTYPE …>), which such a file never has; it is refused "
                "because entity declarations can make a small file expand without bound."
            )
            % {"name": name},
            code="invalid",
        ) from None
    except xml.parsers.expat.ExpatError as exc:
        raise Refused(
            _("%(name)s is not readable XML: %(error)s") % {"name": name, "error": exc}, code="invalid"
        ) from None


def xml_parser() -> Any:
    """An lxml parser for files from users: no entity substitution, no DTD loading, no network, and
    libxml2's limits on depth and text size kept (no ``huge_tree``)."""
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, dtd_validation=False
    )


def file_chunks(path: Path, size: int = 64 * 1024) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(size):
            yield chunk


__all__ = [
    "BoundedLines",
    "Limits",
    "PurgeReport",
    "TextFile",
    "check_size",
    "csv_dict_rows",
    "limits",
    "open_text",
    "purge_uploads",
    "read_text",
    "refuse_doctype",
    "sniff_text",
    "store_copy",
    "store_upload",
    "xml_parser",
]
