"""Every read of community participation, scoped through ``Model.objects.restrict(user, action)``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Prefetch, QuerySet, Sum

from . import choices as c
from . import rules
from .models import Agreement, Attendance, Contribution, Forum, ForumDecision, Partner, Proposal, Review

if TYPE_CHECKING:
    from entas.accounts.models import User


def forums_for(user: User, *, kind: str = "", year: int | None = None) -> QuerySet[Forum]:
    """The forums held in the user's areas (the calendar), newest first, with their counts."""
    qs = Forum.objects.restrict(user, "view").select_related("area")
    if kind:
        qs = qs.filter(kind=kind)
    if year:
        qs = qs.filter(held_on__year=year)
    return qs.annotate(
        decision_count=Count("decisions", distinct=True),
        attended=Sum("attendance__men", default=0) + Sum("attendance__women", default=0),
    ).order_by("-held_on", "-pk")


def latest_forum_day(user: User) -> dt.date | None:
    """The day of the newest forum of the user's areas held so far (the calendar opens on its year
    when none is held yet this year)."""
    from django.utils import timezone

    return (
        Forum.objects.restrict(user, "view")
        .filter(held_on__lte=timezone.localdate())
        .order_by("-held_on")
        .values_list("held_on", flat=True)
        .first()
    )


def forum_for(user: User, pk: int) -> Forum:
    """One forum of the user's areas (Forum.DoesNotExist otherwise)."""
    return (
        Forum.objects.restrict(user, "view")
        .select_related("area", "recorded_by", "scan_uploaded_by")
        .prefetch_related(Prefetch("attendance", queryset=Attendance.objects.order_by("group")))
        .get(pk=pk)
    )


def decisions_of(user: User, forum: Forum) -> QuerySet[ForumDecision]:
    """A musyawarah's decisions on the households the user may see, in the order they were recorded."""
    return (
        ForumDecision.objects.restrict(user, "view")
        .filter(forum=forum)
        .select_related("household__kelurahan", "rule", "recorded_by")
        .order_by("pk")
    )


def decisions_of_household(user: User, household_id: int) -> QuerySet[ForumDecision]:
    """The musyawarah decisions on a household (its page), newest forum first."""
    return (
        ForumDecision.objects.restrict(user, "view")
        .filter(household_id=household_id)
        .select_related("forum", "rule")
        .order_by("-forum__held_on", "-pk")
    )


@dataclass
class AttendanceTable:
    rows: list[tuple[Any, int, int, int]]  # (group label, men, women, total)
    men: int
    women: int
    total: int


def attendance_of(forum: Forum) -> AttendanceTable:
    counts = {a.group: (a.men, a.women) for a in forum.attendance.all()}
    rows = [
        (label, *counts.get(value, (0, 0)), sum(counts.get(value, (0, 0)))) for value, label in c.AttendeeGroup.choices
    ]
    men, women, total = rules.attendance_total(counts)
    return AttendanceTable(rows, men, women, total)


def decision_counts(forum: Forum) -> dict[str, int]:
    """How many households the forum added, removed and kept (all of them: a count, no person)."""
    counted = Counter(forum.decisions.values_list("action", flat=True))
    return {value: counted.get(value, 0) for value in c.Decision.values}


def calendar(user: User, year: int) -> list[tuple[dt.date, list[Forum]]]:
    """The forums of a year by month (the first day of each month that has one)."""
    months: dict[dt.date, list[Forum]] = {}
    for forum in forums_for(user, year=year).order_by("held_on", "pk"):
        months.setdefault(forum.held_on.replace(day=1), []).append(forum)
    return sorted(months.items())


# -- the Musrenbang ---------------------------------------------------------------------------------


def proposals_for(
    user: User, *, stage: str = "", status: str = "", category: str = "", kelurahan: str = ""
) -> QuerySet[Proposal]:
    """The proposals of the user's areas, filtered; the highest-scored first within their stage."""
    qs = Proposal.objects.restrict(user, "view").select_related("kelurahan", "funded_record__programme")
    if stage:
        qs = qs.filter(stage=stage)
    if status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category=category)
    if kelurahan:
        qs = qs.filter(kelurahan__code=kelurahan)
    return qs.annotate(best=Max("reviews__score")).order_by("kelurahan__code", "-best", "code")


def proposal_for(user: User, pk: int) -> Proposal:
    return (
        Proposal.objects.restrict(user, "view")
        .select_related("kelurahan", "merged_into", "funded_record__programme", "funded_activity", "recorded_by")
        .get(pk=pk)
    )


def reviews_of(proposal: Proposal) -> QuerySet[Review]:
    return proposal.reviews.select_related("forum__area", "recorded_by").order_by("forum__held_on", "pk")


