"""Importing complaints from a file: an export of the national SP4N-LAPOR! system (or any file in its
shape), as CSV with a header line. The columns (docs/citizen-portal.md):

``tracking_id``  the LAPOR! number (kept as the case's external reference; a row whose number was
                 already imported is counted unchanged, so re-running a file changes nothing)
``tanggal``      the date it was filed: YYYY-MM-DD or DD/MM/YYYY
``kategori``     one of entas's category codes (payment_not_received, wrong_amount, …) or its
                 Indonesian label; empty or unknown: ``other``
``kelurahan``    the kelurahan's Kemendagri code (64.71.01.1001) or its name
``isi``          the text of the complaint
``nama``, ``telepon``, ``email``  the complainant's contact (optional)
``anonim``       ya / tidak (optional)

Every row is counted as inserted, unchanged or rejected (with its row number and reasons). Only
kelurahan of the importing user's areas are taken in; each row is its own transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import uploads
from entas.core.errors import Refused
from entas.regions.models import Region, RegionLevel

from . import services
from .choices import Category, Channel
from .models import Case

if TYPE_CHECKING:
    from entas.accounts.models import User

COLUMNS = ("tracking_id", "tanggal", "kategori", "kelurahan", "isi", "nama", "telepon", "email", "anonim")
REQUIRED = ("tracking_id", "kelurahan", "isi")


@dataclass
class ImportSummary:
    total: int = 0
    inserted: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _date(text: str) -> dt.date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _category(text: str) -> str:
    text = text.strip()
    if text in Category.values:
        return text
    folded = text.lower()
    for value, label in Category.choices:
        names = {value.replace("_", " ")}
        for language in ("id", "en"):
            with translation.override(language):
                names.add(str(label).lower())
        if folded and folded in names:
            return value
    return Category.OTHER


def import_lapor(path: Path, *, actor: User, name: str | None = None) -> ImportSummary:
    """Take in the complaints of an SP4N-LAPOR! CSV export as ``actor``."""
    if not actor.can(Capability.HANDLE_GRIEVANCES):
        raise Refused(_("You may not take in complaints."), code="forbidden")
    regions = Region.objects.filter(level=RegionLevel.KELURAHAN)
    by_code = {r.code: r for r in regions}
    by_name: dict[str, Region | None] = {}
    for region in regions:
        key = region.name.strip().lower()
        by_name[key] = None if key in by_name else region  # a name two kelurahan share is ambiguous
    summary = ImportSummary()
    with uploads.csv_dict_rows(path, name=name) as (header, rows):
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise Refused(
                _("The file has no column %(columns)s (expected: %(expected)s).")
                % {"columns": ", ".join(missing), "expected": ", ".join(COLUMNS)},
                code="invalid",
            )
        for number, row in rows:
            summary.total += 1
            reasons = []
            ref = row.get("tracking_id", "").strip()[:40]
            if not ref:
                reasons.append(_("no tracking_id"))
            place = row.get("kelurahan", "").strip()
            kelurahan = by_code.get(place) or by_name.get(place.lower())
            if kelurahan is None:
                reasons.append(_("unknown kelurahan %(value)s") % {"value": place[:60]})
            filed_on = _date(row.get("tanggal", "")) if row.get("tanggal", "").strip() else timezone.localdate()
            if filed_on is None:
                reasons.append(_("the date %(value)s is not YYYY-MM-DD or DD/MM/YYYY") % {"value": row["tanggal"][:20]})
            if not reasons and Case.objects.filter(channel=Channel.LAPOR, external_ref=ref).exists():
                summary.unchanged += 1
                continue
            if not reasons:
                assert kelurahan is not None and filed_on is not None
                try:
                    services.file_case(
                        category=_category(row.get("kategori", "")),
                        kelurahan=kelurahan,
                        description=row.get("isi", "")[:4000],
                        contact_name=row.get("nama", "")[:120],
                        contact_phone=row.get("telepon", "")[:20],
                        contact_email=row.get("email", "")[:254] if "@" in row.get("email", "") else "",
                        anonymous=row.get("anonim", "").strip().lower() in ("ya", "y", "yes", "1", "true"),
                        channel=Channel.LAPOR,
                        external_ref=ref,
                        submitted_at=timezone.make_aware(dt.datetime.combine(filed_on, dt.time(9))),
                        actor=actor,
                    )
                except Refused as exc:
                    reasons.append(exc.message)
            if reasons:
                summary.rejected += 1
                summary.rejections.append({"row": number, "tracking_id": ref, "reasons": reasons})
            else:
                summary.inserted += 1
    return summary
