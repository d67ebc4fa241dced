"""Reads of economic empowerment, scoped to the user's areas (``Model.objects.restrict``)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Min, Q, QuerySet, Sum
from django.utils import timezone

from entas.accounts.roles import Capability
from entas.accounts.scoping import can_act_in
from entas.programs.models import Programme
from entas.training.selectors import completed_courses

from . import rules
from .models import BusinessReport, Grant, Group, Loan, Membership, Repayment

if TYPE_CHECKING:
    from entas.accounts.models import User
    from entas.registry.models import Household


def empowerment_programmes() -> QuerySet[Programme]:
    """The programmes economic-empowerment assistance is given under (the policy register's
    ``kind="empowerment"``): the one place that chooses them."""
    return Programme.objects.filter(kind=Programme.Kind.EMPOWERMENT).order_by("name")


def may_manage(user: User | None, group: Group) -> bool:
    """Whoever manages training and micro-business groups in the group's kelurahan changes it."""
    return user is not None and user.can(Capability.MANAGE_TRAINING) and can_act_in(user, group.kelurahan)


def may_see_results(user: User) -> bool:
    """The results are aggregates: the officers, TKPK analysts and auditors see them."""
    return any(user.can(c) for c in (Capability.MANAGE_TRAINING, Capability.VIEW_ANALYTICS, Capability.VIEW_AUDIT))


def groups_for(user: User, action: str = "view") -> QuerySet[Group]:
    """The groups of the user's areas, with their kelurahan and head counts."""
    return (
        Group.objects.restrict(user, action)
        .select_related("kelurahan")
        .annotate(members=Count("memberships", filter=Q(memberships__left_on__isnull=True), distinct=True))
        .order_by("name", "pk")
    )


def group_for(user: User, pk: int, action: str = "view") -> Group:
    """One group of the user's areas (Group.DoesNotExist otherwise)."""
    return Group.objects.restrict(user, action).select_related("kelurahan", "programme").get(pk=pk)


def memberships_of(group: Group) -> QuerySet[Membership]:
    """Every seat of the group, current ones first, with the person and their family."""
    return group.memberships.select_related("member__household").order_by("left_on", "role", "member__name", "pk")


def reports_of(group: Group) -> QuerySet[BusinessReport]:
    return group.reports.order_by("-period_start", "-pk")


@dataclass
class LoanView:
    """A loan with its schedule and where it stands today."""

    loan: Loan
    lines: list[rules.Instalment]
    position: rules.LoanPosition
    paid_by_line: list[int] = field(default_factory=list)


def loan_views(loans: Iterable[Loan], day: dt.date | None = None) -> list[LoanView]:
    """The loans' schedules and positions on ``day`` (today), in two queries."""
    day = day or timezone.localdate()
    loans = list(loans)
    paid: dict[int, list[int]] = defaultdict(list)
    for loan_id, amount in Repayment.objects.filter(loan__in=loans).values_list("loan_id", "amount"):
        paid[loan_id].append(int(amount))
    out = []
    for loan in loans:
        lines = loan.schedule()
        total = sum(paid[loan.pk])
        by_line = []
        for line in lines:
            cover = min(total, line.amount)
            by_line.append(cover)
            total -= cover
        out.append(LoanView(loan, lines, rules.position(lines, paid[loan.pk], day), by_line))
    return out


def loans_for(user: User) -> QuerySet[Loan]:
    return Loan.objects.restrict(user, "view").select_related("group__kelurahan").order_by("-disbursed_on", "-pk")


def double_memberships(user: User) -> list[dict[str, Any]]:
    """The people of the user's areas seated in two groups fostered under the same programme."""
    seats = list(
        Membership.objects.restrict(user, "view")
        .filter(left_on__isnull=True, group__programme__isnull=False)
        .values_list("member_id", "group_id", "group__programme_id", "member__name", "group__name")
    )
    flagged = rules.double_memberships(rules.Seat(m, g, p) for m, g, p, _n, _g in seats)
    names = {m: n for m, _g, _p, n, _gn in seats}
    groups = {g: gn for _m, g, _p, _n, gn in seats}
    return [
        {"member": person, "name": names[person], "programme": programme, "groups": [groups[g] for g in gs]}
        for (person, programme), gs in sorted(flagged.items())
    ]


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class Outcome:
    """The results of a set of groups: the rules' figures and the loans' repayment."""

    label: str
    figures: rules.Results
    loans: int
    repayment_rate: float | None
    par30: float | None


