"""Printable lists as PDF (reportlab, pure Python: no system libraries): one table per section, each
section on a new page with its heading, the header row repeated on every page, a summary line and
signature blocks, page numbers in the footer. Used for the cash lists of a payment cycle and the
ratified list of a kelurahan (berita acara)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


@dataclass
class Section:
    heading: str
    rows: Sequence[Sequence[Any]]
    summary: str = ""
    signatures: Sequence[str] = field(default_factory=list)  # who signs below the table, left to right ("" = gap)


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
) -> None:
    """Write ``sections`` as an A4-landscape PDF to ``out`` (a path, or a binary file object such as
    BytesIO); ``empty`` is printed when there is no row."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle

    if len(columns) != len(widths_mm):
        raise ValueError("one width per column")
    styles = getSampleStyleSheet()
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f3f3")]),
    ]
    commands += [("ALIGN", (column, 1), (column, -1), "RIGHT") for column in right_aligned]
    style = TableStyle(commands)
    widths = [w * mm for w in widths_mm]
    story: list[Any] = []
    for section in (s for s in sections if s.rows):
        if story:
            story.append(PageBreak())
        story.append(Paragraph(_escape(title), styles["Title"]))
        story.append(Paragraph(_escape(section.heading), styles["Heading2"]))
        heights = None if row_height_mm is None else [None] + [row_height_mm * mm] * len(section.rows)
        data = [list(columns)] + [["" if v is None else str(v) for v in row] for row in section.rows]
        story.append(LongTable(data, colWidths=widths, repeatRows=1, style=style, rowHeights=heights))
        if section.summary:
            story += [Spacer(1, 4 * mm), Paragraph(_escape(section.summary), styles["Normal"])]
        if section.signatures:
            names = list(section.signatures)
            width = (sum(widths_mm) / len(names)) * mm
            story += [
                Spacer(1, 8 * mm),
                LongTable(
                    [names, [""] * len(names), ["(........................)" if n else "" for n in names]],
                    colWidths=[width] * len(names),
                    rowHeights=[6 * mm, 18 * mm, 6 * mm],
                ),
            ]
    if not story:
        story = [Paragraph(_escape(title), styles["Title"]), Paragraph(_escape(empty), styles["Normal"])]

    def page_footer(canvas: Any, doc: Any) -> None:
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(doc.pagesize[0] - 10 * mm, 5 * mm, f"{footer} - halaman {doc.page}")

    document = SimpleDocTemplate(
        str(out) if isinstance(out, Path) else out,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=title,
    )
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)


def _escape(text: str) -> str:
    """Paragraph text is mini-markup: a name like "A & B" must not break it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
