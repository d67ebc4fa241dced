"""Hostile files, built small in the test that uses them (never committed binaries).

Each builder returns the bytes of one file a user might upload: a spreadsheet that declares or
spans billions of cells, a compression bomb, XML with entity declarations, binary or mis-encoded
text, endless lines and rows. All personal data is synthetic.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from xml.sax.saxutils import escape

from tests.registry.helpers import standard_family

MANGGAR = "64.71.01.1001"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    "</Relationships>"
)
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


def _column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def registry_rows() -> list[list[str]]:
    """A header and one good family of Manggar, as spreadsheet rows."""
    family = standard_family(MANGGAR, "6471010101200001")
    header = list(family[0])
    return [header, *([row[c] for c in header] for row in family)]


def sheet_xml(rows: list[list[str]], *, dimension: str | None = None, extra: str = "", doctype: str = "") -> str:
    """A worksheet of inline strings; ``extra`` is appended inside <sheetData> (more rows)."""
    body = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c r="{_column(c)}{r}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'
            for c, value in enumerate(cells, start=1)
        )
        + "</row>"
        for r, cells in enumerate(rows, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{body}{extra}</sheetData></worksheet>"
    )


def xlsx(sheet: str, parts: dict[str, bytes | str] | None = None) -> bytes:
    """A minimal XLSX workbook of one sheet; ``parts`` adds or replaces parts by name."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        files: dict[str, bytes | str] = {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": ROOT_RELS,
            "xl/workbook.xml": WORKBOOK,
            "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
            "xl/worksheets/sheet1.xml": sheet,
        }
        files.update(parts or {})
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def good_xlsx() -> bytes:
    return xlsx(sheet_xml(registry_rows()))


# -- spreadsheets ----------------------------------------------------------------------------------


def declares_a_billion_cells() -> bytes:
    """The issue's 5.8 KB file, tamed: a real family, but a dimension of A1:XFD1048576."""
    return xlsx(sheet_xml(registry_rows(), dimension="A1:XFD1048576"))


def stray_cell_at_xfd1048576() -> bytes:
    """A family and one cell at XFD1048576, the dimension claiming A1:L4: the reader lays out
    17 billion cells (512 GiB) and aborts the process."""
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xlsx(sheet_xml(registry_rows(), dimension="A1:L4", extra=far))


def stray_cell_at_z300000() -> bytes:
    """A milder stray cell (Z300000, 7.8 million cells, 250 MB laid out): within the cell limit, so
    only the reading process's memory limit stops it."""
    far = '<row r="300000"><c r="Z300000" t="inlineStr"><is><t>x</t></is></c></row>'
    return xlsx(sheet_xml(registry_rows(), dimension="A1:L4", extra=far))


def compression_bomb() -> bytes:
    """8 MB of sheet compressed to about 8 KB (a thousand-fold)."""
    return xlsx(sheet_xml(registry_rows(), extra=" " * (8 << 20)))


def expands_past_the_limit() -> bytes:
    """A family and 1.5 MB of incompressible picture: past a 1 MB limit on the unpacked size."""
    return xlsx(sheet_xml(registry_rows()), {"xl/media/image1.png": random.Random(1).randbytes(3 << 19)})


def billion_laughs_in_shared_strings() -> bytes:
    shared = (
        f'<?xml version="1.0"?>{LAUGHS}'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol9;</t></si></sst>'
    )
    return xlsx(sheet_xml(registry_rows()), {"xl/sharedStrings.xml": shared})


def external_entity_in_the_sheet() -> bytes:
    doctype = '<!DOCTYPE w [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    rows = registry_rows()
    rows[1][rows[0].index("name")] = "&xxe;"
    return xlsx(sheet_xml(rows, doctype=doctype).replace("&amp;xxe;", "&xxe;"))


def a_zip_that_is_no_workbook() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "halo")
    return out.getvalue()


def a_damaged_zip() -> bytes:
    return b"PK\x03\x04" + random.Random(2).randbytes(2000)


# -- text ---------------------------------------------------------------------------------------


def registry_csv(rows: list[dict[str, str]] | None = None, *, delimiter: str = ",") -> str:
    rows = rows or standard_family(MANGGAR, "6471010101200001")
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def utf16_with_bom() -> bytes:
    return registry_csv().encode("utf-16")


def utf16_without_bom() -> bytes:
    return registry_csv().encode("utf-16-le")


def excel_unicode_text() -> bytes:
    """Excel's "Unicode Text": UTF-16 with its mark, tab-separated."""
    return registry_csv(delimiter="\t").encode("utf-16")


def random_bytes() -> bytes:
    return random.Random(3).randbytes(64 * 1024)


def neither_utf8_nor_windows_1252() -> bytes:
    """Text whose third line holds 0x81, a byte no Windows-1252 text has (and not UTF-8 either)."""
    text = registry_csv().encode("cp1252")
    lines = text.split(b"\r\n")
    lines[2] = lines[2].replace(b"Siti", b"Si\x81ti")
    return b"\r\n".join(lines)


def a_line_of_200_kb() -> bytes:
    return (registry_csv().split("\r\n")[0] + "\r\n" + "x" * 200_000 + "\r\n").encode()


def a_line_of_60_000_commas() -> bytes:
    """Within the row length, but 60,001 cells."""
    return (registry_csv().split("\r\n")[0] + "\r\n" + "," * 60_000 + "\r\n").encode()


def an_unclosed_quote() -> bytes:
    """Row 3 opens a quote that never closes: the cell swallows 200 lines of 1 KB after it."""
    lines = registry_csv().split("\r\n")
    lines[2] = lines[2].replace("Siti", '"Siti', 1)
    return ("\r\n".join(lines) + ("y" * 1000 + "\r\n") * 200).encode()


def an_old_excel_workbook() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088)


def a_pdf() -> bytes:
    return b"%PDF-1.4\n" + random.Random(4).randbytes(1000)


def one_family_of_2500_rows() -> bytes:
    """2,500 rows of one KK number (a broken export repeats it; a hostile one does so a million times)."""
    rows = standard_family(MANGGAR, "6471010101200001") * 834
    return registry_csv(rows[:2500]).encode()


def a_nul_in_a_name() -> bytes:
    rows = standard_family(MANGGAR, "6471010101200001")
    rows[1]["name"] = "Siti\x00Sintetis"
    return registry_csv(rows).encode()


# -- XML (a bank's pain.002) ---------------------------------------------------------------------


def pain002(body: str = "", doctype: str = "", message: str = "ENTAS-C1-1") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>'
        f"<OrgnlGrpInfAndSts><OrgnlMsgId>{message}</OrgnlMsgId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>"
        "<OrgnlPmtInfAndSts><TxInfAndSts><OrgnlEndToEndId>"
        f"{body or 'R-1'}</OrgnlEndToEndId><TxSts>ACSC</TxSts></TxInfAndSts></OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def pain002_billion_laughs() -> bytes:
    return pain002("&lol9;", LAUGHS)


def pain002_external_entity() -> bytes:
    return pain002("&xxe;", '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')


def pain002_network_entity() -> bytes:
    return pain002("&net;", '<!DOCTYPE d [<!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>')


def pain002_nested_100_000_deep() -> bytes:
    return pain002("<a>" * 100_000 + "R" + "</a>" * 100_000)
