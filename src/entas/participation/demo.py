"""A year of community participation for the demonstration (``entas seed_demo``), drawn from the
synthetic city's registry. Never for production.

Each demo kelurahan (the operators' Manggar, Damai and Sepinggan) holds a musyawarah kelurahan every
quarter of the past year, with its attendance by group and sex and decisions that match the
registry's verification: households already verified or ratified are kept, households the verval
rejected are removed with the reason it gave, and a few proposed households are added (which
verifies them, as the page does). Each musyawarah's berita acara is recorded; the older ones have
their signed scan attached. The Musrenbang season of the year is on the calendar: a rembug warga and
a musrenbang kelurahan in January, the kecamatan's in February, the forum perangkat daerah in March
and the musrenbang kota in April, with twenty proposals per kelurahan moving up them (scores, votes,
merges, rejections with reasons) and the accepted ones the policy register carries funded by their
programme. Deterministic; a second run adds nothing."""

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
    made.update(_proposals(year))
    made.update(_partners())
    return made


def _partners() -> dict[str, int]:
    """The example partners (docs/examples/partners.csv, the demo's partner account ``mitra`` signing in
    for the Forum CSR) and their contributions (partner-contributions.csv), loaded as
    ``entas partner load|contribution`` loads them; needs the policy register's demo plan."""
    from pathlib import Path

    from django.conf import settings

    from .importer import import_file
    from .models import Partner

    bappeda = User.objects.filter(username="bappeda").first()
    if bappeda is None or Partner.objects.exists():
        return {}
    examples = Path(settings.PROJECT_ROOT) / "docs" / "examples"
    made = {}
    for kind, name in (("partners", "partners.csv"), ("contributions", "partner-contributions.csv")):
        rejected = Path(settings.MEDIA_ROOT) / "tmp" / f"demo-rejected-{kind}.csv"
        counts = import_file(kind, examples / name, name=name, actor=bappeda, rejection_path=rejected)
        rejected.unlink(missing_ok=True)
        made[kind] = counts.inserted
    return made


# (category, title, poverty problem or "", cost in millions, the register's programme and activity that fund it)
PROPOSALS = (
    (
        "housing",
        "Bedah rumah tidak layak huni",
        "rumah warga miskin rusak berat, lantai tanah",
        45,
        "P3.1",
        "1.04.02.2.01.0014",
    ),
    (
        "infrastructure",
        "Perluasan pipa air bersih",
        "keluarga miskin membeli air jeriken setiap hari",
        180,
        "P3.2",
        "1.03.03.2.01.0007",
    ),
    ("environment", "Tangki septik komunal", "buang air besar ke laut dan parit", 120, "P3.2", "1.03.04.2.01.0011"),
    (
        "economy",
        "Modal dan pelatihan usaha ibu-ibu PKK",
        "ibu rumah tangga keluarga miskin tanpa penghasilan",
        60,
        "P2.3",
        "2.17.07.2.01.0004",
    ),
    (
        "education",
        "Seragam dan perlengkapan sekolah anak keluarga miskin",
        "anak putus sekolah karena biaya",
        35,
        "P1.3",
        "1.01.02.2.01.0021",
    ),
    (
        "health",
        "Kelas pengasuhan posyandu cegah stunting",
        "balita gizi kurang di keluarga miskin",
        25,
        "P4.1",
        "2.14.02.2.01.0005",
    ),
    ("infrastructure", "Semenisasi jalan lingkungan", "", 150, "", ""),
    ("infrastructure", "Lampu penerangan jalan gang", "", 40, "", ""),
    ("environment", "Drainase lingkungan anti banjir", "", 220, "", ""),
    ("social", "Gapura dan papan nama RT", "", 15, "", ""),
)
REJECTIONS = ("bukan kewenangan kelurahan", "sudah dianggarkan tahun lalu", "lahan belum tersedia")


