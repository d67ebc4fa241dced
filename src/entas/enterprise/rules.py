"""Pure rules of economic empowerment: plain facts in, a decision out; no ORM, no request.

Money is whole Rupiah (``int``) everywhere: a loan's schedule, what is due, what is in arrears.
Rates are basis points a year (600 = 6 % a year). Ratios (portfolio at risk, repayment rate,
growth) are fractions, never money.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

KBLI_SHAPE = re.compile(r"^\d{5}$")
NIB_SHAPE = re.compile(r"^\d{13}$")
JUMP = 10  # a value more than this many times the previous period's is flagged


def kbli_ok(code: str) -> bool:
    """A KBLI 2020 sector code has five digits, its first two a section's division (01 to 99)."""
    return bool(KBLI_SHAPE.match(code)) and code[:2] != "00"


def nib_ok(number: str) -> bool:
    """An NIB (Nomor Induk Berusaha, issued by OSS) has thirteen digits."""
    return bool(NIB_SHAPE.match(number))


# ---------------------------------------------------------------------------------------------
# Loans


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, on the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _interest(balance: int, annual_bp: int) -> int:
    """A month's interest on ``balance`` at ``annual_bp`` basis points a year, half-up to the rupiah."""
    return (balance * annual_bp + 60_000) // 120_000


@dataclass(frozen=True)
class Instalment:
    """One line of a loan's schedule: its number (from 1), due date, principal and interest."""

    number: int
    due: dt.date
    principal: int
    interest: int

    @property
    def amount(self) -> int:
        return self.principal + self.interest


def schedule(principal: int, annual_bp: int, months: int, first_due: dt.date, method: str) -> list[Instalment]:
    """A loan's instalments. Principal is repaid in equal parts, the rupiah left over by the division
    in the last one. ``flat``: each month's interest is on the original principal; ``declining``
    (*bunga menurun*): on the principal still owed before that month's payment."""
    if principal <= 0 or months <= 0 or annual_bp < 0:
        raise ValueError("a loan needs a positive principal and term and a rate of at least 0")
    if method not in {"flat", "declining"}:
        raise ValueError(f"unknown method {method!r}")
    part = principal // months
    out: list[Instalment] = []
    balance = principal
    for k in range(1, months + 1):
        repaid = part if k < months else principal - part * (months - 1)
        interest = _interest(principal if method == "flat" else balance, annual_bp)
        out.append(Instalment(k, add_months(first_due, k - 1), repaid, interest))
        balance -= repaid
    return out


def due_by(lines: Sequence[Instalment], day: dt.date) -> int:
    """What falls due up to and including ``day``."""
    return sum(line.amount for line in lines if line.due <= day)


BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")


def bucket(days_late: int) -> str:
    """The arrears ageing bucket of an amount ``days_late`` days past its due date."""
    if days_late <= 0:
        return "current"
    if days_late <= 30:
        return "1-30"
    if days_late <= 60:
        return "31-60"
    if days_late <= 90:
        return "61-90"
    return "90+"


@dataclass(frozen=True)
class LoanPosition:
    """Where a loan stands on a day: what was due and paid, what is overdue by ageing bucket, the
    principal still owed and the age of its oldest unpaid instalment."""

    due: int
    paid: int
    overdue: dict[str, int]
    outstanding_principal: int
    days_late: int

    @property
    def arrears(self) -> int:
        return sum(self.overdue.values())


def position(lines: Sequence[Instalment], payments: Iterable[int], day: dt.date) -> LoanPosition:
    """Allocate the payments (their total, oldest instalment first; interest before principal
    within one) and age what is unpaid on ``day``. Money paid beyond the schedule pays nothing more."""
    paid = sum(payments)
    left = paid
    overdue = dict.fromkeys(BUCKETS[1:], 0)
    principal_repaid = 0
    oldest = 0
    for line in lines:
        cover = min(left, line.amount)
        left -= cover
        principal_repaid += max(0, cover - line.interest)
        unpaid = line.amount - cover
        if unpaid and line.due < day:
            late = (day - line.due).days
            overdue[bucket(late)] += unpaid
            oldest = max(oldest, late)
    total_principal = sum(line.principal for line in lines)
    return LoanPosition(
        due=due_by(lines, day),
        paid=paid,
        overdue=overdue,
        outstanding_principal=total_principal - principal_repaid,
        days_late=oldest,
    )


def portfolio_at_risk(positions: Iterable[LoanPosition], days: int = 30) -> float | None:
    """PAR``days``: the principal still owed on loans with an instalment more than ``days`` late,
    as a share of all principal still owed (None with nothing owed)."""
    owed = risk = 0
    for p in positions:
        owed += p.outstanding_principal
        if p.days_late > days:
            risk += p.outstanding_principal
    return risk / owed if owed else None


def repayment_rate(positions: Iterable[LoanPosition]) -> float | None:
    """What was collected of what fell due (payments ahead of the schedule not counted), as a share
    of what fell due (None when nothing fell due yet)."""
    due = collected = 0
    for p in positions:
        due += p.due
        collected += min(p.paid, p.due)
    return collected / due if due else None


@dataclass(frozen=True)
class WriteOffFacts:
    requested_by: int
    approved_by: int
    arrears_days: int
    already_written_off: bool


def may_write_off(facts: WriteOffFacts) -> str | None:
    """Why a write-off may not be approved (None: it may): four eyes, and only a loan in real
    default (an instalment more than 90 days late)."""
    if facts.already_written_off:
        return _("The loan is already written off.")
    if facts.requested_by == facts.approved_by:
        return _("A write-off is approved by someone other than the person who asked for it.")
    if facts.arrears_days <= 90:
        return _("Only a loan with an instalment more than 90 days late may be written off.")
    return None


