"""Importing realisation from a file (CSV or XLSX, read like a registry file: within the upload limits,
hostile cells made inert): one row per activity and month, with the columns ``activity_code``
(kode rekening), ``month`` (2026-03), ``realised`` (whole rupiah) and, optionally, ``physical``
(progress in percent).

Every row is counted as inserted, updated, unchanged or rejected; a rejected row goes to the rejection
file with its row number and every reason (an unknown code, another OPD's activity, a month outside
the programme's period, an amount that is not whole rupiah, a row repeated in the file…). Rows are
written in batches, one transaction each; re-running the file changes nothing more."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core.errors import Refused
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.spreadsheet import unescape_cell
from entas.registry.fileformats import open_rows

from . import rules, services
from .models import Activity

if TYPE_CHECKING:
    from entas.accounts.models import User

COLUMNS = ("activity_code", "month", "realised")
OPTIONAL = ("physical",)
BATCH = 1000


# The accounting every import shares (entas.core.fileimport): no row is lost.
RealisationSummary = RowCounts


def _batches(rows: Iterator[tuple[int, list[str]]]) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class RealisationImporter:
    def __init__(
        self,
        *,
        actor: User,
        rejection_path: Path,
        progress: Callable[[int], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not (actor.can(Capability.REALISE_POLICY) or actor.can(Capability.EDIT_POLICY)):
            raise Refused(_("You may not enter realisation."), code="forbidden")
        self.actor = actor
        self.rejection_path = rejection_path
        self.progress = progress or (lambda n: None)
        self.log = log or (lambda m: None)
        self.summary = RowCounts()
        self._rejections: RejectionFile | None = None
        self._escaped = False
        self._seen: set[tuple[str, dt.date]] = set()

    def run(self, path: Path, name: str, on_total: Callable[[int], None] | None = None) -> RealisationSummary:
        source = open_rows(path, name)
        try:
            header = [h.strip().lower() for h in source.header]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise Refused(
                    _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                    % {"columns": ", ".join(missing), "expected": ",".join(COLUMNS + OPTIONAL)},
                    code="invalid",
                )
            if on_total is not None and source.total is not None:
                on_total(source.total)
            self._escaped = source.escaped
            self._rejections = RejectionFile(
                self.rejection_path, self.summary, header=source.header, escaped=source.escaped
            )
            index = {c: header.index(c) for c in COLUMNS + OPTIONAL if c in header}
            for batch in _batches(source.rows):
                with transaction.atomic():
                    self._process(batch, index)
                self.progress(len(batch))
        finally:
            source.close()
            if self._rejections is not None:
                self._rejections.close()
        return self.summary

    def _cell(self, cells: list[str], index: dict[str, int], name: str) -> str:
        i = index.get(name)
        value = cells[i].strip() if i is not None and i < len(cells) else ""
        if self._escaped and value[:1] == "'":  # an export's apostrophe before a formula character
            value = unescape_cell(value)
        return value

    def _process(self, batch: list[tuple[int, list[str]]], index: dict[str, int]) -> None:
        self.summary.total += len(batch)
        codes = {self._cell(cells, index, "activity_code") for _n, cells in batch}
        activities = {
            a.code: a for a in Activity.objects.filter(code__in=codes).select_related("record__programme", "opd")
        }
        rows: list[services.RealisationRow] = []
        for number, cells in batch:
            code = self._cell(cells, index, "activity_code")
            activity = activities.get(code)
            reasons: list[str] = []
            month = rules.parse_month(self._cell(cells, index, "month"))
            if isinstance(month, str):
                reasons.append(month)
            realised = rules.parse_rupiah(self._cell(cells, index, "realised"))
            if isinstance(realised, str):
                reasons.append(realised)
            physical = rules.parse_percent(self._cell(cells, index, "physical"))
            if isinstance(physical, str):
                reasons.append(physical)
            if activity is None:
                reasons.insert(0, _("No activity with code %(code)s in the register.") % {"code": code[:40] or "-"})
            elif isinstance(month, dt.date):
                programme = activity.record.programme
                reasons += rules.check_realisation(
                    month,
                    rules.MonthFacts(
                        exists=True,
                        may_enter=services.may_realise(self.actor, activity),
                        from_payments=activity.realised_from_payments,
                        first_month=programme.start.replace(day=1),
                        last_month=programme.end.replace(day=1),
                    ),
                )
                if (code, month) in self._seen:
                    reasons.append(
                        _("Activity %(code)s has a second row for %(month)s.")
                        % {"code": code, "month": f"{month:%Y-%m}"}
                    )
            if reasons:
                self._reject(number, cells, reasons)
                continue
            assert activity is not None and isinstance(month, dt.date) and isinstance(realised, int)
            assert not isinstance(physical, str)
            self._seen.add((code, month))
            rows.append(services.RealisationRow(activity, month, realised, physical))
        counts = services.record_realisation(rows, actor=self.actor, note="import")
        self.summary.inserted += counts["inserted"]
        self.summary.updated += counts["updated"]
        self.summary.unchanged += counts["unchanged"]

    def _reject(self, number: int, cells: list[str], reasons: list[str]) -> None:
        assert self._rejections is not None
        self._rejections.add(number, reasons, cells)


def import_realisation(
    path: Path,
    *,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RealisationSummary:
    """Import a realisation file as ``actor`` (their OPD's activities only, unless they edit the register)."""
    importer = RealisationImporter(actor=actor, rejection_path=rejection_path, progress=progress, log=log)
    return importer.run(path, name, on_total=on_total)


# -- benefits of the other kinds -------------------------------------------------------------------

BENEFIT_COLUMNS = ("programme", "kk_number", "date", "what")
BENEFIT_OPTIONAL = ("nik", "quantity", "unit", "value")


class BenefitImporter(RealisationImporter):
    """A list of benefits from an OPD (a training's participants, a food distribution's recipients):
    one row per household (or person: ``nik``) and delivery, with the columns ``programme`` (register
    code or name), ``kk_number``, ``date`` (2026-03-02), ``what`` and optionally ``nik``,
    ``quantity``, ``unit`` and ``value`` (whole rupiah). Counted as inserted, unchanged (recorded
    before) or rejected, with the rejection file."""

    def __init__(self, *, actor: User, rejection_path: Path, **kwargs: Any) -> None:
        super().__init__(actor=actor, rejection_path=rejection_path, **kwargs)
        self._benefit_keys: set[tuple[str, ...]] = set()

    def run(self, path: Path, name: str, on_total: Callable[[int], None] | None = None) -> RealisationSummary:
        source = open_rows(path, name)
        try:
            header = [h.strip().lower() for h in source.header]
            missing = [c for c in BENEFIT_COLUMNS if c not in header]
            if missing:
                raise Refused(
                    _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                    % {"columns": ", ".join(missing), "expected": ",".join(BENEFIT_COLUMNS + BENEFIT_OPTIONAL)},
                    code="invalid",
                )
            if on_total is not None and source.total is not None:
                on_total(source.total)
            self._escaped = source.escaped
            self._rejections = RejectionFile(
                self.rejection_path, self.summary, header=source.header, escaped=source.escaped
            )
            index = {c: header.index(c) for c in BENEFIT_COLUMNS + BENEFIT_OPTIONAL if c in header}
            for batch in _batches(source.rows):
                self._benefits(batch, index)  # one service call a batch: one transaction each
                self.progress(len(batch))
        finally:
            source.close()
            if self._rejections is not None:
                self._rejections.close()
        return self.summary

    def _benefits(self, batch: list[tuple[int, list[str]]], index: dict[str, int]) -> None:
        from entas.accounts.scoping import region_q
        from entas.registry.models import Household

        from .models import ProgrammeRecord

        self.summary.total += len(batch)
        names = {self._cell(c, index, "programme") for _n, c in batch}
        records = {}
        for r in ProgrammeRecord.objects.filter(programme__name__in=names).select_related("programme"):
            records[r.programme.name] = r
        for r in ProgrammeRecord.objects.filter(code__in=names).select_related("programme").order_by("-pk"):
            records.setdefault(r.code, r)
        kks = {self._cell(c, index, "kk_number") for _n, c in batch}
        households = {
            h.kk_number: h
            for h in Household.objects.filter(region_q(self.actor, "kelurahan"), kk_number__in=kks)
            .select_related("kelurahan")
            .prefetch_related("members")
        }
        rows: list[services.BenefitRow] = []
        for number, cells in batch:
            reasons: list[str] = []
            record = records.get(self._cell(cells, index, "programme"))
            household = households.get(self._cell(cells, index, "kk_number"))
            if record is None:
                reasons.append(
                    _("No programme %(name)s in the register.")
                    % {"name": self._cell(cells, index, "programme")[:60] or "-"}
                )
            elif record.programme.kind == "cash":
                reasons.append(_("A cash transfer's benefits are its payments: they are not recorded here."))
            if household is None:
                reasons.append(
                    _("No family with KK number %(kk)s in your areas.")
                    % {"kk": self._cell(cells, index, "kk_number")[:20] or "-"}
                )
            elif record is not None and not services.may_record(self.actor, record, household):
                reasons.append(
                    _("You may not record benefits of %(programme)s for this household.")
                    % {"programme": record.programme.name}
                )
            member = None
            nik = self._cell(cells, index, "nik")
            if nik and household is not None:
                member = next((m for m in household.members.all() if m.nik == nik), None)
                if member is None:
                    reasons.append(_("The person is not a member of this family."))
            try:
                day = dt.date.fromisoformat(self._cell(cells, index, "date"))
            except ValueError:
                reasons.append(
                    _("%(value)s is not a date (write it as 2025-01-31)")
                    % {"value": self._cell(cells, index, "date")[:20] or "-"}
                )
                day = None
            what = self._cell(cells, index, "what")[:200]
            if not what:
                reasons.append(_("Say what was received (the column what)."))
            quantity_text = self._cell(cells, index, "quantity") or "1"
            if not quantity_text.isdigit() or not quantity_text.isascii():
                reasons.append(_("A quantity is a whole number."))
            value = rules.parse_rupiah(self._cell(cells, index, "value") or "0")
            if isinstance(value, str):
                reasons.append(value)
            key = (self._cell(cells, index, "programme"), self._cell(cells, index, "kk_number"), nik, str(day), what)
            if not reasons and key in self._benefit_keys:
                reasons.append(_("The same benefit appears twice in the file."))
            if reasons:
                self._reject(number, cells, reasons)
                continue
            assert record is not None and household is not None and day is not None and isinstance(value, int)
            self._benefit_keys.add(key)
            rows.append(
                services.BenefitRow(
                    record.programme,
                    household,
                    member,
                    day,
                    what,
                    int(quantity_text),
                    self._cell(cells, index, "unit")[:40],
                    value,
                )
            )
        if rows:
            counts = services.record_benefits(rows=rows, actor=self.actor, note="import")
            self.summary.inserted += counts["inserted"]
            self.summary.unchanged += counts["unchanged"]


def import_benefits(
    path: Path,
    *,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RealisationSummary:
    """Import a benefit list as ``actor`` (households of their areas; their OPD's programmes)."""
    importer = BenefitImporter(actor=actor, rejection_path=rejection_path, progress=progress, log=log)
    return importer.run(path, name, on_total=on_total)