def _history_rows(groups: QuerySet[Group], day: dt.date) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        dict(r) for r in groups.values("pk", "type", "kbli", "kelurahan__name", "founded", "closed_on")
    ]
    ids = [r["pk"] for r in rows]
    grants = {
        g["group"]: g
        for g in Grant.objects.filter(group__in=ids)
        .values("group")
        .annotate(total=Sum("amount"), first=Min("handed_over_on"))
        .order_by()
    }
    loans = {
        g["group"]: g
        for g in Loan.objects.filter(group__in=ids)
        .values("group")
        .annotate(lost=Sum("written_off_amount"), first=Min("disbursed_on"))
        .order_by()
    }
    reports: dict[int, list[rules.ReportFacts]] = defaultdict(list)
    for report in BusinessReport.objects.filter(group__in=ids, period_start__lte=day).order_by("period_start", "pk"):
        reports[report.group_id].append(report.facts())
    # Management training taken: the courses that people ever seated in the group completed.
    seated: dict[int, set[int]] = defaultdict(set)
    for group_id, member_id in Membership.objects.filter(group__in=ids).values_list("group_id", "member_id"):
        seated[group_id].add(member_id)
    courses = completed_courses([m for members in seated.values() for m in members])
    chairs = dict(
        Membership.objects.filter(group__in=ids, role="chair", left_on__isnull=True).values_list(
            "group_id", "member__sex"
        )
    )
    for r in rows:
        g, ln = grants.get(r["pk"]), loans.get(r["pk"])
        starts = [d for d in (g and g["first"], ln and ln["first"]) if d]
        r["history"] = rules.GroupHistory(
            started=min(starts) if starts else r["founded"],
            closed=r["closed_on"],
            reports=reports[r["pk"]],
            cost=int((g["total"] if g else 0) or 0) + int((ln["lost"] if ln else 0) or 0),
        )
        r["assistance"] = "both" if g and ln else "grant" if g else "loan" if ln else "none"
        r["chair_sex"] = chairs.get(r["pk"], "")
        r["sector"] = r["kbli"][:2]
        r["training"] = sorted({c for m in seated[r["pk"]] for c in courses.get(m, ())})
    return rows


# A group's value of each breakdown; "training" gives a list (a group whose members completed two
# courses counts under each; "-" none).
DIMENSIONS: dict[str, Callable[[dict[str, Any]], str | list[str]]] = {
    "type": lambda r: r["type"],
    "sector": lambda r: r["sector"],
    "kelurahan": lambda r: r["kelurahan__name"],
    "chair_sex": lambda r: r["chair_sex"] or "-",
    "assistance": lambda r: r["assistance"],
    "training": lambda r: r["training"] or ["-"],
}


def buckets_of(rows: list[dict[str, Any]], by: str) -> dict[str, list[dict[str, Any]]]:
    """The groups' rows by their value of the breakdown ``by``, in the order of the values."""
    buckets: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        value = DIMENSIONS[by](r)
        for key in [value] if isinstance(value, str) else value:
            buckets[key].append(r)
    return {key: buckets[key] for key in sorted(buckets)}


def group_rows(user: User | None, day: dt.date) -> list[dict[str, Any]]:
    """The groups of the user's areas (all without a user) as the results read them on ``day``: one
    read for :func:`results_for` and :func:`welfare_rows` together."""
    groups = Group.objects.restrict(user, "analyse") if user is not None else Group.objects.all()
    return _history_rows(groups, day)


def results_for(
    user: User, day: dt.date | None = None, by: str = "", rows: list[dict[str, Any]] | None = None
) -> list[Outcome]:
    """The results of the groups of the user's areas on ``day`` (today): the whole first, then one line
    per value of ``by`` (type, sector, kelurahan, chair_sex, assistance, training). A fixed number of
    queries; ``rows`` from :func:`group_rows` for the same user and day, when already read."""
    day = day or timezone.localdate()
    rows = group_rows(user, day) if rows is None else rows
    loans = list(Loan.objects.filter(group__in=[r["pk"] for r in rows]))
    views = loan_views(loans, day)
    positions: dict[int, list[rules.LoanPosition]] = defaultdict(list)
    for v in views:
        if v.loan.written_off_on is None:
            positions[v.loan.group_id].append(v.position)

    def outcome(label: str, members: list[dict[str, Any]]) -> Outcome:
        pos = [p for r in members for p in positions[r["pk"]]]
        return Outcome(
            label,
            rules.results([r["history"] for r in members], day),
            len(pos),
            rules.repayment_rate(pos),
            rules.portfolio_at_risk(pos, 30),
        )

    out = [outcome("", rows)]
    if by in DIMENSIONS:
        out += [outcome(key, members) for key, members in buckets_of(rows, by).items()]
    return out


