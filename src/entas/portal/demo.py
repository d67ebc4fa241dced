"""Synthetic complaints for the demonstration (``entas seed_demo``): a few hundred cases over the past
year in the city's kelurahan (more in the demo operators' Manggar, Damai and Sepinggan), most of the
older ones answered and resolved (some late), recent ones new, in progress or waiting for the
citizen, some escalated, a few spam and duplicates; payment complaints linked to a household of
their kelurahan. Filed through the services (so codes, deadlines and audit rows are real), then
moved through their history directly with the dates it would have had. Never for production."""

from __future__ import annotations

import datetime as dt
import random
from typing import cast

from django.utils import timezone

from entas.regions.models import Region, RegionLevel
from entas.registry.models import Household

from . import rules, services
from .choices import Channel, NoteKind, State
from .models import Case, CaseNote, VerificationTask

TEXTS = {
    "payment_not_received": [
        "BLT bulan ini belum masuk ke rekening, padahal tetangga sudah menerima.",
        "Sudah dua bulan bantuan tidak cair, saldo rekening tetap kosong.",
    ],
    "wrong_amount": ["Jumlah bantuan yang diterima lebih kecil dari yang diumumkan di kelurahan."],
    "wrongly_excluded": ["Keluarga kami miskin tetapi tidak lagi terdaftar sebagai penerima bantuan."],
    "wrongly_included": ["Ada keluarga mampu di RT kami yang tetap menerima bantuan tunai."],
    "misconduct": ["Petugas meminta uang administrasi saat pencairan bantuan."],
    "data_error": ["Nama kepala keluarga salah ketik dan alamat masih alamat lama."],
    "usul": ["Mohon keluarga kami didaftarkan, suami baru kehilangan pekerjaan."],
    "sanggah": ["Keluarga yang terdaftar di alamat ini sudah pindah ke luar kota."],
    "other": ["Kapan jadwal pencairan bantuan tahap berikutnya diumumkan?"],
}
WEIGHTS = {
    "payment_not_received": 30,
    "wrong_amount": 10,
    "wrongly_excluded": 15,
    "wrongly_included": 8,
    "misconduct": 4,
    "data_error": 12,
    "usul": 12,
    "sanggah": 5,
    "other": 4,
}
ANSWERS = [
    "Terima kasih. Data Anda sudah kami periksa dan diteruskan ke bank penyalur.",
    "Pengaduan sudah ditindaklanjuti; bantuan akan dibayarkan pada siklus berikutnya.",
    "Petugas kelurahan akan melakukan kunjungan verifikasi ke alamat Anda.",
]
DEMO_KELURAHAN = ["64.71.01.1001", "64.71.06.1005", "64.71.05.1002"]


def seed(count: int = 300, *, now: dt.datetime | None = None, seed: int = 22) -> dict[str, int]:
    """File ``count`` synthetic cases (none when the portal already holds cases)."""
    if Case.objects.exists():
        return {"cases": 0}
    rng = random.Random(seed)
    now = now or timezone.now()
    kelurahan = list(Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("code"))
    if not kelurahan:
        return {"cases": 0}
    favoured = [k for k in kelurahan if k.code in DEMO_KELURAHAN] or kelurahan
    households: dict[int, list[int]] = {}
    for pk, region_id in Household.objects.filter(kelurahan__in=favoured).values_list("pk", "kelurahan")[:5000]:
        households.setdefault(region_id, []).append(pk)
    categories = list(WEIGHTS)
    weights = [WEIGHTS[c] for c in categories]
    days = services.holidays()
    made = 0
    for i in range(count):
        region = rng.choice(favoured) if rng.random() < 0.6 else rng.choice(kelurahan)
        category = rng.choices(categories, weights)[0]
        age = int(rng.random() ** 1.5 * 365)
        submitted = now - dt.timedelta(days=age, hours=rng.randint(0, 9))
        channel = rng.choices([Channel.WEB, Channel.WALK_IN, Channel.PHONE, Channel.LAPOR], [55, 25, 10, 10])[0]
        filed = services.file_case(
            category=category,
            kelurahan=region,
            description=f"{rng.choice(TEXTS[category])} (demo {i + 1})",
            contact_name="" if rng.random() < 0.3 else "Warga Sintetis",
            anonymous=rng.random() < 0.3,
            channel=channel,
            external_ref=f"LAPOR-DEMO-{i + 1}" if channel == Channel.LAPOR else "",
            submitted_at=submitted,
            address=f"10.{i % 250}.0.1",
        )
        case = filed.case
        _history(case, rng, now, days, households.get(region.pk, []))
        made += 1
    services.escalate(today=timezone.localdate(now))
    return {"cases": made}


def _history(case: Case, rng: random.Random, now: dt.datetime, days: frozenset[dt.date], households: list[int]) -> None:
    """Move a demo case through the history a case of its age would have had."""
    age = (now - case.submitted_at).days
    start = timezone.localtime(case.submitted_at).date()
    if rng.random() < 0.03:
        Case.objects.filter(pk=case.pk).update(spam=True, state=State.CLOSED, closed_at=case.submitted_at)
        return
    updates: dict[str, object] = {}
    if households and case.category in ("payment_not_received", "wrong_amount", "data_error", "sanggah"):
        updates["household_id"] = rng.choice(households)
    late = rng.random() < 0.2
    answer_after = rules.add_working_days(start, rng.randint(1, 6 if late else 2), days)
    answered_at = timezone.make_aware(dt.datetime.combine(answer_after, dt.time(10)))
    if age < 3 or answered_at > now:
        state = State.NEW
    elif age < 25:
        state = rng.choices([State.NEW, State.IN_PROGRESS, State.WAITING, State.RESOLVED], [2, 5, 2, 3])[0]
    else:
        state = rng.choices([State.IN_PROGRESS, State.RESOLVED, State.CLOSED], [1, 4, 6])[0]
    if state != State.NEW:
        updates["first_response_at"] = answered_at
        CaseNote.objects.create(case=case, kind=NoteKind.PUBLIC, text=rng.choice(ANSWERS), written_at=answered_at)
        CaseNote.objects.create(case=case, kind=NoteKind.INTERNAL, text="Dicek di sistem.", written_at=answered_at)
    if state in (State.RESOLVED, State.CLOSED):
        resolve_in = rng.randint(2, 30 if late else 12)
        resolved_on = rules.add_working_days(start, resolve_in, days)
        resolved_at = min(now, timezone.make_aware(dt.datetime.combine(resolved_on, dt.time(14))))
        updates["resolved_at"] = max(resolved_at, answered_at)
        if state == State.CLOSED:
            updates["closed_at"] = updates["resolved_at"]
    updates["state"] = state
    Case.objects.filter(pk=case.pk).update(**updates)
    if case.category == "sanggah" and state in (State.RESOLVED, State.CLOSED) and "household_id" in updates:
        # A resolved sanggah sent its household back to the field check (services.take_step does so).
        VerificationTask.objects.create(
            case=case,
            household_id=cast(int, updates["household_id"]),
            reason=f"Sanggah {case.reference}: {case.description[:300]}",
            opened_at=cast(dt.datetime, updates["resolved_at"]),
        )
