"""Demonstration activity of economic empowerment (called by ``entas seed_demo`` once a synthetic city
is loaded): business groups of the poorer families of a few kelurahan, with their grants and revolving
loans, two years of business reports (farmer and fisher groups with their seasons), repayments that
are mostly on time, some late and a few defaults (two written off), mentoring visits, market events
and buyers. Groups, members, grants, loans, repayments, write-offs, reports and visits go through the
services, as the demo's training/UMKM officer (``pelatihan``; the administrator approves write-offs).
Deterministic, idempotent (nothing is added once groups exist), synthetic only. Never for production."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone

from entas.registry.models import Household, Member

from . import choices as c
from . import rules, services
from .models import Group

if TYPE_CHECKING:
    from entas.accounts.models import User

# (type, KBLI, product, period, monthly revenue in Rp at the start, cost share, members)
KINDS: list[tuple[str, str, str, str, int, float, tuple[int, int]]] = [
    (c.GroupType.KUBE, "10792", "Amplang ikan tenggiri", c.Period.MONTH, 6_000_000, 0.62, (5, 10)),
    (c.GroupType.KUBE, "10794", "Kue basah dan kue kering", c.Period.MONTH, 4_500_000, 0.58, (5, 8)),
    (c.GroupType.UMKM, "47111", "Warung kelontong", c.Period.MONTH, 7_500_000, 0.80, (1, 1)),
    (c.GroupType.UMKM, "14111", "Konveksi seragam sekolah", c.Period.MONTH, 5_000_000, 0.55, (1, 1)),
    (c.GroupType.FARMERS, "01134", "Sayuran hidroponik", c.Period.QUARTER, 4_000_000, 0.50, (8, 15)),
    (c.GroupType.FARMERS, "01282", "Cabai dan tomat", c.Period.QUARTER, 5_500_000, 0.55, (8, 15)),
    (c.GroupType.FISHERS, "03111", "Ikan layang dan tongkol", c.Period.QUARTER, 9_000_000, 0.60, (6, 12)),
    (c.GroupType.COOPERATIVE, "46339", "Pemasaran hasil olahan ikan", c.Period.QUARTER, 12_000_000, 0.75, (10, 20)),
    (c.GroupType.WOMEN, "13921", "Kerajinan manik-manik khas Kalimantan", c.Period.MONTH, 3_000_000, 0.45, (5, 10)),
]
NAMES = [
    "Sejahtera",
    "Maju Bersama",
    "Bina Usaha",
    "Harapan Baru",
    "Karya Mandiri",
    "Berkah",
    "Mekar Sari",
    "Teluk Indah",
]
WRITTEN_OFF = (4, 20)  # of the defaults (groups 4, 10 and 20), the ones the city gave up on
PREFIX: dict[str, str] = {
    c.GroupType.KUBE: "KUBE",
    c.GroupType.UMKM: "Usaha",
    c.GroupType.FARMERS: "Kelompok Tani",
    c.GroupType.FISHERS: "Kelompok Nelayan",
    c.GroupType.COOPERATIVE: "Koperasi",
    c.GroupType.WOMEN: "Kelompok Perempuan",
}
# Quarterly seasons (January-March first): farmer groups harvest in the dry months, fishers lose the
# west-monsoon months (December to February) at sea.
SEASON: dict[str, tuple[float, float, float, float]] = {
    c.GroupType.FARMERS: (0.6, 1.3, 1.4, 0.7),
    c.GroupType.FISHERS: (0.5, 1.2, 1.4, 0.9),
}
EVENTS = [
    ("Balikpapan UMKM Fair 2025", c.EventKind.BAZAAR, dt.date(2025, 8, 14), "Dome Balikpapan"),
    ("Pameran Kriya Kaltim 2025", c.EventKind.EXHIBITION, dt.date(2025, 11, 6), "Plaza Balikpapan"),
    ("Pendampingan toko daring 2026", c.EventKind.MARKETPLACE, dt.date(2026, 3, 2), "Kantor DKUMKMP"),
]
BUYERS = [
    ("Hotel Gran Senyiur", "hotel"),
    ("Swalayan Fresh Mart", "retail"),
    ("Pusat Oleh-oleh Kebun Sayur", "oleh-oleh"),
]
TOPICS = [
    "Pembukuan sederhana dan pemisahan uang usaha",
    "Pengemasan dan label produk",
    "Pemasaran lewat media sosial",
    "Perhitungan harga pokok produksi",
    "Persiapan sertifikasi halal",
]


def _months(first: dt.date, last: dt.date, step: int) -> list[dt.date]:
    out = []
    day = first
    while day <= last:
        out.append(day)
        day = rules.add_months(day, step)
    return out


def _people(kelurahan_id: int, taken: set[int], count: int, rng: random.Random) -> list[Member]:
    """Adults of the poorer families of a kelurahan, one a family, not yet in a group."""
    cutoff = timezone.localdate() - dt.timedelta(days=18 * 366)
    households = list(
        Household.objects.filter(kelurahan_id=kelurahan_id, desil_city__lte=5)
        .order_by("desil_city", "pk")
        .values_list("pk", flat=True)[:400]
    )
    rng.shuffle(households)
    people: list[Member] = []
    adults = Member.objects.filter(
        household_id__in=households, exited_on__isnull=True, birth_date__lte=cutoff, birth_date__gte=dt.date(1955, 1, 1)
    ).exclude(pk__in=taken)
    by_household: dict[int, Member] = {}
    for m in adults.order_by("household_id", "relationship", "pk"):
        by_household.setdefault(m.household_id, m)
    for h in households:
        if h in by_household and len(people) < count:
            people.append(by_household[h])
    return people


def seed(*, officer: User, approver: User, groups: int = 24, day: dt.date | None = None) -> dict[str, Any]:
    """The demo's groups and their activity; what was made (empty when groups already exist)."""
    if Group.objects.exists():
        return {}
    today = day or timezone.localdate()
    rng = random.Random(19)
    kelurahan = list(
        Household.objects.filter(desil_city__lte=5)
        .values("kelurahan_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=15)
        .order_by("-n", "kelurahan_id")
        .values_list("kelurahan_id", flat=True)[:8]
    )
    if not kelurahan:
        return {}
    from entas.regions.models import Region

    regions = {r.pk: r for r in Region.objects.filter(pk__in=kelurahan)}
    from . import selectors

    programme = selectors.empowerment_programmes().first()  # the register's, when there is one
    taken: set[int] = set()
    made = {"groups": 0, "members": 0, "grants": 0, "loans": 0, "repayments": 0, "reports": 0, "written_off": 0}
    report_end = rules.add_months(today.replace(day=1), -1)
    report_start = rules.add_months(report_end, -23)
    loans: list[tuple[Any, str, bool]] = []
    created: list[Group] = []
    for i in range(groups):
        kind, kbli, product, period, revenue, cost_share, (low, high) = KINDS[i % len(KINDS)]
        region = regions[kelurahan[i % len(kelurahan)]]
        people = _people(region.pk, taken, rng.randint(low, high), rng)
        if not people:
            continue
        founded = dt.date(2022 + i % 3, 1 + (i * 5) % 12, 1 + i % 27)
        name = f"{PREFIX[kind]} {NAMES[i % len(NAMES)]} {region.name}"[:110]
        if Group.objects.filter(name=name, kelurahan=region).exists():
            name = f"{name} {2 + i // len(NAMES)}"
        group = services.save_group(
            actor=officer,
            name=name,
            type=kind,
            kbli=kbli,
            kelurahan=region,
            founded=founded,
            product=product,
            nib=f"91203{(10**7 + i * 7919) % 10**8:08d}" if i % 3 else "",
            programme=programme,
        ).obj
        created.append(group)
        made["groups"] += 1
        for k, person in enumerate(people):
            role = c.Role.CHAIR if k == 0 else c.Role.TREASURER if k == 1 else c.Role.MEMBER
            services.seat(actor=officer, group=group, member=person, role=role, joined_on=founded)
            taken.add(person.pk)
            made["members"] += 1
        start = rules.add_months(founded, 2 + i % 3)
        # A few groups (all with a grant, none with a loan) stop trading: before their first year, in
        # their second, later.
        lifetime = {6: 9, 13: 15, 22: 20}.get(i)
        closed = min(rules.add_months(start, lifetime), today - dt.timedelta(days=30)) if lifetime else None
        if i % 4 != 3:
            equipment = i % 2 == 0
            services.record_grant(
                actor=officer,
                group=group,
                kind=c.GrantKind.EQUIPMENT if equipment else c.GrantKind.CASH,
                amount=None if equipment else 5_000_000 + (i % 5) * 2_500_000,
                items=[
                    services.Item("Peralatan produksi", 1, 4_000_000 + (i % 4) * 1_000_000),
                    services.Item("Etalase dan kemasan", 2, 750_000),
                ]
                if equipment
                else [],
                handed_over_on=start,
                handover_reference=f"BAST/DKUMKMP/{start.year}/{100 + i:03d}",
                programme=programme,
            )
            made["grants"] += 1
        if i % 5 in (0, 2, 4) and closed is None:
            # Loans of the last year and a half: some still running, so arrears show today.
            disbursed = max(rules.add_months(start, 1), rules.add_months(today.replace(day=5), -(4 + (i * 3) % 16)))
            principal = 5_000_000 * (1 + i % 4)
            loan = services.record_loan(
                actor=officer,
                group=group,
                reference=f"DB-{disbursed.year}-{i + 1:04d}",
                principal=principal,
                term_months=12 if i % 2 else 18,
                annual_rate_bp=0 if kind == c.GroupType.FARMERS else 600,
                method=c.Method.DECLINING if i % 2 else c.Method.FLAT,
                disbursed_on=disbursed,
                programme=programme,
            ).obj
            made["loans"] += 1
            behaviour = "default" if i in (4, 10, 20) else "late" if i % 7 == 2 else "good"
            loans.append((loan, behaviour, i in WRITTEN_OFF))
        if closed is not None:
            services.save_group(
                actor=officer,
                name=group.name,
                type=kind,
                kbli=kbli,
                kelurahan=region,
                founded=founded,
                product=product,
                nib=group.nib,
                programme=programme,
                closed_on=closed,
            )
        step = 3 if period == c.Period.QUARTER else 1
        first = max(report_start, start.replace(day=1))
        if step == 3:  # the quarter the first report falls in
            first = first.replace(month=(first.month - 1) // 3 * 3 + 1)
        base = revenue * (0.8 + rng.random() * 0.4)
        growth = 1 + rng.uniform(-0.006, 0.02)
        workers = max(1, len(people) // 2)
        for n, month in enumerate(_months(first, report_end, step)):
            if closed is not None and month > closed:
                break
            season = SEASON.get(kind, (1.0, 1.0, 1.0, 1.0))[(month.month - 1) // 3]
            value = int(base * step * season * growth ** (n * step) * (0.9 + rng.random() * 0.2)) // 1000 * 1000
            hired = min(6, n * step // 8) if growth > 1.01 else 0
            services.record_report(
                actor=officer,
                group=group,
                period=period,
                period_start=month,
                production=value // 25_000,
                revenue=value,
                costs=int(value * cost_share) // 1000 * 1000,
                workers_family=workers,
                workers_hired=hired,
                capital=int(base * 2) // 1000 * 1000,
            )
            made["reports"] += 1
        for k in range(2 + i % 3):
            services.record_visit(
                actor=officer,
                group=group,
                visited_on=rules.add_months(start, 3 * k + 1),
                topics=TOPICS[(i + k) % len(TOPICS)],
            )
    made["repayments"], made["written_off"] = _repay(loans, officer, approver, today)
    _market(created, officer, today)
    return made


def _repay(loans: list[tuple[Any, str, bool]], officer: User, approver: User, today: dt.date) -> tuple[int, int]:
    """Payments on each loan's schedule: on time, a few weeks late, or stopping for good (a default)."""
    paid = written_off = 0
    for loan, behaviour, write_off in loans:
        lines = loan.schedule()
        for line in lines:
            late = {"good": line.number % 4, "late": 20 + 17 * (line.number % 3), "default": 3}[behaviour]
            if behaviour == "default" and line.number > 3:
                break
            when = line.due + dt.timedelta(days=late)
            if when > today:
                break
            services.record_repayment(
                actor=officer,
                loan=loan,
                reference=f"{loan.reference}-{line.number:02d}",
                paid_on=when,
                amount=line.amount,
            )
            paid += 1
        if write_off and len(lines) > 3 and rules.add_months(lines[3].due, 4) < today:
            services.request_write_off(actor=officer, loan=loan, reason="Usaha berhenti, anggota pindah kerja")
            services.approve_write_off(actor=approver, loan=loan, day=today)
            written_off += 1
    return paid, written_off


def _market(groups: list[Group], officer: User, today: dt.date) -> None:
    """Market events with each group's sales, buyers, KUR linkages and PIRT certificates."""
    for i, group in enumerate(groups):
        for k, (name, kind, held, place) in enumerate(EVENTS):
            if held <= today and (i + k) % 3 == 0:
                services.record_participation(
                    actor=officer,
                    group=group,
                    event=name,
                    kind=kind,
                    held_on=held,
                    place=place,
                    sales=(1 + (i * 7 + k) % 9) * 450_000,
                )
        if i % 4 == 1:
            buyer, trade = BUYERS[i % len(BUYERS)]
            services.link_buyer(
                actor=officer,
                group=group,
                buyer=buyer,
                kind=trade,
                since=dt.date(2025, 1 + i % 12, 1),
                product=group.product,
            )
        if i % 6 == 5:
            services.record_credit(
                actor=officer,
                group=group,
                scheme=c.Scheme.KUR,
                lender="BRI Unit Balikpapan",
                amount=25_000_000,
                obtained_on=dt.date(2025, 9, 1),
            )
        if group.kbli.startswith("10"):
            services.record_certification(
                actor=officer,
                group=group,
                kind=c.Certificate.PIRT,
                number=f"20664710{i:05d}-27",
                obtained_on=dt.date(2024, 10, 1),
            )
