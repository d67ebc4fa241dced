"""The rules of skills training, pure: plain facts in, a decision out (no ORM, no request).

- :func:`ineligibility`: why a person may not take a course (age band, desil ceiling, schooling,
  kelurahan served); an empty list means eligible.
- :func:`select`: the deterministic, explainable selection of a cohort. Eligible applicants are
  ordered by priority — by default the lowest desil first (a person with no desil comes after every
  desil), then a household where no one was trained before, then an unemployed person, then a
  person with a disability; a course may order these four criteria otherwise
  (``Criteria.priorities``) — and, among equal priorities, by the tie-break: the SHA-256 of the cohort's seed, a
  bar and the NIK (:func:`tie_break`), never the order in which people applied. Seats are filled in
  two passes: first women in that order up to the women's quota (``ceil(min_women_share × seats)``),
  then everyone left in that order; no pass takes a person whose kelurahan already has
  ``max_per_kelurahan`` selected. The eligible not selected form the waiting list in the same
  order. Each applicant gets the reason for the decision in words.
- :func:`attendance_rate`, :func:`meets_attendance`: the attendance a trainee reached.
- :func:`tracer_due_dates`, :func:`tracer_due`: when the 3-, 6- and 12-month follow-ups fall due.
- :func:`outcome_table`: the outcome figures of a group of applicants.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import hashlib
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.utils.translation import gettext as _

SELECTED = "selected"
WAITING = "waiting"
NOT_ELIGIBLE = "not_eligible"

# School levels (Regsosek 413 codes) ordered by stage: special schools rank with their level.
SCHOOL_STAGE = {
    "1": 0, "2": 0, "3": 1, "4": 1, "5": 2, "6": 2, "7": 3, "8": 3, "9": 3,
    "10": 4, "11": 5, "12": 5, "13": 6, "14": 7,
}  # fmt: skip

NO_DESIL = 11  # a person without a desil comes after every desil
# The criteria of priority a course orders (default order): the lowest desil, a household where no
# one was trained before, an unemployed person, a person with a disability.
PRIORITIES = ("desil", "never_trained", "unemployed", "disability")
TRACER_WAVES = (3, 6, 12)
POOREST_DESIL = 4  # "from the poorest desil": desil 1–4, the city's poorest 40 %


@dataclass(frozen=True)
class Applicant:
    """What the selection knows of one applicant. ``key`` is the NIK (unique within a cohort)."""

    key: str
    female: bool
    age: int
    kelurahan: str
    desil: int | None = None
    school_level: str = ""
    trained_before: bool = False
    unemployed: bool = False
    disabled: bool = False


@dataclass(frozen=True)
class Criteria:
    """Who may take a course and the quotas a cohort keeps. ``kelurahan``: the codes served (empty:
    the whole city); ``min_women_share`` between 0 and 1."""

    min_age: int = 18
    max_age: int = 35
    max_desil: int | None = None
    min_school_level: str = ""
    kelurahan: frozenset[str] = frozenset()
    min_women_share: Fraction = Fraction(0)
    max_per_kelurahan: int | None = None
    priorities: tuple[str, ...] = PRIORITIES


def ineligibility(applicant: Applicant, criteria: Criteria) -> list[str]:
    """Every reason the applicant may not take the course, in words; empty when eligible."""
    reasons = []
    if not criteria.min_age <= applicant.age <= criteria.max_age:
        reasons.append(
            _("aged %(age)d, the course is for ages %(low)d to %(high)d")
            % {"age": applicant.age, "low": criteria.min_age, "high": criteria.max_age}
        )
    if criteria.max_desil is not None:
        if applicant.desil is None:
            reasons.append(_("no desil, the course is for desil %(max)d or below") % {"max": criteria.max_desil})
        elif applicant.desil > criteria.max_desil:
            reasons.append(
                _("desil %(desil)d, the course is for desil %(max)d or below")
                % {"desil": applicant.desil, "max": criteria.max_desil}
            )
    if criteria.min_school_level:
        needed = SCHOOL_STAGE.get(criteria.min_school_level, 0)
        if SCHOOL_STAGE.get(applicant.school_level, -1) < needed:
            reasons.append(_("schooling below the level the course requires"))
    if criteria.kelurahan and applicant.kelurahan not in criteria.kelurahan:
        reasons.append(_("lives in a kelurahan the course does not serve"))
    return reasons


def check_priorities(order: Sequence[str]) -> list[str]:
    """Problems of a course's priority order: each of PRIORITIES at most once, nothing else."""
    unknown = [p for p in order if p not in PRIORITIES]
    problems = [
        _("unknown priority %(name)r (known: %(known)s)") % {"name": p, "known": ", ".join(PRIORITIES)} for p in unknown
    ]
    if len(set(order)) != len(order):
        problems.append(_("a priority is listed twice"))
    return problems


