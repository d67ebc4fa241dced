"""A report as one plain structure every renderer reads: a cover (title, city, period, data date), then
sections, each with blocks: paragraphs, editable narrative slots, tables and figures (Vega-Lite specs).

Pure: no Django, no database. A document is stored as JSON with its report version (``as_dict`` /
``from_dict``), so a final version's figures stay what they were when it was finalised; its
``figures()`` flattens every table cell and headline number into ``{key: value}`` for the comparison of
two versions (:func:`changes`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Cell = str | int | float | None


@dataclass
class Paragraph:
    text: str
    kind: str = "paragraph"


@dataclass
class Narrative:
    """A slot for text written by people (problems, recommendations, an introduction); filled from the
    version's narrative when rendered, ``hint`` shown while it is empty."""

    key: str
    hint: str
    kind: str = "narrative"


@dataclass
class Table:
    """A table of the report: ``key`` is stable across versions (the comparison and the XLSX sheet use
    it); ``formats`` one per column: ``text``, ``int``, ``rupiah``, ``pct`` (a percentage, 2
    decimals), ``num`` (2 decimals), ``num4``."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    formats: list[str]
    note: str = ""
    kind: str = "table"


@dataclass
class Figure:
    key: str
    title: str
    spec: dict[str, Any]
    kind: str = "figure"


Block = Paragraph | Narrative | Table | Figure


@dataclass
class Section:
    key: str
    title: str
    blocks: list[Any] = field(default_factory=list)  # Paragraph | Narrative | Table | Figure


@dataclass
class Document:
    kind: str
    title: str
    city: str
    period: str  # "2026", "2026 triwulan III", …
    snapshot: str  # ISO date of the data
    sections: list[Section] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)  # what the figures were read from

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def tables(self) -> list[Table]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> dict[str, Cell]:
        """Every table cell as ``table / row label / column`` (the row label is its first cell)."""
        out: dict[str, Cell] = {}
        for table in self.tables():
            for row in table.rows:
                label = str(row[0]) if row else ""
                for column, value in zip(table.columns[1:], row[1:], strict=False):
                    out[f"{table.title} / {label} / {column}"] = value
        return out

    def narrative_keys(self) -> list[str]:
        return [b.key for s in self.sections for b in s.blocks if isinstance(b, Narrative)]


_BLOCKS: dict[str, type] = {"paragraph": Paragraph, "narrative": Narrative, "table": Table, "figure": Figure}


def from_dict(data: dict[str, Any]) -> Document:
    sections = [
        Section(
            key=s["key"],
            title=s["title"],
            blocks=[_BLOCKS[b["kind"]](**b) for b in s["blocks"]],
        )
        for s in data["sections"]
    ]
    return Document(
        kind=data["kind"],
        title=data["title"],
        city=data["city"],
        period=data["period"],
        snapshot=data["snapshot"],
        sections=sections,
        inputs=list(data.get("inputs", [])),
    )


@dataclass(frozen=True)
class Change:
    key: str
    before: Cell
    after: Cell


def changes(before: Document | None, after: Document) -> list[Change]:
    """The figures that differ between two versions (added and removed ones included), in the order
    of the newer document."""
    if before is None:
        return []
    old, new = before.figures(), after.figures()
    out = [Change(k, old.get(k), v) for k, v in new.items() if k not in old or not _same(old[k], v)]
    out += [Change(k, v, None) for k, v in old.items() if k not in new]
    return out


def _same(a: Cell, b: Cell) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


def format_cell(value: Cell, fmt: str) -> str:
    """A cell as printed (Indonesian conventions: ``.`` groups thousands, ``,`` before decimals)."""
    if value is None or value == "":
        return "–"
    if fmt == "text" or isinstance(value, str):
        return str(value)
    if fmt in {"int", "rupiah"}:
        text = f"{round(float(value)):,}".replace(",", ".")
        return f"Rp{text}" if fmt == "rupiah" else text
    decimals = 4 if fmt == "num4" else 2
    text = f"{float(value):,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text}%" if fmt == "pct" else text
