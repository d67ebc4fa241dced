"""Bulk import of the registry: one row per member, the household's columns repeated.

Nothing is lost: every input row is counted as inserted, updated, unchanged or rejected, and every
rejected row goes to the rejection file with its row number and every reason. A family with one
bad member is held back whole. Work is committed in batches of whole families, so a crash leaves
the registry consistent and a re-run (which is idempotent) finishes the job.

Rows of one family must be consecutive (as every export writes them); set-based throughout:
one lookup query per batch for existing families and NIKs, bulk inserts and updates.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from entas.accounts.scoping import region_q
from entas.core import audit as audit_trail
from entas.core import ratelimit
from entas.core.audit import diff, record
from entas.core.bulk import IN_CHUNK, Inserter, allocate_ids, gc_paused, update_rows
from entas.core.context import channel, client_ip, os_user
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.ids import mask_nik
from entas.core.models import AuditEvent
from entas.regions.models import Region, RegionLevel

from . import reading
from .choices import RegistrationSource
from .columns import (
    HOUSEHOLD_FIELDS,
    MEMBER_FIELDS,
)
from .fileformats import open_rows
from .models import Household, KKNumber, Member, Membership, ProgrammeReceipt
from .parsing import SEPARATOR, Family, FileParser, ParseContext, unpack
from .reading import read_in_process
from .services import LOOKUP_LIMIT_MESSAGE, LOOKUP_OUTSIDE_AREA

if TYPE_CHECKING:
    from entas.accounts.models import User

logger = logging.getLogger(__name__)

# Rows per transaction. Each commit writes every page the transaction touched, and a batch of new
# members touches most leaves of the NIK and name indexes: five batches per commit write them a
# fifth as often (SQLite holds its write lock about 5 s at a time; docs/registry-import.md, Speed).
COMMIT_ROWS = 100_000
# On SQLite one connection writes at a time, and a request that must write (a login, the audit row of
# a household page, a saved form) waits while the import's transaction holds the lock: past the busy
# timeout it fails. So on SQLite the import writes in chunks of SQLITE_WRITE_ROWS rows, ends a
# transaction once it has held the lock ENTAS_IMPORT_COMMIT_SECONDS, and then pauses a share of that
# time (at least PAUSE_MIN_SECONDS): SQLite's busy handler polls (every 100 ms once it has waited a
# while) rather than queueing, so a writer that commits and begins again at once would starve the
# others. The price is some import speed (docs/security-notes/load.md has the figures).
SQLITE_WRITE_ROWS = 2_000
PAUSE_SHARE = 0.25
PAUSE_MIN_SECONDS = 0.15
HOUSEHOLD_LOOKUP = list(dict.fromkeys(["id", "kk_number", "kelurahan_id", "version", *HOUSEHOLD_FIELDS]))
MEMBER_COMPARED = [*MEMBER_FIELDS, "name_key", "name_key_rev"]
MEMBER_LOOKUP = list(dict.fromkeys(["id", "household_id", *MEMBER_COMPARED]))


@dataclass(frozen=True)
class OutsideHit:
    """A NIK or KK number of the file that is registered in a family outside the importer's areas."""

    family: Family
    message: str
    row: int | None
    household_id: int
    kk_number: str
    kelurahan_code: str
    number: str  # masked for a NIK


class TooManyLookups(Exception):
    """A batch met more numbers registered outside the user's areas than their limit has left."""

    def __init__(self, hits: list[OutsideHit]) -> None:
        super().__init__(f"{len(hits)} numbers registered outside the user's areas")
        self.hits = hits


@dataclass
class ImportSummary(RowCounts):
    """The accounting of a registry file: its rows (:class:`RowCounts`), and its families."""

    households_inserted: int = 0
    households_updated: int = 0
    unknown_columns: list[str] = field(default_factory=list)
    dry_run: bool = False


