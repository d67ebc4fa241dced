"""Renderers of one :class:`~.document.Document` with its narrative: PDF (HTML → PDF by WeasyPrint:
A4, a cover with the city's name, a table of contents, page numbers, fonts embedded), DOCX
(python-docx, for officials to edit before signing) and XLSX (xlsxwriter: every table one sheet).

Figures are drawn offline from their Vega-Lite specs by vl-convert (SVG in the PDF, PNG in the DOCX);
``charts=False`` leaves them out (the tests of figures, which read tables only, skip the seconds the
renderer needs to start).
"""

from __future__ import annotations

import base64
import copy
import io
import re
from collections.abc import Callable
from typing import Any

from django.utils.html import escape
from django.utils.translation import gettext as _

from .document import Document, Figure, Narrative, Paragraph, Table, format_cell

FORMATS = ("pdf", "docx", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
FIGURE_WIDTH = 460  # points of the A4 text width, for "width": "container" specs


def _fixed(spec: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(spec)
    if out.get("width") == "container":
        out["width"] = FIGURE_WIDTH
    return out


def figure_svg(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    return str(vlc.vegalite_to_svg(_fixed(spec)))


def figure_png(spec: dict[str, Any]) -> bytes:
    import vl_convert as vlc

    return bytes(vlc.vegalite_to_png(_fixed(spec), scale=2))


def _text_html(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip())


CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm;
        @bottom-center { content: counter(page); font-size: 9pt; color: #555; } }
@page cover { @bottom-center { content: none; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.35; }
.cover { page: cover; text-align: center; padding-top: 60mm; page-break-after: always; }
.cover .city { font-size: 20pt; font-weight: bold; margin-bottom: 14mm; }
.cover h1 { font-size: 18pt; }
.cover .period { font-size: 14pt; margin-top: 8mm; }
.cover .snapshot { margin-top: 30mm; color: #555; }
nav { page-break-after: always; }
nav ol { list-style: none; padding: 0; }
nav li a { color: black; text-decoration: none; }
nav li a::after { content: leader('.') target-counter(attr(href), page); }
h2 { page-break-before: always; font-size: 14pt; border-bottom: 1px solid #1f5fa8; }
h3 { font-size: 11pt; }
table { border-collapse: collapse; width: 100%; margin: 4mm 0; font-size: 8.5pt; }
thead { display: table-header-group; }
th, td { border: 0.5pt solid #999; padding: 1.5mm; vertical-align: top; }
th { background: #e8eef6; }
td.n { text-align: right; white-space: nowrap; }
.note, .hint { color: #555; font-size: 8.5pt; }
.hint { font-style: italic; }
figure { margin: 4mm 0; page-break-inside: avoid; }
figure img { width: 100%; }
.inputs { font-size: 8.5pt; color: #333; }
"""


def html(doc: Document, narrative: dict[str, str], *, charts: bool = True, draft: bool = False) -> str:
    """The report as one HTML page for WeasyPrint."""
    parts = [
        f'<html lang="id"><head><meta charset="utf-8"><title>{escape(doc.title)}</title>'
        f"<style>{CSS}</style></head><body>",
        '<section class="cover">',
        f'<div class="city">{escape(doc.city.upper())}</div>',
        f"<h1>{escape(doc.title)}</h1>",
        f'<div class="period">{escape(doc.period)}</div>',
        f'<div class="snapshot">{escape(_("Data as of %(day)s") % {"day": doc.snapshot})}</div>',
    ]
    if draft:
        parts.append(f'<div class="snapshot"><strong>{escape(_("DRAFT"))}</strong></div>')
    parts.append("</section>")
    parts.append(f"<nav><h2 style='page-break-before:avoid'>{escape(_('Contents'))}</h2><ol>")
    for i, s in enumerate(doc.sections, 1):
        parts.append(f'<li><a href="#s-{escape(s.key)}">{i}. {escape(s.title)}</a></li>')
    parts.append("</ol></nav>")
    for i, s in enumerate(doc.sections, 1):
        parts.append(f'<h2 id="s-{escape(s.key)}">{i}. {escape(s.title)}</h2>')
        for b in s.blocks:
            if isinstance(b, Paragraph):
                parts.append(f"<p>{escape(b.text)}</p>")
            elif isinstance(b, Narrative):
                text = narrative.get(b.key, "").strip()
                parts.append(_text_html(text) if text else f'<p class="hint">[{escape(b.hint)}]</p>')
            elif isinstance(b, Table):
                parts.append(_table_html(b))
            elif isinstance(b, Figure) and charts:
                svg = base64.b64encode(figure_svg(b.spec).encode()).decode()
                parts.append(
                    f'<figure><img alt="{escape(b.title)}" src="data:image/svg+xml;base64,{svg}">'
                    f"<figcaption>{escape(b.title)}</figcaption></figure>"
                )
    if doc.inputs:
        parts.append(f"<h3>{escape(_('Data sources'))}</h3><ul class='inputs'>")
        parts += [f"<li>{escape(x)}</li>" for x in doc.inputs]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "".join(parts)


def _table_html(t: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in t.columns)
    body = []
    for row in t.rows:
        cells = []
        for value, fmt in zip(row, t.formats, strict=False):
            cls = ' class="n"' if fmt != "text" else ""
            cells.append(f"<td{cls}>{escape(format_cell(value, fmt))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    return (
        f"<h3>{escape(t.title)}</h3><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}"
    )


def pdf(doc: Document, narrative: dict[str, str], *, charts: bool = True, draft: bool = False) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html(doc, narrative, charts=charts, draft=draft)).write_pdf())


def docx(doc: Document, narrative: dict[str, str], *, charts: bool = True, draft: bool = False) -> bytes:
    from docx import Document as Docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    d = Docx()
    section = d.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    style = d.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10)
    for text, size in ((doc.city.upper(), 20), (doc.title, 16), (doc.period, 14)):
        p = d.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold = True
        run.font.size = Pt(size)
    d.add_paragraph(_("Data as of %(day)s") % {"day": doc.snapshot}).alignment = WD_ALIGN_PARAGRAPH.CENTER
    if draft:
        d.add_paragraph(_("DRAFT")).alignment = WD_ALIGN_PARAGRAPH.CENTER
    d.add_page_break()
    d.add_heading(_("Contents"), level=1)
    for i, s in enumerate(doc.sections, 1):
        d.add_paragraph(f"{i}. {s.title}")
    for i, s in enumerate(doc.sections, 1):
        d.add_page_break()
        d.add_heading(f"{i}. {s.title}", level=1)
        for b in s.blocks:
            if isinstance(b, Paragraph):
                d.add_paragraph(b.text)
            elif isinstance(b, Narrative):
                text = narrative.get(b.key, "").strip()
                if text:
                    for para in re.split(r"\n\s*\n", text):
                        d.add_paragraph(para.strip())
                else:
                    d.add_paragraph(f"[{b.hint}]").runs[0].italic = True
            elif isinstance(b, Table):
                d.add_heading(b.title, level=2)
                table = d.add_table(rows=1, cols=len(b.columns))
                table.style = "Table Grid"
                for cell, title in zip(table.rows[0].cells, b.columns, strict=True):
                    cell.text = title
                for row in b.rows:
                    cells = table.add_row().cells
                    for cell, value, fmt in zip(cells, row, b.formats, strict=False):
                        cell.text = format_cell(value, fmt)
                if b.note:
                    d.add_paragraph(b.note)
            elif isinstance(b, Figure) and charts:
                d.add_picture(io.BytesIO(figure_png(b.spec)), width=Mm(160))
                d.add_paragraph(b.title)
    if doc.inputs:
        d.add_heading(_("Data sources"), level=2)
        for x in doc.inputs:
            d.add_paragraph(x, style="List Bullet")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def sheet_names(doc: Document) -> list[str]:
    """One sheet name per table: its key, cut to Excel's 31 characters and made unique."""
    names: list[str] = []
    for t in doc.tables():
        base = t.key[:28]
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def xlsx(doc: Document, narrative: dict[str, str], *, charts: bool = True, draft: bool = False) -> bytes:
    """Every table of the report on its own sheet (title in A1, header in row 3, numbers as numbers),
    after a cover sheet with the report's title, period, data date and inputs."""
    from entas.core.spreadsheet import escape_text as safe_cell
    from entas.core.spreadsheet import workbook

    out = io.BytesIO()
    book = workbook(out)
    bold = book.add_format({"bold": True})
    formats = {
        "int": book.add_format({"num_format": "#,##0"}),
        "rupiah": book.add_format({"num_format": "#,##0"}),
        "pct": book.add_format({"num_format": "0.00"}),
        "num": book.add_format({"num_format": "0.00"}),
        "num4": book.add_format({"num_format": "0.0000"}),
    }
    cover = book.add_worksheet(_("Report")[:31])
    lines = [doc.city, doc.title, doc.period, _("Data as of %(day)s") % {"day": doc.snapshot}]
    if draft:
        lines.append(_("DRAFT"))
    for r, text in enumerate(lines):
        cover.write_string(r, 0, safe_cell(text), bold if r < 2 else None)
    for r, text in enumerate(doc.inputs, len(lines) + 1):
        cover.write_string(r, 0, safe_cell(text))
    for t, name in zip(doc.tables(), sheet_names(doc), strict=True):
        ws = book.add_worksheet(name)
        ws.write_string(0, 0, safe_cell(t.title), bold)
        for c, title in enumerate(t.columns):
            ws.write_string(2, c, safe_cell(title), bold)
            ws.set_column(c, c, 40 if c == 0 else 16)
        for r, row in enumerate(t.rows, 3):
            for c, (value, fmt) in enumerate(zip(row, t.formats, strict=False)):
                if value is None:
                    continue
                if isinstance(value, int | float) and not isinstance(value, bool):
                    ws.write_number(r, c, value, formats.get(fmt))
                else:
                    ws.write_string(r, c, safe_cell(str(value)))
        if t.note:
            ws.write_string(len(t.rows) + 4, 0, safe_cell(t.note))
    book.close()
    return out.getvalue()


RENDERERS: dict[str, Callable[..., bytes]] = {"pdf": pdf, "docx": docx, "xlsx": xlsx}


def render(fmt: str, doc: Document, narrative: dict[str, str], *, charts: bool = True, draft: bool = False) -> bytes:
    return RENDERERS[fmt](doc, narrative, charts=charts, draft=draft)
