"""Demonstration activity of the policy register (called by ``entas seed_demo``): the example plan of
Balikpapan (docs/examples/rpkd-balikpapan.yaml), the demo users' OPDs, two years of monthly
realisation up to last month, and two adjustments (one approved, one waiting for its checker), so the
register opens populated. Idempotent: a second run changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from entas.accounts.models import Opd, User
from entas.core.services import service
from entas.programs.models import Programme

from . import planfile, services
from .models import Activity, Adjustment, Benefit, BudgetMonth, ProgrammeRecord

if TYPE_CHECKING:
    from entas.accounts.models import User as UserType

# The demo runs from a checkout (make demo): the example plan is the documentation's.
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "rpkd-balikpapan.yaml"
CASH_DEMO = "BLT Kota Balikpapan (demo)"  # entas.programs.demo's programme
# The demo users' agencies: who enters which OPD's realisation.
USER_OPDS = {"dinsos1": "DINSOS", "dinsos2": "DINSOS", "pelatihan": "DISNAKER", "tkpk": "BAPPEDA", "bappeda": "BAPPEDA"}
MONTHS = 24


def _add_months(day: dt.date, n: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def demo_spec(path: Path = EXAMPLE) -> planfile.PlanSpec:
    """The example plan, its cash transfer replaced by the demo's cash programme (its period and a pagu
    over it), or left out when the demo has none (a demo without a registry)."""
    spec = planfile.parse_plan(path.read_bytes(), source=path.name)
    cash = Programme.objects.filter(name=CASH_DEMO, kind=Programme.Kind.CASH).first()
    strategies = []
    for s in spec.strategies:
        programmes = []
        for p in s.programmes:
            if p.kind == "cash":
                if cash is None:
                    continue
                p = _cash(p, cash)
            programmes.append(p)
        strategies.append(dataclasses.replace(s, programmes=tuple(programmes)))
    return dataclasses.replace(spec, strategies=tuple(strategies))


def _cash(p: planfile.ProgrammeSpec, cash: Programme) -> planfile.ProgrammeSpec:
    months = [m for y in range(cash.start.year, cash.end.year + 1) for m in planfile.months_of(y, cash.start, cash.end)]
    activities = []
    for a in p.activities:
        total = sum(a.pagu.values())
        per_year: dict[int, int] = {}
        for i, amount in enumerate(planfile.spread(total, len(months))):
            per_year[months[i].year] = per_year.get(months[i].year, 0) + amount
        activities.append(dataclasses.replace(a, pagu=per_year))
    return dataclasses.replace(p, name=cash.name, start=cash.start, end=cash.end, activities=tuple(activities))


@service
def seed(*, editor: UserType, checker: UserType, today: dt.date | None = None) -> dict[str, Any]:
    """Load the plan, give the demo users their OPDs, enter realisation for the 24 months before this
    one, and record two adjustments. Returns what it did."""
    today = today or timezone.localdate()
    result = services.load_plan(spec=demo_spec(), actor=editor, source="seed_demo")
    opds = {o.code: o for o in Opd.objects.all()}
    for username, code in USER_OPDS.items():
        User.objects.filter(username=username, opd__isnull=True).update(opd=opds[code])
    first = max(_add_months(today.replace(day=1), -MONTHS), dt.date(result.plan.start_year, 1, 1))
    last = _add_months(today.replace(day=1), -1)
    rows = []
    activities = list(
        Activity.objects.filter(record__strategy__plan=result.plan, realised_from_payments=False)
        .select_related("record__programme")
        .order_by("code")
    )
    pagu = {
        (m.activity_id, m.month): m.pagu
        for m in BudgetMonth.objects.filter(activity__in=activities, month__gte=first, month__lte=last)
    }
    for activity in activities:
        # Each activity spends at its own pace (65–100% of its pagu), the same every run.
        rng = random.Random(activity.code)
        pace = rng.uniform(0.65, 1.0)
        month = first
        while month <= last:
            ceiling = pagu.get((activity.pk, month))
            if ceiling is not None:
                spent = int(ceiling * min(1.0, pace * rng.uniform(0.8, 1.2))) // 1000 * 1000
                physical = min(100, round(100 * month.month / 12 * pace))
                rows.append(services.RealisationRow(activity, month, spent, physical))
            month = _add_months(month, 1)
    counts = services.record_realisation(rows, actor=editor, note="seed_demo")
    adjustments = 0
    if not Adjustment.objects.exists():
        adjustments = _adjustments(editor, checker, today)
    benefits = _benefits(editor, last) if not Benefit.objects.exists() else 0
    return {
        "plan": str(result.plan),
        "outcome": result.outcome,
        "adjustments": adjustments,
        "benefits": benefits,
        **counts,
    }


# What the other kinds gave, per register code: (what, unit, value in rupiah, one person or the family).
BENEFITS = {
    "P2.1": ("Pelatihan las, listrik dan tata boga", "tempat", 4_500_000, True),
    "P1.3": ("Paket seragam dan perlengkapan sekolah", "paket", 600_000, True),
    "P1.4": ("Paket beras 10 kg", "paket", 150_000, False),
    "P4.1": ("Kelas pengasuhan di posyandu", "sesi", 0, True),
    "P3.1": ("Rehabilitasi rumah tidak layak huni", "unit", 25_000_000, False),
}


def _benefits(editor: UserType, last: dt.date) -> int:
    """Benefits of the other kinds for a few hundred families of the synthetic city (none without one),
    spread over the last months: so a household page shows a timeline across kinds."""
    from entas.registry.models import Household

    records = {r.code: r for r in ProgrammeRecord.objects.filter(code__in=BENEFITS).select_related("programme")}
    households = list(Household.objects.order_by("pk").prefetch_related("members").select_related("kelurahan")[:600])
    rows = []
    for i, household in enumerate(households):
        rng = random.Random(household.pk)
        members = sorted(household.members.all(), key=lambda m: m.pk)
        for code in rng.sample(sorted(BENEFITS), k=1 + i % 3):
            record = records.get(code)
            if record is None:
                continue
            what, unit, value, personal = BENEFITS[code]
            person = members[rng.randrange(len(members))] if personal and members else None
            day = _add_months(last, -rng.randrange(12)).replace(day=1 + rng.randrange(27))
            rows.append(services.BenefitRow(record.programme, household, person, day, what, 1, unit, value))
    return services.record_benefits(rows=rows, actor=editor, note="seed_demo")["inserted"] if rows else 0


def _adjustments(editor: UserType, checker: UserType, today: dt.date) -> int:
    empowerment = ProgrammeRecord.objects.filter(code="P2.3").first()
    campaign = ProgrammeRecord.objects.filter(code="P4.1").first()
    made = 0
    if empowerment is not None:
        more = services.propose_adjustment(
            record=empowerment,
            field="funding.csr",
            value="2000000000",
            reason="Forum CSR Kota Balikpapan menambah komitmen TJSL untuk usaha mikro keluarga miskin.",
            evidence=["Notulen Forum CSR Kota Balikpapan (sintetis)"],
            effective_on=_add_months(today.replace(day=1), -5),
            actor=editor,
        )
        services.decide_adjustment(adjustment=more, approve=True, actor=checker, note="Sesuai notulen forum.")
        made += 1
    if campaign is not None:
        services.propose_adjustment(
            record=campaign,
            field="target_kelurahan",
            value="64.71.01.1002,64.71.03.1004,64.71.04.1006,64.71.05.1011,64.71.02.1004",
            reason="Prevalensi stunting Kariangau naik pada penimbangan terakhir; kampanye diperluas.",
            evidence=["Laporan e-PPGBM Dinas Kesehatan (sintetis)"],
            effective_on=today,
            actor=editor,
        )
        made += 1
    return made