def priority(applicant: Applicant, order: Sequence[str] = PRIORITIES) -> tuple[int, ...]:
    """The priority of an eligible applicant, smaller first, by the course's order of criteria
    (default: the lowest desil, a household never trained, unemployed, with a disability)."""
    values = {
        "desil": applicant.desil if applicant.desil is not None else NO_DESIL,
        "never_trained": 1 if applicant.trained_before else 0,
        "unemployed": 0 if applicant.unemployed else 1,
        "disability": 0 if applicant.disabled else 1,
    }
    return tuple(values[name] for name in order)


def tie_break(key: str, seed: str) -> str:
    """The tie-break between equal priorities: hex SHA-256 of ``seed|key``. It depends on the
    cohort's seed and the NIK only, so nobody gains by applying early or late."""
    return hashlib.sha256(f"{seed}|{key}".encode()).hexdigest()


def order_key(applicant: Applicant, seed: str, order: Sequence[str] = PRIORITIES) -> tuple[Any, ...]:
    return (*priority(applicant, order), tie_break(applicant.key, seed), applicant.key)


def priority_words(applicant: Applicant, order: Sequence[str] = PRIORITIES) -> str:
    """The applicant's priority in words, in the course's order of criteria."""
    words = {
        "desil": _("desil %(desil)d") % {"desil": applicant.desil} if applicant.desil is not None else _("no desil"),
        "never_trained": _("someone in the household was trained before")
        if applicant.trained_before
        else _("no one in the household trained before"),
        "unemployed": _("unemployed") if applicant.unemployed else "",
        "disability": _("with a disability") if applicant.disabled else "",
    }
    return ", ".join(words[name] for name in order if words[name])


@dataclass(frozen=True)
class Decision:
    """One applicant's decision: ``status`` (selected, waiting, not_eligible), ``rank`` (the order
    among the selected, or the place on the waiting list) and ``reason`` in words."""

    key: str
    status: str
    rank: int | None
    reason: str
    quota_seat: bool = False


@dataclass(frozen=True)
class Quota:
    """A quota and what the selection achieved: ``women`` (target and achieved are shares of the
    selected) or ``per_kelurahan`` (target and achieved are counts: the cap and the largest number
    selected from one kelurahan)."""

    name: str
    target: float
    achieved: float
    met: bool


@dataclass(frozen=True)
class Selection:
    seats: int
    decisions: dict[str, Decision]
    quotas: list[Quota] = field(default_factory=list)

    def keys(self, status: str) -> list[str]:
        chosen = [d for d in self.decisions.values() if d.status == status]
        return [d.key for d in sorted(chosen, key=lambda d: (d.rank or 0, d.key))]

    @property
    def selected(self) -> list[str]:
        return self.keys(SELECTED)

    @property
    def waiting(self) -> list[str]:
        return self.keys(WAITING)

    @property
    def not_eligible(self) -> list[str]:
        return self.keys(NOT_ELIGIBLE)


def women_target(seats: int, share: Fraction) -> int:
    """The seats the women's quota reserves: the share of the seats, rounded up."""
    return min(seats, math.ceil(Fraction(share) * seats))


