"""Files of awareness campaigns.

- Sign-in sheets and answer sheets of one event: CSV or XLSX files read like a registry file (within
  the upload limits, hostile cells inert), every row counted as inserted, updated, unchanged or
  rejected (:class:`entas.core.fileimport.RowCounts`), a rejected row in the rejection file with its
  number and reasons. Each row is one service call; the same file imported again changes nothing.

  Sign-in sheet columns: ``nik`` and, for a person not in the registry, ``name``, ``sex`` (1/2),
  ``birth_date`` (YYYY-MM-DD) and optionally ``kelurahan`` (Kemendagri code; default: the event's).
  Answer sheet columns: ``nik``, ``phase`` (before/after) and one column per question, ``q1``, ``q2``,
  … holding the letter chosen (a blank cell: not answered).
- Campaigns with their questions and events: a YAML file (``docs/examples/campaigns.yaml``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from entas.core.errors import Refused
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.services import service
from entas.regions.models import Region, RegionLevel
from entas.registry.fileformats import open_rows

from . import services
from .choices import Source
from .models import Attendance, Event

if TYPE_CHECKING:
    from entas.accounts.models import User

ATTENDANCE_COLUMNS = ("nik",)
ATTENDANCE_OPTIONAL = ("name", "sex", "birth_date", "kelurahan")
ANSWER_COLUMNS = ("nik", "phase")
MAX_YAML_BYTES = 2 * 1024 * 1024


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise Refused(_("%(value)r is not a date (YYYY-MM-DD).") % {"value": str(value)[:20]}) from None


def _coordinate(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        raise Refused(_("%(value)r is not a coordinate.") % {"value": str(value)[:20]}) from None


def _rows(
    path: Path,
    name: str,
    columns: tuple[str, ...],
    rejection_path: Path,
    handle: Callable[[dict[str, str]], str],
    key: Callable[[dict[str, str]], tuple[str, ...]],
    progress: Callable[[int], None] | None,
    on_total: Callable[[int], None] | None,
) -> RowCounts:
    counts = RowCounts()
    source = open_rows(path, name)
    rejections: RejectionFile | None = None
    seen: set[tuple[str, ...]] = set()
    try:
        missing = [c for c in columns if c not in source.header]
        if missing:
            raise Refused(
                _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                % {"columns": ", ".join(missing), "expected": ",".join(columns)},
                code="invalid",
            )
        if on_total is not None and source.total is not None:
            on_total(source.total)
        rejections = RejectionFile(rejection_path, counts, header=source.header, escaped=source.escaped)
        for number, cells in source.rows:
            counts.total += 1
            row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(source.header)}
            if source.escaped:
                from entas.core.spreadsheet import unescape_cell

                row = {k: unescape_cell(v) if v[:1] == "'" else v for k, v in row.items()}
            if key(row) in seen:
                rejections.add(number, [_("the row appears twice in the file")], cells)
            else:
                try:
                    outcome = handle(row)
                except Refused as exc:
                    rejections.add(number, [exc.message], cells)
                else:
                    seen.add(key(row))
                    setattr(counts, outcome, getattr(counts, outcome) + 1)
            if progress is not None:
                progress(1)
    finally:
        source.close()
        if rejections is not None:
            rejections.close()
    return counts


def import_attendance(
    path: Path,
    *,
    event: Event,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RowCounts:
    """Import an event's sign-in sheet as ``actor``."""
    services._require_manager(actor)
    services._require_area(actor, event.kelurahan)

    def handle(row: dict[str, str]) -> str:
        kelurahan = None
        if row.get("kelurahan"):
            kelurahan = Region.objects.filter(code=row["kelurahan"], level=RegionLevel.KELURAHAN).first()
            if kelurahan is None:
                raise Refused(_("Unknown kelurahan code %(code)r.") % {"code": row["kelurahan"][:20]})
        _attendance, outcome = services.record_attendee(
            event=event,
            nik=row["nik"],
            name=row.get("name", ""),
            sex=row.get("sex", ""),
            birth_date=_date(row["birth_date"]) if row.get("birth_date") else None,
            kelurahan=kelurahan,
            source=Source.FILE,
            actor=actor,
        )
        return outcome

    return _rows(
        path, name, ATTENDANCE_COLUMNS, rejection_path, handle, lambda r: (r.get("nik", ""),), progress, on_total
    )


