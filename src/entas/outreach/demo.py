"""Demonstration activity of awareness campaigns (called by ``entas seed_demo`` once a synthetic city
is loaded and the policy register seeded): four campaigns over the last two years under the register's
campaign programme, each with a three-question knowledge test, events in the kelurahan the registry
suggests for its theme, attendance drawn from the registry (adults of the event's kelurahan, the
poorer families first), some people only counted, answers before and after with a knowledge gain that
differs by theme, and the follow-ups taken month by month while the registry changes: attending
families of the JKN campaign enrol in JKN faster than comparable families, and school-age children of
the education campaign's families return to school faster. So the results pages have a true signal.
Writes go through the services, as the demo's training officer (``pelatihan``); the registry's changes
after the campaigns are written directly (synthetic only). Deterministic, idempotent (nothing is
added once campaigns exist). Never for production."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from entas.registry.models import Household, Member

from . import rules, selectors, services
from .models import Campaign, FollowUp

if TYPE_CHECKING:
    from entas.accounts.models import User

QUESTIONS = [
    ("Siapa yang membayar iuran JKN PBI?", ["Peserta sendiri", "Pemerintah", "Pemberi kerja"], "b"),
    ("Ke mana mengadu bila bantuan tidak diterima?", ["Kelurahan atau portal pengaduan", "Bank", "Tetangga"], "a"),
    (
        "Apa manfaat utama kampanye ini bagi keluarga?",
        ["Tidak ada", "Hak dan layanan yang bisa dipakai", "Hadiah"],
        "b",
    ),
]
# (code, name, theme, channel, knowledge gain in probability of a right answer, months ago it starts)
CAMPAIGNS = [
    ("demo-jkn", "Ayo Daftar JKN", "jkn", "seminar", 0.35, 24),
    ("demo-sekolah", "Kembali ke Sekolah", "education", "door", 0.25, 20),
    ("demo-stunting", "Cegah Stunting di Posyandu", "stunting", "posyandu", 0.30, 16),
    ("demo-keuangan", "Literasi Keuangan Keluarga", "finance", "worship", 0.10, 12),
]


def seed(*, officer: User, today: dt.date | None = None) -> dict[str, int]:
    if Campaign.objects.exists() or not Household.objects.exists():
        return {}
    today = today or timezone.localdate()
    programme = services.campaign_programmes().first()
    made = {"campaigns": 0, "events": 0, "attendees": 0, "follow_ups": 0}
    campaigns = []
    for code, name, theme, channel, gain, months_ago in CAMPAIGNS:
        start = rules.add_months(today.replace(day=1), -months_ago)
        kelurahan = [region for region, _s in selectors.suggestions(theme, n=3, on=start)]
        if not kelurahan:
            continue
        campaign, _o = services.save_campaign(
            code=code,
            name=name,
            theme=theme,
            channel=channel,
            start=start,
            end=rules.add_months(start, 12),
            programme=programme,
            target_group="Keluarga desil 1-4",
            partners="Dinas Kesehatan; BPJS Kesehatan; kader PKK",
            target_kelurahan=kelurahan,
            actor=officer,
        )
        for n, (text, options, key) in enumerate(QUESTIONS, 1):
            services.save_question(campaign=campaign, number=n, text=text, options=options, key=key, actor=officer)
        for version in (1, 2):  # a leaflet revised once: two versions on the materials page
            leaflet = SimpleUploadedFile(f"leaflet-{code}-v{version}.pdf", _leaflet(name, version))
            services.upload_material(campaign=campaign, title=f"Leaflet {name}", upload=leaflet, actor=officer)
        made["campaigns"] += 1
        rng = random.Random(code)
        for i in range(6):
            region = kelurahan[i % len(kelurahan)]
            day = rules.add_months(start, i * 2) + dt.timedelta(days=rng.randrange(20))
            if day >= today:
                break
            event, _o = services.save_event(
                campaign=campaign,
                code=f"{code}-{i + 1:02d}",
                date=day,
                kelurahan=region,
                venue=f"Aula Kelurahan {region.name}",
                facilitators="Fasilitator Dinas; kader kelurahan",
                budget=2_500_000 + 500_000 * rng.randrange(4),
                actor=officer,
            )
            made["events"] += 1
            made["attendees"] += _attend(event, rng, gain, officer)
            services.set_head_count(event=event, sex="2", age_band="25-44", count=5 + rng.randrange(20), actor=officer)
            services.set_head_count(event=event, sex="1", age_band="45-59", count=rng.randrange(10), actor=officer)
        campaigns.append(campaign)
    made["follow_ups"] = _follow_ups(campaigns, officer, today)
    return made


def _leaflet(title: str, version: int) -> bytes:
    """A one-page PDF leaflet (synthetic) with the campaign's name."""
    import io

    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A5)
    page.drawString(40, 500, title[:60])
    page.drawString(40, 480, f"Versi {version}")
    page.save()
    return out.getvalue()


def _attend(event: Any, rng: random.Random, gain: float, officer: User) -> int:
    adult = rules.add_months(event.date, -18 * 12)
    people = list(
        Member.objects.filter(
            household__kelurahan=event.kelurahan,
            birth_date__lte=adult,
            exited_on__isnull=True,
            merged_into__isnull=True,
            household__desil_city__lte=6,
        )
        .order_by("household__desil_city", "pk")
        .values_list("nik", flat=True)[:120]
    )
    chosen = rng.sample(people, min(len(people), 12 + rng.randrange(12)))
    for nik in chosen:
        attendance, _o = services.record_attendee(event=event, nik=nik, source="scanned", actor=officer)
        if rng.random() < 0.85:  # most take both tests
            before = {n: _choice(rng, 0.40, key) for n, (_t, _opts, key) in enumerate(QUESTIONS, 1)}
            after = {n: _choice(rng, 0.40 + gain, key) for n, (_t, _opts, key) in enumerate(QUESTIONS, 1)}
            services.record_answers(attendance=attendance, phase="before", choices=before, actor=officer)
            services.record_answers(attendance=attendance, phase="after", choices=after, actor=officer)
    return len(chosen)


def _choice(rng: random.Random, p_right: float, key: str) -> str:
    if rng.random() < p_right:
        return key
    return rng.choice([x for x in "abc" if x != key])


def _follow_ups(campaigns: list[Campaign], officer: User, today: dt.date) -> int:
    """Month by month: take the follow-ups due, then let the registry change (faster in attending
    families for the JKN and education campaigns)."""
    if not campaigns:
        return 0
    rng = random.Random("outreach-follow-ups")
    month = min(c.start for c in campaigns)
    while month <= today:
        for campaign in campaigns:
            services.measure_follow_ups(campaign=campaign, actor=officer, on=month)
        for campaign in campaigns:
            if campaign.theme not in ("jkn", "education"):
                continue
            groups = dict(
                FollowUp.objects.filter(campaign=campaign, months=0, since__lte=month).values_list(
                    "household_id", "group"
                )
            )
            for household, group in groups.items():
                p = 0.10 if group == "attended" else 0.02
                values: tuple[str, ...]
                if campaign.theme == "jkn":
                    field, values, new = "health_insurance", ("0", ""), "1"
                else:
                    field, values, new = "school_participation", ("2",), "1"
                if rng.random() < p:
                    Member.objects.filter(household_id=household, **{f"{field}__in": values}).update(**{field: new})
        month = rules.add_months(month, 1)
    return FollowUp.objects.count()
