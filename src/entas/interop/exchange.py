"""The national exchanges of the registry (DOMAIN §6.1, §6.3):

- **SIKS-NG export**: the families verified and ratified in a month, by name by address (BNBA):
  one row per person, with the family's KK, address and region codes, what changed (new family,
  changed, left), the date of ratification and the berita acara references (the city's, given for
  the period, and the musyawarah's that decided on the family). One file per period.
- **DTSEN import**: the national file of desil and DTSEN status per family, applied to the city's
  families (the national desil, the kab/kota desil, the data date) with every row accounted for, and
  kept for the comparison page (national records missing in the city, ratified families missing
  nationally, members and head that differ).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.accounts.scoping import area_codes
from entas.core import audit
from entas.core.bulk import update_rows
from entas.core.errors import Refused
from entas.core.fileimport import RejectionFile, RowCounts
from entas.core.services import service
from entas.core.spreadsheet import CsvWriter, unescape_cell
from entas.participation.models import ForumDecision
from entas.registry import choices as rc
from entas.registry.fileformats import open_rows
from entas.registry.models import Household, Member

from .models import Exchange, NationalRecord

if TYPE_CHECKING:
    from entas.accounts.models import User

BNBA_COLUMNS = [
    "NO",
    "KODE_WILAYAH",
    "KECAMATAN",
    "KELURAHAN",
    "ALAMAT",
    "RT",
    "RW",
    "NO_KK",
    "NIK",
    "NAMA",
    "JENIS_KELAMIN",
    "TANGGAL_LAHIR",
    "HUBUNGAN_KELUARGA",
    "STATUS_PERUBAHAN",
    "TANGGAL_PENGESAHAN",
    "NO_BA_PENGESAHAN",
    "NO_BA_MUSYAWARAH",
]
DTSEN_COLUMNS = ("no_kk", "desil_nasional", "status_dtsen")
DTSEN_OPTIONAL = ("nik_kepala", "desil_kabkota", "jumlah_art", "tanggal_data")
RELATIONSHIP_TEXT = {
    "1": "KEPALA KELUARGA",
    "2": "ISTRI/SUAMI",
    "3": "ANAK",
    "4": "MENANTU",
    "5": "CUCU",
    "6": "ORANG TUA/MERTUA",
    "7": "PEMBANTU",
    "8": "LAINNYA",
}


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """The first day of a YYYY-MM period and the first day of the next month."""
    try:
        start = dt.datetime.strptime(period, "%Y-%m").date()
    except ValueError:
        raise Refused(_("The period is a month written YYYY-MM."), code="invalid") from None
    end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, end


def _may_exchange(actor: User) -> None:
    if not actor.can(Capability.APPROVE_REGISTRY):
        raise Refused(_("Only Dinas Sosial's approvers exchange the registry with the nation."), code="forbidden")


@dataclass
class BnbaExport:
    content: bytes
    households: int
    people: int


def bnba_rows(actor: User, start: dt.date, end: dt.date, berita_acara: str) -> Iterator[list[Any]]:
    """The BNBA rows of the families ratified in [start, end), in the actor's areas."""
    begin = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    stop = timezone.make_aware(dt.datetime.combine(end, dt.time.min))
    households = (
        Household.objects.restrict(actor, "export")
        .filter(verification_status=rc.VerificationStatus.DISAHKAN, ratified_at__gte=begin, ratified_at__lt=stop)
        .select_related("kelurahan__parent")
        .order_by("kelurahan__code", "rt", "kk_number")
    )
    forum_ba = dict(
        ForumDecision.objects.filter(household__in=households.values("pk"))
        .order_by("household_id", "forum__held_on")
        .values_list("household_id", "forum__berita_acara")
    )
    number = 0
    for household in households.iterator(chunk_size=500):
        new = household.created_at >= begin
        members = Member.objects.filter(household=household, merged_into__isnull=True).filter(
            Q(exited_on__isnull=True) | Q(exited_on__gte=start, exited_on__lt=end)
        )
        for member in members.order_by("relationship", "birth_date", "pk"):
            number += 1
            change = "KELUAR" if member.exited_on else ("BARU" if new else "UBAH")
            kecamatan = household.kelurahan.parent
            yield [
                number,
                household.kelurahan.code,
                kecamatan.name if kecamatan else "",
                household.kelurahan.name,
                household.address,
                household.rt,
                household.rw,
                household.kk_number,
                member.nik,
                member.name,
                "L" if member.sex == rc.Sex.MALE else "P",
                member.birth_date.isoformat(),
                RELATIONSHIP_TEXT.get(member.relationship, "LAINNYA"),
                change,
                timezone.localtime(household.ratified_at).date().isoformat() if household.ratified_at else "",
                berita_acara,
                forum_ba.get(household.pk, ""),
            ]


