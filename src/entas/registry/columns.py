"""The registry file format: one row per member, the household's columns repeated on each row.

Columns are derived from the models (one source of truth): a column is named after its field,
coded answers take the Regsosek code, yes/no answers take 1/0 (also ya/tidak, y/n, true/false),
dates take YYYY-MM-DD (also DD/MM/YYYY). ``kelurahan_code`` is the Kemendagri code of the
kelurahan, and each ``prog_<programme>`` column holds the month (YYYY-MM) the family last
received that programme. Parsing is pure: plain strings in, Python values and issues out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from entas.core.ids import Issue

from .choices import Programme
from .models import Household, Member

TRUE = {"1", "ya", "y", "yes", "true", "benar"}
# "2" is "no" in Regsosek yes/no items (1 = ya, 2 = tidak).
FALSE = {"0", "2", "tidak", "n", "no", "false", "salah"}


class ParseError(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    label: Any  # str or a lazy translation
    kind: str  # code | bool | int | float | date | month | text
    required: bool = False
    choices: dict[str, Any] = field(default_factory=dict)  # code → label (lazy: in the active language)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    level: str = "household"  # household | member

    @property
    def help(self) -> str:
        """What a cell of this column may hold, in the active language (import page, template)."""
        if self.kind == "code":
            return "; ".join(f"{k} = {v}" for k, v in self.choices.items())
        if self.kind == "int" and self.maximum is not None:
            return _("whole number %(lo)s–%(hi)s") % {"lo": _fmt(self.minimum), "hi": _fmt(self.maximum)}
        if self.kind == "text" and self.max_length:
            return _("text, at most %(n)d characters") % {"n": self.max_length}
        return {
            "bool": _("1 = yes, 0 = no (also ya/tidak)"),
            "date": _("date YYYY-MM-DD (also DD/MM/YYYY)"),
            "month": _("month YYYY-MM"),
            "int": _("whole number"),
            "float": _("decimal number"),
            "text": _("text"),
        }[self.kind]


def _parse_date(value: str) -> dt.date:
    if len(value) == 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ParseError from None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ParseError


def _parse_month(value: str) -> dt.date:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", value)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ParseError
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def _parse_bool(value: str) -> bool:
    low = value.lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ParseError


def _parse_int(value: str) -> int:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        raise ParseError from None
    if not number.is_integer():
        raise ParseError
    return int(number)


def _parse_float(value: str) -> float:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        raise ParseError from None


PARSERS: dict[str, Callable[[str], Any]] = {
    "bool": _parse_bool,
    "int": _parse_int,
    "float": _parse_float,
    "date": _parse_date,
    "month": _parse_month,
}

KIND_MESSAGES = {
    "bool": gettext_lazy("%(column)s: %(value)r is not yes/no (1/0, ya/tidak)."),
    "int": gettext_lazy("%(column)s: %(value)r is not a whole number."),
    "float": gettext_lazy("%(column)s: %(value)r is not a number."),
    "date": gettext_lazy("%(column)s: %(value)r is not a date (YYYY-MM-DD or DD/MM/YYYY)."),
    "month": gettext_lazy("%(column)s: %(value)r is not a month (YYYY-MM)."),
}


def parse_value(column: Column, raw: str) -> tuple[Any, Issue | None]:
    """Parse one cell. Blank is None (or "" for codes/text); a bad value gives an Issue naming it."""
    value = raw.strip()
    if not value:
        if column.required:
            return None, Issue(column.name, "required", _("%(column)s is required.") % {"column": column.name})
        return ("" if column.kind in {"code", "text"} else None), None
    if column.kind == "code":
        if value.endswith(".0") and value[:-2].isdigit():  # spreadsheets turn codes into numbers
            value = value[:-2]
        if value not in column.choices:
            return None, Issue(
                column.name,
                "choice",
                _("%(column)s: %(value)r is not one of the codes %(codes)s.")
                % {"column": column.name, "value": value, "codes": ", ".join(column.choices)},
            )
        return value, None
    if column.kind == "text":
        if column.max_length and len(value) > column.max_length:
            return None, Issue(
                column.name,
                "too_long",
                _("%(column)s: %(value)r is longer than %(n)d characters.")
                % {"column": column.name, "value": value[:40], "n": column.max_length},
            )
        return value, None
    try:
        parsed = PARSERS[column.kind](value)
    except ParseError:
        return None, Issue(
            column.name, "type", str(KIND_MESSAGES[column.kind]) % {"column": column.name, "value": value}
        )
    if column.kind in {"int", "float"} and (
        (column.minimum is not None and parsed < column.minimum)
        or (column.maximum is not None and parsed > column.maximum)
    ):
        return None, Issue(
            column.name,
            "range",
            _("%(column)s: %(value)s is outside %(lo)s–%(hi)s.")
            % {"column": column.name, "value": value, "lo": _fmt(column.minimum), "hi": _fmt(column.maximum)},
        )
    return parsed, None


def _fmt(number: float | None) -> str:
    return "…" if number is None else f"{number:g}"


def _column_for(model_field: models.Field, level: str) -> Column:
    name = model_field.name
    label = model_field.verbose_name
    required = not (model_field.blank or model_field.null)
    if model_field.choices:
        return Column(name, label, "code", required, {str(k): v for k, v in model_field.choices}, level=level)
    minimum = maximum = None
    for validator in model_field.validators:
        if isinstance(validator, MinValueValidator):
            minimum = validator.limit_value
        elif isinstance(validator, MaxValueValidator):
            maximum = validator.limit_value
    if isinstance(model_field, models.BooleanField):
        return Column(name, label, "bool", required, level=level)
    if isinstance(model_field, models.PositiveSmallIntegerField | models.PositiveIntegerField):
        return Column(
            name,
            label,
            "int",
            required,
            minimum=minimum if minimum is not None else 0,
            maximum=maximum if maximum is not None else 32767,
            level=level,
        )
    if isinstance(model_field, models.FloatField):
        return Column(name, label, "float", required, minimum=minimum, maximum=maximum, level=level)
    if isinstance(model_field, models.DateField):
        return Column(name, label, "date", required, level=level)
    return Column(name, label, "text", required, max_length=model_field.max_length, level=level)


HOUSEHOLD_SKIP = {
    "id",
    "kelurahan",
    "verification_status",
    "rejection_reason",
    "visit_date",
    "verified_by",
    "verified_at",
    "ratified_by",
    "ratified_at",
    "version",
    "created_at",
    "updated_at",
    "registration_source",
}
MEMBER_SKIP = {
    "id",
    "household",
    "name_key",
    "name_key_rev",
    "exited_on",
    "exit_reason",
    "merged_into",
    "created_at",
    "updated_at",
}
COORDINATE_RANGES = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0)}


def _build() -> tuple[list[Column], list[Column]]:
    household = [
        Column("kelurahan_code", gettext_lazy("Kemendagri code of the kelurahan"), "text", True, max_length=13)
    ]
    for f in Household._meta.concrete_fields:
        if f.name in HOUSEHOLD_SKIP:
            continue
        column = _column_for(f, "household")
        if f.name in COORDINATE_RANGES:
            lo, hi = COORDINATE_RANGES[f.name]
            column = Column(column.name, column.label, "float", minimum=lo, maximum=hi)
        household.append(column)
    household += [Column(f"prog_{p.value}", p.label, "month", level="household") for p in Programme]
    member = [_column_for(f, "member") for f in Member._meta.concrete_fields if f.name not in MEMBER_SKIP]
    return household, member


HOUSEHOLD_COLUMNS, MEMBER_COLUMNS = _build()
ALL_COLUMNS = HOUSEHOLD_COLUMNS + MEMBER_COLUMNS
COLUMN_NAMES = [c.name for c in ALL_COLUMNS]
REQUIRED = [c.name for c in ALL_COLUMNS if c.required]
HOUSEHOLD_FIELDS = [c.name for c in HOUSEHOLD_COLUMNS if c.name != "kelurahan_code" and not c.name.startswith("prog_")]
MEMBER_FIELDS = [c.name for c in MEMBER_COLUMNS]
