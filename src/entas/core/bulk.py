"""Set-based writes for bulk work (imports, payment runs): one `executemany` per batch.

Django's bulk_create builds and adapts every value through the ORM and, on SQLite, splits a batch
into many statements to stay under the variable limit; for a million rows that costs far more than
the insert itself. These helpers write plain Python values (str, int, bool, date, datetime, None)
straight through the driver, with dates adapted once per column. Every column of the table is
written, with the model's default where a row leaves it out, so the result is what the ORM writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.db.models.fields import NOT_PROVIDED


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
    """Insert dict rows into a model's table: ``Inserter(Member).insert(rows)``."""

    def __init__(self, model: type[models.Model], *, on_conflict_ignore: bool = False):
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not f.primary_key]
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
        self._adapted: dict[Any, Any] = {}  # dates and datetimes repeat: adapt each once
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 (names from the model)
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
        fixed = self.values(dict(constants or {}))  # defaults and constants, adapted
        positions = {name: i for i, name in enumerate(self.names)}
        varying = [(positions[name], values) for name, values in columns.items()]
        adapters = dict(self.adapters)
        for index, _values in varying:
            if index in adapters:
                raise ValueError(f"{self.names[index]}: dates and JSON go in constants or insert()")
        template = list(fixed)
        params = []
        for i in range(n):
            row = template.copy()
            for index, values in varying:
                row[index] = values[i]
            params.append(row)
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, params)
        return n

    def insert(self, rows: Iterable[Mapping[str, Any]]) -> int:
        params = [self.values(r) for r in rows]
        if params:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, params)
        return len(params)


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