@service
def export_siks(*, actor: User, period: str, berita_acara: str) -> tuple[Exchange, bytes]:
    """The SIKS-NG BNBA file of a period (CSV, UTF-8), recorded as an exchange. A period is exported
    once: its file is kept and downloaded again from the exchange page."""
    _may_exchange(actor)
    start, end = parse_period(period)
    if not berita_acara.strip():
        raise Refused(_("Give the number of the berita acara of the ratification."), code="invalid")
    earlier = Exchange.objects.filter(kind=Exchange.Kind.SIKS_EXPORT, period=period).first()
    if earlier is not None:
        raise Refused(
            _("The period %(period)s was already exported (%(file)s): one file per period.")
            % {"period": period, "file": earlier.file_name},
            code="conflict",
        )
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(BNBA_COLUMNS)
    families: set[str] = set()
    people = 0
    for row in bnba_rows(actor, start, end, berita_acara.strip()):
        writer.writerow(row)
        families.add(row[7])
        people += 1
    content = buffer.getvalue().encode("utf-8-sig")
    name = f"siks-ng-bnba-{period}.csv"
    exchange = Exchange.objects.create(
        kind=Exchange.Kind.SIKS_EXPORT,
        period=period,
        berita_acara=berita_acara.strip(),
        file_name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        counts={"households": len(families), "people": people},
        actor=actor,
    )
    audit.record(actor=actor, action="interop.siks_export", obj=exchange, after={"period": period, **exchange.counts})
    return exchange, content


def read_bnba(path: Path) -> list[dict[str, str]]:
    """A BNBA file as written by :func:`export_siks` (its rows by column), for checking a round trip."""
    source = open_rows(path, path.name)
    try:
        header = [h.strip().lstrip("\ufeff").upper() for h in source.header]
        rows = []
        for _number, cells in source.rows:
            values = [unescape_cell(c) if source.escaped and c[:1] == "'" else c for c in cells]
            rows.append(dict(zip(header, values, strict=False)))
        return rows
    finally:
        source.close()


# --- DTSEN import --------------------------------------------------------------------------


def _digits(value: str, length: int, column: str) -> str:
    if not (value.isdigit() and len(value) == length):
        raise Refused(_("%(column)s must have %(n)d digits.") % {"column": column, "n": length}, code="invalid")
    return value