# ---------------------------------------------------------------------------------------------
# Business reports


REPORT_FIELDS = ("production", "revenue", "costs", "workers_family", "workers_hired", "capital")


@dataclass(frozen=True)
class ReportFacts:
    """One period's figures (money in Rupiah, production in the group's own unit), ``months`` long."""

    months: int
    production: int
    revenue: int
    costs: int
    workers_family: int
    workers_hired: int
    capital: int

    @property
    def profit(self) -> int:
        return self.revenue - self.costs

    @property
    def workers(self) -> int:
        return self.workers_family + self.workers_hired

    def monthly(self, name: str) -> float:
        value: int = getattr(self, name)
        return value / self.months


@dataclass
class Plausibility:
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_report(current: ReportFacts, previous: ReportFacts | None) -> Plausibility:
    """Negative figures are refused; a figure more than ten times the previous report's (per month,
    so a quarter follows a month fairly) is flagged for a second look, not refused."""
    verdict = Plausibility()
    for name in REPORT_FIELDS:
        if getattr(current, name) < 0:
            verdict.errors.append((name, _("%(field)s cannot be negative.") % {"field": name}))
    if verdict.errors or previous is None:
        return verdict
    for name in ("production", "revenue", "costs", "capital"):
        before, now = previous.monthly(name), current.monthly(name)
        if before > 0 and now > JUMP * before:
            verdict.warnings.append(
                (name, _("%(field)s is more than ten times the previous report's.") % {"field": name})
            )
    return verdict


# ---------------------------------------------------------------------------------------------
# Membership


@dataclass(frozen=True)
class Seat:
    """A person's open membership of a group fostered under a programme (None: no programme)."""

    person: int
    group: int
    programme: int | None


def double_memberships(seats: Iterable[Seat]) -> dict[tuple[int, int], list[int]]:
    """People in two or more groups of the same programme, as ``(person, programme) -> groups``
    (a programme's help reaches a household once through one group)."""
    groups: dict[tuple[int, int], set[int]] = defaultdict(set)
    for seat in seats:
        if seat.programme is not None:
            groups[(seat.person, seat.programme)].add(seat.group)
    return {key: sorted(g) for key, g in groups.items() if len(g) > 1}


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class GroupHistory:
    """What the results need of a group: when its assistance began, when it stopped trading (None:
    still active), its reports oldest first, what the city put in (grants and loans written off)."""

    started: dt.date
    closed: dt.date | None
    reports: Sequence[ReportFacts]
    cost: int = 0


def survival(groups: Iterable[GroupHistory], months: int, day: dt.date) -> tuple[int, int]:
    """(active after ``months``, groups assisted at least ``months`` before ``day``)."""
    alive = eligible = 0
    for g in groups:
        mark = add_months(g.started, months)
        if mark > day:
            continue
        eligible += 1
        if g.closed is None or g.closed > mark:
            alive += 1
    return alive, eligible


@dataclass(frozen=True)
class Results:
    groups: int
    survival_12: tuple[int, int]
    survival_24: tuple[int, int]
    revenue_growth: float | None
    profit_growth: float | None
    jobs_created: int
    cost: int
    cost_per_job: int | None


def _growth(first: float, last: float) -> float | None:
    return (last - first) / abs(first) if first else None


def results(groups: Sequence[GroupHistory], day: dt.date) -> Results:
    """The figures a programme answers for. Growth compares the monthly revenue (profit) of each
    group's first report with its latest, summed over the groups with two reports or more. Jobs
    created: the workers (family and hired) of the latest report less those of the first, summed
    (a group that shed workers counts against). Cost per job: what the city put in (grants, loans
    written off) divided by the jobs created, in whole Rupiah (None with no job created)."""
    first_rev = last_rev = first_profit = last_profit = 0.0
    jobs = 0
    for g in groups:
        if len(g.reports) < 2:
            continue
        a, b = g.reports[0], g.reports[-1]
        first_rev += a.monthly("revenue")
        last_rev += b.monthly("revenue")
        first_profit += a.profit / a.months
        last_profit += b.profit / b.months
        jobs += b.workers - a.workers
    cost = sum(g.cost for g in groups)
    return Results(
        groups=len(groups),
        survival_12=survival(groups, 12, day),
        survival_24=survival(groups, 24, day),
        revenue_growth=_growth(first_rev, last_rev),
        profit_growth=_growth(first_profit, last_profit),
        jobs_created=jobs,
        cost=cost,
        cost_per_job=(cost + jobs // 2) // jobs if jobs > 0 else None,
    )


@dataclass(frozen=True)
class Welfare:
    """How the member households' PMT desil moved from before the assistance to after it: how many
    households have both, the mean change (positive: a higher desil, better off), how many moved up
    and how many down."""

    households: int
    mean_change: float | None
    better: int
    worse: int


def welfare(pairs: Iterable[tuple[int, int]]) -> Welfare:
    """The welfare trajectory of ``(desil before, desil after)`` pairs."""
    changes = [after - before for before, after in pairs]
    return Welfare(
        households=len(changes),
        mean_change=sum(changes) / len(changes) if changes else None,
        better=sum(1 for d in changes if d > 0),
        worse=sum(1 for d in changes if d < 0),
    )


def before_after(observations: Sequence[tuple[dt.date, int]], start: dt.date, day: dt.date) -> tuple[int, int] | None:
    """A household's desil before its group's assistance began (the latest observed before ``start``)
    and after (the latest observed from ``start`` up to ``day``); None without both. ``observations``
    are ``(date, desil)``, in any order."""
    ordered = sorted(observations)
    before = [d for when, d in ordered if when < start]
    after = [d for when, d in ordered if start <= when <= day]
    return (before[-1], after[-1]) if before and after else None
