"""The process that reads a spreadsheet (XLSX) for an import, held to memory and time limits.

A spreadsheet is a ZIP of XML parts, and what it declares is not what it costs: a 5.8 KB file whose
cells span A1:XFD1048576 makes the reader (python-calamine, which lays a sheet out as one dense
block of cells) ask for 512 GiB and abort the process; a 14 MB file can expand to 4.5 GB. So the
importing process never opens a spreadsheet itself. It starts ``python -m entas.registry.xlsxsandbox``
(:func:`entas.registry.fileformats.open_rows`), which first inspects the archive with the standard
library (parts, uncompressed sizes and ratios from the ZIP directory, DTDs in any XML part, the
sheet's declared ``<dimension ref>``), then, under an address-space limit (``RLIMIT_AS``) and a
processor-time limit (``RLIMIT_CPU``), reads the first sheet with calamine and sends its rows back.
If the reading still blows up, it is this process that dies, and the importer says why.

Nothing of Django is imported here: the process starts in a fraction of a second, and its
answers are codes with numbers that the importing process words in the user's language. Messages
travel as length-prefixed JSON (never pickle: this process reads hostile input, and its output is
data, not objects).
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
import resource
import struct
import sys
import zipfile
from collections.abc import Iterator
from typing import IO, Any

FRAME = struct.Struct("<Q")
FRAME_BYTES = 1 << 20  # rows are sent in frames of about this size
MAX_PARTS = 10_000  # an XLSX has a few dozen parts
RATIO_FROM = 1 << 20  # parts smaller than this may compress as well as they like
SEPARATOR = "\x1f"  # a row's cells joined in one string (as entas.registry.parsing packs them)
_CELL_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")


class Hostile(Exception):
    """The spreadsheet is refused: ``code`` names why, ``params`` hold the numbers."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def cell_text(value: object) -> str:
    """A calamine cell as the importer's text: numbers without a spurious ``.0``, dates ISO."""
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


def _cell_position(ref: str) -> tuple[int, int]:
    """'XFD1048576' -> (row 1048576, column 16384), both from 1."""
    match = _CELL_REF.match(ref.strip().upper())
    if not match:
        raise ValueError(ref)
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - 64
    return int(match.group(2)), column


def declared_extent(ref: str) -> tuple[int, int]:
    """(rows, columns) a ``<dimension ref>`` spans: 'A1:XFD1048576' -> (1048576, 16384)."""
    first, _, last = ref.partition(":")
    top, left = _cell_position(first)
    bottom, right = _cell_position(last or first)
    return abs(bottom - top) + 1, abs(right - left) + 1


def _prolog_has_doctype(stream: IO[bytes]) -> bool:
    """Whether an XML part declares a DTD before its first element (read no further than that, and
    no further than a megabyte)."""
    import xml.parsers.expat

    class Stop(Exception):
        pass

    found = []

    def doctype(*args: Any) -> None:
        found.append(True)
        raise Stop

    def element(*args: Any) -> None:
        raise Stop

    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler = element
    seen = 0
    try:
        while chunk := stream.read(16384):
            parser.Parse(chunk, False)
            seen += len(chunk)
            if seen > FRAME_BYTES:
                break
    except Stop:
        pass
    except xml.parsers.expat.ExpatError:
        return False  # not well-formed: calamine reports it
    return bool(found) or seen > FRAME_BYTES  # a prolog of a megabyte hides what it holds


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _first_sheet(archive: zipfile.ZipFile, names: set[str]) -> str | None:
    """The part of the workbook's first sheet (the one calamine reads at index 0). The two parts read
    here were checked for DTDs first: without one, no entity can expand (so ElementTree, not defusedxml)."""
    from xml.etree import ElementTree

    workbook = "xl/workbook.xml"
    rels = "xl/_rels/workbook.xml.rels"
    if workbook not in names or rels not in names:
        return None
    rid = None
    with archive.open(workbook) as stream:
        for _event, element in ElementTree.iterparse(stream, events=("start",)):  # noqa: S314 - no DTD
            if _local(element.tag) == "sheet":
                rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
                break
    if rid is None:
        return None
    with archive.open(rels) as stream:
        for _event, element in ElementTree.iterparse(stream, events=("start",)):  # noqa: S314 - no DTD
            if _local(element.tag) == "Relationship" and element.get("Id") == rid:
                target = element.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
                return posixpath.normpath(path)
    return None