def select(applicants: Iterable[Applicant], criteria: Criteria, seats: int, seed: str) -> Selection:
    """Select ``seats`` of the applicants (see the module's docstring for the rule). The result does
    not depend on the order of ``applicants``; keys must be unique."""
    order = criteria.priorities
    given = list(applicants)
    keys = {a.key: order_key(a, seed, order) for a in given}
    people = sorted(given, key=lambda a: keys[a.key])
    if len({a.key for a in people}) != len(people):
        raise ValueError("applicant keys must be unique")
    decisions: dict[str, Decision] = {}
    eligible: list[Applicant] = []
    for a in people:
        reasons = ineligibility(a, criteria)
        if reasons:
            decisions[a.key] = Decision(a.key, NOT_ELIGIBLE, None, _("Not eligible: %s.") % "; ".join(reasons))
        else:
            eligible.append(a)

    cap = criteria.max_per_kelurahan
    per_kelurahan: Counter[str] = Counter()
    chosen: dict[str, bool] = {}  # key → took a women's-quota seat

    def room(a: Applicant) -> bool:
        return cap is None or per_kelurahan[a.kelurahan] < cap

    target = women_target(seats, criteria.min_women_share)
    for a in eligible:  # pass 1: the women's quota
        if len(chosen) >= target:
            break
        if a.female and room(a):
            chosen[a.key] = True
            per_kelurahan[a.kelurahan] += 1
    for a in eligible:  # pass 2: everyone in priority order
        if len(chosen) >= seats:
            break
        if a.key not in chosen and room(a):
            chosen[a.key] = False
            per_kelurahan[a.kelurahan] += 1

    selected = [a for a in eligible if a.key in chosen]
    waiting = [a for a in eligible if a.key not in chosen]
    for rank, a in enumerate(selected, 1):
        words = priority_words(a, order)
        if chosen[a.key]:
            reason = _("Selected, rank %(rank)d, on a seat of the women's quota (%(priority)s).")
        else:
            reason = _("Selected, rank %(rank)d by priority (%(priority)s).")
        decisions[a.key] = Decision(a.key, SELECTED, rank, reason % {"rank": rank, "priority": words}, chosen[a.key])
    selected_keys = sorted(keys[a.key] for a in selected)
    for place, a in enumerate(waiting, 1):
        words = priority_words(a, order)
        ahead = bisect.bisect_left(selected_keys, keys[a.key])
        if cap is not None and per_kelurahan[a.kelurahan] >= cap:
            why = _("the kelurahan already has its maximum of %(cap)d selected") % {"cap": cap}
        elif ahead < seats and len(selected) >= seats:
            why = _("a seat went to a woman for the women's quota")
        else:
            why = _("the seats went to applicants of higher priority")
        decisions[a.key] = Decision(
            a.key,
            WAITING,
            place,
            _("Waiting list, place %(place)d: %(why)s (%(priority)s).")
            % {"place": place, "why": why, "priority": words},
        )

    quotas = []
    women = sum(1 for a in selected if a.female)
    if criteria.min_women_share > 0:
        quotas.append(
            Quota(
                "women",
                float(criteria.min_women_share),
                round(women / len(selected), 4) if selected else 0.0,
                women >= target,
            )
        )
    if cap is not None:
        largest = max(per_kelurahan.values(), default=0)
        quotas.append(Quota("per_kelurahan", float(cap), float(largest), largest <= cap))
    ordered = {a.key: decisions[a.key] for a in people}
    return Selection(seats, ordered, quotas)


# -- attendance -------------------------------------------------------------------------------------


def attendance_rate(statuses: Sequence[str]) -> int | None:
    """The attendance reached, in whole percent (rounded down): sessions present over sessions held,
    an excused absence counting neither way. ``statuses``: one per session held (``present``,
    ``absent``, ``excused``; a session with nothing recorded is passed as ``absent``). None when no
    session counts."""
    counted = [s for s in statuses if s != "excused"]
    if not counted:
        return None
    return (100 * sum(1 for s in counted if s == "present")) // len(counted)