def _proposals(year: int) -> dict[str, int]:
    """The Musrenbang season's proposals of each demo kelurahan: gathered at the rembug warga, decided
    on at the musrenbang kelurahan, the kecamatan's, the forum perangkat daerah and the musrenbang
    kota (scores and votes; some merged, some rejected with the reason), and the accepted ones that
    match a programme of the policy register funded by it."""
    from entas.policy.models import Activity, ProgrammeRecord

    from .models import Proposal

    made = {"proposals": 0, "reviews": 0, "funded": 0}
    bappeda = User.objects.filter(username="bappeda").first()
    city_forums = {
        f.kind: f for f in Forum.objects.filter(berita_acara__in=[f"BA/FORUM-PD/{year}", f"BA/MUSRENBANG-KOTA/{year}"])
    }
    for username, tag in OPERATORS.items():
        operator = User.objects.filter(username=username).first()
        kelurahan = operator.areas.first() if operator else None
        if operator is None or kelurahan is None or bappeda is None:
            continue
        prefix = f"USL-{tag[:3]}-{year}-"
        if Proposal.objects.filter(code__startswith=prefix).exists():
            continue
        rnd = random.Random(f"musrenbang-{tag}-{year}")
        forums = {
            f.kind: f
            for f in Forum.objects.filter(
                berita_acara__in=[
                    f"BA/{c.ForumKind.MUSRENBANG_KELURAHAN.upper()}-{tag}/{year}",
                    f"BA/MUSRENBANG-KEC-{tag}/{year}",
                ]
            )
        } | city_forums
        proposals = []
        for n in range(20):
            category, title, problem, cost, _p, _a = PROPOSALS[n % len(PROPOSALS)]
            rt = f"RT {rnd.randint(1, 45):02d}"
            proposal, _created = services.save_proposal(
                actor=operator,
                code=f"{prefix}{n + 1:03d}",
                title=f"{title} {rt}",
                kelurahan=kelurahan,
                category=category,
                proposer=rnd.choice((rt, "PKK " + rt, "Karang Taruna", "LPM Kelurahan")),
                rt=rt,
                problem=problem,
                estimated_cost=cost * 1_000_000 + rnd.randint(0, 9) * 500_000,
            )
            proposals.append((proposal, n % len(PROPOSALS)))
            made["proposals"] += 1
        in_play = proposals
        for kind, accept in (
            (c.ForumKind.MUSRENBANG_KELURAHAN, 0.85),
            (c.ForumKind.MUSRENBANG_KECAMATAN, 0.7),
            (c.ForumKind.FORUM_PD, 0.75),
            (c.ForumKind.MUSRENBANG_KOTA, 0.9),
        ):
            forum = forums.get(kind)
            if forum is None:
                break
            actor = operator if kind == c.ForumKind.MUSRENBANG_KELURAHAN else bappeda
            kept: list[tuple[Proposal, int]] = []
            for proposal, template in in_play:
                poverty = bool(PROPOSALS[template][2])
                score = min(100, rnd.randint(40, 80) + (15 if poverty else 0))
                roll = rnd.random() - (0.1 if poverty else -0.05)
                if roll < accept:
                    outcome, note, into = "accepted", "", None
                elif kept and kind == c.ForumKind.MUSRENBANG_KELURAHAN and rnd.random() < 0.5:
                    outcome, note, into = "merged", "digabung dengan usulan serupa", kept[0][0]
                else:
                    outcome, note, into = "rejected", rnd.choice(REJECTIONS), None
                voters = forum.attendance.count() and sum(a.total for a in forum.attendance.all())
                votes_for = int(voters * (0.55 + rnd.random() * 0.4)) if outcome == "accepted" else int(voters * 0.3)
                services.review_proposal(
                    actor=actor,
                    proposal=proposal,
                    forum=forum,
                    outcome=outcome,
                    score=score,
                    votes_for=votes_for,
                    votes_against=max(0, voters - votes_for - rnd.randint(0, 5)),
                    note=note,
                    merged_into=into,
                )
                made["reviews"] += 1
                if outcome == "accepted":
                    kept.append((proposal, template))
            in_play = kept
        for proposal, template in in_play:
            code, activity_code = PROPOSALS[template][4:]
            record = ProgrammeRecord.objects.filter(code=code).order_by("-pk").first() if code else None
            if record is None:
                continue
            activity = Activity.objects.filter(record=record, code=activity_code).first()
            services.fund_proposal(actor=bappeda, proposal=proposal, record=record, activity=activity)
            made["funded"] += 1
    return made