def _dimension(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The ``<dimension ref>`` a sheet declares near its start, if it declares one."""
    with archive.open(sheet) as stream:
        head = stream.read(64 * 1024).decode("utf-8", errors="replace")
    match = re.search(r"<(?:\w+:)?dimension\s+ref\s*=\s*[\"']([^\"']+)[\"']", head)
    return match.group(1) if match else None


def inspect(path: str, limits: dict[str, int]) -> None:
    """Refuse (raise :class:`Hostile`) a spreadsheet that is not a readable XLSX or that would cost
    more than the limits allow, before anything parses its cells. Only the ZIP directory, the XML
    prologs, the workbook's sheet list and the head of the first sheet are read."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Hostile("not_zip", error=str(exc)) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise Hostile("parts", parts=len(infos), limit=MAX_PARTS)
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise Hostile("not_xlsx")
        total = sum(i.file_size for i in infos)
        if total > limits["xlsx_bytes"]:
            raise Hostile("expands", size=total, limit=limits["xlsx_bytes"])
        for info in infos:
            if info.file_size > RATIO_FROM and info.file_size > limits["xlsx_ratio"] * max(info.compress_size, 1):
                raise Hostile(
                    "ratio",
                    part=info.filename,
                    size=info.file_size,
                    compressed=info.compress_size,
                    ratio=info.file_size // max(info.compress_size, 1),
                    limit=limits["xlsx_ratio"],
                )
        for info in infos:
            if info.filename.endswith((".xml", ".rels", ".vml")):
                try:
                    with archive.open(info) as stream:
                        if _prolog_has_doctype(stream):
                            raise Hostile("dtd", part=info.filename)
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
                    raise Hostile("not_zip", error=str(exc)) from None
        try:
            sheet = _first_sheet(archive, names)
        except Exception:  # a broken sheet list: calamine says what is wrong with it
            sheet = None
        if sheet is None or sheet not in names:
            return
        ref = _dimension(archive, sheet)
        if ref is None:
            return
        try:
            rows, columns = declared_extent(ref)
        except ValueError:
            return  # calamine reads the cells, the limits below apply to what it finds
        if columns > limits["columns"] or rows * columns > limits["cells"]:
            raise Hostile(
                "declared", ref=ref, rows=rows, columns=columns, limit=limits["cells"], column_limit=limits["columns"]
            )


def _limit_resources(limits: dict[str, int]) -> None:
    memory = limits["memory"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = limits["seconds"]
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file of personal data


def _rows(path: str, limits: dict[str, int]) -> Iterator[list[Any]]:
    """The messages of a readable spreadsheet: ["head", header, data rows], then ["rows", [[number,
    cells], …]] frames (cells packed into one string when they can be), then ["done"]."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(path)
    sheet = workbook.get_sheet_by_index(0)
    height, width = sheet.height, sheet.width
    if width > limits["columns"] or height * width > limits["cells"]:
        raise Hostile("extent", rows=height, columns=width, limit=limits["cells"], column_limit=limits["columns"])
    iterator = iter(sheet.iter_rows())
    header = [cell_text(c) for c in next(iterator, [])]
    yield ["head", header, max(height - 1, 0)]
    frame: list[list[Any]] = []
    size = 0
    row_limit = limits["row_chars"]
    for number, cells in enumerate(iterator, start=2):
        values = [cell_text(c) for c in cells]
        if not any(values):
            continue
        joined = SEPARATOR.join(values)
        if len(joined) > row_limit:
            raise Hostile("row", row=number, size=len(joined), limit=row_limit)
        frame.append([number, joined if joined.count(SEPARATOR) == len(values) - 1 else values])
        size += len(joined) + 16
        if size >= FRAME_BYTES:
            yield ["rows", frame]
            frame, size = [], 0
    if frame:
        yield ["rows", frame]
    yield ["done"]


def main() -> None:
    """``python -m entas.registry.xlsxsandbox PATH LIMITS_JSON``: answers on standard output."""
    path, limits = sys.argv[1], json.loads(sys.argv[2])
    out = sys.stdout.buffer

    def send(message: list[Any]) -> None:
        data = json.dumps(message).encode("ascii")
        out.write(FRAME.pack(len(data)))
        out.write(data)
        out.flush()

    _limit_resources(limits)
    try:
        inspect(path, limits)
        for message in _rows(path, limits):
            send(message)
    except BrokenPipeError:  # the importer stopped reading
        raise SystemExit(0) from None
    except Hostile as exc:
        send(["refused", exc.code, exc.params])
    except MemoryError:
        send(["refused", "memory", {}])
    except Exception as exc:  # calamine's errors: a broken sheet, a password, a missing part
        send(["unreadable", f"{type(exc).__name__}: {exc}"[:500]])


if __name__ == "__main__":
    main()