def forums_for_review(user: User, proposal: Proposal) -> QuerySet[Forum]:
    """The Musrenbang forums that may decide on the proposal: of its kelurahan, kecamatan or the city,
    at its stage or the next one up."""
    stages = rules.STAGES
    at = stages.index(proposal.stage) if proposal.stage in stages else 0
    kinds = stages[at : at + 2]
    codes = [proposal.kelurahan.code]
    parent = proposal.kelurahan.parent
    while parent is not None:
        codes.append(parent.code)
        parent = parent.parent
    return Forum.objects.restrict(user, "view").filter(kind__in=kinds, area__code__in=codes).order_by("-held_on")


def proposal_report(user: User, year: int | None = None) -> rules.ProposalReport:
    """The proposals of the user's areas as counts (no person)."""
    qs = Proposal.objects.restrict(user, "view")
    if year:
        qs = qs.filter(created_at__year=year)
    rows = qs.values_list("stage", "status", "kelurahan__name", "category", "problem", "estimated_cost")
    return rules.proposal_report(
        rules.ProposalFacts(stage, status, kel, cat, bool(problem.strip()), cost)
        for stage, status, kel, cat, problem, cost in rows
    )


# -- partners ---------------------------------------------------------------------------------------


def partners_of(user: User) -> list[Partner]:
    """The partner organisations a partner user signs in for."""
    return list(Partner.objects.filter(users=user).order_by("name"))


def own_contributions(user: User) -> QuerySet[Contribution]:
    """A partner user's view of contributions: its own organisations' only."""
    return (
        Contribution.objects.filter(partner__users=user)
        .select_related("partner", "record__programme", "activity", "kelurahan")
        .order_by("-year", "record__code", "pk")
    )


def contributions_for(user: User) -> QuerySet[Contribution]:
    """Every partner's contributions, for the register's readers (Bappeda's coordination view)."""
    return (
        Contribution.objects.restrict(user, "view")
        .select_related("partner", "record__programme", "activity", "kelurahan")
        .order_by("partner__name", "-year", "pk")
    )


@dataclass
class KelurahanCoverage:
    code: str
    name: str
    poor: int  # households of desil 1–2 (the city's PMT desil, else DTSEN)
    partners: list[str]
    delivered: int
    gap: bool = False


def coordination(user: User, year: int) -> dict[str, Any]:
    """Who funds what where in a year: each partner's pledged and delivered money by programme; by
    kelurahan the poorest households and the partners present (gaps: many poor, no partner); overlaps:
    programmes in one kelurahan with more than one partner. Counts and sums only, no household."""
    from django.db.models import Q

    from entas.regions.models import Region, RegionLevel
    from entas.registry.models import Household

    rows = list(contributions_for(user).filter(year=year))
    by_kelurahan: dict[int | None, list[Contribution]] = {}
    for row in rows:
        by_kelurahan.setdefault(row.kelurahan_id, []).append(row)
    agreements: dict[int, set[str]] = {}
    for kel_id, partner_name in Agreement.objects.filter(start__year__lte=year, end__year__gte=year).values_list(
        "kelurahan", "partner__name"
    ):
        if kel_id:
            agreements.setdefault(kel_id, set()).add(partner_name)
    poor = dict(
        Household.objects.filter(Q(desil_city__lte=2) | Q(desil_city__isnull=True, desil_national__lte=2))
        .values("kelurahan")
        .annotate(n=Count("pk"))
        .values_list("kelurahan", "n")
        .order_by()
    )
    kelurahan = list(Region.objects.filter(level=RegionLevel.KELURAHAN).order_by("code"))
    coverage = []
    for k in kelurahan:
        present = sorted({r.partner.name for r in by_kelurahan.get(k.pk, [])} | agreements.get(k.pk, set()))
        delivered = sum(r.delivered_value for r in by_kelurahan.get(k.pk, []))
        coverage.append(KelurahanCoverage(k.code, k.name, poor.get(k.pk, 0), present, delivered))
    counts = sorted(cov.poor for cov in coverage)
    median = counts[len(counts) // 2] if counts else 0
    for cov in coverage:
        cov.gap = not cov.partners and cov.poor > 0 and cov.poor >= median
    overlaps: dict[tuple[str, str], set[str]] = {}
    for row in rows:
        if row.kelurahan is not None:
            overlaps.setdefault((row.kelurahan.name, f"{row.record.code} {row.record.programme.name}"), set()).add(
                row.partner.name
            )
    totals: dict[str, dict[str, int]] = {}
    for row in rows:
        t = totals.setdefault(row.partner.name, {"pledged": 0, "delivered": 0, "hours": 0, "places": 0})
        t["pledged"] += row.pledged_value
        t["delivered"] += row.delivered_value
        if row.kind == "volunteer_hours":
            t["hours"] += row.delivered_quantity
        elif row.kind == "training_places":
            t["places"] += row.delivered_quantity
    return {
        "rows": rows,
        "totals": sorted(totals.items()),
        "coverage": coverage,
        "gaps": [cov for cov in coverage if cov.gap],
        "overlaps": sorted((k, sorted(v)) for k, v in overlaps.items() if len(v) > 1),
        "citywide": by_kelurahan.get(None, []),
    }