class Importer:
    def __init__(
        self,
        *,
        actor: User | None,
        source: str = RegistrationSource.OPERATOR,
        dry_run: bool = False,
        rejection_path: Path,
        progress: Callable[[int], None] | None = None,
        log: Callable[[str], None] | None = None,
        today: dt.date | None = None,
        job_id: int | None = None,
        name: str = "",
    ) -> None:
        self.actor = actor
        self.job_id = job_id
        self.name = name
        self._commits = 0
        self.source = source
        self.dry_run = dry_run
        self.rejection_path = rejection_path
        self.progress = progress or (lambda n: None)
        self.log = log or (lambda m: None)
        self.today = today or timezone.localdate()
        self.summary = ImportSummary(dry_run=dry_run)
        regions = Region.objects.all()
        kelurahan = [r for r in regions if r.level == RegionLevel.KELURAHAN]
        allowed = Region.objects.filter(level=RegionLevel.KELURAHAN)
        if actor is not None:
            allowed = allowed.filter(region_q(actor))
        self.context = ParseContext(
            kecamatan=frozenset(r.code.replace(".", "") for r in regions if r.level == RegionLevel.KECAMATAN),
            kelurahan={r.code: r.pk for r in kelurahan},
            allowed_kelurahan=frozenset(allowed.values_list("pk", flat=True)),
            today=self.today,
            language=translation.get_language(),
        )
        self.kelurahan_names = {r.pk: r.name for r in kelurahan}
        self.kelurahan_codes = {r.pk: r.code for r in kelurahan}
        self._rejections: RejectionFile | None = None

    def run(self, path: Path, name: str | None = None, on_total: Callable[[int], None] | None = None) -> ImportSummary:
        """Import ``path``; ``name`` is the file's name as its user knows it (for messages), and
        ``on_total`` learns the number of rows once the file is opened (a progress bar's end)."""
        # A user told too often that a number is registered outside their areas may not import until
        # the window passes, whatever the file holds: a refusal that depended on it would answer too.
        ratelimit.ensure_allowed(self.actor, LOOKUP_OUTSIDE_AREA, message=str(LOOKUP_LIMIT_MESSAGE))
        source = open_rows(path, name)
        if on_total is not None and source.total is not None:
            on_total(source.total)
        parser = FileParser(source, self.context)
        self.summary.unknown_columns = parser.unknown_columns
        if parser.unknown_columns:
            self.log(_("Ignored unknown column(s): %(columns)s") % {"columns": ", ".join(parser.unknown_columns)})
        self._rejections = RejectionFile(
            self.rejection_path, self.summary, header=source.header, escaped=source.escaped
        )
        if (source.total or 0) >= reading.PARALLEL_MIN_ROWS:
            source.close()  # the reading process opens the file itself
            batches = read_in_process(path, self.context, name, source.text)
        else:
            batches = parser.batches()
        try:
            with gc_paused():
                self._process_all(batches)
        except TooManyLookups as exc:
            # The batch was rolled back and its answers never shown; the lookups did happen: audited and
            # counted now, outside that transaction, so the limit holds for the next attempt too.
            assert self.actor is not None  # only a user's import has areas to be outside of
            self._record_lookups(exc.hits)
            raise ratelimit.refusal(self.actor, LOOKUP_OUTSIDE_AREA, message=str(LOOKUP_LIMIT_MESSAGE)) from None
        finally:
            source.close()
            if self._rejections is not None:
                self._rejections.close()
        if self.dry_run:
            self._record_audit(complete=True)  # nothing written; the check itself is recorded
        if not self.dry_run and self.summary.inserted >= ANALYZE_AFTER and not connection.in_atomic_block:
            self._maintain()
        return self.summary

    def _maintain(self) -> None:
        """Refresh the planner's statistics, best effort: everything is committed by now, so a busy
        database (SQLite's lock held past the busy timeout by another writer) costs a slower query
        plan until the next refresh, never the import."""
        try:
            _refresh_statistics()
        except DatabaseError as exc:
            message = " ".join(str(exc).split())
            logger.warning("Statistics not refreshed after the import: %s", message)
            with suppress(DatabaseError):  # the job's log shares the busy database: the line may wait
                self.log(
                    _("Everything was imported; refreshing the database statistics was skipped (%(error)s).")
                    % {"error": message}
                )

    def _process_all(self, batches: Iterator[list[Family]]) -> None:
        """Process the batches, committing after about COMMIT_ROWS rows (on SQLite also once the
        transaction has held the write lock ENTAS_IMPORT_COMMIT_SECONDS, then pausing so that other
        writers get their turn): always after a whole batch, so every commit holds whole families.
        The next batch is read before a transaction begins: parsing holds no lock."""
        bound: float | None = None
        if connection.vendor == "sqlite" and not self.dry_run and settings.ENTAS_IMPORT_COMMIT_SECONDS > 0:
            bound = settings.ENTAS_IMPORT_COMMIT_SECONDS
        source = iter(_chunks(batches, SQLITE_WRITE_ROWS) if bound is not None else batches)
        pending = next(source, None)
        more = True
        while more:
            more = False
            with nullcontext() if self.dry_run else transaction.atomic():
                started = time.monotonic()
                rows = 0
                while pending is not None:
                    rows += self._process(pending)
                    if rows >= COMMIT_ROWS or (bound is not None and time.monotonic() - started >= bound):
                        more = True
                        break
                    pending = next(source, None)
                if not self.dry_run:
                    # Committed with the rows it counts: an import that stops later (a crash, a
                    # locked database, a kill) leaves the record of what it wrote.
                    self._record_audit(complete=not more)
            if more:
                pause = max(PAUSE_MIN_SECONDS, PAUSE_SHARE * (time.monotonic() - started)) if bound else 0.0
                resume = time.monotonic() + pause
                pending = next(source, None)  # read while others write
                if resume > time.monotonic():
                    time.sleep(resume - time.monotonic())

    def _record_audit(self, *, complete: bool) -> None:
        """One ``registry.import`` audit event per commit, with the counts committed so far (the last
        event of a job, ``complete`` or not, says what the import wrote in all)."""
        self._commits += 1
        counts = self.summary.as_dict()
        counts.pop("rejection_file")
        counts["total"] = self.summary.counted()
        record(
            actor=self.actor,
            action="registry.import",
            object_type="registry.household",
            object_repr=self.name,
            after={**counts, "job": self.job_id, "commit": self._commits, "complete": complete},
        )

    # -- writing ---------------------------------------------------------------------------------
    def _process(self, batch: list[Family]) -> int:
        """Check, write and count one batch; returns its number of rows."""
        accepted = [f for f in batch if not f.rejected]
        households: dict[str, dict[str, Any]] = {}
        members: dict[str, dict[str, Any]] = {}
        if accepted:
            # One lookup per table for the whole batch, shared by the checks and the writes.
            # A bare existence query first: a new file's batch (the bulk of a large import) finds nothing
            # and skips the ORM lookups, whose per-value cost is that of the whole write.
            kks = _existing(Household, "kk_number", [f.kk for f in accepted])
            niks = _existing(Member, "nik", [m["nik"] for f in accepted for m in f.members])
            households = {
                h["kk_number"]: h for h in Household.objects.filter(kk_number__in=kks).values(*HOUSEHOLD_LOOKUP)
            }  # an empty __in makes no query
            members = {
                m["nik"]: m for m in Member.objects.filter(nik__in=niks).values(*MEMBER_LOOKUP, "household__kk_number")
            }
            if households or members:
                self._check_against_registry(accepted, households, members)
                accepted = [f for f in accepted if not f.rejected]
        good = accepted
        if len(good) < len(batch):
            for family in batch:
                if family.rejected:
                    self._write_rejection(family)
        if good:
            self._apply(good, households, members, write=not self.dry_run)
        self.summary.warnings += sum(f.warnings for f in good)
        rows = sum(len(f.rows) for f in batch)
        self.progress(rows)
        reset_queries()  # with debug on, Django keeps every query's text: a long import would hoard them
        return rows

    def _check_against_registry(
        self, families: list[Family], households: dict[str, dict[str, Any]], members: dict[str, dict[str, Any]]
    ) -> None:
        """A NIK registered in another family is rejected, naming that family where the user may see it;
        a family registered outside the user's areas cannot be changed from here."""
        by_nik = {m["nik"]: f for f in families for m in f.members}
        by_kk = {f.kk: f for f in families}
        kelurahan_of = (
            dict(
                Household.objects.filter(pk__in={m["household_id"] for m in members.values()}).values_list(
                    "pk", "kelurahan_id"
                )
            )
            if any(m["household__kk_number"] != by_nik[n].kk for n, m in members.items())
            else {}
        )
        outside: list[OutsideHit] = []
        for nik, member in members.items():
            family = by_nik[nik]
            kk = member["household__kk_number"]
            kelurahan_id = kelurahan_of.get(member["household_id"])
            if kk == family.kk:
                continue
            row = next(m["_row"] for m in family.members if m["nik"] == nik)
            if kelurahan_id in self.context.allowed_kelurahan:
                family.reject(
                    _(
                        "NIK %(nik)s is already registered in family KK %(kk)s (Kelurahan %(kel)s); a move "
                        "between families goes through a change request."
                    )
                    % {"nik": nik, "kk": kk, "kel": self.kelurahan_names.get(kelurahan_id, "?")},
                    row,
                )
            else:
                message = _("NIK %(nik)s is already registered in a family outside your areas.") % {"nik": nik}
                code = self.kelurahan_codes.get(kelurahan_id or 0, "")
                outside.append(OutsideHit(family, message, row, member["household_id"], kk, code, mask_nik(nik)))
        for kk, household in households.items():
            if household["kelurahan_id"] not in self.context.allowed_kelurahan:
                message = _("Family KK %(kk)s is registered outside your areas.") % {"kk": kk}
                code = self.kelurahan_codes.get(household["kelurahan_id"], "")
                outside.append(OutsideHit(by_kk[kk], message, None, household["id"], kk, code, kk))
        if outside:
            self._disclose(outside)

    def _disclose(self, hits: list[OutsideHit]) -> None:
        """Reject the families whose numbers are registered outside the user's areas, saying only that
        (never which family). Each such answer is audited and counts towards the user's limit
        (``registry.lookup_outside_area``); a batch with more than the limit has left stops the import
        with no answer at all."""
        left = ratelimit.remaining(self.actor, LOOKUP_OUTSIDE_AREA)
        if left is not None and len(hits) > left:
            raise TooManyLookups(hits)
        self._record_lookups(hits)
        for hit in hits:
            hit.family.reject(hit.message, hit.row)

    def _record_lookups(self, hits: list[OutsideHit]) -> None:
        for hit in hits:
            audit_trail.record(
                actor=self.actor,
                action=LOOKUP_OUTSIDE_AREA,
                object_type="registry.household",
                object_id=hit.household_id,
                object_repr=f"KK {hit.kk_number}",
                region_code=hit.kelurahan_code,
                after={"kind": "import", "number": hit.number},
                note=f"import ({self.source})",
            )

    def _apply(
        self,
        families: list[Family],
        existing: dict[str, dict[str, Any]],
        members: dict[str, dict[str, Any]],
        *,
        write: bool,
    ) -> None:
        """Insert new families and members, update changed ones, count every row. Set-based: the
        batch's lookups are made by the caller; one executemany per kind of write.
        """
        now = timezone.now()
        new_households: list[dict[str, Any]] = []
        household_updates: list[tuple[int, dict[str, Any]]] = []
        household_fields: set[str] = set()
        audit: list[AuditEvent] = []
        changed_kk: set[str] = set()
        for family in families:
            values = {**family.household, "kelurahan_id": family.kelurahan_id}
            old = existing.get(family.kk)
            if old is None:
                new_households.append(values)
                continue
            changed = [k for k, v in values.items() if old[k] != v]
            if changed:
                changed_kk.add(family.kk)
                household_fields.update(changed)
                household_updates.append((old["id"], {**values, "version": old["version"] + 1, "updated_at": now}))
                b, a = diff({k: old[k] for k in changed}, {k: values[k] for k in changed})
                audit.append(
                    self._event("household.import_update", "registry.household", old["id"], f"KK {family.kk}", b, a)
                )
        self.summary.households_inserted += len(new_households)
        self.summary.households_updated += len(household_updates)
        household_ids = {kk: h["id"] for kk, h in existing.items()}
        if write and new_households:
            # Keys allocated up front: members and KK history point at them without a lookup.
            for values, pk in zip(new_households, allocate_ids(Household, len(new_households)), strict=True):
                values["id"] = household_ids[values["kk_number"]] = pk
            Inserter(Household, explicit_pk=True).insert(
                new_households, {"registration_source": self.source, "created_at": now, "updated_at": now}
            )
            Inserter(KKNumber).insert_columns(
                {
                    "household_id": [h["id"] for h in new_households],
                    "kk_number": [h["kk_number"] for h in new_households],
                },
                {"valid_from": self.today},
            )
        if write and household_updates:
            update_rows(Household, [*sorted(household_fields), "version", "updated_at"], household_updates)
        new_members: list[dict[str, Any]] = []
        member_updates: list[tuple[int, dict[str, Any]]] = []
        member_fields: set[str] = set()
        receipts: list[dict[str, Any]] = []  # of registered families: some may be recorded already
        new_receipts: list[dict[str, Any]] = []  # of new families: none can be (COPY on PostgreSQL)
        for family in families:
            household_id = household_ids.get(family.kk)
            for row in family.members:
                old = members.get(row["nik"])
                if old is None:
                    row["household_id"] = household_id
                    new_members.append(row)  # the parsed row is the insert's row: no copy
                    continue
                values = {k: row[k] for k in MEMBER_COMPARED}
                changed = [k for k, v in values.items() if old[k] != v]
                if changed:
                    member_fields.update(changed)
                    member_updates.append((old["id"], {**values, "updated_at": now}))
                    b, a = diff({k: old[k] for k in changed}, {k: values[k] for k in changed})
                    audit.append(
                        self._event("member.import_update", "registry.member", old["id"], mask_nik(values["nik"]), b, a)
                    )
                if changed or family.kk in changed_kk:
                    self.summary.updated += 1
                else:
                    self.summary.unchanged += 1
            (receipts if family.kk in existing else new_receipts).extend(
                {"household_id": household_id, "programme": p, "month": m} for p, m in family.programmes.items()
            )
        self.summary.inserted += len(new_members)
        if not write:
            return
        if new_members:
            member_ids = allocate_ids(Member, len(new_members))
            for row, pk in zip(new_members, member_ids, strict=True):
                row["id"] = pk
            Inserter(Member, explicit_pk=True).insert(new_members, {"created_at": now, "updated_at": now})
            # Each new member's first membership.
            Inserter(Membership).insert_columns(
                {
                    "member_id": list(member_ids),
                    "household_id": [m["household_id"] for m in new_members],
                    "relationship": [m["relationship"] for m in new_members],
                },
                {"start_date": self.today},
            )
        if member_updates:
            update_rows(Member, [*sorted(member_fields), "updated_at"], member_updates)
        Inserter(ProgrammeReceipt).insert(new_receipts)
        Inserter(ProgrammeReceipt, on_conflict_ignore=True).insert(receipts)
        if audit:
            AuditEvent.objects.bulk_create(audit, batch_size=500)

    def _event(
        self, action: str, object_type: str, object_id: int, object_repr: str, before: Any, after: Any
    ) -> AuditEvent:
        return AuditEvent(
            actor=self.actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=object_repr[:200],
            before=_jsonable(before),
            after=_jsonable(after),
            client_ip=client_ip.get(),
            channel=channel.get(),
            os_user=os_user.get(),
            note=f"import ({self.source})",
        )

    def _write_rejection(self, family: Family) -> None:
        assert self._rejections is not None  # opened with the file
        for number, packed in family.rows:
            reasons = list(family.row_issues.get(number, [])) + family.family_issues
            if not reasons:
                bad_rows = ", ".join(str(r) for r in sorted(family.row_issues))
                reasons = [
                    _("Held back with its family: another member has an error (row %(rows)s).") % {"rows": bad_rows}
                ]
            # The rejected cells as sent, made inert: a hostile cell cannot become a formula there, and the
            # file, once fixed, imports as the original would have (core.spreadsheet).
            self._rejections.add(number, reasons, unpack(packed))


