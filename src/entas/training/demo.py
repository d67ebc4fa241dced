"""Two years of skills training for the demonstration (``entas seed_demo``), drawn from the synthetic
city's registry. Never for production.

The catalogue is docs/examples/training.yaml (its 2027 cohorts stay open for applications; the
heavy-equipment one gets far more applicants than seats, ready to be selected). Before them, each
course runs a cohort about every four months over the last two years: applicants are members of
working age drawn from the registry, poorer families more often (three to five per seat), the
selection is the real one (services.select_cohort), then attendance (some trainees stop coming:
dropouts), completion with the attendance threshold and the competency assessment, and the
follow-ups due by today. Whether a completer works differs by course and sex in plausible ways
(heavy equipment and rigging place men more often than women; tailoring and catering place women
more often, mostly in their own business), so the outcome pages have something true to find.

Deterministic for a registry and a date; a second run adds nothing once the demo cohorts exist."""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from entas.accounts.models import User
from entas.registry.models import Member

from . import catalogue, rules, selectors, services
from .choices import ApplicationStatus, AttendanceStatus, Outcome
from .models import Application, Attendance, Cohort, Completion, Course, TracerResult

PREFIX = "demo-"
CATALOGUE = Path(settings.PROJECT_ROOT) / "docs" / "examples" / "training.yaml"


@dataclass(frozen=True)
class Placement:
    """Chance that a completer works at a follow-up, by sex, and the share of those working who run
    their own business; monthly incomes (Rp) of a wage job and of an own business."""

    men: float
    women: float
    own_business: float
    wage: int
    business: int


# By competency area (the catalogue's courses). Balikpapan's UMK 2026 is about Rp 3.9 million.
PLACEMENT = {
    "Heavy equipment": Placement(0.74, 0.36, 0.05, 5_200_000, 2_500_000),
    "Welding": Placement(0.64, 0.34, 0.15, 4_300_000, 2_400_000),
    "Electrical installation": Placement(0.58, 0.40, 0.30, 4_000_000, 2_600_000),
    "Garment making": Placement(0.40, 0.58, 0.70, 3_300_000, 1_900_000),
    "Culinary and food processing": Placement(0.45, 0.62, 0.75, 3_300_000, 2_100_000),
    "Motorcycle maintenance": Placement(0.60, 0.35, 0.45, 3_700_000, 2_300_000),
    "Digital marketing": Placement(0.48, 0.52, 0.55, 3_800_000, 2_000_000),
    "Occupational safety and rigging": Placement(0.68, 0.45, 0.05, 4_800_000, 2_200_000),
}
DEFAULT = Placement(0.5, 0.5, 0.3, 3_600_000, 2_000_000)
DROPOUT_REASONS = [
    "Mendapat pekerjaan sebelum kursus selesai",
    "Mengurus anggota keluarga yang sakit",
    "Pindah ke luar kota",
    "Biaya transport ke tempat pelatihan",
    "Alasan pribadi",
]


def _pool(today: dt.date) -> list[dict[str, Any]]:
    """Current members aged 17–46 with what the draw needs."""
    earliest, latest = dt.date(today.year - 47, 1, 1), dt.date(today.year - 16, 12, 31)
    rows: Any = (
        Member.objects.filter(exited_on__isnull=True, merged_into__isnull=True, birth_date__range=(earliest, latest))
        .order_by("pk")
        .values("pk", "sex", "household__desil_city", "worked", "birth_date", "school_level")
    )
    return [dict(r) for r in rows]


def _draw(rng: random.Random, pool: list[dict[str, Any]], n: int, women_bias: float) -> list[int]:
    """``n`` distinct members (fewer when the pool is small), poorer families, people without work
    and (for some courses) women more likely."""
    weights = []
    for p in pool:
        desil = p["household__desil_city"] or 8
        w = max(0.3, 11 - desil) * (1.6 if p["worked"] is False else 1.0)
        weights.append(w * (women_bias if p["sex"] == "2" else 1.0))
    cumulative = list(accumulate(weights))
    chosen: set[int] = set()
    want = min(n, len(pool))
    for _round in range(20):
        for p in rng.choices(pool, cum_weights=cumulative, k=2 * want):
            if len(chosen) >= want:
                break
            chosen.add(p["pk"])
        if len(chosen) >= want:
            break
    return sorted(chosen)


