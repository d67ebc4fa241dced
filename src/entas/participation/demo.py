"""A year of community participation for the demonstration (``entas seed_demo``), drawn from the
synthetic city's registry. Never for production.

Each demo kelurahan (the operators' Manggar, Damai and Sepinggan) holds a musyawarah kelurahan every
quarter of the past year, with its attendance by group and sex and decisions that match the
registry's verification: households already verified or ratified are kept, households the verval
rejected are removed with the reason it gave, and a few proposed households are added (which
verifies them, as the page does). Each musyawarah's berita acara is recorded; the older ones have
their signed scan attached. The Musrenbang season of the year is on the calendar: a rembug warga and
a musrenbang kelurahan in January, the kecamatan's in February, the forum perangkat daerah in March
and the musrenbang kota in April. Deterministic; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import random

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from entas.accounts.models import User
from entas.registry.choices import VerificationStatus
from entas.registry.models import Household
from entas.registry.selectors import households_for

from . import choices as c
from . import services
from .models import Forum

OPERATORS = {"op.manggar": "MANGGAR", "op.damai": "DAMAI", "op.sepinggan": "SEPINGGAN"}
AGENDA = (
    "1. Pembukaan oleh Lurah\n2. Pembahasan usulan keluarga baru dan keluarga yang tidak lagi memenuhi "
    "kriteria DTSEN\n3. Penetapan keputusan per keluarga\n4. Penandatanganan berita acara"
)
CHAIRS = ("Drs. H. Syamsuddin", "Hj. Rusmini, S.Sos", "Ir. Bambang Sutejo", "Suryani, S.E.")
ADD_REASONS = (
    "janda lansia tanpa penghasilan tetap, belum tercatat",
    "kepala keluarga kehilangan pekerjaan (PHK)",
    "keluarga baru pecah KK, tinggal di rumah tidak layak huni",
)
# A scan's bytes: a one-page PDF (the demo has no real signatures; a real scan is uploaded on the page).
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _attendance(rnd: random.Random, big: bool = False) -> dict[str, tuple[int, int]]:
    scale = 3 if big else 1
    return {
        "officials": (rnd.randint(2, 5) * scale, rnd.randint(1, 4) * scale),
        "rt_rw": (rnd.randint(8, 20) * scale, rnd.randint(2, 8) * scale),
        "figures": (rnd.randint(3, 8) * scale, rnd.randint(2, 6) * scale),
        "residents": (rnd.randint(10, 30) * scale, rnd.randint(12, 35) * scale),
    }


def seed(today: dt.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    made = {"forums": 0, "decisions": 0}
    bappeda = User.objects.filter(username="bappeda").first()
    for username, tag in OPERATORS.items():
        operator = User.objects.filter(username=username).first()
        kelurahan = operator.areas.first() if operator else None
        if operator is None or kelurahan is None:
            continue
        rnd = random.Random(f"participation-{tag}")
        households = list(households_for(operator).select_related("kelurahan").order_by("pk"))
        for quarter in range(4):
            held_on = today - dt.timedelta(days=335 - quarter * 91)
            number = f"BA/MUSKEL-{tag}/{held_on:%Y}/Q{quarter + 1}"
            if Forum.objects.filter(berita_acara=number).exists():
                continue
            forum = services.save_forum(
                actor=operator,
                kind=c.ForumKind.MUSYAWARAH,
                area=kelurahan,
                held_on=held_on,
                berita_acara=number,
                agenda=AGENDA,
                place=f"Aula Kantor Kelurahan {kelurahan.name}",
                chair=CHAIRS[quarter],
                secretary="Sekretaris Kelurahan",
                attendance=_attendance(rnd),
            )
            made["forums"] += 1
            chunk = households[quarter::4][:40]
            by_status: dict[str, list[Household]] = {}
            for h in chunk:
                by_status.setdefault(h.verification_status, []).append(h)
            picks = (
                [(h, "keep", "") for h in by_status.get(VerificationStatus.DISAHKAN, [])[:3]]
                + [(h, "keep", "") for h in by_status.get(VerificationStatus.DIVERIFIKASI, [])[:3]]
                + [
                    (h, "remove", h.rejection_reason or "dinilai mampu oleh warga")
                    for h in by_status.get(VerificationStatus.DITOLAK, [])[:2]
                ]
                + [(h, "add", rnd.choice(ADD_REASONS)) for h in by_status.get(VerificationStatus.USULAN, [])[:2]]
            )
            for household, action, reason in picks:
                services.record_decision(
                    actor=operator, forum=forum, household=household, action=action, reason=reason[:300]
                )
                made["decisions"] += 1
            if quarter < 3:
                scan = SimpleUploadedFile(f"berita-acara-{tag.lower()}-q{quarter + 1}.pdf", SCAN)
                services.attach_scan(actor=operator, forum=forum, upload=scan)
        # The Musrenbang season of the year, lowest stages in the kelurahan.
        year = today.year if today.month > 4 else today.year - 1
        for kind, month, rt in (
            (c.ForumKind.REMBUG_WARGA, 1, "RT 05"),
            (c.ForumKind.MUSRENBANG_KELURAHAN, 1, ""),
        ):
            number = f"BA/{kind.upper()}-{tag}/{year}"
            if not Forum.objects.filter(berita_acara=number).exists():
                services.save_forum(
                    actor=operator,
                    kind=kind,
                    area=kelurahan,
                    held_on=dt.date(year, month, 10 if rt else 24),
                    berita_acara=number,
                    rt=rt,
                    agenda="Penggalian gagasan dan penetapan prioritas usulan pembangunan",
                    place=f"Kelurahan {kelurahan.name}",
                    chair=CHAIRS[0],
                    attendance=_attendance(rnd),
                )
                made["forums"] += 1
        kecamatan = kelurahan.parent
        number = f"BA/MUSRENBANG-KEC-{tag}/{year}"
        if bappeda is not None and kecamatan is not None and not Forum.objects.filter(berita_acara=number).exists():
            services.save_forum(
                actor=bappeda,
                kind=c.ForumKind.MUSRENBANG_KECAMATAN,
                area=kecamatan,
                held_on=dt.date(year, 2, 12),
                berita_acara=number,
                agenda="Musrenbang kecamatan: penetapan prioritas usulan kelurahan",
                place=f"Kantor Camat {kecamatan.name}",
                chair=f"Camat {kecamatan.name}",
                attendance=_attendance(rnd, big=True),
            )
            made["forums"] += 1
    city = User.objects.filter(username="bappeda").first()
    year = today.year if today.month > 4 else today.year - 1
    area = city.areas.first() if city else None
    for kind, day, number in (
        (c.ForumKind.FORUM_PD, dt.date(year, 3, 18), f"BA/FORUM-PD/{year}"),
        (c.ForumKind.MUSRENBANG_KOTA, dt.date(year, 4, 8), f"BA/MUSRENBANG-KOTA/{year}"),
    ):
        if city is None or area is None or Forum.objects.filter(berita_acara=number).exists():
            continue
        services.save_forum(
            actor=city,
            kind=kind,
            area=area,
            held_on=day,
            berita_acara=number,
            agenda="Penyelarasan usulan dengan rencana kerja perangkat daerah",
            place="Aula Bappeda Litbang Kota Balikpapan",
            chair="Kepala Bappeda Litbang",
            attendance=_attendance(random.Random(number), big=True),
        )
        made["forums"] += 1
    return made
