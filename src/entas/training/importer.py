"""Files of a cohort (CSV or XLSX, read like a registry file: within the upload limits, hostile cells
made inert): applications, attendance, completions and tracer results. Every row is counted as
inserted, updated, unchanged or rejected; a rejected row goes to the rejection file with its row
number and reason; each row is written by the same service a page uses, so re-running a file
changes nothing more.

Columns (a header row; extra columns are ignored):

- ``apply``: ``nik``; for a person not in the registry also ``name``, ``sex`` (1/2), ``birth_date``
  (YYYY-MM-DD) and ``kelurahan`` (Kemendagri code); optionally ``baseline_income`` (Rp a month).
- ``attendance``: ``nik``, ``session`` (its number), ``status`` (present, absent, excused).
- ``complete``: ``nik``, ``outcome`` (completed, dropped_out), ``ended_on``; optionally
  ``assessment`` (competent, not_yet, not_assessed), ``certificate_number``,
  ``certificate_scheme``, ``dropout_reason``.
- ``tracer``: ``nik``, ``months`` (3, 6, 12), ``surveyed_on``, ``employment`` (wage, self, none);
  optionally ``monthly_income``, ``own_business`` (yes/no), ``sector`` (Regsosek industry code),
  ``contract`` (permanent, fixed, informal, none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from entas.core.errors import Refused
from entas.core.spreadsheet import CsvWriter
from entas.regions.models import Region
from entas.registry.fileformats import open_rows

from . import services
from .models import Application, Cohort

if TYPE_CHECKING:
    from entas.accounts.models import User

KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "apply": (("nik",), ("name", "sex", "birth_date", "kelurahan", "baseline_income")),
    "attendance": (("nik", "session", "status"), ()),
    "complete": (
        ("nik", "outcome", "ended_on"),
        ("assessment", "certificate_number", "certificate_scheme", "dropout_reason"),
    ),
    "tracer": (
        ("nik", "months", "surveyed_on", "employment"),
        ("monthly_income", "own_business", "sector", "contract"),
    ),
}
KEYS = {"apply": ("nik",), "attendance": ("nik", "session"), "complete": ("nik",), "tracer": ("nik", "months")}


@dataclass
class FileSummary:
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    to_verify: int = 0
    rejection_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _date(value: str, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise Refused(
            _("%(column)s %(value)r is not a date (YYYY-MM-DD).") % {"column": column, "value": value[:20]}
        ) from None


def _int(value: str, column: str) -> int | None:
    """A whole number; thousands separators (1.500.000 or 1,500,000) are dropped."""
    if not value:
        return None
    digits = value.replace(".", "").replace(",", "").replace(" ", "")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        raise Refused(_("%(column)s %(value)r is not a whole number.") % {"column": column, "value": value[:20]})
    return int(digits)


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "yes", "ya", "true", "y"}


class CohortFile:
    """One file of one kind for one cohort, imported as ``actor``."""

    def __init__(self, *, kind: str, cohort: Cohort, actor: User, rejection_path: Path) -> None:
        if kind not in KINDS:
            raise Refused(_("Unknown kind of file %(kind)r.") % {"kind": kind})
        self.kind = kind
        self.cohort = cohort
        self.actor = actor
        self.rejection_path = rejection_path
        self.summary = FileSummary()
        self._writer: Any = None
        self._handle: Any = None
        self._header: list[str] = []
        self._escaped = False
        self._seen: set[tuple[str, ...]] = set()
        self._applications: dict[str, Application] | None = None
        handlers: dict[str, Callable[[dict[str, str]], str]] = {
            "apply": self._apply,
            "attendance": self._attendance,
            "complete": self._complete,
            "tracer": self._tracer,
        }
        self.handle = handlers[kind]

    def run(self, path: Path, name: str) -> FileSummary:
        required, optional = KINDS[self.kind]
        source = open_rows(path, name)
        try:
            missing = [c for c in required if c not in source.header]
            if missing:
                raise Refused(
                    _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                    % {"columns": ", ".join(missing), "expected": ",".join(required + optional)},
                    code="invalid",
                )
            self._header, self._escaped = source.header, source.escaped
            index = {c: source.header.index(c) for c in required + optional if c in source.header}
            for number, cells in source.rows:
                self.summary.total += 1
                row = {c: self._cell(cells, i) for c, i in index.items()}
                key = tuple(row.get(c, "") for c in KEYS[self.kind])
                if key in self._seen:
                    self._reject(number, cells, _("the row appears twice in the file"))
                    continue
                try:
                    outcome = self.handle(row)
                except Refused as exc:
                    self._reject(number, cells, exc.message)
                    continue
                self._seen.add(key)
                setattr(self.summary, outcome, getattr(self.summary, outcome) + 1)
        finally:
            source.close()
            if self._handle is not None:
                self._handle.close()
        return self.summary

    def _cell(self, cells: list[str], i: int) -> str:
        value = cells[i].strip() if i < len(cells) else ""
        if self._escaped and value[:1] == "'":
            from entas.core.spreadsheet import unescape_cell

            value = unescape_cell(value)
        return value

    def _application(self, nik: str) -> Application:
        if self._applications is None:
            self._applications = {
                a.nik: a
                for a in Application.objects.restrict(self.actor, "change")
                .filter(cohort=self.cohort)
                .select_related("kelurahan", "cohort__course")
            }
        application = self._applications.get(nik)
        if application is None:
            raise Refused(_("NIK %(nik)s is not an applicant of this cohort in your areas.") % {"nik": nik[:20] or "-"})
        return application

    def _apply(self, row: dict[str, str]) -> str:
        kelurahan = None
        if row.get("kelurahan"):
            kelurahan = Region.objects.filter(code=row["kelurahan"]).first()
            if kelurahan is None:
                raise Refused(_("Unknown kelurahan code %(code)r.") % {"code": row["kelurahan"][:20]})
        application, outcome = services.apply_person(
            cohort=self.cohort,
            nik=row["nik"],
            name=row.get("name", ""),
            sex=row.get("sex", ""),
            birth_date=_date(row["birth_date"], "birth_date") if row.get("birth_date") else None,
            kelurahan=kelurahan,
            baseline_income=_int(row.get("baseline_income", ""), "baseline_income"),
            actor=self.actor,
            channel="file",
        )
        if outcome == services.INSERTED and application.needs_verification:
            self.summary.to_verify += 1
        return outcome

    def _attendance(self, row: dict[str, str]) -> str:
        application = self._application(row["nik"])
        number = _int(row["session"], "session") or 0
        session = self.cohort.sessions.filter(number=number).first()
        if session is None:
            raise Refused(_("The cohort has no session %(n)s.") % {"n": row["session"][:10]})
        counts = services.record_attendance(session=session, marks={application.pk: row["status"]}, actor=self.actor)
        return next(k for k, v in counts.items() if v)

    def _complete(self, row: dict[str, str]) -> str:
        _completion, outcome = services.complete(
            application=self._application(row["nik"]),
            outcome=row["outcome"],
            ended_on=_date(row["ended_on"], "ended_on"),
            assessment=row.get("assessment") or "not_assessed",
            certificate_number=row.get("certificate_number", ""),
            certificate_scheme=row.get("certificate_scheme", ""),
            dropout_reason=row.get("dropout_reason", ""),
            actor=self.actor,
        )
        return outcome

    def _tracer(self, row: dict[str, str]) -> str:
        months = _int(row["months"], "months")
        _result, outcome = services.record_tracer(
            application=self._application(row["nik"]),
            months=months or 0,
            surveyed_on=_date(row["surveyed_on"], "surveyed_on"),
            employment=row["employment"],
            monthly_income=_int(row.get("monthly_income", ""), "monthly_income"),
            own_business=_bool(row.get("own_business", "")),
            sector=row.get("sector", ""),
            contract=row.get("contract") or "none",
            actor=self.actor,
        )
        return outcome

    def _reject(self, number: int, cells: list[str], reason: str) -> None:
        if self._writer is None:
            self.rejection_path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.rejection_path.open("w", newline="", encoding="utf-8-sig")
            self._writer = CsvWriter(self._handle)
            self._writer.writerow(["row_number", "reasons", *self._header])
            self.summary.rejection_file = str(self.rejection_path)
        row = [number, reason, *cells]
        if self._escaped:
            self._writer.write_read_cells(row)
        else:
            self._writer.writerow(row)
        self.summary.rejected += 1


def import_file(
    path: Path, *, kind: str, cohort: Cohort, actor: User, rejection_path: Path, name: str = ""
) -> FileSummary:
    """Import one file of ``kind`` for ``cohort`` as ``actor``."""
    return CohortFile(kind=kind, cohort=cohort, actor=actor, rejection_path=rejection_path).run(path, name or path.name)