def _desil(value: str, column: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 10:
        raise Refused(_("%(column)s is a desil from 1 to 10.") % {"column": column}, code="invalid")
    return int(value)


class DtsenImporter:
    """Applies a DTSEN file: each row updates its family's desil (or is unchanged), or is rejected
    with its reasons; every row is kept as a national record for the comparison."""

    def __init__(
        self, *, actor: User, exchange: Exchange, rejection_path: Path, progress: Callable[[int], None] | None = None
    ) -> None:
        self.actor = actor
        self.exchange = exchange
        self.rejection_path = rejection_path
        self.progress = progress or (lambda n: None)
        self.counts = RowCounts()
        self.today = timezone.localdate()

    def run(self, path: Path, name: str, on_total: Callable[[int], None] | None = None) -> RowCounts:
        source = open_rows(path, name)
        rejections: RejectionFile | None = None
        updates: list[tuple[int, dict[str, Any]]] = []
        records: list[NationalRecord] = []
        try:
            header = [h.strip().lower().lstrip("\ufeff") for h in source.header]
            missing = [c for c in DTSEN_COLUMNS if c not in header]
            if missing:
                raise Refused(
                    _("The file lacks the column(s) %(columns)s (expected %(expected)s).")
                    % {"columns": ", ".join(missing), "expected": ",".join(DTSEN_COLUMNS + DTSEN_OPTIONAL)},
                    code="invalid",
                )
            if on_total is not None and source.total is not None:
                on_total(source.total)
            rejections = RejectionFile(self.rejection_path, self.counts, header=source.header, escaped=source.escaped)
            index = {c: header.index(c) for c in DTSEN_COLUMNS + DTSEN_OPTIONAL if c in header}
            mine = Household.objects.restrict(self.actor, "change")
            for number, cells in source.rows:
                self.counts.total += 1
                row = {
                    c: (unescape_cell(cells[i]) if source.escaped and cells[i][:1] == "'" else cells[i]).strip()
                    if i < len(cells)
                    else ""
                    for c, i in index.items()
                }
                try:
                    kk = _digits(row["no_kk"], 16, "no_kk")
                    head = _digits(row["nik_kepala"], 16, "nik_kepala") if row.get("nik_kepala") else ""
                    desil = _desil(row["desil_nasional"], "desil_nasional")
                    city_desil = _desil(row.get("desil_kabkota", ""), "desil_kabkota")
                    status = row["status_dtsen"][:20]
                    size = int(row["jumlah_art"]) if row.get("jumlah_art", "").isdigit() else None
                    date = dt.date.fromisoformat(row["tanggal_data"]) if row.get("tanggal_data") else self.today
                except ValueError:
                    rejections.add(number, [_("tanggal_data is a date written YYYY-MM-DD.")], cells)
                    self.progress(1)
                    continue
                except Refused as exc:
                    rejections.add(number, [exc.message], cells)
                    self.progress(1)
                    continue
                household = mine.filter(kk_number=kk).only("pk", "desil_national", "desil_city", "desil_date").first()
                records.append(
                    NationalRecord(
                        exchange=self.exchange,
                        row=number,
                        kk_number=kk,
                        head_nik=head,
                        desil=desil,
                        dtsen_status=status,
                        members=size,
                        household=household,
                    )
                )
                if household is None:
                    reason = (
                        _("The KK number is not in your areas of the registry.")
                        if Household.objects.filter(kk_number=kk).exists()
                        else _("The KK number is not in the city's registry (see the comparison).")
                    )
                    rejections.add(number, [reason], cells)
                elif (household.desil_national, household.desil_city or None, household.desil_date) == (
                    desil,
                    city_desil or household.desil_city or None,
                    date,
                ):
                    self.counts.unchanged += 1
                else:
                    updates.append(
                        (
                            household.pk,
                            {
                                "desil_national": desil,
                                "desil_city": city_desil if city_desil is not None else household.desil_city,
                                "desil_date": date,
                                "updated_at": timezone.now(),
                            },
                        )
                    )
                    self.counts.updated += 1
                self.progress(1)
        finally:
            source.close()
            if rejections is not None:
                rejections.close()
        update_rows(Household, ["desil_national", "desil_city", "desil_date", "updated_at"], updates)
        NationalRecord.objects.bulk_create(records, batch_size=1000)
        return self.counts


def import_dtsen(path: Path, *, name: str, actor: User, rejection_path: Path, **options: Any) -> RowCounts:
    """Import a DTSEN file (the body run by :func:`run_uploaded_import`)."""
    _may_exchange(actor)
    with transaction.atomic():  # the file applies as a whole, with its audit event
        exchange = Exchange.objects.create(kind=Exchange.Kind.DTSEN_IMPORT, file_name=name, actor=actor)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        importer = DtsenImporter(
            actor=actor, exchange=exchange, rejection_path=rejection_path, progress=options.get("progress")
        )
        counts = importer.run(path, name, on_total=options.get("on_total"))
        exchange.sha256 = digest
        exchange.counts = {k: v for k, v in counts.as_dict().items() if k != "rejection_file"}
        exchange.save(update_fields=["sha256", "counts"])
        audit.record(actor=actor, action="interop.dtsen_import", obj=exchange, after=exchange.counts)
    return counts


# --- Comparison ----------------------------------------------------------------------------


@dataclass
class Difference:
    kind: str
    label: str
    kk_number: str
    city: str
    national: str
    household_id: int | None


def differences(actor: User, exchange: Exchange, limit: int = 500) -> list[Difference]:
    """What differs between the city's registry (the actor's areas) and a DTSEN file."""
    out: list[Difference] = []
    # An area's user sees the records of its families; a city-wide one also those the city lacks.
    records = NationalRecord.objects.restrict(actor, "view").filter(exchange=exchange)
    whole_city = actor.is_city_wide or settings.ENTAS_CITY_CODE in area_codes(actor)
    if whole_city and NationalRecord.area_scope.allows(actor, "view"):
        records = NationalRecord.objects.filter(exchange=exchange).filter(
            Q(pk__in=records.values("pk")) | Q(household__isnull=True)
        )
    current = Q(members__exited_on__isnull=True, members__merged_into__isnull=True)
    households = {
        h.pk: h
        for h in Household.objects.restrict(actor, "view")
        .filter(pk__in=records.values("household_id"))
        .annotate(size=Count("members", filter=current))
    }
    heads = dict(
        Member.objects.filter(
            household_id__in=households,
            relationship=rc.Relationship.HEAD,
            exited_on__isnull=True,
            merged_into__isnull=True,
        ).values_list("household_id", "nik")
    )
    for record in records.order_by("row")[: limit * 2]:
        household = households.get(record.household_id) if record.household_id else None
        if household is None:
            out.append(
                Difference(
                    "missing_city", _("Not in the city's registry"), record.kk_number, "–", record.dtsen_status, None
                )
            )
            continue
        if record.desil is not None and household.desil_national != record.desil:
            out.append(
                Difference(
                    "desil",
                    _("Desil differs"),
                    record.kk_number,
                    str(household.desil_national or "–"),
                    str(record.desil),
                    household.pk,
                )
            )
        if record.members is not None and household.size != record.members:
            out.append(
                Difference(
                    "members",
                    _("Number of members differs"),
                    record.kk_number,
                    str(household.size),
                    str(record.members),
                    household.pk,
                )
            )
        if record.head_nik and heads.get(household.pk) and heads[household.pk] != record.head_nik:
            out.append(
                Difference(
                    "head",
                    _("Head of family differs"),
                    record.kk_number,
                    heads[household.pk][-4:],
                    record.head_nik[-4:],
                    household.pk,
                )
            )
    in_file = records.values("kk_number")
    missing = (
        Household.objects.restrict(actor, "view")
        .filter(verification_status=rc.VerificationStatus.DISAHKAN)
        .exclude(kk_number__in=in_file)
        .order_by("kk_number")[:limit]
    )
    for absent in missing:
        out.append(
            Difference(
                "missing_national",
                _("Ratified here, not in the national file"),
                absent.kk_number,
                absent.get_verification_status_display(),
                "–",
                absent.pk,
            )
        )
    return out[:limit]