def meets_attendance(statuses: Sequence[str], threshold: int) -> bool:
    """Whether the attendance reaches the course's threshold (in percent)."""
    rate = attendance_rate(statuses)
    return rate is not None and rate >= threshold


# -- tracer study ---------------------------------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day when it is shorter (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def tracer_due_dates(completed_on: dt.date) -> dict[int, dt.date]:
    """When each follow-up falls due: 3, 6 and 12 months after completion."""
    return {months: add_months(completed_on, months) for months in TRACER_WAVES}


def tracer_due(completed_on: dt.date, done: Iterable[int], today: dt.date) -> list[int]:
    """The follow-ups due by ``today`` and not yet recorded, earliest first."""
    recorded = set(done)
    return [m for m, due in tracer_due_dates(completed_on).items() if due <= today and m not in recorded]


# -- outcomes ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trainee:
    """One application as outcomes see it. ``placed``: working (wage or self-employed) at the latest
    follow-up, None when never followed up; incomes per month in rupiah; ``cost``: the course's cost
    per trainee."""

    groups: dict[str, str]
    selected: bool
    completed: bool = False
    certified: bool = False
    placed: bool | None = None
    income_before: int | None = None
    income_after: int | None = None
    desil: int | None = None
    cost: int = 0


@dataclass(frozen=True)
class Figures:
    """Outcome figures of one group. Rates are shares (0–1) or None when their denominator is 0:
    ``completion_rate`` of the selected, ``certification_rate`` of the completers,
    ``placement_rate`` of the completers followed up, ``poorest_share`` of the selected from desil
    1–4; ``income_change`` the mean change of monthly income of those followed up with both incomes;
    costs in rupiah (the cost per trainee of every selected trainee)."""

    group: str
    applicants: int
    selected: int
    completed: int
    certified: int
    traced: int
    placed: int
    completion_rate: float | None
    certification_rate: float | None
    placement_rate: float | None
    income_change: float | None
    cost: int
    cost_per_completer: float | None
    cost_per_placement: float | None
    poorest_share: float | None


def _share(part: int | float, whole: int | float) -> float | None:
    return round(part / whole, 4) if whole else None


def figures(group: str, trainees: Sequence[Trainee]) -> Figures:
    selected = [t for t in trainees if t.selected]
    completed = [t for t in selected if t.completed]
    certified = sum(1 for t in completed if t.certified)
    traced = [t for t in completed if t.placed is not None]
    placed = sum(1 for t in traced if t.placed)
    changes = [
        t.income_after - t.income_before for t in traced if t.income_before is not None and t.income_after is not None
    ]
    cost = sum(t.cost for t in selected)
    poorest = sum(1 for t in selected if t.desil is not None and t.desil <= POOREST_DESIL)
    return Figures(
        group=group,
        applicants=len(trainees),
        selected=len(selected),
        completed=len(completed),
        certified=certified,
        traced=len(traced),
        placed=placed,
        completion_rate=_share(len(completed), len(selected)),
        certification_rate=_share(certified, len(completed)),
        placement_rate=_share(placed, len(traced)),
        income_change=round(sum(changes) / len(changes), 2) if changes else None,
        cost=cost,
        cost_per_completer=round(cost / len(completed), 2) if completed else None,
        cost_per_placement=round(cost / placed, 2) if placed else None,
        poorest_share=_share(poorest, len(selected)),
    )


def outcome_table(trainees: Iterable[Trainee], by: str | Callable[[Trainee], str]) -> list[Figures]:
    """Figures per group (``by``: a key of ``Trainee.groups``, or a function), groups in order."""
    key = (lambda t: t.groups.get(by, "")) if isinstance(by, str) else by
    grouped: dict[str, list[Trainee]] = {}
    for t in trainees:
        grouped.setdefault(key(t), []).append(t)
    return [figures(g, rows) for g, rows in sorted(grouped.items())]


def age_band(age: int) -> str:
    """The age bands outcomes are shown by."""
    for low, high in ((15, 19), (20, 24), (25, 29), (30, 35)):
        if low <= age <= high:
            return f"{low}–{high}"
    return "<15" if age < 15 else ">35"
