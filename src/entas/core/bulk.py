"""Set-based writes for bulk work (imports, payment runs): one `executemany` per batch.

Django's bulk_create builds and adapts every value through the ORM and, on SQLite, splits a batch
into many statements to stay under the variable limit; for a million rows that costs far more than
the insert itself. These helpers write plain Python values (str, int, bool, date, datetime, None)
straight through the driver, with dates adapted once per column. Every column of the table is
written, with the model's default where a row leaves it out, so the result is what the ORM writes.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED

IN_CHUNK = 900  # keys per ``IN (…)`` list: under SQLite's older 999-variable limit


def _adapter(field: Any) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
    if isinstance(field, models.DateField):
        return lambda v: None if v is None else ops.adapt_datefield_value(v)
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    return None


class Inserter:
    """Insert dict rows into a model's table: ``Inserter(Member).insert(rows)``. With ``explicit_pk``
    the rows carry their primary keys (from ``allocate_ids``); otherwise the database numbers them."""

    def __init__(self, model: type[models.Model], *, on_conflict_ignore: bool = False, explicit_pk: bool = False):
        meta = self.meta = model._meta
        self.on_conflict_ignore = on_conflict_ignore
        self.fields = [f for f in meta.concrete_fields if explicit_pk or not f.primary_key]
        self.names = [f.attname for f in self.fields]
        self.defaults: list[Any] = []
        for f in self.fields:
            if f.default is not NOT_PROVIDED:
                self.defaults.append(f.get_default())
            elif f.null:
                self.defaults.append(None)
            elif isinstance(f, models.CharField | models.TextField):
                self.defaults.append("")
            else:
                self.defaults.append(None)
        self.adapters = [(i, a) for i, f in enumerate(self.fields) if (a := _adapter(f)) is not None]
        qn = connection.ops.quote_name
        self.table = qn(meta.db_table)
        self.column = {f.attname: qn(f.column) for f in self.fields}  # attname → quoted column
        self._adapted: dict[Any, Any] = {}  # dates and datetimes repeat: adapt each once
        columns = ", ".join(self.column.values())
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {self.table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from the model)
        if on_conflict_ignore:
            self.sql += " ON CONFLICT DO NOTHING"

    def values(self, row: Mapping[str, Any]) -> list[Any]:
        out = [row.get(name, default) for name, default in zip(self.names, self.defaults, strict=True)]
        cache = self._adapted
        for index, adapt in self.adapters:
            value = out[index]
            if isinstance(value, dict | list):
                out[index] = adapt(value)
            elif value is not None:
                adapted = cache.get(value)
                if adapted is None:
                    adapted = cache[value] = adapt(value)
                out[index] = adapted
        return out

    def insert_columns(self, columns: Mapping[str, Sequence[Any]], constants: Mapping[str, Any] | None = None) -> int:
        """Insert rows given column-wise (equal-length sequences, e.g. ``numpy_array.tolist()``) plus
        values shared by every row: no dict per row, each constant adapted once."""
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:
            raise ValueError("columns of different lengths")
        n = lengths.pop() if lengths else 0
        constants = dict(constants or {})
        positions = {name: i for i, name in enumerate(self.names)}
        adapters = dict(self.adapters)
        for name in columns:
            if positions[name] in adapters:
                raise ValueError(f"{name}: dates and JSON go in constants or insert()")
        varying = list(columns)
        fixed_names = [name for name in self.names if name not in columns]
        if not n:
            return 0
        if connection.vendor == "postgresql" and not self.on_conflict_ignore:
            self._copy_columns(
                columns, {name: constants.get(name, self.defaults[positions[name]]) for name in fixed_names}
            )
            return n
        fixed = self.values(constants)  # defaults and constants, adapted
        tail = tuple(fixed[positions[name]] for name in fixed_names)
        self._write([*varying, *fixed_names], [row + tail for row in zip(*columns.values(), strict=True)])
        return n

    def _copy_columns(self, columns: Mapping[str, Sequence[Any]], constants: Mapping[str, Any]) -> None:
        """PostgreSQL: the columns as one CSV block written by Arrow (C++), into one COPY; constants as
        their text (the same for every row)."""
        import pyarrow as pa
        from pyarrow import csv as pacsv

        n = len(next(iter(columns.values())))
        arrays = {name: pa.array(values) for name, values in columns.items()}
        for name, value in constants.items():
            arrays[name] = pa.array([_copy_text(value)] * n, type=pa.string())
        buffer = io.BytesIO()
        pacsv.write_csv(pa.table(arrays), buffer, write_options=pacsv.WriteOptions(include_header=False))
        names = ", ".join(self.column[name] for name in arrays)
        with connection.cursor() as cursor:
            sql = f"COPY {self.table} ({names}) FROM STDIN WITH (FORMAT csv)"
            with cursor.cursor.copy(sql) as copy:
                copy.write(buffer.getvalue())

    def insert(self, rows: Iterable[Mapping[str, Any]], constants: Mapping[str, Any] | None = None) -> int:
        """Insert dict rows (a missing key takes the model's default); ``constants`` hold values shared by
        every row, adapted once. Rows are turned into parameter tuples by one C-level ``itemgetter``:
        this is the hot path of the registry import."""
        rows = rows if isinstance(rows, list) else list(rows)
        if not rows:
            return 0
        constants = dict(constants or {})
        present: set[str] = set().union(*rows)
        varying = [n for n in self.names if n in present and n not in constants]
        fixed_names = [n for n in self.names if n not in varying]
        everything = self.values(constants)  # defaults and constants, adapted, in self.names order
        position = {name: i for i, name in enumerate(self.names)}
        tail = tuple(everything[position[n]] for n in fixed_names)
        # Dates go to the driver as they are (both adapt them); datetimes and JSON need the backend's hand.
        adapters = dict(self.adapters)
        fix = [
            (i, adapters[position[n]])
            for i, n in enumerate(varying)
            if isinstance(self.fields[position[n]], models.DateTimeField | models.JSONField)
        ]
        defaults = [self.defaults[position[n]] for n in varying]
        getter = tuple_getter(varying)
        params: list[tuple[Any, ...]] = []
        append = params.append
        for row in rows:
            try:
                head = getter(row)
            except KeyError:
                head = tuple(row.get(n, d) for n, d in zip(varying, defaults, strict=True))
            append(head + tail)
        if fix:
            for k, values in enumerate(params):
                cells = list(values)
                for i, adapt in fix:
                    if cells[i] is not None:
                        cells[i] = adapt(cells[i])
                params[k] = tuple(cells)
        self._write([*varying, *fixed_names], params)
        return len(params)

    def _write(self, names: Sequence[str], params: Sequence[Sequence[Any]]) -> None:
        """Write parameter rows whose cells follow ``names``: PostgreSQL's COPY (several times faster
        than any INSERT), or one executemany (SQLite, and PostgreSQL when conflicts are to be ignored,
        which COPY cannot do)."""
        columns = ", ".join(self.column[n] for n in names)
        table = self.table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not self.on_conflict_ignore:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in params:
                        copy.write_row(row)
                return
            sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(names))})"  # noqa: S608
            if self.on_conflict_ignore:
                sql += " ON CONFLICT DO NOTHING"
            cursor.executemany(sql, params)


def allocate_ids(model: type[models.Model], n: int) -> Sequence[int]:
    """``n`` unused primary keys of ``model``'s table, for rows inserted with ``explicit_pk``: the
    writer then knows every new row's key without reading it back (a lookup per row).

    Call inside the transaction that inserts them. On PostgreSQL the table's sequence hands them out
    (safe beside other writers). On SQLite the transaction holds the database's write lock from its
    start (``transaction_mode`` IMMEDIATE), so the keys after the highest one ever used stay free
    until it commits; the rows then advance the table's AUTOINCREMENT counter themselves."""
    if not connection.in_atomic_block:
        raise RuntimeError("allocate_ids must run inside the transaction that inserts the rows")
    if n <= 0:
        return []
    meta = model._meta
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
            sequence = cursor.fetchone()[0]
            # One text rather than a row per key: fetching a million rows costs ten times the nextval calls.
            cursor.execute(
                "SELECT string_agg(nextval(%s::regclass)::text, ',') FROM generate_series(1, %s)", [sequence, n]
            )
            return [int(pk) for pk in cursor.fetchone()[0].split(",")]
        cursor.execute(
            f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
            f"coalesce((SELECT max({qn(meta.pk.column)}) FROM {qn(meta.db_table)}), 0))",
            [meta.db_table],
        )
        last = cursor.fetchone()[0]
    return range(last + 1, last + 1 + n)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector during a bulk job. Parsing a million rows allocates millions of
    long-lived, acyclic objects, and each pass of the collector walks them all again: an eighth of a
    registry import's time (docs/registry-import.md, Speed). Reference counting frees them all the
    same; the collector resumes, at its usual pace, when the job ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def tuple_getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``itemgetter(*keys)`` that always gives a tuple (itemgetter gives the bare item for one key, and
    needs at least one): a row's cells by position, or a dict row's values by name, at C speed."""
    if len(keys) > 1:
        return itemgetter(*keys)
    return lambda row: tuple(row[k] for k in keys)


def _copy_text(value: Any) -> str | None:
    """A constant as PostgreSQL reads it from CSV (None stays NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):  # and datetimes, with their time zone
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple[Any, Mapping[str, Any]]]) -> int:
    """``UPDATE table SET f1 = %s, … WHERE id = %s`` for each (pk, values) pair, in one executemany."""
    meta = model._meta
    qn = connection.ops.quote_name
    model_fields: list[Any] = [meta.get_field(name) for name in fields]
    adapters = [_adapter(f) for f in model_fields]
    assignments = ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
    sql = f"UPDATE {qn(meta.db_table)} SET {assignments} WHERE {qn(meta.pk.column)} = %s"  # noqa: S608
    params = []
    for pk, values in rows:
        cells = [values[name] for name in fields]
        params.append([a(v) if a else v for a, v in zip(adapters, cells, strict=True)] + [pk])
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
    return len(params)
