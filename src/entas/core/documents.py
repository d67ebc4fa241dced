"""Printable lists as PDF (reportlab's canvas, pure Python: no system libraries): one table per
section, each section on a new page with its heading, the header row repeated on every page, a
summary line and signature blocks, page numbers in the footer. Used for the cash lists of a payment cycle and the
ratified list of a kelurahan (berita acara)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass
class Section:
    heading: str
    rows: Sequence[Sequence[Any]]
    summary: str = ""
    signatures: Sequence[str] = field(default_factory=list)  # who signs below the table, left to right ("" = gap)


PROGRESS_EVERY = 2000


def table_pdf(
    out: Path | IO[bytes],
    *,
    title: str,
    columns: Sequence[str],
    widths_mm: Sequence[float],
    sections: Sequence[Section],
    empty: str,
    right_aligned: Sequence[int] = (),
    row_height_mm: float | None = None,
    footer: str = "entas",
    progress: Callable[[int], object] | None = None,
) -> None:
    """Write ``sections`` as an A4-landscape PDF to ``out`` (a path, or a binary file object such as
    BytesIO); ``empty`` is printed when there is no row. ``progress(n)`` is called as rows are drawn
    (every 2,000 and at the end), for a job's progress bar.

    Drawn on reportlab's canvas row by row, not laid out by its table flowables: a list of 100,000
    payments is a few seconds, not a minute (every cell is one line of text in a fixed-height row, so
    nothing needs the flowables' measuring; a text too wide for its column is cut)."""
    from reportlab.lib.colors import HexColor, grey, white
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    if len(columns) != len(widths_mm):
        raise ValueError("one width per column")
    page_width, page_height = landscape(A4)
    margin = 10 * mm
    row_height = (row_height_mm or 5.5) * mm
    header_height = 6 * mm
    widths = [w * mm for w in widths_mm]
    lefts = [margin + sum(widths[:i]) for i in range(len(widths))]
    table_width = sum(widths)
    right = set(right_aligned)
    font, bold, size = "Helvetica", "Helvetica-Bold", 8
    widest_glyph = stringWidth("W", font, size)
    canvas = Canvas(str(out) if isinstance(out, Path) else out, pagesize=(page_width, page_height))
    canvas.setTitle(title)
    page = 0

    def fit(text: str, width: float, face: str = font) -> str:
        room = width - 4
        if len(text) * widest_glyph <= room:
            return text
        full = stringWidth(text, face, size)
        if full <= room:
            return text
        keep = int(len(text) * room / full)  # about where the room ends; then step back to fit the "…"
        while keep and stringWidth(text[:keep] + "…", face, size) > room:
            keep -= 1
        return text[:keep] + "…"

    def new_page() -> None:
        nonlocal page
        if page:
            canvas.showPage()
        page += 1
        canvas.setFont(font, 7)
        canvas.drawRightString(page_width - margin, 5 * mm, f"{footer} - halaman {page}")

    def heading(text: str, top: float, face: str, points: int) -> float:
        canvas.setFont(face, points)
        canvas.drawString(margin, top - points, text)
        return top - points * 1.6

    def header(top: float) -> float:
        canvas.setFillColor(white)
        canvas.setStrokeColor(grey)
        canvas.setLineWidth(0.4)
        canvas.rect(margin, top - header_height, table_width, header_height, stroke=1, fill=0)
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont(bold, size)
        for left, width, name in zip(lefts, widths, columns, strict=True):
            canvas.drawString(left + 2, top - header_height / 2 - size * 0.35, fit(name, width, bold))
        return top - header_height

    def grid(top: float, bottom: float, rows: int) -> None:
        canvas.setStrokeColor(grey)
        canvas.setLineWidth(0.4)
        for x in [*lefts, margin + table_width]:
            canvas.line(x, top, x, bottom)
        for i in range(rows + 1):
            y = top - i * row_height
            canvas.line(margin, y, margin + table_width, y)

    shaded = HexColor("#f3f3f3")
    bottom_limit = margin + 4 * mm  # above the footer
    drawn = [s for s in sections if s.rows]
    for section in drawn:
        new_page()
        top = heading(title, page_height - margin, bold, 14)
        top = heading(section.heading, top, bold, 11)
        top = header(top)
        block_top, block_rows = top, 0
        for number, row in enumerate(section.rows):
            if top - row_height < bottom_limit:
                grid(block_top, top, block_rows)
                new_page()
                top = header(page_height - margin)
                block_top, block_rows = top, 0
            if number % 2:
                canvas.setFillColor(shaded)
                canvas.rect(margin, top - row_height, table_width, row_height, stroke=0, fill=1)
                canvas.setFillColorRGB(0, 0, 0)
            text = canvas.beginText()
            text.setFont(font, size)
            baseline = top - row_height / 2 - size * 0.35
            for column, (left, width, value) in enumerate(zip(lefts, widths, row, strict=True)):
                cell = fit("" if value is None else str(value), width)
                if not cell:
                    continue
                x = left + width - 2 - stringWidth(cell, font, size) if column in right else left + 2
                text.setTextOrigin(x, baseline)
                text.textOut(cell)
            canvas.drawText(text)
            top -= row_height
            block_rows += 1
            if progress is not None and block_rows % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        if progress is not None and block_rows % PROGRESS_EVERY:
            progress(block_rows % PROGRESS_EVERY)
        grid(block_top, top, block_rows)
        needed = (4 + 8 + 6 + 18 + 6) * mm if section.signatures else 10 * mm
        if top - needed < bottom_limit:
            new_page()
            top = page_height - margin
        if section.summary:
            canvas.setFont(font, 9)
            canvas.drawString(margin, top - 4 * mm - 9, section.summary)
            top -= 4 * mm + 12
        if section.signatures:
            names = list(section.signatures)
            width = table_width / len(names)
            canvas.setFont(font, 9)
            for i, name in enumerate(names):
                x = margin + i * width + 2
                canvas.drawString(x, top - 8 * mm - 9, name)
                if name:
                    canvas.drawString(x, top - (8 + 6 + 18) * mm - 9, "(........................)")
    if not drawn:
        new_page()
        top = heading(title, page_height - margin, bold, 14)
        canvas.setFont(font, 9)
        canvas.drawString(margin, top - 9, empty)
    canvas.showPage()
    canvas.save()