ANALYZE_AFTER = 10_000  # new members after which the planner's statistics are refreshed


def _refresh_statistics() -> None:
    """After a large import the planner's row counts are stale (PostgreSQL estimated 474 members of a
    million just loaded, until autovacuum came by): refresh them for the tables the import filled."""
    tables = [m._meta.db_table for m in (Household, Member, Membership, KKNumber)]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        return
    # In a transaction of its own, which takes SQLite's write lock first (IMMEDIATE): run bare, the
    # pragma reads the statistics and then writes them, and SQLite refuses at once, without waiting
    # for the busy timeout, a reader turning writer after another connection committed (WAL).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("PRAGMA optimize")


def _chunks(batches: Iterator[list[Family]], rows: int) -> Iterator[list[Family]]:
    """The batches cut into pieces of whole families, each of about ``rows`` rows."""
    for batch in batches:
        chunk: list[Family] = []
        size = 0
        for family in batch:
            chunk.append(family)
            size += len(family.rows)
            if size >= rows:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk


def _among(keys: list[str]) -> list[tuple[str, list[Any]]]:
    """(``IN``-like SQL condition, parameters) pieces that together cover ``keys``. On PostgreSQL one
    piece: the keys joined into one text that the server splits (a list of thousands of literals
    costs more to parse than to run, and psycopg adapts an array parameter at 2 µs a key). On SQLite,
    chunks under the variable limit."""
    if connection.vendor == "postgresql":
        if not keys:
            return []
        if any(SEPARATOR in key for key in keys):
            return [("= ANY(%s)", [keys])]
        return [("= ANY(string_to_array(%s, %s))", [SEPARATOR.join(keys), SEPARATOR])]
    return [
        (f"IN ({', '.join(['%s'] * len(chunk))})", chunk)
        for chunk in (keys[start : start + IN_CHUNK] for start in range(0, len(keys), IN_CHUNK))
    ]


def _existing(model: Any, column: str, keys: list[str]) -> list[str]:
    """The ``keys`` already in ``model``'s ``column`` (unique and indexed)."""
    qn = connection.ops.quote_name
    found: list[str] = []
    with connection.cursor() as cursor:
        for condition, params in _among(keys):
            cursor.execute(
                f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE {qn(column)} {condition}",  # noqa: S608
                params,
            )
            found += [row[0] for row in cursor.fetchall()]
    return found


def _jsonable(values: Any) -> Any:
    if values is None:
        return None
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


def import_registry(
    path: Path,
    *,
    actor: User | None,
    source: str = RegistrationSource.OPERATOR,
    dry_run: bool = False,
    rejection_path: Path,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] | None = None,
    job_id: int | None = None,
    name: str = "",
    on_total: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import a registry file; returns the accounting. Raises FileFormatError for an unreadable file.

    Each commit appends a ``registry.import`` audit event naming ``job_id`` and the file ``name``."""
    importer = Importer(
        actor=actor,
        source=source,
        dry_run=dry_run,
        rejection_path=rejection_path,
        progress=progress,
        log=log,
        job_id=job_id,
        name=name,
    )
    summary = importer.run(path, name or None, on_total)
    summary.total = summary.counted()
    return summary
