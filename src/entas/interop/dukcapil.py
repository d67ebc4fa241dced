"""Dukcapil NIK verification: one adapter interface, a local stub, and an offline batch exchange.

The real service (Dukcapil's data access for institutions, under a PKS with the Ditjen Dukcapil)
is not reachable from here. What entas needs of it is one question, asked for many people at once:
*is this NIK a living resident's, with this name and birth date?* :class:`NikVerifier` is that
question; an installation with access names its implementation in ``ENTAS_DUKCAPIL_ADAPTER`` (a
dotted path). Without one, :class:`LocalVerifier` answers from what entas itself knows: the NIK's
structure (region, birth date and sex encoded in it) and the city's registry. The batch exchange
works offline: ``entas exchange nik-batch`` writes the answers of a file of NIKs, and the same file
layout (``nik,nama,tanggal_lahir``) is what Disdukcapil's data matching (*pemadanan data*) takes
and returns with a ``status`` column, read back with :func:`read_answers`.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from entas.accounts.roles import Capability
from entas.core import audit
from entas.core.errors import Refused
from entas.core.ids import check_nik
from entas.core.spreadsheet import CsvWriter
from entas.core.uploads import csv_dict_rows
from entas.registry.models import Member

if TYPE_CHECKING:
    from entas.accounts.models import User

STATUSES = ("valid", "mismatch", "not_found", "invalid")


@dataclass(frozen=True)
class NikQuery:
    nik: str
    name: str = ""
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class NikAnswer:
    """``status``: valid (a resident with this name and birth date), mismatch (the NIK exists with
    another name or birth date), not_found, invalid (not a well-formed NIK)."""

    nik: str
    status: str
    detail: str = ""


class NikVerifier(Protocol):
    """What a Dukcapil adapter does: answer a batch of questions, one answer per question, in order."""

    def verify(self, queries: list[NikQuery]) -> list[NikAnswer]: ...


class LocalVerifier:
    """The stub used offline and in tests: the NIK's own structure, then the city's registry."""

    def verify(self, queries: list[NikQuery]) -> list[NikAnswer]:
        known = {
            m.nik: m
            for m in Member.objects.filter(nik__in=[q.nik for q in queries], merged_into__isnull=True).only(
                "nik", "name", "birth_date", "sex"
            )
        }
        answers = []
        for query in queries:
            errors = [i for i in check_nik(query.nik, birth_date=query.birth_date) if i.is_error]
            if len(query.nik) != 16 or not query.nik.isdigit():
                answers.append(NikAnswer(query.nik, "invalid", errors[0].message if errors else ""))
                continue
            member = known.get(query.nik)
            if member is None:
                answers.append(NikAnswer(query.nik, "not_found", "; ".join(i.message for i in errors)))
            elif (query.name and query.name.strip().upper() != member.name.strip().upper()) or (
                query.birth_date and query.birth_date != member.birth_date
            ):
                answers.append(NikAnswer(query.nik, "mismatch", "name or birth date differ"))
            else:
                answers.append(NikAnswer(query.nik, "valid"))
        return answers


def verifier() -> NikVerifier:
    path = getattr(settings, "ENTAS_DUKCAPIL_ADAPTER", "") or "entas.interop.dukcapil.LocalVerifier"
    verifier: NikVerifier = import_string(path)()
    return verifier


def read_queries(path: Path) -> list[NikQuery]:
    queries = []
    with csv_dict_rows(path) as (_header, rows):
        for _number, row in rows:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items()}
            try:
                born = dt.date.fromisoformat(row.get("tanggal_lahir", "")) if row.get("tanggal_lahir") else None
            except ValueError:
                born = None
            queries.append(NikQuery(row.get("nik", ""), row.get("nama", ""), born))
    return queries


def read_answers(path: Path) -> list[NikAnswer]:
    """A file answered by Disdukcapil (or by :func:`run_batch`): ``nik,status[,keterangan]``."""
    answers = []
    with csv_dict_rows(path) as (_header, rows):
        for _number, row in rows:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items()}
            status = row.get("status", "").lower()
            answers.append(
                NikAnswer(row.get("nik", ""), status if status in STATUSES else "invalid", row.get("keterangan", ""))
            )
    return answers


def run_batch(path: Path, out: Path, *, actor: User, job: Any = None) -> dict[str, int]:
    """Answer a file of NIKs with the configured adapter and write ``nik,status,keterangan``."""
    from .models import Exchange

    if actor is None or not actor.can(Capability.APPROVE_REGISTRY):
        raise Refused(_("Only Dinas Sosial's approvers check NIKs in batches."), code="forbidden")
    queries = read_queries(path)
    answers = verifier().verify(queries)
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    writer.writerow(["nik", "status", "keterangan"])
    for answer in answers:
        writer.writerow([answer.nik, answer.status, answer.detail])
    out.write_bytes(buffer.getvalue().encode("utf-8"))
    counts = {"total": len(answers), **{s: sum(1 for a in answers if a.status == s) for s in STATUSES}}
    exchange = Exchange.objects.create(
        kind=Exchange.Kind.NIK_BATCH, file_name=path.name, counts=counts, actor=actor, job=job
    )
    audit.record(actor=actor, action="interop.nik_batch", obj=exchange, after=counts)
    return counts
