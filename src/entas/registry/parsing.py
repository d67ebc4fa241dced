"""Reading a registry file: rows into parsed, validated families, ready for the importer to write.

One row per member, the household's columns repeated. A family is the consecutive rows of one KK
number; every problem is attached to its row (or to the family), so the importer can reject the
family whole and write every reason to the rejection file. Nothing here queries the database: what
validation needs from it (loaded kelurahan, the importing user's areas) arrives as a
:class:`ParseContext` of plain data, so the same code runs in the importing process or in the
reading process beside it (:mod:`entas.registry.reading`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from entas.core.bulk import tuple_getter
from entas.core.ids import Issue
from entas.core.spreadsheet import unescape_cell

from .columns import ALL_COLUMNS, HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, REQUIRED, parse_value
from .fileformats import FileFormatError, RowSource
from .names import name_key
from .validation import MAX_HOUSEHOLD_SIZE, validate_family, validate_household, validate_member

BATCH_ROWS = 20_000  # rows looked up and written together
# The first batch is small and each next one twice as large up to BATCH_ROWS: the importer starts
# writing while the rest is parsed, instead of waiting for a whole batch (a pipeline's fill time,
# most of an import's overhead on a file of a few tens of thousands of rows).
FIRST_BATCH_ROWS = 1_250
# Consecutive rows of one KK number held as one family before the rest is cut off. A family has at
# most validation.MAX_HOUSEHOLD_SIZE members; a file with a million rows of one KK number (a broken
# export, or a hostile file) would otherwise be one family held whole in memory.
MAX_FAMILY_ROWS = 1_000


@dataclass(frozen=True)
class ParseContext:
    """What reading and validating a file needs from the database, read once by the importer. Plain
    data, so that a separate reading process can be handed it."""

    kecamatan: frozenset[str]
    kelurahan: dict[str, int]  # code -> id
    allowed_kelurahan: frozenset[int]
    today: dt.date
    language: str | None  # messages are written in the importing user's language


@dataclass
class Family:
    """The consecutive rows of one KK number, parsed."""

    kk: str
    rows: list[tuple[int, Any]]  # (row number, cells); cells packed into one string to travel (pack())
    household: dict[str, Any] = field(default_factory=dict)
    members: list[dict[str, Any]] = field(default_factory=list)
    programmes: dict[str, dt.date] = field(default_factory=dict)
    kelurahan_id: int | None = None
    row_issues: dict[int, list[str]] = field(default_factory=dict)
    family_issues: list[str] = field(default_factory=list)
    warnings: int = 0
    oversized: bool = False  # more than MAX_FAMILY_ROWS rows of one KK number: held back unread

    def reject(self, message: str, row: int | None = None) -> None:
        if row is None:
            self.family_issues.append(message)
        else:
            self.row_issues.setdefault(row, []).append(message)

    @property
    def rejected(self) -> bool:
        return bool(self.family_issues or self.row_issues)

    def pack(self) -> None:
        """Each row's cells as one string: a tenth of the cost of sending a list of cells to another
        process. Only the rejection file reads them again (``unpack``)."""
        self.rows = [(number, _pack(cells)) for number, cells in self.rows]


SEPARATOR = "\x1f"  # ASCII unit separator


def _pack(cells: list[str]) -> list[str] | str:
    joined = SEPARATOR.join(cells)
    return joined if joined.count(SEPARATOR) == len(cells) - 1 else cells  # a cell holding it stays a list


def unpack(cells: list[str] | str) -> list[str]:
    return cells.split(SEPARATOR) if isinstance(cells, str) else cells


class FileParser:
    """Reads a registry file and yields batches of parsed, validated families (whole families, about
    BATCH_ROWS rows each). Touches no database: it runs in the importing process, or, for a large
    file, in a reading process beside it (see ``Importer.run``)."""

    def __init__(self, source: RowSource, context: ParseContext) -> None:
        missing = [c for c in REQUIRED if c not in source.header]
        if missing:
            source.close()
            raise FileFormatError(
                _("The file lacks the required column(s): %(columns)s. Download the template for the full list.")
                % {"columns": ", ".join(missing)}
            )
        self.source = source
        self.context = context
        known = {c.name for c in ALL_COLUMNS}
        self.unknown_columns = [h for h in source.header if h and h not in known]
        present = set(source.header)
        # Only the columns the file has are parsed; the others take their blank value once.
        household_columns = [c for c in HOUSEHOLD_COLUMNS if c.name in present]
        self.household_blank = {
            c.name: parse_value(c, "")[0]
            for c in HOUSEHOLD_COLUMNS
            if c.name not in present and not c.name.startswith("prog_")
        }
        self.member_blank = {c.name: parse_value(c, "")[0] for c in MEMBER_COLUMNS if c.name not in present}
        self.index = {name: i for i, name in enumerate(source.header)}
        self.kk_index = self.index["kk_number"]
        self.household_raw = [(c.name, self.index[c.name]) for c in household_columns]
        self.household_cells = tuple_getter([self.index[c.name] for c in household_columns])
        self.household_parser = CellParser(household_columns, self.index, escaped=source.escaped)
        self.member_parser = CellParser(
            [c for c in MEMBER_COLUMNS if c.name in present], self.index, escaped=source.escaped
        )
        self.seen_kk: dict[str, int] = {}
        self.seen_nik: dict[str, int] = {}

    def batches(self) -> Iterator[list[Family]]:
        batch: list[Family] = []
        batch_rows = 0
        size = min(BATCH_ROWS, FIRST_BATCH_ROWS)
        for family in self._families(self.source.rows):
            batch.append(family)
            batch_rows += len(family.rows)
            if batch_rows >= size:
                yield batch
                batch, batch_rows = [], 0
                size = min(BATCH_ROWS, size * 2)
        if batch:
            yield batch

    def _families(self, rows: Iterator[tuple[int, list[str]]]) -> Iterator[Family]:
        current: Family | None = None
        kk_index = self.kk_index
        for number, cells in rows:
            kk = cells[kk_index].strip()
            if current is not None and kk == current.kk and kk:
                if len(current.rows) < MAX_FAMILY_ROWS:
                    current.rows.append((number, cells))
                    continue
                current.oversized = True  # held back, and so are the rows of this KK that follow
                yield self._parse(current)
                current = Family(kk, [(number, cells)], oversized=True)
                continue
            if current is not None:
                yield self._parse(current)
            current = Family(kk, [(number, cells)])
        if current is not None:
            yield self._parse(current)

    def _parse(self, family: Family) -> Family:
        context = self.context
        first_row, first = family.rows[0]
        if family.oversized:
            self.seen_kk.setdefault(family.kk, first_row)  # a later, separate run of this KK is refused too
            family.reject(
                _(
                    "Family KK %(kk)s has more than %(n)d consecutive rows (a family has at most %(max)d members): "
                    "all its rows are held back."
                )
                % {"kk": family.kk, "n": MAX_FAMILY_ROWS, "max": MAX_HOUSEHOLD_SIZE}
            )
            return family
        if family.kk in self.seen_kk:
            family.reject(
                _("The rows of family KK %(kk)s must be consecutive; it also appears at row %(row)d.")
                % {"kk": family.kk, "row": self.seen_kk[family.kk]}
            )
        elif family.kk:
            self.seen_kk[family.kk] = first_row
        first_household = self.household_cells(first)
        for number, cells in family.rows[1:]:
            if self.household_cells(cells) == first_household:
                continue
            differing = [name for name, i in self.household_raw if cells[i] != first[i]]
            if differing:
                family.reject(
                    _("Row %(row)d: household column(s) %(columns)s differ from row %(first)d of the same KK.")
                    % {"row": number, "columns": ", ".join(differing[:5]), "first": first_row},
                    number,
                )
        # Household values from the first row.
        values, issues = self.household_parser.parse(first)
        for message in issues:
            family.reject(message, first_row)
        family.household.update(self.household_blank)
        for name, value in values.items():
            if name.startswith("prog_"):
                if value:
                    family.programmes[name[5:]] = value
            elif name != "kelurahan_code":
                family.household[name] = value
        code = first[self.index["kelurahan_code"]].strip()
        if code:
            kelurahan_id = context.kelurahan.get(code)
            if kelurahan_id is None:
                family.reject(_("kelurahan_code %(value)r is not a loaded kelurahan.") % {"value": code}, first_row)
            elif kelurahan_id not in context.allowed_kelurahan:
                family.reject(_("kelurahan_code %(value)s is outside your areas.") % {"value": code}, first_row)
            family.kelurahan_id = kelurahan_id
        today, kecamatan = context.today, context.kecamatan
        self._add_issues(
            family, first_row, validate_household(family.household, today=today, known_kecamatan=kecamatan)
        )
        # Members, one per row.
        parse, blank = self.member_parser.parse, self.member_blank
        for number, cells in family.rows:
            member, issues = parse(cells)
            for message in issues:
                family.reject(message, number)
            member["_row"] = number
            member.update(blank)
            member["name_key"] = key = name_key(member["name"])
            member["name_key_rev"] = key[::-1]
            nik = member.get("nik")
            if nik:
                if nik in self.seen_nik:
                    family.reject(
                        _("NIK %(nik)s also appears at row %(row)d of this file.")
                        % {"nik": nik, "row": self.seen_nik[nik]},
                        number,
                    )
                else:
                    self.seen_nik[nik] = number
            self._add_issues(family, number, validate_member(member, today=today, known_kecamatan=kecamatan))
            family.members.append(member)
        self._add_issues(family, None, validate_family(family.members))
        return family

    def _add_issues(self, family: Family, row: int | None, issues: list[Issue]) -> None:
        for issue in issues:
            if issue.is_error:
                family.reject(issue.message, row)
            else:
                family.warnings += 1


_MISS = object()


class CellParser:
    """Parses the cells of some columns of a row into a dict of values and a list of messages.

    Coded, yes/no, number, month and date cells repeat endlessly: their good values are cached per
    column, so most cells cost one C-level dict lookup. Free text and cache misses go through
    parse_value, which names the column and the value in every message. In a CSV file (``escaped``),
    a text cell an export wrote as ``'=…`` (so that no spreadsheet runs it) is read as ``=…``.
    """

    def __init__(self, columns: list[Any], index: dict[str, int], *, escaped: bool = False) -> None:
        self.coded = [c for c in columns if c.kind != "text"]
        self.names = [c.name for c in self.coded]
        self.cells = tuple_getter([index[c.name] for c in self.coded])
        self.caches: list[dict[str, Any]] = [{} for _ in self.coded]
        self.text = [(c, index[c.name]) for c in columns if c.kind == "text"]
        self.escaped = escaped

    def parse(self, cells: list[str]) -> tuple[dict[str, Any], list[str]]:
        raw = self.cells(cells)
        values = [cache.get(r, _MISS) for cache, r in zip(self.caches, raw, strict=True)]
        issues: list[str] = []
        if _MISS in values:
            for k, value in enumerate(values):
                if value is _MISS:
                    value, issue = parse_value(self.coded[k], raw[k])
                    if issue:
                        issues.append(issue.message)
                    else:
                        self.caches[k][raw[k]] = value
                    values[k] = value
        parsed = dict(zip(self.names, values, strict=True))
        escaped = self.escaped
        for column, i in self.text:
            cell = cells[i]
            if escaped and cell[:1] == "'":
                cell = unescape_cell(cell)
            value, issue = parse_value(column, cell)
            if issue:
                issues.append(issue.message)
            parsed[column.name] = value
        return parsed, issues
