"""The data dictionary (docs/data-dictionary.md), generated from the models so it cannot drift."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import translation

from .columns import ALL_COLUMNS
from .models import Household, KKNumber, Member, Membership, ProgrammeReceipt

MODELS: list[type[models.Model]] = [Household, Member, Membership, KKNumber, ProgrammeReceipt]
IMPORT_COLUMNS = {c.name for c in ALL_COLUMNS}


def _type(field: Any) -> str:
    if field.choices:
        return "code"
    if field.is_relation:
        return f"→ {field.related_model._meta.label}"
    return {
        "CharField": f"text ({field.max_length})",
        "TextField": "text",
        "BooleanField": "yes/no",
        "PositiveSmallIntegerField": "integer",
        "PositiveIntegerField": "integer",
        "FloatField": "decimal",
        "DateField": "date",
        "DateTimeField": "date-time (UTC)",
        "BigAutoField": "id",
    }.get(type(field).__name__, type(field).__name__)


def _values(field: Any) -> str:
    if not field.choices:
        return ""
    with translation.override("en"):
        english = {str(k): str(v) for k, v in field.choices}
    with translation.override("id"):
        indonesian = {str(k): str(v) for k, v in field.choices}
    return "<br>".join(
        f"`{k}` {english[k]}" + (f" / *{indonesian[k]}*" if indonesian[k] != english[k] else "") for k in english
    )


def render() -> str:
    lines = [
        "# Data dictionary",
        "",
        "Generated from the models by `entas data_dictionary`; a test keeps this file up to date.",
        "Codes follow the Regsosek 2022 family form (REGSOSEK2022.K) where one exists; labels are",
        "English / *Indonesian*. A blank value means *not recorded*. Columns marked *import* are",
        "columns of the registry file (one row per member, household columns repeated; see",
        "`docs/registry-import.md`). `prog_<programme>` import columns hold the month (YYYY-MM) a",
        "family last received a programme and become *programme received* rows.",
        "",
    ]
    with translation.override("en"):
        for model in MODELS:
            meta = model._meta
            lines += [f"## {str(meta.verbose_name).capitalize()} (`{meta.db_table}`)", ""]
            doc = " ".join((model.__doc__ or "").split())
            if doc:
                lines += [doc, ""]
            lines += ["| field | import | type | meaning | values |", "|---|---|---|---|---|"]
            for field in meta.concrete_fields:
                meaning = str(field.verbose_name)
                if field.help_text:
                    meaning += f": {field.help_text}"
                column = field.name if field.name in IMPORT_COLUMNS else ""
                if field.name == "kelurahan":
                    column = "kelurahan_code"
                shown = f"`{column}`" if column else ""
                lines.append(f"| `{field.name}` | {shown} | {_type(field)} | {meaning} | {_values(field)} |")
            lines.append("")
    return "\n".join(lines)