def import_answers(
    path: Path,
    *,
    event: Event,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RowCounts:
    """Import an event's answer sheet (before or after) as ``actor``: the attendee must have signed in."""
    services._require_manager(actor)
    services._require_area(actor, event.kelurahan)
    attendees = {a.nik: a for a in Attendance.objects.restrict(actor, "change").filter(event=event)}

    def handle(row: dict[str, str]) -> str:
        attendance = attendees.get(row["nik"])
        if attendance is None:
            raise Refused(_("NIK %(nik)s did not sign in at this event.") % {"nik": row["nik"][:20] or "-"})
        attendance.event = event
        choices = {}
        for column, value in row.items():
            if column[:1] == "q" and column[1:].isdigit() and value:
                choices[int(column[1:])] = value.strip().lower()
        if not choices:
            raise Refused(_("The row holds no answer (columns q1, q2, …)."))
        return services.record_answers(attendance=attendance, phase=row["phase"].lower(), choices=choices, actor=actor)

    return _rows(
        path,
        name,
        ANSWER_COLUMNS,
        rejection_path,
        handle,
        lambda r: (r.get("nik", ""), r.get("phase", "").lower()),
        progress,
        on_total,
    )


def load_campaigns(data: bytes, *, actor: User) -> dict[str, Any]:
    """Load campaigns with their questions and events from YAML (``docs/examples/campaigns.yaml``):
    each found by its code, created or brought to the file's values. A campaign with an error is
    rejected whole (with its reasons); the others load."""
    services._require_manager(actor)
    if len(data) > MAX_YAML_BYTES:
        raise Refused(_("The file is larger than 2 MB."), code="invalid")
    try:
        doc = yaml.safe_load(data) or {}
    except yaml.YAMLError as exc:
        raise Refused(_("The file is not valid YAML: %(error)s") % {"error": str(exc)[:200]}, code="invalid") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("campaigns"), list):
        raise Refused(_("The file needs a list of campaigns."), code="invalid")
    counts = RowCounts()
    result: dict[str, Any] = {"rejected_campaigns": [], "events": {}, "questions": {}}
    programmes = {p.name: p for p in services.campaign_programmes()}
    for entry in doc["campaigns"]:
        counts.total += 1
        code = str(entry.get("code", "?")) if isinstance(entry, dict) else "?"
        try:
            outcome = _load_one(entry, programmes, actor, result)
        except (Refused, ValidationError, KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, Refused):
                reason = exc.message
            elif isinstance(exc, ValidationError):
                reason = "; ".join(exc.messages)
            else:
                reason = _("%(field)s is missing or wrong") % {"field": exc}
            counts.rejected += 1
            result["rejected_campaigns"].append({"campaign": code, "reasons": [str(reason)]})
        else:
            setattr(counts, outcome, getattr(counts, outcome) + 1)
    return {**counts.as_dict(), **result}


@service
def _load_one(entry: dict[str, Any], programmes: dict[str, Any], actor: User, result: dict[str, Any]) -> str:
    """One campaign of a YAML file, with its questions and events: all or nothing."""
    programme = None
    if entry.get("programme"):
        programme = programmes.get(entry["programme"])
        if programme is None:
            raise Refused(_("No campaign programme named %(name)r.") % {"name": entry["programme"]})
    kelurahan = []
    for code in entry.get("target_kelurahan") or []:
        region = Region.objects.filter(code=str(code)).first()
        if region is None:
            raise Refused(_("Unknown kelurahan code %(code)r.") % {"code": str(code)[:20]})
        kelurahan.append(region)
    campaign, outcome = services.save_campaign(
        code=str(entry["code"]),
        name=str(entry["name"]),
        theme=str(entry["theme"]),
        channel=str(entry["channel"]),
        start=_date(entry["start"]),
        end=_date(entry["end"]),
        programme=programme,
        target_group=str(entry.get("target_group", "")),
        partners=str(entry.get("partners", "")),
        max_desil=int(entry.get("max_desil", 4)),
        target_kelurahan=kelurahan,
        actor=actor,
    )
    for q in entry.get("questions") or []:
        _q, o = services.save_question(
            campaign=campaign,
            number=int(q["number"]),
            text=str(q["text"]),
            options=[str(o) for o in q["options"]],
            key=str(q["key"]),
            actor=actor,
        )
        result["questions"][o] = result["questions"].get(o, 0) + 1
    for e in entry.get("events") or []:
        region = Region.objects.filter(code=str(e["kelurahan"])).first()
        if region is None:
            raise Refused(_("Unknown kelurahan code %(code)r.") % {"code": str(e["kelurahan"])[:20]})
        _e, o = services.save_event(
            campaign=campaign,
            code=str(e["code"]),
            date=_date(e["date"]),
            kelurahan=region,
            venue=str(e["venue"]),
            facilitators=str(e.get("facilitators", "")),
            budget=int(e.get("budget", 0)),
            latitude=_coordinate(e.get("latitude")),
            longitude=_coordinate(e.get("longitude")),
            actor=actor,
        )
        result["events"][o] = result["events"].get(o, 0) + 1
    return outcome
