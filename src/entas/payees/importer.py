"""Importing payees' bank accounts from a file (CSV or XLSX, read like a registry file: within the
upload limits, hostile cells made inert): one row per household with the columns ``kk_number``,
``bank_code``, ``account_number``, ``account_holder``.

Every row is counted as inserted, updated, unchanged or rejected; a rejected row goes to the
rejection file with its row number and every reason. Rows are written in batches, one transaction
each: a crash leaves whole batches, and re-running the file changes nothing more."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import region_q
from entas.core.errors import Refused
from entas.core.fileimport import RejectionFile, RowCounts
from entas.registry.fileformats import open_rows
from entas.registry.models import Household

from . import banks, rules, services
from .models import Payee

if TYPE_CHECKING:
    from entas.accounts.models import User

COLUMNS = ("kk_number", "bank_code", "account_number", "account_holder")
BATCH = 1000


class PayeeImportSummary(RowCounts):
    """The accounting of a payees file (no more than any import's)."""


def _batches(rows: Iterator[tuple[int, list[str]]]) -> Iterator[list[tuple[int, list[str]]]]:
    batch: list[tuple[int, list[str]]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class PayeeImporter:
    def __init__(
        self,
        *,
        actor: User,
        rejection_path: Path,
        progress: Callable[[int], None] | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if not actor.can(Capability.MANAGE_PROGRAMMES):
            raise Refused(_("You may not set bank accounts."), code="forbidden")
        self.actor = actor
        self.rejection_path = rejection_path
        self.progress = progress or (lambda n: None)
        self.log = log or (lambda m: None)
        self.summary = PayeeImportSummary()
        self._rejections: RejectionFile | None = None
        self._escaped = False
        self._seen: set[str] = set()

    def run(self, path: Path, name: str, on_total: Callable[[int], None] | None = None) -> PayeeImportSummary:
        source = open_rows(path, name)
        try:
            missing = [c for c in COLUMNS if c not in source.header]
            if missing:
                raise Refused(
                    _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                    % {"columns": ", ".join(missing), "expected": ",".join(COLUMNS)},
                    code="invalid",
                )
            if on_total is not None and source.total is not None:
                on_total(source.total)
            self._rejections = RejectionFile(
                self.rejection_path, self.summary, header=source.header, escaped=source.escaped
            )
            self._escaped = source.escaped
            index = {c: source.header.index(c) for c in COLUMNS}
            for batch in _batches(source.rows):
                with transaction.atomic():
                    self._process(batch, index)
                self.progress(len(batch))
        finally:
            source.close()
            if self._rejections is not None:
                self._rejections.close()
        return self.summary

    def _cell(self, cells: list[str], i: int) -> str:
        value = cells[i].strip() if i < len(cells) else ""
        if self._escaped and value[:1] == "'":  # an export's apostrophe before a formula character
            from entas.core.spreadsheet import unescape_cell

            value = unescape_cell(value)
        return value

    def _process(self, batch: list[tuple[int, list[str]]], index: dict[str, int]) -> None:
        self.summary.total += len(batch)
        kks = {self._cell(cells, index["kk_number"]) for _n, cells in batch}
        households = {
            h.kk_number: h
            for h in Household.objects.filter(region_q(self.actor, "kelurahan"), kk_number__in=kks).select_related(
                "kelurahan"
            )
        }
        current = {
            p.household_id: p
            for p in Payee.objects.select_for_update().filter(
                household__in=list(households.values()), ended_at__isnull=True
            )
        }
        names = _names([h.pk for h in households.values()])
        changes: list[tuple[Household, Payee | None, Payee]] = []
        for number, cells in batch:
            kk = self._cell(cells, index["kk_number"])
            bank_code = self._cell(cells, index["bank_code"]).zfill(3) if self._cell(cells, index["bank_code"]) else ""
            household = households.get(kk)
            reasons: list[str] = []
            if household is None:
                reasons.append(_("No family with KK number %(kk)s in your areas.") % {"kk": kk[:20] or "-"})
            elif kk in self._seen:
                reasons.append(_("KK number %(kk)s appears twice in the file.") % {"kk": kk})
            verdict = rules.check_account(
                rules.AccountFacts(
                    bank_code=bank_code,
                    bank=banks.bank(bank_code),
                    account_number=self._cell(cells, index["account_number"]),
                    account_holder=self._cell(cells, index["account_holder"]),
                    person_names=names.get(household.pk, ()) if household is not None else (),
                )
            )
            reasons += [p.message for p in verdict.errors]
            if reasons:
                self._reject(number, cells, reasons)
                continue
            assert household is not None
            self._seen.add(kk)
            if verdict.warnings:
                self.summary.warnings += 1
                self.log(
                    _("Row %(row)d: %(warnings)s")
                    % {"row": number, "warnings": " ".join(w.message for w in verdict.warnings)}
                )
            old = current.get(household.pk)
            # A file names no payee: the named payee of the current account (if any) stays.
            member_id = old.member_id if old is not None else None
            if services.same_account(old, bank_code, verdict, member_id):
                self.summary.unchanged += 1
                continue
            changes.append(
                (
                    household,
                    old,
                    Payee(
                        household=household,
                        member_id=member_id,
                        bank_code=bank_code,
                        account_number=verdict.account_number,
                        account_holder=verdict.account_holder,
                    ),
                )
            )
            if old is None:
                self.summary.inserted += 1
            else:
                self.summary.updated += 1
        if changes:
            services.replace_accounts(changes, actor=self.actor, source="import", note="import")

    def _reject(self, number: int, cells: list[str], reasons: list[str]) -> None:
        assert self._rejections is not None  # opened with the file
        self._rejections.add(number, reasons, cells)


def _names(household_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """The names each household's holder is compared with: the head first, then the other members."""
    from entas.registry.choices import Relationship
    from entas.registry.models import Member

    out: dict[int, list[str]] = {}
    rows = (
        Member.objects.filter(household_id__in=household_ids, exited_on__isnull=True)
        .order_by("household_id", "relationship", "birth_date")
        .values_list("household_id", "name", "relationship")
    )
    for household, name, relationship in rows:
        people = out.setdefault(household, [])
        people.insert(0, name) if relationship == Relationship.HEAD else people.append(name)
    return {h: tuple(n) for h, n in out.items()}


def import_payees(
    path: Path,
    *,
    name: str,
    actor: User,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> PayeeImportSummary:
    """Import a payees file as ``actor`` (households of their areas only)."""
    importer = PayeeImporter(actor=actor, rejection_path=rejection_path, progress=progress, log=log)
    return importer.run(path, name, on_total=on_total)
