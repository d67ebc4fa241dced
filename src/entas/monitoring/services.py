"""Loading reference series (poverty lines) and survey rounds. All-or-nothing, audited."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from entas.core import audit, uploads
from entas.core.bulk import Inserter
from entas.core.errors import Refused
from entas.core.services import service
from entas.regions.models import Region, RegionLevel

from .models import PovertyLine, SurveyHousehold, SurveyRound

if TYPE_CHECKING:
    from entas.accounts.models import User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_LINES_FILE = DATA_DIR / "poverty-lines-64.71.csv"


@service
def load_poverty_lines(*, text: str, actor: User | None) -> int:
    """Create or update poverty lines from a CSV (columns as in data/poverty-lines-64.71.csv)."""
    rows = list(csv.DictReader(io.StringIO(text)))
    regions = {r.code: r for r in Region.objects.filter(code__in={row.get("region_code", "") for row in rows})}
    errors = []
    for line, row in enumerate(rows, start=2):
        if row.get("region_code") not in regions:
            errors.append(
                _("Line %(line)d: region %(code)r is not loaded.") % {"line": line, "code": row.get("region_code")}
            )
        if row.get("kind") not in PovertyLine.Kind.values:
            errors.append(
                _("Line %(line)d: kind %(kind)r is not national or extreme.") % {"line": line, "kind": row.get("kind")}
            )
        for column in ("period", "rupiah_per_capita_month"):
            if not (row.get(column) or "").isdigit():
                errors.append(
                    _("Line %(line)d: %(column)s %(value)r is not a whole number.")
                    % {"line": line, "column": column, "value": row.get(column)}
                )
    if errors:
        raise Refused.listing(errors)
    for row in rows:
        PovertyLine.objects.update_or_create(
            region=regions[row["region_code"]],
            kind=row["kind"],
            name=row["name"],
            period=int(row["period"]),
            defaults={
                "rupiah_per_capita_month": int(row["rupiah_per_capita_month"]),
                "ppp_base": row.get("ppp_base", ""),
                "confirmed": row.get("confirmed", "true").lower() == "true",
                "source": row.get("source", ""),
            },
        )
    audit.record(
        actor=actor,
        action="monitoring.load_poverty_lines",
        object_type="monitoring.povertyline",
        object_repr=f"{len(rows)} lines",
        after={"rows": len(rows)},
    )
    return len(rows)


SURVEY_COLUMNS = ("kk_number", "kelurahan_code", "stratum", "psu", "weight", "household_size", "consumption_per_capita")


@service
def import_survey(*, path: Path, name: str, year: int, actor: User | None, file_name: str | None = None) -> SurveyRound:
    """Import a survey file (one row per sampled household; columns SURVEY_COLUMNS). Every bad row is
    reported and nothing is imported when any row is bad: a survey is used whole or not at all.
    ``file_name``: the name the user gave the file (an upload is stored under another), for messages."""
    kelurahan = dict(Region.objects.filter(level=RegionLevel.KELURAHAN).values_list("code", "pk"))
    errors: list[str] = []
    records = []
    with uploads.csv_dict_rows(path, name=file_name) as (header, rows):
        missing = [c for c in SURVEY_COLUMNS if c not in header and c != "kk_number"]
        if missing:
            raise Refused.listing(
                [_("The survey file lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)}]
            )
        for line, row in rows:
            try:
                weight = float(row["weight"])
                size = int(row["household_size"])
                consumption = int(float(row["consumption_per_capita"]))
            except (TypeError, ValueError, OverflowError):
                errors.append(
                    _("Line %(line)d: weight, household_size and consumption_per_capita must be numbers.")
                    % {"line": line}
                )
                continue
            if row["kelurahan_code"] not in kelurahan:
                errors.append(
                    _("Line %(line)d: kelurahan_code %(code)r is not loaded.")
                    % {"line": line, "code": row["kelurahan_code"]}
                )
                continue
            if not math.isfinite(weight) or weight <= 0 or size < 1 or consumption < 0:
                errors.append(
                    _("Line %(line)d: weight and household size must be positive, consumption not negative.")
                    % {"line": line}
                )
                continue
            records.append(
                {
                    "kk_number": row.get("kk_number", ""),
                    "kelurahan_id": kelurahan[row["kelurahan_code"]],
                    "stratum": row["stratum"],
                    "psu": row["psu"],
                    "weight": weight,
                    "household_size": size,
                    "consumption_per_capita": consumption,
                }
            )
    if not records and not errors:
        errors.append(_("The survey file has no rows."))
    if errors:
        raise Refused.listing(errors)
    survey = SurveyRound.objects.create(name=name, year=year, source_file=file_name or path.name)
    Inserter(SurveyHousehold).insert({**r, "survey_id": survey.pk} for r in records)
    audit.record(actor=actor, action="monitoring.import_survey", obj=survey, after={"households": len(records)})
    return survey