def _cohorts(course: Course, today: dt.date, officer: User) -> list[Cohort]:
    """A cohort about every four months over the last two years (ended by today)."""
    out: list[Cohort] = []
    weeks = max(2, min(8, course.hours // 30))
    start = today - dt.timedelta(days=730) + dt.timedelta(days=zlib.crc32(course.code.encode()) % 60)
    while start + dt.timedelta(weeks=weeks) < today - dt.timedelta(days=14):
        start = start + dt.timedelta(days=(7 - start.weekday()) % 7)  # a Monday
        end = start + dt.timedelta(weeks=weeks) - dt.timedelta(days=3)  # a Friday
        cohort, _ = services.save_cohort(
            course=course,
            code=f"{PREFIX}{course.code}-{start:%Y%m}"[:40],
            start=start,
            end=end,
            seats=course.class_size,
            venue=course.provider.name,
            trainer="Instruktur",
            actor=officer,
        )
        out.append(cohort)
        start += dt.timedelta(days=120)
    return out


def _applicants(rng: random.Random, pool: list[dict[str, Any]], cohort: Cohort, wanted: int) -> list[int]:
    """Who hears of a course and applies: mostly people it is for (85 %), some it is not for."""
    course = cohort.course
    women_bias = 0.4 + 2 * float(course.min_women_share)  # technical courses draw fewer women
    criteria = services.criteria_of(course)
    needed = rules.SCHOOL_STAGE.get(criteria.min_school_level, -1)

    def likely(p: dict[str, Any]) -> bool:
        age = selectors.age_on(p["birth_date"], cohort.start)
        desil = p["household__desil_city"]
        return (
            criteria.min_age <= age <= criteria.max_age
            and (criteria.max_desil is None or (desil is not None and desil <= criteria.max_desil))
            and rules.SCHOOL_STAGE.get(p["school_level"], -1) >= needed
        )

    return sorted(
        set(_draw(rng, [p for p in pool if likely(p)], int(wanted * 0.85), women_bias))
        | set(_draw(rng, pool, wanted - int(wanted * 0.85), women_bias))
    )


def _run(cohort: Cohort, rng: random.Random, pool: list[dict[str, Any]], officer: User, today: dt.date) -> None:
    course = cohort.course
    ids = _applicants(rng, pool, cohort, int(cohort.seats * rng.uniform(3, 5)))
    members = list(Member.objects.filter(pk__in=ids).select_related("household__kelurahan").order_by("pk"))
    worked = {m.pk: m.worked for m in members}
    incomes = {
        m.pk: (rng.choice([0, 0, 500_000, 1_000_000, 1_500_000]) if not worked[m.pk] else rng.randint(15, 35) * 100_000)
        for m in members
    }
    services.apply_members(cohort=cohort, members=members, actor=officer, baseline_income=incomes)
    services.select_cohort(cohort=cohort, actor=officer)
    trainees = list(cohort.applications.filter(status=ApplicationStatus.SELECTED).order_by("pk"))
    sessions = list(cohort.sessions.order_by("number"))
    marks: list[Attendance] = []
    stops: dict[int, int] = {}
    for t in trainees:
        stop = rng.randint(2, max(3, len(sessions) - 1)) if rng.random() < 0.12 else len(sessions) + 1
        stops[t.pk] = stop
        for s in sessions:
            if s.number >= stop:
                status = AttendanceStatus.ABSENT
            else:
                r = rng.random()
                status = (
                    AttendanceStatus.PRESENT
                    if r < 0.93
                    else AttendanceStatus.EXCUSED
                    if r < 0.97
                    else AttendanceStatus.ABSENT
                )
            marks.append(Attendance(session=s, application=t, status=status))
    Attendance.objects.bulk_create(marks, batch_size=2000)
    by_trainee: dict[int, list[str]] = {}
    for m in marks:
        by_trainee.setdefault(m.application_id, []).append(m.status)
    completions, results = [], []
    placement = PLACEMENT.get(course.competency_area, DEFAULT)
    for t in trainees:
        rate = rules.attendance_rate(by_trainee.get(t.pk, []))
        if rules.meets_attendance(by_trainee.get(t.pk, []), course.attendance_threshold):
            competent = rng.random() < 0.86
            completions.append(
                Completion(
                    application=t,
                    outcome=Outcome.COMPLETED,
                    ended_on=cohort.end,
                    attendance_rate=rate,
                    assessment="competent" if competent else "not_yet",
                    certificate_number=f"BNSP/{cohort.end:%Y}/{t.pk:06d}" if competent else "",
                    certificate_scheme=course.scheme if competent else "",
                )
            )
            results += _follow_ups(rng, t, cohort.end, today, placement, competent)
        else:
            completions.append(
                Completion(
                    application=t,
                    outcome=Outcome.DROPPED_OUT,
                    ended_on=min(cohort.end, sessions[min(stops[t.pk], len(sessions)) - 1].date),
                    attendance_rate=rate,
                    dropout_reason=rng.choice(DROPOUT_REASONS),
                )
            )
    Completion.objects.bulk_create(completions)
    TracerResult.objects.bulk_create(results)
    cohort.status = "completed"
    cohort.save(update_fields=["status"])


def _follow_ups(
    rng: random.Random, t: Application, ended: dt.date, today: dt.date, p: Placement, certified: bool
) -> list[TracerResult]:
    chance = (p.women if t.sex == "2" else p.men) * (1.0 if certified else 0.7)
    finds = rng.random() < chance  # whether they find work within the year, and by which follow-up
    found_by = rng.choice([3, 3, 3, 6, 12])
    business = rng.random() < p.own_business
    out = []
    for months, due in rules.tracer_due_dates(ended).items():
        surveyed = due + dt.timedelta(days=rng.randint(0, 20))
        if surveyed > today or rng.random() < 0.15:  # not due yet, or not reached this time
            continue
        working = finds and months >= found_by and rng.random() > 0.05  # a few between jobs
        base = p.business if business else p.wage
        income = int(rng.gauss(base, base * 0.2) // 50_000 * 50_000) if working else 0
        out.append(
            TracerResult(
                application=t,
                months=months,
                surveyed_on=surveyed,
                employment=("self" if business else "wage") if working else "none",
                monthly_income=max(0, income),
                own_business=working and business,
                contract=("informal" if business else rng.choice(["fixed", "fixed", "permanent"]))
                if working
                else "none",
            )
        )
    return out


def seed(seed: int = 7, today: dt.date | None = None) -> dict[str, Any]:
    """Load the catalogue and two years of cohorts; what was done (counts), for the log."""
    officer = User.objects.filter(username="pelatihan").first()
    if officer is None or not CATALOGUE.is_file():
        return {"skipped": "no training officer or no catalogue"}
    if Cohort.objects.filter(code__startswith=PREFIX).exists():
        return {"skipped": "already seeded", "cohorts": Cohort.objects.filter(code__startswith=PREFIX).count()}
    today = today or timezone.localdate()
    rng = random.Random(seed)
    catalogue.load_file(CATALOGUE, actor=officer)
    pool = _pool(today)
    if not pool:
        return {"skipped": "no registry members of working age"}
    cohorts = []
    for course in Course.objects.select_related("provider").order_by("pk"):
        for cohort in _cohorts(course, today, officer):
            _run(cohort, rng, pool, officer, today)
            cohorts.append(cohort)
    # The open heavy-equipment class: far more applicants than its 20 seats, not selected yet.
    open_cohort = Cohort.objects.filter(code="oab-2027-1", status="planned").first()
    if open_cohort is not None:
        ids = _applicants(rng, pool, open_cohort, 90)
        members = list(Member.objects.filter(pk__in=ids).select_related("household__kelurahan"))
        services.apply_members(cohort=open_cohort, members=members, actor=officer)
    figures = selectors.outcomes(None)["total"]
    return {
        "cohorts": len(cohorts),
        "applicants": figures["applicants"],
        "selected": figures["selected"],
        "completed": figures["completed"],
        "placement_rate": figures["placement_rate"],
    }