def outcome_dict(o: Outcome) -> dict[str, Any]:
    f = o.figures
    return {
        "label": o.label,
        "groups": f.groups,
        "active_12_months": list(f.survival_12),
        "active_24_months": list(f.survival_24),
        "revenue_growth": f.revenue_growth,
        "profit_growth": f.profit_growth,
        "jobs_created": f.jobs_created,
        "cost": f.cost,
        "cost_per_job": f.cost_per_job,
        "loans": o.loans,
        "repayment_rate": o.repayment_rate,
        "portfolio_at_risk_30": o.par30,
    }


def assistance_of(user: User, household: Household) -> dict[str, Any]:
    """What the members of a family got through the business groups of the user's areas (for the
    household page)."""
    seats = list(
        Membership.objects.restrict(user, "view")
        .filter(member__household=household)
        .select_related("group", "member")
        .order_by("joined_on", "pk")
    )
    groups = {s.group_id for s in seats}
    return {
        "seats": seats,
        "grants": list(Grant.objects.filter(group__in=groups).select_related("group").order_by("handed_over_on")),
        "loans": list(Loan.objects.filter(group__in=groups).select_related("group").order_by("disbursed_on")),
    }


@dataclass(frozen=True)
class WelfareRow:
    """The welfare trajectory of the member households of a set of groups: by their PMT desil and by
    their DTSEN desil (kab/kota), each before the assistance and since."""

    label: str
    pmt: rules.Welfare
    dtsen: rules.Welfare


def welfare_rows(
    user: User | None, day: dt.date | None = None, by: str = "", rows: list[dict[str, Any]] | None = None
) -> list[WelfareRow]:
    """The welfare trajectory of the member households of the groups of the user's areas: for each
    household, its desil observed last before its first group's assistance began, against the last
    observed since (up to ``day``): the PMT scorings (``targeting.HouseholdScore``) and the DTSEN desil
    over time (the registry's current desil and the audit trail of its changes:
    :func:`entas.registry.history.desil_history`). A household observed only once, or only after, is
    left out. The whole first, then one row per value of ``by`` (``rows`` as for :func:`results_for`)."""
    from entas.registry.history import desil_history
    from entas.targeting.models import HouseholdScore

    day = day or timezone.localdate()
    rows = group_rows(user, day) if rows is None else rows
    started = {r["pk"]: r["history"].started for r in rows}
    households: dict[int, set[int]] = defaultdict(set)
    for group_id, household_id in Membership.objects.filter(group__in=list(started)).values_list(
        "group_id", "member__household_id"
    ):
        households[group_id].add(household_id)
    every = sorted({h for hs in households.values() for h in hs})
    pmt: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    scores = (
        HouseholdScore.objects.filter(household_id__in=every, scored_at__date__lte=day)
        .order_by("scored_at", "pk")
        .values_list("household_id", "desil", "scored_at")
    )
    for household_id, desil, scored_at in scores:
        pmt[household_id].append((timezone.localtime(scored_at).date(), desil))
    dtsen = desil_history(every)

    def row(label: str, members: list[dict[str, Any]]) -> WelfareRow:
        first: dict[int, dt.date] = {}
        for r in members:
            for h in households[r["pk"]]:
                first[h] = min(first.get(h, started[r["pk"]]), started[r["pk"]])
        pairs = {
            "pmt": [rules.before_after(pmt[h], start, day) for h, start in first.items()],
            "dtsen": [rules.before_after(dtsen.get(h, []), start, day) for h, start in first.items()],
        }
        return WelfareRow(
            label,
            rules.welfare(p for p in pairs["pmt"] if p is not None),
            rules.welfare(p for p in pairs["dtsen"] if p is not None),
        )

    out = [row("", rows)]
    if by in DIMENSIONS:
        out += [row(key, members) for key, members in buckets_of(rows, by).items()]
    return out


def welfare_for(user: User | None, day: dt.date | None = None) -> rules.Welfare:
    """The PMT welfare trajectory of the member households of all the user's groups (:func:`welfare_rows`)."""
    return welfare_rows(user, day)[0].pmt
