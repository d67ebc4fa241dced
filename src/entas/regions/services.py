"""Loading regions and their boundaries. Every load is all-or-nothing: a file with any bad row
is reported in full and nothing is written, so the tree is never half-loaded.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from entas.core import audit
from entas.core.errors import Refused
from entas.core.services import service

from .codes import is_valid_code, level_of, parent_code
from .models import Region

if TYPE_CHECKING:
    from entas.accounts.models import User

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_REGIONS_FILE = DATA_DIR / "regions-64.71.csv"
REQUIRED_COLUMNS = ("code", "name")
KNOWN_COLUMNS = (
    "code",
    "name",
    "bps_code",
    "postal_code",
    "centroid_lat",
    "centroid_lng",
    "area_km2",
    "area_confirmed",
    "aliases",
    "valid_from",
    "valid_to",
)


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def _float(value: str, column: str, line: int, errors: list[str], lo: float, hi: float) -> float | None:
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        errors.append(
            _("Line %(line)d: %(column)s %(value)r is not a number.") % {"line": line, "column": column, "value": value}
        )
        return None
    if not (lo <= number <= hi) or math.isnan(number):
        errors.append(
            _("Line %(line)d: %(column)s %(value)s is outside %(lo)s to %(hi)s.")
            % {"line": line, "column": column, "value": value, "lo": lo, "hi": hi}
        )
        return None
    return number


def _date(value: str, column: str, line: int, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(
            _("Line %(line)d: %(column)s %(value)r is not a date (YYYY-MM-DD).")
            % {"line": line, "column": column, "value": value}
        )
        return None


def parse_regions_csv(text: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Validate a regions CSV (columns as in ``data/README.md``). Returns (rows, errors)."""
    errors: list[str] = []
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        return [], [_("The file lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)}]
    unknown = [c for c in columns if c not in KNOWN_COLUMNS]
    if unknown:
        errors.append(_("Unknown column(s): %(columns)s.") % {"columns": ", ".join(unknown)})
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, raw in enumerate(reader, start=2):
        values = {c: (raw.get(c) or "").strip() for c in KNOWN_COLUMNS}
        get = values.__getitem__
        code, name = get("code"), get("name")
        if not is_valid_code(code):
            errors.append(
                _("Line %(line)d: %(code)r is not a Kemendagri code (e.g. 64.71.01.1001).")
                % {"line": line, "code": code}
            )
            continue
        if code in seen:
            errors.append(
                _("Line %(line)d: code %(code)s is a duplicate of line %(first)d.")
                % {"line": line, "code": code, "first": seen[code]}
            )
            continue
        seen[code] = line
        if not name:
            errors.append(_("Line %(line)d: the name of %(code)s is empty.") % {"line": line, "code": code})
        postal = get("postal_code")
        if postal and not (len(postal) == 5 and postal.isdigit()):
            errors.append(_("Line %(line)d: postal code %(value)r must be 5 digits.") % {"line": line, "value": postal})
        confirmed = get("area_confirmed").lower()
        if confirmed not in {"", "true", "false", "1", "0", "yes", "no"}:
            errors.append(
                _("Line %(line)d: area_confirmed %(value)r must be true or false.") % {"line": line, "value": confirmed}
            )
        row = {
            "code": code,
            "name": name,
            "level": level_of(code),
            "bps_code": get("bps_code"),
            "postal_code": postal,
            "centroid_lat": _float(get("centroid_lat"), "centroid_lat", line, errors, -90, 90),
            "centroid_lng": _float(get("centroid_lng"), "centroid_lng", line, errors, -180, 180),
            "area_km2": _float(get("area_km2"), "area_km2", line, errors, 0, 1e7),
            "area_confirmed": confirmed in {"true", "1", "yes"},
            "aliases": [a.strip() for a in get("aliases").split("|") if a.strip()],
            "valid_from": _date(get("valid_from"), "valid_from", line, errors),
            "valid_to": _date(get("valid_to"), "valid_to", line, errors),
            "_line": line,
        }
        rows.append(row)
    if not rows and not errors:
        errors.append(_("The file has no rows."))
    return rows, errors


@service
def load_regions(*, text: str, actor: User | None, source: str = "") -> LoadReport:
    """Create or update the regions of a CSV. Parents must be in the file or already loaded."""
    rows, errors = parse_regions_csv(text)
    in_file = {row["code"] for row in rows}
    existing = {
        r.code: r for r in Region.objects.filter(code__in=in_file | {parent_code(c) for c in in_file if parent_code(c)})
    }
    for row in rows:
        parent = parent_code(row["code"])
        if parent and parent not in in_file and parent not in existing:
            errors.append(
                _(
                    "Line %(line)d: the parent region %(parent)s of %(code)s is unknown; load it first "
                    "or add it to the file."
                )
                % {"line": row["_line"], "parent": parent, "code": row["code"]}
            )
    if errors:
        raise Refused.listing(errors)

    report = LoadReport()
    by_code = dict(existing)
    for row in sorted(rows, key=lambda r: r["level"]):  # parents before children
        values = {k: v for k, v in row.items() if not k.startswith("_") and k != "code"}
        parent = parent_code(row["code"])
        values["parent"] = by_code[parent] if parent else None
        region = by_code.get(row["code"])
        if region is None:
            region = Region.objects.create(code=row["code"], **values)
            report.created += 1
        else:
            changed = {k: v for k, v in values.items() if getattr(region, k) != v}
            if changed:
                for k, v in changed.items():
                    setattr(region, k, v)
                region.save(update_fields=list(changed))
                report.updated += 1
            else:
                report.unchanged += 1
        by_code[row["code"]] = region
        report.codes.append(row["code"])
    audit.record(
        actor=actor,
        action="regions.load",
        object_type="regions.region",
        object_repr=source[:200] or _("regions file"),
        after={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    return report


def _ring_errors(ring: Any) -> str | None:
    if not isinstance(ring, list) or len(ring) < 4:
        return _("a ring has fewer than 4 points")
    for point in ring:
        if not (isinstance(point, list) and len(point) >= 2 and all(isinstance(c, int | float) for c in point[:2])):
            return _("a point is not a [longitude, latitude] pair")
        lng, lat = point[0], point[1]
        if not (-180 <= lng <= 180 and -90 <= lat <= 90):
            return _("point %(point)s is outside longitude −180…180 / latitude −90…90") % {"point": point[:2]}
    if ring[0][:2] != ring[-1][:2]:
        return _("a ring is not closed (first point ≠ last point)")
    return None


def geometry_error(geometry: Any) -> str | None:
    """Why a GeoJSON geometry cannot be a region boundary, or None when it can."""
    if not isinstance(geometry, dict):
        return _("the feature has no geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords if isinstance(coords, list) else [None]
    else:
        return _("geometry type %(type)s is not Polygon or MultiPolygon") % {"type": kind}
    if not polygons:
        return _("the geometry is empty")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return _("a polygon has no rings")
        for ring in polygon:
            if (problem := _ring_errors(ring)) is not None:
                return problem
    return None


@service
def load_boundaries(*, text: str, actor: User | None, source: str = "") -> LoadReport:
    """Attach GeoJSON polygons to regions by their ``code`` property (all-or-nothing)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused.listing([_("The file is not valid JSON: %(error)s") % {"error": exc}]) from None
    except RecursionError:  # [[[[…]]]] thousands deep: no geometry nests like that
        raise Refused.listing([_("The file nests its JSON too deeply to be a GeoJSON file.")]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise Refused.listing([_("The file is not a GeoJSON FeatureCollection.")])
    features = data.get("features") or []
    errors: list[str] = []
    wanted: dict[str, dict[str, Any]] = {}
    for index, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {}
        code = str(props.get("code", "")).strip()
        label = _("Feature %(n)d (%(code)s)") % {"n": index, "code": code or "?"}
        if not code:
            errors.append(_("%(label)s: no 'code' property.") % {"label": label})
            continue
        if code in wanted:
            errors.append(_("%(label)s: code %(code)s appears twice.") % {"label": label, "code": code})
            continue
        if (problem := geometry_error(feature.get("geometry"))) is not None:
            errors.append(_("%(label)s: broken geometry: %(problem)s.") % {"label": label, "problem": problem})
            continue
        wanted[code] = feature
    regions = {r.code: r for r in Region.objects.filter(code__in=wanted)}
    errors += [_("Code %(code)s is not a loaded region.") % {"code": code} for code in wanted if code not in regions]
    if not features:
        errors.append(_("The file has no features."))
    if errors:
        raise Refused.listing(errors)
    report = LoadReport()
    for code, feature in wanted.items():
        region = regions[code]
        if region.boundary == feature["geometry"]:
            report.unchanged += 1
            continue
        region.boundary = feature["geometry"]
        fields = ["boundary"]
        props = feature.get("properties") or {}
        if region.centroid_lat is None and isinstance(props.get("centroid_lat"), int | float):
            region.centroid_lat, region.centroid_lng = props["centroid_lat"], props.get("centroid_lng")
            fields += ["centroid_lat", "centroid_lng"]
        region.save(update_fields=fields)
        report.updated += 1
        report.codes.append(code)
    audit.record(
        actor=actor,
        action="regions.load_boundaries",
        object_type="regions.region",
        object_repr=source[:200] or _("boundaries file"),
        after={"updated": report.updated, "unchanged": report.unchanged},
    )
    return report
