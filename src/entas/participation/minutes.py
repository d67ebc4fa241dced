"""The berita acara (minutes) of a musyawarah kelurahan as PDF, printed to be signed: the forum, its
agenda and attendance by group and sex, then every decision (household, list, decision, reason) and
the signature blocks. Always in Indonesian: it is the official document of the forum."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.db.models import Prefetch
from django.utils import translation

from entas.core.documents import Section, table_pdf
from entas.registry.choices import Relationship
from entas.registry.models import Member

from . import choices as c
from . import selectors

if TYPE_CHECKING:
    from entas.accounts.models import User

    from .models import Forum

DECISION_COLUMNS = ["No", "Nomor KK", "Kepala keluarga", "RT/RW", "Daftar", "Keputusan", "Alasan"]


def minutes_pdf(user: User, forum: Forum, out: Path | IO[bytes]) -> int:
    """Write the berita acara of ``forum`` to ``out``; returns the number of decisions listed (those
    on the households the user may see: the operator of the kelurahan sees them all)."""
    with translation.override("id"):
        decisions = list(
            selectors.decisions_of(user, forum).prefetch_related(
                Prefetch(
                    "household__members",
                    queryset=Member.objects.filter(exited_on__isnull=True, relationship=Relationship.HEAD),
                )
            )
        )
        rows = []
        for number, d in enumerate(decisions, start=1):
            head = next(iter(d.household.members.all()), None)
            rows.append(
                [
                    number,
                    d.household.kk_number,
                    head.name if head else "",
                    f"{d.household.rt}/{d.household.rw}",
                    d.rule.name if d.rule else "DTKS/DTSEN",
                    str(c.Decision(d.action).label),
                    d.reason,
                ]
            )
        table = selectors.attendance_of(forum)
        present = ", ".join(f"{label} {men}L/{women}P" for label, men, women, _total in table.rows)
        counts = selectors.decision_counts(forum)
        where = f"Kelurahan {forum.area.name} ({forum.area.code})"
        title = f"Berita Acara Musyawarah Kelurahan {forum.area.name} - {forum.berita_acara}"
        sections = [
            Section(
                heading=(
                    f"{forum.held_on:%d-%m-%Y}, {forum.place or where}; pimpinan: {forum.chair or '-'}; "
                    f"hadir {table.total} orang ({present})"
                ),
                rows=rows,
                summary=(
                    f"Acara: {' '.join(forum.agenda.split())[:90] or '-'} · ditambahkan {counts['add']}, "
                    f"dikeluarkan {counts['remove']}, tetap {counts['keep']}; jumlah keputusan {len(rows)}"
                ),
                signatures=[
                    f"Pimpinan musyawarah, {forum.chair}" if forum.chair else "Pimpinan musyawarah",
                    f"Notulis, {forum.secretary}" if forum.secretary else "Notulis",
                    "Mengetahui, Lurah",
                ],
            ),
        ]
        table_pdf(
            out,
            title=title,
            columns=DECISION_COLUMNS,
            widths_mm=[10, 38, 55, 20, 40, 32, 82],
            sections=sections,
            empty="Musyawarah ini belum mencatat keputusan.",
            footer=f"entas - berita acara {forum.berita_acara}",
        )
    return len(rows)
