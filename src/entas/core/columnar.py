"""Reading a queryset into numpy columns, for whole-registry computations (scoring, rule previews).

The cost of reading a million members is not the database's: it is the Python object the driver
builds for every cell (and the tuple for every row). So the database does the packing: one query
(the ORM builds it, with the user's area filter) aggregates the rows into a few long strings —

* one string of fixed-width records for the fields whose width is known: non-negative integers
  (ids, counts; 12 digits), dates (10 characters), yes/no fields and ``conditions`` (1 character),
  and coded fields (1 character: the code itself, or its position among the field's choices);
* one separator-joined string per other field (text, decimals, related lookups),

and numpy cuts them apart with vectorised operations. The aggregates of one query see the rows in the
same order, so the columns line up. Results:

* integers → ``int64`` (``float64`` with NaN where a value is NULL);
* yes/no and conditions → ``bool`` (NULL is no);
* coded fields → fixed-width ``str`` arrays, ``""`` where NULL, blank or not one of the codes;
* dates → ``datetime64[D]`` (NaT where NULL);
* decimals → ``float64`` (NaN where NULL); other fields → object arrays of ``str`` (``None`` where NULL).

The strings are as large as the data (about 30 bytes per member); a province of tens of millions
would read in slices of ids.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models import Aggregate, Case, CharField, F, Func, Max, Min, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Substr

DIGITS = 12  # non-negative integers up to 10^12
NULL = "\x1e"  # a NULL among separator-joined values
SEPARATOR = "\x1f"
MAX_WORKERS = 4  # parallel slices of one read (at most the machine's CPUs)
# Where slices run in parallel: PostgreSQL runs each on its own backend (a million members read in 0.6×
# the time on 2 cores). SQLite connections of one process contend inside the library (measured 1.5×
# slower in slices), so SQLite reads in one query.
PARALLEL_VENDORS = {"postgresql"}
BLANK = "."  # a packed code that is NULL, blank or unknown
INTEGER_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)


class Joined(Func):
    """Text pieces joined flat (``a || b || …``): Django's Concat nests a pair per piece, and SQLite's
    parser overflows at forty. PostgreSQL's CONCAT takes up to 100 arguments."""

    arg_joiner = " || "
    template = "(%(expressions)s)"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="CONCAT(%(expressions)s)", arg_joiner=", ", **extra)


class Literal(Value):
    """A constant of ours (a padding, a code character, a separator) written into the SQL, not bound
    as a parameter: SQLite evaluates a bound value afresh on every row (measured: a million-member read
    1.4× slower with the constants bound)."""

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return _quoted(str(self.value)), []


def _quoted(text: str) -> str:
    """``text`` as an SQL string literal (quotes doubled; % doubled for the drivers' parameter style)."""
    return "'" + text.replace("'", "''").replace("%", "%%") + "'"


class Record(Func):
    """The packed record of a row: its pieces joined. SQLite copies the whole string at every ``||``
    (forty pieces cost twice the reading of the row), so there one PRINTF writes the record in a
    single pass, its conversions (``%012d``, ``%.1s``, ``%s``) doing the padding; PostgreSQL's CONCAT
    takes the pieces as they are."""

    output_field = CharField()
    MAX_ARGUMENTS = 100  # SQLite's default limit is 127 arguments per function

    def __init__(self, pieces: list[Any], formats: list[tuple[str, Any]]) -> None:
        super().__init__(*pieces, *(argument for _conversion, argument in formats))
        self.conversions = [conversion for conversion, _argument in formats]

    def _compiled(self, compiler: Any, expressions: list[Any]) -> tuple[list[str], list[Any]]:
        sqls, params = [], []
        for expression in expressions:
            sql, more = compiler.compile(expression)
            sqls.append(sql)
            params += more
        return sqls, params

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: Any = None,
        template: Any = None,
        arg_joiner: Any = None,
        **extra: Any,
    ) -> Any:
        sqls, params = self._compiled(compiler, self.get_source_expressions()[: len(self.conversions)])
        return "(" + " || ".join(sqls) + ")", params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sqls, params = self._compiled(compiler, self.get_source_expressions()[: len(self.conversions)])
        return "CONCAT(" + ", ".join(sqls) + ")", params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        arguments = self.get_source_expressions()[len(self.conversions) :]
        parts, params = [], []
        for start in range(0, len(arguments), self.MAX_ARGUMENTS):
            sqls, more = self._compiled(compiler, arguments[start : start + self.MAX_ARGUMENTS])
            conversions = "".join(self.conversions[start : start + self.MAX_ARGUMENTS])
            parts.append(f"PRINTF({_quoted(conversions)}, " + ", ".join(sqls) + ")")
            params += more
        return "(" + " || ".join(parts) + ")", params


class ZeroPadded(Func):
    """A non-negative integer as exactly DIGITS digits; NULL as DIGITS dashes."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite's PRINTF writes NULL as 0, so NULL is tested first; %% for the driver's parameter style.
        # (A NOT NULL integer goes straight into the record's PRINTF as %012d: see read_columns.)
        sql, params = compiler.compile(self.source_expressions[0])
        null = "-" * DIGITS
        return f"CASE WHEN ({sql}) IS NULL THEN '{null}' ELSE PRINTF('%%0{DIGITS}d', {sql}) END", [*params, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"COALESCE(LPAD(({sql})::text, {DIGITS}, '0'), '{'-' * DIGITS}')", params


class TextAggregate(Aggregate):
    """All values of a text expression joined by a separator, in row order."""

    function = "GROUP_CONCAT"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra)


@dataclass
class _Piece:
    name: str
    kind: str  # int | flag | char | code | date
    width: int
    codes: list[str] = field(default_factory=list)


def read_columns(
    qs: QuerySet[Any], fields: list[str], *, conditions: dict[str, Q] | None = None
) -> dict[str, np.ndarray]:
    """The ``fields`` of the rows of ``qs`` (and ``conditions``: name → Q evaluated by the database) as
    numpy arrays; see the module documentation for the types."""
    conditions = conditions or {}
    fields = [*fields, *(name for name in conditions if name not in fields)]
    pieces: list[_Piece] = []
    expressions: list[Any] = []  # fixed-width text, any database
    formats: list[tuple[str, Any]] = []  # SQLite: (PRINTF conversion, argument), the same text
    separate: dict[str, tuple[str, Any]] = {}  # name → (kind, expression)
    for name in fields:
        model_field = _field(qs.model, name)
        if name in conditions or isinstance(model_field, models.BooleanField):
            condition = conditions[name] if name in conditions else Q(**{name: True})
            pieces.append(_Piece(name, "flag", 1))
            expressions.append(Case(When(condition, then=Literal("1")), default=Literal("0")))
            formats.append(("%s", expressions[-1]))
        elif model_field is not None and model_field.choices:
            codes = [str(k) for k, _label in model_field.choices]
            if all(len(code) == 1 for code in codes):  # the code itself (cheapest for the database)
                pieces.append(_Piece(name, "char", 1, codes))
                text = Joined(Coalesce(name, Literal("")) if model_field.null else F(name), Literal(BLANK))
                expressions.append(Substr(text, 1, 1))
                formats.append(("%.1s", text))
            else:  # the code's position among the choices, as one character
                pieces.append(_Piece(name, "code", 1, codes))
                whens = [When(**{name: code}, then=Literal(chr(65 + i))) for i, code in enumerate(codes)]
                expressions.append(Case(*whens, default=Literal(BLANK)))
                formats.append(("%s", expressions[-1]))
        elif isinstance(model_field, models.DateField) and not isinstance(model_field, models.DateTimeField):
            pieces.append(_Piece(name, "date", 10))
            expressions.append(Coalesce(Cast(name, CharField()), Literal("NaT".ljust(10))))
            formats.append(("%s", expressions[-1]))
        elif isinstance(model_field, INTEGER_FIELDS) or (
            isinstance(model_field, models.ForeignKey) and isinstance(model_field.target_field, INTEGER_FIELDS)
        ):
            pieces.append(_Piece(name, "int", DIGITS))
            expressions.append(ZeroPadded(name))
            formats.append((f"%0{DIGITS}d", F(name)) if not model_field.null else ("%s", expressions[-1]))
        else:
            kind = "float" if isinstance(model_field, models.FloatField | models.DecimalField) else "text"
            separate[name] = (kind, Coalesce(Cast(name, CharField()), Literal(NULL)))
    aggregates: dict[str, Any] = {}
    if expressions:
        aggregates["_packed"] = TextAggregate(Record(expressions, formats), Literal(""))
    for i, (_kind, expression) in enumerate(separate.values()):
        aggregates[f"_separate_{i}"] = TextAggregate(expression, Literal(SEPARATOR))
    result = _aggregate(qs.order_by(), aggregates) if aggregates else {}
    out: dict[str, np.ndarray] = {}
    if expressions:
        out.update(_unpack(result["_packed"] or "", pieces))
    for i, (name, (kind, _expression)) in enumerate(separate.items()):
        out[name] = _split(result[f"_separate_{i}"], kind)
    return {name: out[name] for name in fields}


def _aggregate(qs: QuerySet[Any], aggregates: dict[str, Any]) -> dict[str, str | None]:
    """The aggregates over ``qs``; in slices of the primary key, each on its own connection in its own
    thread, on PostgreSQL when the caller holds no transaction (the driver releases the GIL while the
    database works, so slices are read in parallel). Inside a transaction, one query on the caller's connection: other
    connections would not see what it has written.

    Slices are read at slightly different moments: a change committed meanwhile may show in one slice
    and not another, as it may between any two queries outside a transaction."""
    connection = connections[qs.db]
    workers = min(MAX_WORKERS, os.cpu_count() or 1)
    if workers < 2 or connection.in_atomic_block or connection.vendor not in PARALLEL_VENDORS:
        return qs.aggregate(**aggregates)
    bounds = qs.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        return dict.fromkeys(aggregates)
    lo, hi = int(bounds["lo"]), int(bounds["hi"]) + 1
    edges = [lo + (hi - lo) * i // workers for i in range(workers + 1)]
    ranges = [(a, b) for a, b in itertools.pairwise(edges) if b > a]

    def read(bounds: tuple[int, int]) -> dict[str, str | None]:
        try:
            return qs.filter(pk__gte=bounds[0], pk__lt=bounds[1]).aggregate(**aggregates)
        finally:
            connections[qs.db].close()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=len(ranges), thread_name_prefix="entas-read") as pool:
        parts = list(pool.map(read, ranges))
    out: dict[str, str | None] = {}
    for name in aggregates:
        # None: a slice without rows; "" is one row's empty text and must stay
        values = [value for part in parts if (value := part[name]) is not None]
        out[name] = ("" if name == "_packed" else SEPARATOR).join(values) if values else None
    return out


def _unpack(packed: str, pieces: list[_Piece]) -> dict[str, np.ndarray]:
    width = sum(p.width for p in pieces)
    raw = np.frombuffer(packed.encode("ascii", "replace"), dtype=np.uint8)
    if raw.size % width:
        raise ValueError(f"packed columns: {raw.size} bytes are not whole records of {width}")
    chars = raw.reshape(-1, width)
    out: dict[str, np.ndarray] = {}
    at = 0
    for piece in pieces:
        cells = chars[:, at : at + piece.width]
        at += piece.width
        if piece.kind == "int":
            null = cells[:, 0] == ord("-")
            values = _number(cells, 0, DIGITS)
            out[piece.name] = np.where(null, np.nan, values) if null.any() else values
        elif piece.kind == "flag":
            out[piece.name] = cells[:, 0] == ord("1")
        elif piece.kind == "date":  # YYYY-MM-DD, computed from the digits (parsing strings costs 10×)
            null = cells[:, 0] == ord("N")
            year, month, day = _number(cells, 0, 4), _number(cells, 5, 7), _number(cells, 8, 10)
            months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
            dates = months.astype("datetime64[D]") + (day - 1).astype("timedelta64[D]")
            dates[null] = np.datetime64("NaT")
            out[piece.name] = dates
        else:
            lookup = np.full(256, "", dtype=f"<U{max(len(c) for c in piece.codes)}")
            for i, code in enumerate(piece.codes):
                lookup[ord(code) if piece.kind == "char" else 65 + i] = code
            out[piece.name] = lookup[cells[:, 0]]
    return out


def _number(chars: np.ndarray, start: int, stop: int) -> np.ndarray:
    """The decimal number written in character columns ``start:stop`` of each row (one pass per digit;
    a non-digit gives garbage, which the callers mask)."""
    values = np.zeros(chars.shape[0], dtype=np.int64)
    for k in range(start, stop):
        values *= 10
        values += chars[:, k]
        values -= ord("0")
    return values


def _split(joined: str | None, kind: str) -> np.ndarray:
    if joined is None:  # no rows ("" is one row holding an empty text)
        return np.empty(0, dtype=float if kind == "float" else object)
    values = np.array(joined.split(SEPARATOR), dtype=object)
    null = values == NULL
    if kind == "float":
        values[null] = "nan"
        return values.astype(float)
    values[null] = None
    return values


def _field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
